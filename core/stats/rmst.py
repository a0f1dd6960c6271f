"""Restricted mean survival time (RMST) up to τ, and its comparison between two groups.

RMST(τ) = ∫₀^τ S(t) dt under the Kaplan–Meier step curve. Its variance is the Greenwood
form used by both ``print(survfit, rmean = τ)`` and survRM2::rmst2:
Var = Σ_{event times t_j ≤ τ} A_j² · d_j / (Y_j (Y_j − d_j)), A_j = ∫_{t_j}^τ S(t) dt
(a term with Y_j = d_j counts 0, as survRM2). For time to response the restricted mean
is the mean response-free time up to τ.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import special


@dataclass(frozen=True)
class Rmst:
    """Restricted mean up to ``tau`` (time units of the input): estimate, se (Greenwood),
    Wald CI (estimate ± z·se), n, n_events."""

    tau: float
    estimate: float
    se: float
    ci_low: float
    ci_high: float
    n: int
    n_events: int


@dataclass(frozen=True)
class RmstComparison:
    """Group b against group a at ``tau``: difference b − a with its Wald CI and p
    (se = sqrt(se_a² + se_b²)); ratio b / a with a CI and p on the log scale
    (se_log = sqrt(se_a²/μ_a² + se_b²/μ_b²)), as survRM2::rmst2 (arm 1 = b, arm 0 = a)."""

    tau: float
    diff: float
    diff_ci_low: float
    diff_ci_high: float
    diff_p: float
    ratio: float
    ratio_ci_low: float
    ratio_ci_high: float
    ratio_p: float


def rmst(time, event, tau: float, conf: float = 0.95) -> Rmst:
    """Restricted mean survival up to ``tau`` with its Greenwood SE, as
    ``print(survfit(Surv(time, event) ~ 1), rmean = tau)`` (``*rmean``, ``*se(rmean)``)
    and survRM2's ``rmst1``. NaN when there are no patients."""
    t = np.asarray(time, float)
    e = np.asarray(event, float)
    ok = ~np.isnan(t) & ~np.isnan(e)
    t, e = t[ok], (e[ok] > 0).astype(float)
    if len(t) == 0 or not np.isfinite(tau):
        nan = float("nan")
        return Rmst(float(tau), nan, nan, nan, nan, len(t), int(e.sum()))
    uniq, inv = np.unique(t, return_inverse=True)
    d = np.bincount(inv, weights=e)
    y = np.cumsum(np.bincount(inv)[::-1])[::-1].astype(float)
    surv = np.cumprod(1 - d / y)
    keep = uniq <= tau
    tj, sj, dj, yj = uniq[keep], surv[keep], d[keep], y[keep]
    # steps: [0, t1) at 1, [t1, t2) at S(t1), …, [t_last, tau] at S(t_last)
    edges = np.concatenate([[0.0], tj, [tau]])
    heights = np.concatenate([[1.0], sj])
    areas = np.diff(edges) * heights
    estimate = float(areas.sum())
    after = np.cumsum(areas[::-1])[::-1][1:]  # A_j = area from t_j to tau
    with np.errstate(divide="ignore", invalid="ignore"):
        term = np.where((dj > 0) & (yj > dj), dj / (yj * (yj - dj)), 0.0)
    se = float(np.sqrt(np.sum(after**2 * term)))
    z = special.ndtri(1 - (1 - conf) / 2)
    return Rmst(
        float(tau),
        estimate,
        se,
        float(estimate - z * se),
        float(estimate + z * se),
        len(t),
        int(e.sum()),
    )


def rmst_compare(a: Rmst, b: Rmst, conf: float = 0.95) -> RmstComparison:
    """Difference and ratio of two independent restricted means (b against a)."""
    z = special.ndtri(1 - (1 - conf) / 2)
    diff = b.estimate - a.estimate
    se_d = np.hypot(a.se, b.se)
    with np.errstate(divide="ignore", invalid="ignore"):
        log_r = np.log(b.estimate / a.estimate)
        se_r = np.sqrt((a.se / a.estimate) ** 2 + (b.se / b.estimate) ** 2)
        p_d = float(2 * special.ndtr(-abs(diff / se_d)))
        p_r = float(2 * special.ndtr(-abs(log_r / se_r)))
    return RmstComparison(
        a.tau,
        float(diff),
        float(diff - z * se_d),
        float(diff + z * se_d),
        p_d,
        float(np.exp(log_r)),
        float(np.exp(log_r - z * se_r)),
        float(np.exp(log_r + z * se_r)),
        p_r,
    )
