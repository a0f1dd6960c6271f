"""Fine–Gray proportional subdistribution hazards regression, as ``cmprsk::crr``.

The model (Fine & Gray 1999) is fitted by Newton–Raphson on the weighted partial
likelihood in which a patient who had a competing event at T_i stays in the risk set of
a later event time t with weight G(t−)/G(T_i−), G the Kaplan–Meier of the censoring times
over the whole sample (crr's single censoring group); tied events share one denominator
(Breslow). The covariance is crr's sandwich I⁻¹(Σ_i (η_i + ψ_i)(η_i + ψ_i)ᵀ)I⁻¹, where
η_i is patient i's score residual and ψ_i the term for having estimated G.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import special

MAX_ITER = 50


@dataclass(frozen=True)
class FineGrayFit:
    """Fine–Gray fit: per term (``terms``) the coefficient (log subdistribution HR), its
    sandwich SE, shr = exp(coef), the Wald CI and p; n patients, n_events of the cause,
    n_competing, log pseudo-likelihood and whether Newton–Raphson converged."""

    terms: tuple[str, ...]
    coef: tuple[float, ...]
    se: tuple[float, ...]
    shr: tuple[float, ...]
    ci_low: tuple[float, ...]
    ci_high: tuple[float, ...]
    p_value: tuple[float, ...]
    n: int
    n_events: int
    n_competing: int
    loglik: float
    converged: bool


def censoring_km_before(time: np.ndarray, censored: np.ndarray) -> np.ndarray:
    """G(T_i−): Kaplan–Meier of the censoring times (censoring as the event), just before
    each time, as crr's ``approx(survfit(Surv(ftime, cenind) ~ 1), ftime·(1 − 100ε))``."""
    uniq, inv = np.unique(time, return_inverse=True)
    n_c = np.bincount(inv, weights=censored.astype(float), minlength=len(uniq))
    at_risk = np.cumsum(np.bincount(inv, minlength=len(uniq))[::-1])[::-1]
    g = np.cumprod(1 - n_c / at_risk)
    before = np.concatenate([[1.0], g[:-1]])
    return before[inv]


def _weights(t, kind, g_before, ev_times, g_ev):
    """W[i, e]: 1 while T_i ≥ t_e; G(t_e−)/G(T_i−) after a competing event; else 0."""
    at_risk = t[:, None] >= ev_times[None, :]
    comp = (kind == 2)[:, None] & ~at_risk
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(comp, g_ev[None, :] / g_before[:, None], 0.0)
    return at_risk.astype(float) + ratio


def _parts(beta, x, w, d_ev, ev_x):
    r = np.exp(x @ beta)
    wr = w * r[:, None]  # n × E
    s0 = wr.sum(axis=0)
    s1 = wr.T @ x  # E × p
    xbar = s1 / s0[:, None]
    p = x.shape[1]
    s2 = (wr.T @ (x[:, :, None] * x[:, None, :]).reshape(len(x), p * p)).reshape(-1, p, p)
    loglik = float(np.sum(d_ev * (ev_x @ beta - np.log(s0))))
    score = (d_ev[:, None] * (ev_x - xbar)).sum(axis=0)
    var = s2 / s0[:, None, None] - np.einsum("ei,ej->eij", xbar, xbar)
    info = (d_ev[:, None, None] * var).sum(axis=0)
    return loglik, score, info, r, s0, xbar


