"""The optimiser of the REML deviance for core.stats.mixed: bounded quasi-Newton descent,
restarts off a variance bound (lme4's ``restart_edge``) and Newton polishing.

``f`` is the profiled deviance of θ (the entries of Λ); ``lower`` its bounds (0 for the
diagonals of Λ, -inf elsewhere). See :func:`minimise`.
"""

from __future__ import annotations

import numpy as np
from scipy import optimize


def _grad(f, x: np.ndarray, free: np.ndarray, h: float = 1e-5) -> np.ndarray:
    """Central-difference gradient over the free coordinates (0 elsewhere)."""
    g = np.zeros_like(x)
    for k in np.nonzero(free)[0]:
        e = np.zeros_like(x)
        e[k] = h * max(1.0, abs(x[k]))
        g[k] = (f(x + e) - f(x - e)) / (2 * e[k])
    return g


def _hessian(f, x: np.ndarray, idx: np.ndarray, h: float = 1e-4) -> np.ndarray:
    """Central-difference Hessian over the coordinates ``idx``."""
    k = len(idx)
    H = np.zeros((k, k))
    steps = [h * max(1.0, abs(x[i])) for i in idx]
    for a in range(k):
        for b in range(a, k):
            ea, eb = np.zeros_like(x), np.zeros_like(x)
            ea[idx[a]], eb[idx[b]] = steps[a], steps[b]
            v = f(x + ea + eb) - f(x + ea - eb) - f(x - ea + eb) + f(x - ea - eb)
            H[a, b] = H[b, a] = v / (4 * steps[a] * steps[b])
    return H


def _at_optimum(f, theta: np.ndarray, free: np.ndarray) -> bool:
    """Whether a Newton step could still lower the deviance by more than 1e-6 (the
    Hessian on the free coordinates must be positive definite)."""
    idx = np.nonzero(free)[0]
    if len(idx) == 0:
        return bool(np.isfinite(f(theta)))
    g = _grad(f, theta, free)[idx]
    H = _hessian(f, theta, idx)
    try:
        if np.linalg.eigvalsh(H).min() <= 0:
            return False
        return bool(0.5 * g @ np.linalg.solve(H, g) < 1e-6)
    except np.linalg.LinAlgError:
        return False


EDGE_STEPS = (1e-4, 1e-2)  # how far a diagonal on its bound is moved off it to probe
MAX_RESTARTS = 3


def _descend(f, start: np.ndarray, lower: np.ndarray) -> np.ndarray:
    """L-BFGS-B from ``start`` with central-difference gradients; diagonals within 1e-6 of
    their bound are put on it (lme4's optimum sits there exactly)."""
    bounds = [(lo, None) if np.isfinite(lo) else (None, None) for lo in lower]
    res = optimize.minimize(
        f,
        start,
        jac=lambda x: _grad(f, x, np.ones(len(x), bool)),
        method="L-BFGS-B",
        bounds=bounds,
        options={"ftol": 1e-15, "gtol": 1e-8, "maxiter": 1000},
    )
    theta = res.x.copy()
    at_bound = np.isfinite(lower) & (theta - np.where(np.isfinite(lower), lower, 0) < 1e-6)
    theta[at_bound] = lower[at_bound]
    return theta


def _polish(f, theta: np.ndarray, lower: np.ndarray) -> tuple[np.ndarray, bool]:
    """Newton steps with a finite-difference Hessian on the coordinates not on a bound.
    Returns (θ, whether a Newton step would gain < 1e-10 with a positive definite Hessian)."""
    free = ~(np.isfinite(lower) & (theta == lower))
    idx = np.nonzero(free)[0]
    if len(idx) == 0:  # every parameter on its bound: nothing to polish
        return theta, bool(np.isfinite(f(theta)))
    floor = np.where(np.isfinite(lower), lower, -np.inf)[idx]
    for _ in range(20):
        g = _grad(f, theta, free)[idx]
        H = _hessian(f, theta, idx)
        try:
            if np.linalg.eigvalsh(H).min() <= 0:
                return theta, False
            step = -np.linalg.solve(H, g)
        except np.linalg.LinAlgError:
            return theta, False
        if -0.5 * g @ step < 1e-10:  # a Newton step would gain < 1e-10: at the optimum
            return theta, True
        fx, t = f(theta), 1.0
        while t > 1e-4:
            trial = theta.copy()
            trial[idx] += t * step
            if (trial[idx] >= floor).all() and f(trial) <= fx:
                theta = trial
                break
            t /= 2
        if t <= 1e-4:
            break
    return theta, _at_optimum(f, theta, free)


def _edge_drop(f, theta: np.ndarray, lower: np.ndarray) -> tuple[float, int, float]:
    """The most the deviance drops when one diagonal on its bound is moved EDGE_STEPS off
    it (lme4's ``restart_edge`` check). Returns (drop, coordinate, step); (0, -1, 0) when
    no such move lowers the deviance."""
    f0 = f(theta)
    best = (0.0, -1, 0.0)
    for k in np.nonzero(np.isfinite(lower) & (theta == lower))[0]:
        for h in EDGE_STEPS:
            trial = theta.copy()
            trial[k] = lower[k] + h
            drop = f0 - f(trial)
            if drop > best[0]:
                best = (drop, int(k), h)
    return best


def minimise(f, lower: np.ndarray) -> tuple[np.ndarray, bool]:
    """θ minimising the REML deviance.

    L-BFGS-B (bounds: diagonals of Λ ≥ 0) from lme4's start Λ = I with central-difference
    gradients. The deviance is even in the last diagonal of Λ, so a diagonal on its bound
    0 is a stationary point: a quasi-Newton step that overshoots onto the bound finds a
    zero gradient there and stops, even where the deviance falls on moving off it (a
    saddle, not a minimum; survival::pbcseq albumin stopped there 66 deviance units above
    lme4's optimum). As lme4 (``lmerControl(restart_edge = TRUE)``), each diagonal on its
    bound is probed 1e-4 and 1e-2 off it; if the deviance drops, a bounded line search
    along that diagonal gives the start of a new L-BFGS-B descent (at most three
    restarts; a restart is kept only if it lowers the deviance). Then Newton steps with a
    finite-difference Hessian on the coordinates not on a bound. Converged = a Newton
    step would lower the deviance by less than 1e-10 (with a positive definite Hessian)
    and no probe off a bound lowers it by more than 1e-6."""
    theta = _descend(f, np.where(np.isfinite(lower), 1.0, 0.0), lower)
    for _ in range(MAX_RESTARTS):
        f0 = f(theta)
        drop, k, h = _edge_drop(f, theta, lower)
        if drop <= 1e-12 * max(1.0, abs(f0)):  # rounding, not a descent direction
            break
        line = theta.copy()

        def along(s: float, line: np.ndarray = line, k: int = k) -> float:
            line[k] = s
            return f(line)

        top = 10.0 * max(1.0, np.abs(theta).max())  # well past any plausible θ
        opt = optimize.minimize_scalar(
            along, bounds=(lower[k], top), method="bounded", options={"xatol": 1e-8}
        )
        restart = theta.copy()
        restart[k] = opt.x if opt.fun < f0 - drop else lower[k] + h
        new = _descend(f, restart, lower)
        if not f(new) < f0:
            break
        theta = new
    theta, ok = _polish(f, theta, lower)
    return theta, ok and _edge_drop(f, theta, lower)[0] <= 1e-6
