"""Proportional-hazards checks and pairwise comparisons of survival curves.

- :func:`cox_zph`: the Grambsch–Therneau score test of β(t) = β + θ·g(t) per term and
  globally, as ``cox.zph(coxph(..., ties = "efron"), transform = "km")`` of survival 3
  (a score test at (β̂, θ = 0) with the full Efron information, not the older
  approximation), plus the scaled Schoenfeld residuals for the residual plot.
- :func:`pairwise_logrank`: log-rank test for every pair of groups, Holm-adjusted.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import combinations

import numpy as np
import pandas as pd
from scipy import special

from core.stats.ranks import holm
from core.stats.survival import efron_fit, logrank

TRANSFORMS = ("km", "identity", "log", "rank")


@dataclass(frozen=True)
class ZphTest:
    """One row of ``cox.zph(fit)$table``: term (or ``GLOBAL``), chisq, df, p."""

    term: str
    chisq: float
    df: int
    p_value: float


@dataclass(frozen=True)
class Zph:
    """cox.zph result: the tests (each term, then GLOBAL), the transform, the fitted
    coefficients and the scaled Schoenfeld residuals: one row per event with ``time``,
    ``g_time`` (transformed time) and one column per design column (β̂ + residual scaled
    by the inverse of the average information, as ``cox.zph(fit, terms = FALSE)$y``)."""

    tests: tuple[ZphTest, ...]
    transform: str
    coef: tuple[float, ...]
    residuals: pd.DataFrame
    converged: bool


def _transform(t: np.ndarray, e: np.ndarray, how: str) -> np.ndarray:
    """g(t) of cox.zph: ``km`` = 1 − KM(t−) of all patients, ``rank`` = average ranks."""
    if how == "identity":
        return t.copy()
    if how == "log":
        return np.log(t)
    if how == "rank":
        return pd.Series(t).rank(method="average").to_numpy()
    if how != "km":
        raise ValueError(f"Unknown transform {how!r}.")
    uniq, inv = np.unique(t, return_inverse=True)
    d = np.bincount(inv, weights=e)
    y = np.cumsum(np.bincount(inv)[::-1])[::-1]
    surv = np.cumprod(1 - d / y)
    before = np.concatenate([[1.0], surv[:-1]])
    return 1 - before[inv]


def _efron_moments(beta, x, e, inv, n_times):
    """Per event (sorted by time): time index, Efron mean (p) and variance (p × p)."""
    r = np.exp(x @ beta)
    p = x.shape[1]
    rx = r[:, None] * x
    rxx = rx[:, :, None] * x[:, None, :]

    def at(w, mask=None):
        w = w if mask is None else w * mask.reshape((-1,) + (1,) * (w.ndim - 1))
        flat = w.reshape(len(w), -1)
        out = np.stack(
            [np.bincount(inv, weights=flat[:, i], minlength=n_times) for i in range(flat.shape[1])],
            axis=1,
        )
        return out.reshape((n_times,) + w.shape[1:])

    def risk(w):
        return np.cumsum(at(w)[::-1], axis=0)[::-1]

    s0, s1, s2 = risk(r[:, None])[:, 0], risk(rx), risk(rxx)
    e0, e1, e2 = at(r[:, None], e)[:, 0], at(rx, e), at(rxx, e)
    d = np.bincount(inv, weights=e, minlength=n_times).astype(int)
    rep = np.repeat(np.arange(n_times), d)
    start = np.repeat(np.cumsum(d) - d, d)
    frac = (np.arange(len(rep)) - start) / d[rep]
    a0 = s0[rep] - frac * e0[rep]
    mean = (s1[rep] - frac[:, None] * e1[rep]) / a0[:, None]
    a2 = (s2[rep] - frac[:, None, None] * e2[rep]) / a0[:, None, None]
    var = a2 - np.einsum("ni,nj->nij", mean, mean)
    return rep, mean, var.reshape(len(rep), p, p)


def _quadratic(u: np.ndarray, m: np.ndarray) -> float:
    """uᵀ M⁻¹ u; NaN when M is singular (e.g. every event at one time: g(t) is constant)."""
    if np.linalg.matrix_rank(m) < m.shape[0]:
        return float("nan")
    return float(u @ np.linalg.solve(m, u))


def cox_zph(time, event, x, terms, assign=None, transform: str = "km") -> Zph:
    """Test of proportional hazards for a Cox model (Efron ties) with design ``x``.

    As ``cox.zph(coxph(Surv(time, event) ~ ..., ties = "efron"), transform)``: with
    g(t) centred on its mean over the events, the score for θ (covariates x·g(t)) at
    (β̂, 0) is U = Σ_events g(t_i)(x_i − x̄_i) (Efron means), the information of (β, θ)
    has blocks Σ V, Σ g·V, Σ g²·V; each term's chisq = Uᵀ I⁻¹ U over (all β, that term's
    θ), df = its columns; GLOBAL over every θ, df = p.

    Parameters
    ----------
    x, terms
        n × p design and the names of the terms; ``assign`` the list of column indices of
        each term (default one column per term).
    transform
        ``km`` (R's default: 1 − Kaplan–Meier(t−)), ``identity``, ``log`` or ``rank``.
    """
    t = np.asarray(time, float)
    e = (np.asarray(event, float) > 0).astype(float)
    x = np.asarray(x, float).reshape(len(t), -1)
    ok = ~np.isnan(t) & ~np.isnan(np.asarray(event, float)) & ~np.isnan(x).any(axis=1)
    t, e, x = t[ok], e[ok], x[ok]
    p = x.shape[1]
    assign = [[i] for i in range(p)] if assign is None else [list(a) for a in assign]
    empty = pd.DataFrame(columns=["time", "g_time", *[f"x{i}" for i in range(p)]])
    if e.sum() == 0 or p == 0:
        return Zph((), transform, (), empty, False)
    fit = efron_fit(t, e, x)
    beta, converged = fit.beta, fit.converged
    if not converged:
        return Zph((), transform, tuple(float(b) for b in beta), empty, False)
    order = np.argsort(t, kind="stable")
    t, e, x = t[order], e[order], x[order]
    ttimes = _transform(t, e, transform)
    g_all = ttimes - ttimes[e > 0].mean()
    uniq, inv = np.unique(t, return_inverse=True)
    rep, mean, var = _efron_moments(beta, x, e, inv, len(uniq))
    ev = np.nonzero(e > 0)[0]  # events in time order, as rep
    g = g_all[ev]
    u = (g[:, None] * (x[ev] - mean)).sum(axis=0)
    i11 = var.sum(axis=0)
    i12 = (g[:, None, None] * var).sum(axis=0)
    i22 = (g[:, None, None] ** 2 * var).sum(axis=0)
    imat = np.block([[i11, i12], [i12, i22]])
    tests = []
    for name, cols in zip(terms, assign, strict=True):
        kk = list(range(p)) + [p + c for c in cols]
        uu = np.concatenate([np.zeros(p), u[cols]])
        chisq = _quadratic(uu, imat[np.ix_(kk, kk)])
        tests.append(ZphTest(str(name), chisq, len(cols), float(special.chdtrc(len(cols), chisq))))
    uu = np.concatenate([np.zeros(p), u])
    chisq = _quadratic(uu, imat)
    tests.append(ZphTest("GLOBAL", chisq, p, float(special.chdtrc(p, chisq))))
    # Schoenfeld residuals: x_i minus the mean of the Efron means of its tied events
    avg = pd.DataFrame(mean).groupby(rep).transform("mean").to_numpy()
    schoen = x[ev] - avg
    vmean = i11 / len(ev)
    scaled = schoen @ np.linalg.inv(vmean) + beta[None, :]
    res = pd.DataFrame({"time": t[ev], "g_time": ttimes[ev]})
    for i in range(p):
        res[f"x{i}"] = scaled[:, i]
    return Zph(tuple(tests), transform, tuple(float(b) for b in beta), res, True)


def pairwise_logrank(time, event, group, levels: Sequence[str] = ()) -> pd.DataFrame:
    """Log-rank test for every pair of groups, Holm-adjusted over the pairs.

    As ``survdiff(Surv(time, event) ~ group, subset = group %in% c(a, b))`` for each pair
    (groups in the order of ``levels``, those it does not name after them in sorted order;
    a before b) and ``p.adjust(p, "holm")``.

    Returns
    -------
    DataFrame: group_a, group_b, n_a, n_b, statistic (chisq), df, p_value, p_holm.
    """
    t = np.asarray(time, float)
    e = np.asarray(event, float)
    g = pd.Series(np.asarray(group, dtype=object)).astype(str).to_numpy()
    ok = ~np.isnan(t) & ~np.isnan(e) & pd.notna(np.asarray(group, dtype=object))
    rank = {str(v): i for i, v in enumerate(levels)}
    levels = sorted(set(g[ok]), key=lambda v: (rank.get(v, len(rank)), v))
    rows = []
    for a, b in combinations(levels, 2):
        m = ok & np.isin(g, [a, b])
        lr = logrank(t[m], e[m], g[m])
        chisq, df, pv = lr.statistic, lr.df, lr.p
        rows.append(
            {
                "group_a": a,
                "group_b": b,
                "n_a": int((ok & (g == a)).sum()),
                "n_b": int((ok & (g == b)).sum()),
                "statistic": chisq,
                "df": df,
                "p_value": pv,
            }
        )
    out = pd.DataFrame(
        rows, columns=["group_a", "group_b", "n_a", "n_b", "statistic", "df", "p_value"]
    )
    out["p_holm"] = holm(out["p_value"].to_numpy(float)) if len(out) else []
    return out