def fine_gray(time, status, x, terms, cause: int = 1, conf: float = 0.95) -> FineGrayFit:
    """Fine–Gray subdistribution hazard ratios of ``cause``, as
    ``crr(time, status, cov1 = x, failcode = cause, cencode = 0)``.

    Parameters
    ----------
    time, status
        Follow-up time; status 0 censored, ``cause`` the event of interest, any other
        positive code a competing event. Rows with a missing value are dropped.
    x
        n × p design matrix (e.g. indicator columns of the non-reference groups).
    terms
        Names of the p columns.

    Returns
    -------
    FineGrayFit (coefficients to full convergence, step < 1e-12; crr stops at its
    gradient tolerance 1e-6, so estimates agree with crr to about 1e-7 relative). Without
    events, or when the pseudo-likelihood has no finite maximum, numbers are NaN and
    ``converged`` is False.
    """
    t = np.asarray(time, float)
    st = np.asarray(status, float)
    x = np.asarray(x, float).reshape(len(t), -1)
    ok = ~np.isnan(t) & ~np.isnan(st) & ~np.isnan(x).any(axis=1)
    t, st, x = t[ok], st[ok].astype(int), x[ok]
    kind = np.where(st == cause, 1, np.where(st > 0, 2, 0))
    p = x.shape[1]
    nan = (float("nan"),) * p
    n_ev, n_comp = int((kind == 1).sum()), int((kind == 2).sum())
    if n_ev == 0 or p == 0:
        return FineGrayFit(
            tuple(terms), nan, nan, nan, nan, nan, nan, len(t), n_ev, n_comp, float("nan"), False
        )
    g_before = censoring_km_before(t, kind == 0)
    ev_times, first = np.unique(t[kind == 1], return_index=True)
    d_ev = np.bincount(np.searchsorted(ev_times, t[kind == 1]), minlength=len(ev_times))
    d_ev = d_ev.astype(float)
    g_ev = g_before[kind == 1][first]
    w = _weights(t, kind, g_before, ev_times, g_ev)
    # Σ over the events of x_i, by distinct event time
    ev_x = np.zeros((len(ev_times), p))
    np.add.at(ev_x, np.searchsorted(ev_times, t[kind == 1]), x[kind == 1])
    ev_x = ev_x / d_ev[:, None]
    beta = np.zeros(p)
    loglik, score, info, *_ = _parts(beta, x, w, d_ev, ev_x)
    converged = False
    for _ in range(MAX_ITER):
        step = np.linalg.lstsq(info, score, rcond=None)[0]
        new = beta + step
        new_ll, new_score, new_info, *_ = _parts(new, x, w, d_ev, ev_x)
        halvings = 0
        while not new_ll >= loglik - 1e-12 * abs(loglik) and halvings < 30:
            step /= 2
            new = beta + step
            new_ll, new_score, new_info, *_ = _parts(new, x, w, d_ev, ev_x)
            halvings += 1
        beta, loglik, score, info = new, new_ll, new_score, new_info
        if np.max(np.abs(step)) < 1e-12:
            converged = True
            break
        if np.max(np.abs(beta)) > 25:
            break
    converged = bool(converged and np.all(np.abs(beta) < 20) and np.linalg.matrix_rank(info) == p)
    if not converged:
        return FineGrayFit(
            tuple(terms), nan, nan, nan, nan, nan, nan, len(t), n_ev, n_comp, loglik, False
        )
    cov = _sandwich(beta, t, kind, x, w, d_ev, ev_times, g_before, info, ev_x)
    se = np.sqrt(np.diag(cov))
    if not np.all(np.isfinite(se) & (se > 0)):  # no variation left to estimate from
        return FineGrayFit(
            tuple(terms), nan, nan, nan, nan, nan, nan, len(t), n_ev, n_comp, loglik, False
        )
    z = special.ndtri(1 - (1 - conf) / 2)
    return FineGrayFit(
        tuple(terms),
        tuple(float(b) for b in beta),
        tuple(float(s) for s in se),
        tuple(float(np.exp(b)) for b in beta),
        tuple(float(np.exp(b - z * s)) for b, s in zip(beta, se, strict=True)),
        tuple(float(np.exp(b + z * s)) for b, s in zip(beta, se, strict=True)),
        tuple(float(2 * special.ndtr(-abs(b / s))) for b, s in zip(beta, se, strict=True)),
        len(t),
        n_ev,
        n_comp,
        loglik,
        True,
    )


def _sandwich(beta, t, kind, x, w, d_ev, ev_times, g_before, info, ev_x):
    """crr's robust covariance: I⁻¹ (Σ_i (η_i + ψ_i)(η_i + ψ_i)ᵀ) I⁻¹."""
    _, _, _, r, s0, xbar = _parts(beta, x, w, d_ev, ev_x)
    n = len(t)
    # η_i: dN part (own event) minus the compensator over every event time
    eta = np.zeros_like(x)
    own = np.searchsorted(ev_times, t[kind == 1])
    eta[kind == 1] = x[kind == 1] - xbar[own]
    lam = w * r[:, None] * (d_ev / s0)[None, :]  # n × E: weight·r_i·dΛ(t_e)
    eta -= x * lam.sum(axis=1)[:, None] - lam @ xbar
    # ψ_i: estimating G; q(u) = Σ_{t_e ≥ u} dΛ(t_e)·Σ_{competing j, T_j < u} W_je r_j (x_j − x̄_e)
    cens_times, n_cens = np.unique(t[kind == 0], return_counts=True)
    y_at = n - np.searchsorted(np.sort(t), cens_times, side="left")
    # competing patients in time order; running sums over them, per event time, read at
    # each censoring time u (those with T_j < u) and restricted to the events t_e >= u
    cj = np.nonzero(kind == 2)[0]
    cj = cj[np.argsort(t[cj], kind="stable")]
    lam_c = lam[cj]  # competing × events
    s0c = np.vstack([np.zeros((1, lam.shape[1])), np.cumsum(lam_c, axis=0)])
    s1c = np.concatenate(
        [
            np.zeros((1, lam.shape[1], x.shape[1])),
            np.cumsum(lam_c[:, :, None] * x[cj][:, None, :], axis=0),
        ]
    )
    k = np.searchsorted(t[cj], cens_times, side="left")  # competing with T_j < u
    later = ev_times[None, :] >= cens_times[:, None]  # censoring time × events
    q = np.einsum("me,mep->mp", later, s1c[k] - s0c[k][:, :, None] * xbar[None, :, :])
    psi = np.zeros_like(x)
    if len(cens_times):
        cum = np.cumsum(n_cens[:, None] * q / (y_at**2)[:, None], axis=0)
        upto = np.searchsorted(cens_times, t, side="right") - 1
        psi -= np.where(upto[:, None] >= 0, cum[np.clip(upto, 0, None)], 0.0)
        ci = np.nonzero(kind == 0)[0]
        m_of = np.searchsorted(cens_times, t[ci])
        psi[ci] += q[m_of] / y_at[m_of][:, None]
    resid = eta + psi
    inv = np.linalg.inv(info)
    return inv @ (resid.T @ resid) @ inv
