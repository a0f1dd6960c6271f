"""Kaplan–Meier, its median, the log-rank test and the Cox model (Efron ties).

All vectorised over patients (numpy ``unique``/``bincount``/cumulative sums), so 100,000
patients take a fraction of a second. Each function replicates the R ``survival`` call
named in its docstring (survival 3.5). lifelines computes none of the app's numbers (its KM
median has no midpoint rule and its default Cox stopping rule halts short of the maximum);
it is a test-only, independent cross-check (tests/test_lifelines_crosscheck.py).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import special  # not scipy.stats: importing it costs ~0.5 s per process

from core.stats.result_types import ChiSquare, CoxFit, KMMedian

_HALF_TOL = np.sqrt(np.finfo(float).eps)  # survival's minmin(): tolerance around 0.5

KM_COLUMNS = [
    "time",
    "n_risk",
    "n_event",
    "n_censor",
    "surv",
    "std_err_log_surv",
    "lower",
    "upper",
]


def _clean(time, event) -> tuple[np.ndarray, np.ndarray]:
    t = np.asarray(time, dtype=float)
    e = np.asarray(event, dtype=float)
    ok = ~np.isnan(t) & ~np.isnan(e)
    return t[ok], (e[ok] > 0).astype(float)


def kaplan_meier(time, event, conf: float = 0.95) -> pd.DataFrame:
    """Kaplan–Meier estimate with Greenwood's variance and a log-log confidence interval.

    As ``survfit(Surv(time, event) ~ 1, conf.type = "log-log")``: one row per distinct
    observed time. ``std_err_log_surv`` is survfit's ``std.err`` (standard error of
    log S, Inf once S = 0); ``lower``/``upper`` are NaN where S is 0 or 1, as in R.

    Returns
    -------
    DataFrame with columns time, n_risk, n_event, n_censor, surv, std_err_log_surv,
    lower, upper.
    """
    t, e = _clean(time, event)
    if len(t) == 0:
        return pd.DataFrame({c: pd.Series(dtype=float) for c in KM_COLUMNS})
    uniq, inv = np.unique(t, return_inverse=True)
    n_event = np.bincount(inv, weights=e)
    n_total = np.bincount(inv).astype(float)
    n_risk = np.cumsum(n_total[::-1])[::-1]
    surv = np.cumprod(1 - n_event / n_risk)
    with np.errstate(divide="ignore", invalid="ignore"):
        term = np.where(n_event > 0, n_event / (n_risk * (n_risk - n_event)), 0.0)
        se = np.sqrt(np.cumsum(term))
        lower, upper = _loglog_ci(surv, se, conf)
    return pd.DataFrame(
        {
            "time": uniq,
            "n_risk": n_risk.astype(int),
            "n_event": n_event.astype(int),
            "n_censor": (n_total - n_event).astype(int),
            "surv": surv,
            "std_err_log_surv": se,
            "lower": lower,
            "upper": upper,
        }
    )


def _loglog_ci(surv: np.ndarray, se: np.ndarray, conf: float) -> tuple:
    """survival:::survfit_confint, conf.type = "log-log"."""
    z = special.ndtri(1 - (1 - conf) / 2)  # = stats.norm.ppf
    xx = np.where((surv == 0) | (surv == 1), np.nan, surv)
    se2 = z * se / np.log(xx)
    lower = np.exp(-np.exp(np.log(-np.log(xx)) - se2))
    upper = np.exp(-np.exp(np.log(-np.log(xx)) + se2))
    return lower, upper


def _first_at_half(values: np.ndarray, times: np.ndarray) -> tuple[float, bool]:
    """survival's ``minmin``: the first time the curve is <= 0.5 (within sqrt(eps)); when
    it sits on 0.5, the midpoint to the next time it is lower. Returns (time, midpoint)."""
    keep = ~np.isnan(values) & (values < 0.5 + _HALF_TOL)
    if not keep.any():
        return float("nan"), False
    y, x = values[keep], times[keep]
    lower = np.nonzero(y < y[0])[0]
    if abs(y[0] - 0.5) < _HALF_TOL and len(lower):
        return float((x[0] + x[lower[0]]) / 2), True
    return float(x[0]), False


def km_median(km: pd.DataFrame) -> KMMedian:
    """Median time and its CI from a :func:`kaplan_meier` table, as
    ``summary(fit)$table[c("median", "0.95LCL", "0.95UCL")]``.

    The median is the first time S ≤ 0.5; the lower limit the first time the lower band
    is ≤ 0.5, the upper limit the same for the upper band; when a curve sits on 0.5
    (within sqrt(machine eps)) the midpoint to the next lower step is used.

    Returns
    -------
    KMMedian
        median, low, high in the time unit of the table (NaN = not reached); rule
        ``midpoint``, ``first_time_at_or_below_half`` or ``not_reached``.
    """
    times = km["time"].to_numpy(float)
    med, mid = _first_at_half(km["surv"].to_numpy(float), times)
    low, _ = _first_at_half(km["lower"].to_numpy(float), times)
    high, _ = _first_at_half(km["upper"].to_numpy(float), times)
    rule = (
        "not_reached" if np.isnan(med) else ("midpoint" if mid else "first_time_at_or_below_half")
    )
    return KMMedian(med, low, high, rule)


def risk_counts(time, event, at) -> pd.DataFrame:
    """Numbers at risk (time ≥ t) and cumulative events / censorings (time ≤ t) at the
    given times, as ``summary(fit, times = at, extend = TRUE)`` with cumulative sums."""
    t, e = _clean(time, event)
    at = np.asarray(at, dtype=float)
    order = np.argsort(t, kind="stable")
    ts, es = t[order], e[order]
    n_risk = len(ts) - np.searchsorted(ts, at, side="left")
    upto = np.searchsorted(ts, at, side="right")
    cum_e = np.concatenate([[0.0], np.cumsum(es)])[upto]
    return pd.DataFrame(
        {
            "time": at,
            "n_risk": n_risk.astype(int),
            "cum_events": cum_e.astype(int),
            "cum_censored": (upto - cum_e).astype(int),
        }
    )


def _group_codes(group, levels=None) -> tuple[np.ndarray, list]:
    g = pd.Series(np.asarray(group, dtype=object)).astype(str)
    levels = list(levels) if levels is not None else sorted(g.unique())
    return pd.Categorical(g, categories=levels).codes.astype(int), levels


def logrank(time, event, group) -> ChiSquare:
    """Log-rank test across groups, as ``survdiff(Surv(time, event) ~ group)``.

    Returns
    -------
    ChiSquare
        statistic (chisq from the hypergeometric variance matrix without the first
        group), df = groups with expected events > 0 minus 1 (as survdiff), p upper
        chi-square. Fewer than two groups, or no events, give statistic and p NaN, df 0.
    """
    t, e = _clean(time, event)
    codes, levels = _group_codes(
        np.asarray(group, dtype=object)[
            ~np.isnan(np.asarray(time, float)) & ~np.isnan(np.asarray(event, float))
        ]
    )
    k = len(levels)
    if k < 2 or e.sum() == 0:
        return ChiSquare(float("nan"), 0, float("nan"))
    uniq, inv = np.unique(t, return_inverse=True)
    cells = inv * k + codes
    n_at = np.bincount(cells, minlength=len(uniq) * k).reshape(-1, k).astype(float)
    d_at = np.bincount(cells, weights=e, minlength=len(uniq) * k).reshape(-1, k)
    risk = np.cumsum(n_at[::-1], axis=0)[::-1]  # T × k at risk
    n_t, d_t = risk.sum(axis=1), d_at.sum(axis=1)
    expected = (risk * (d_t / n_t)[:, None]).sum(axis=0)
    observed = d_at.sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        f = np.where(n_t > 1, d_t * (n_t - d_t) / (n_t - 1) / n_t, 0.0)
    frac = risk / n_t[:, None]
    var = np.diag((f[:, None] * risk).sum(axis=0)) - np.einsum("t,ti,tj->ij", f, risk, frac)
    diff = (observed - expected)[1:]
    v = var[1:, 1:]
    chisq = float(diff @ np.linalg.pinv(v) @ diff)
    df = int(np.sum(expected > 0)) - 1
    if df < 1:
        return ChiSquare(float("nan"), 0, float("nan"))
    return ChiSquare(chisq, df, float(special.chdtrc(df, chisq)))  # = stats.chi2.sf


def _efron_parts(beta, x, e, inv, n_times):
    """Efron log-likelihood, score and information for covariates x (n × p)."""
    p = x.shape[1]
    xb = x @ beta
    r = np.exp(xb)
    rx = r[:, None] * x
    rxx = rx[:, :, None] * x[:, None, :]

    def per_time(w):
        flat = w.reshape(len(w), -1)
        out = np.stack(
            [np.bincount(inv, weights=flat[:, i], minlength=n_times) for i in range(flat.shape[1])],
            axis=1,
        )
        return out.reshape((n_times,) + w.shape[1:])

    s0 = np.cumsum(np.bincount(inv, weights=r, minlength=n_times)[::-1])[::-1]
    s1 = np.cumsum(per_time(rx)[::-1], axis=0)[::-1]
    s2 = np.cumsum(per_time(rxx)[::-1], axis=0)[::-1]
    d = np.bincount(inv, weights=e, minlength=n_times).astype(int)
    e0 = np.bincount(inv, weights=r * e, minlength=n_times)
    e1 = per_time(rx * e[:, None])
    e2 = per_time(rxx * e[:, None, None])
    # one row per event: at a time with d tied events the l-th uses S − (l/d)·E (Efron)
    rep = np.repeat(np.arange(n_times), d)
    start = np.repeat(np.cumsum(d) - d, d)
    frac = (np.arange(len(rep)) - start) / d[rep]
    a0 = s0[rep] - frac * e0[rep]
    a1 = s1[rep] - frac[:, None] * e1[rep]
    a2 = s2[rep] - frac[:, None, None] * e2[rep]
    loglik = float(np.sum(e * xb) - np.sum(np.log(a0)))
    score = (x * e[:, None]).sum(axis=0) - (a1 / a0[:, None]).sum(axis=0)
    mean = a1 / a0[:, None]
    info = (a2 / a0[:, None, None]).sum(axis=0) - np.einsum("ni,nj->ij", mean, mean)
    return loglik, score, info.reshape(p, p)


def efron_fit(time, event, x) -> CoxFit:
    """Cox partial likelihood (Efron ties) maximised by Newton–Raphson with step halving
    from 0 to full convergence (step < 1e-12), as ``coxph(ties = "efron")``.

    ``time``/``event`` without missing values, ``x`` the n × p design. Returns a
    :class:`CoxFit`; not converged when the likelihood has no finite maximum (a
    coefficient runs off) or the information is singular.
    """
    t = np.asarray(time, float)
    e = np.asarray(event, float)
    x = np.asarray(x, float).reshape(len(t), -1)
    uniq, inv = np.unique(t, return_inverse=True)
    beta = np.zeros(x.shape[1])
    loglik, score, info = _efron_parts(beta, x, e, inv, len(uniq))
    converged = False
    for _ in range(100):
        step = np.linalg.lstsq(info, score, rcond=None)[0]
        new = beta + step
        new_ll, new_score, new_info = _efron_parts(new, x, e, inv, len(uniq))
        halvings = 0
        while new_ll < loglik - 1e-12 * abs(loglik) and halvings < 30:
            step /= 2
            new = beta + step
            new_ll, new_score, new_info = _efron_parts(new, x, e, inv, len(uniq))
            halvings += 1
        beta, loglik, score, info = new, new_ll, new_score, new_info
        if np.max(np.abs(step)) < 1e-12:
            converged = True
            break
        if np.max(np.abs(beta)) > 25:  # monotone likelihood: coefficient runs off
            break
    converged = converged and np.all(np.abs(beta) < 20)
    # a singular information matrix (no contrast in some risk set) has no Wald test
    converged = bool(converged and np.linalg.matrix_rank(info) == len(beta))
    return CoxFit(beta, info, converged)


def cox_efron(
    time, event, group, reference: str, conf: float = 0.95, levels: Sequence[str] = ()
) -> pd.DataFrame:
    """Cox proportional hazards of each group against ``reference``, Efron ties, Wald p.

    As ``coxph(Surv(time, event) ~ factor(group, levels), ties = "efron")`` with the reference
    level first and the others in the order of ``levels`` (groups it does not name after
    them, alphabetically; the rows follow this order):
    Newton–Raphson with step halving from 0, iterated to full convergence (step < 1e-12),
    so coefficients, SEs and Wald p agree with R to ~1e-9.

    Returns
    -------
    DataFrame, one row per non-reference group: group, term (``<group> vs <reference>``),
    hr, ci_low, ci_high, p_value, coef, se, n, n_events, converged (False when the
    likelihood has no finite maximum, e.g. a group without events: numbers are NaN).
    """
    t, e = _clean(time, event)
    g = np.asarray(group, dtype=object)[
        ~np.isnan(np.asarray(time, float)) & ~np.isnan(np.asarray(event, float))
    ]
    rank = {str(v): i for i, v in enumerate(levels)}
    others = sorted(set(map(str, g)) - {str(reference)}, key=lambda v: (rank.get(v, len(rank)), v))
    codes, levels = _group_codes(g, [str(reference), *others])
    x = (codes[:, None] == np.arange(1, len(levels))[None, :]).astype(float)
    ok = len(others) > 0 and e.sum() > 0
    fit = efron_fit(t, e, x) if ok else CoxFit(np.zeros(x.shape[1]), np.zeros((0, 0)), False)
    beta, info, converged = fit.beta, fit.information, fit.converged
    rows = []
    z = special.ndtri(1 - (1 - conf) / 2)  # = stats.norm.ppf
    cov = np.linalg.pinv(info) if converged else None
    for i, lev in enumerate(levels[1:]):
        if converged:
            b, se = float(beta[i]), float(np.sqrt(cov[i, i]))
            vals = (
                np.exp(b),
                np.exp(b - z * se),
                np.exp(b + z * se),
                float(2 * special.ndtr(-abs(b / se))),  # = 2 norm.sf
                b,
                se,
            )
        else:
            vals = (np.nan,) * 6
        rows.append(
            {
                "group": lev,
                "term": f"{lev} vs {reference}",
                **dict(
                    zip(["hr", "ci_low", "ci_high", "p_value", "coef", "se"], vals, strict=True)
                ),
                "n": len(t),
                "n_events": int(e.sum()),
                "converged": bool(converged),
            }
        )
    cols = [
        "group",
        "term",
        "hr",
        "ci_low",
        "ci_high",
        "p_value",
        "coef",
        "se",
        "n",
        "n_events",
        "converged",
    ]
    return pd.DataFrame(rows, columns=cols)
