"""Restricted mean time to response, proportional-hazards checks and pairwise log-rank.

Each takes the ``ttr_patients`` table (patient_id, group, time in months, event 1 =
response) and returns Results (tables listed in each docstring), agreeing with the R
call named in its notes. Data that cannot support a test give an empty table and a note.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from core.analyses.time_to_response import ALL, _group_order
from core.model.results import Result
from core.model.settings import Settings
from core.stats.ph import cox_zph, pairwise_logrank
from core.stats.rmst import rmst, rmst_compare

RMST_COLUMNS = ["group", "tau", "rmst", "se", "ci_low", "ci_high", "n", "n_events"]
RMST_DIFF_COLUMNS = [
    "group",
    "reference",
    "tau",
    "diff",
    "diff_ci_low",
    "diff_ci_high",
    "diff_p",
    "ratio",
    "ratio_ci_low",
    "ratio_ci_high",
    "ratio_p",
]
PH_COLUMNS = ["term", "chisq", "df", "p_value", "transform"]
PH_RESID_COLUMNS = ["term", "time", "g_time", "scaled_residual"]
PAIRWISE_COLUMNS = ["group_a", "group_b", "n_a", "n_b", "statistic", "df", "p_value", "p_holm"]


def default_tau(ttr_patients: pd.DataFrame) -> float:
    """The largest time every group reaches: the smallest of the groups' last times."""
    d = ttr_patients.dropna(subset=["time", "event", "group"])
    return float(d.groupby("group")["time"].max().min()) if len(d) else float("nan")


def restricted_mean(
    ttr_patients: pd.DataFrame, settings: Settings, tau: float | None = None
) -> dict[str, Result]:
    """Restricted mean response-free time up to τ per group, and each group against the
    reference.

    ``rmst``: group (each, then All), tau, rmst (months), se, ci_low, ci_high (Wald),
    n, n_events; as ``print(survfit(Surv(time, event) ~ group), rmean = tau)``, SE by
    Greenwood, Var = Σ_{t_j ≤ τ} A_j² d_j / (Y_j (Y_j − d_j)), A_j the area under S from
    t_j to τ (survRM2's formula). ``rmst_difference``: group, reference, tau, diff (group
    − reference) with Wald CI and p, ratio with CI and p on the log scale, as
    ``survRM2::rmst2`` (arm 1 = group, arm 0 = reference). τ default: the largest time
    all groups reach (survRM2's default).
    """
    d = ttr_patients.loc[ttr_patients["time"].notna() & ttr_patients["event"].notna()]
    groups, ref = _group_order(d["group"], settings)
    tau = default_tau(d) if tau is None else float(tau)
    notes = [
        f"Restricted to τ = {tau:g} months"
        + (" (the largest time all groups reach)." if tau == default_tau(d) else ".")
    ]
    fits = {}
    for g in [*groups, ALL]:
        s = d if g == ALL else d[d["group"].astype(str) == g]
        fits[g] = rmst(s["time"], s["event"], tau)
        if len(s) and s["time"].max() < tau:
            notes.append(
                f"{g}: follow-up ends at {s['time'].max():g} months, before τ; "
                "the last value of the curve is carried to τ."
            )
    table = pd.DataFrame(
        [
            {
                "group": g,
                "tau": f.tau,
                "rmst": f.estimate,
                "se": f.se,
                "ci_low": f.ci_low,
                "ci_high": f.ci_high,
                "n": f.n,
                "n_events": f.n_events,
            }
            for g, f in fits.items()
        ],
        columns=RMST_COLUMNS,
    )
    rows = []
    for g in groups:
        if g == ref:
            continue
        c = rmst_compare(fits[ref], fits[g])
        rows.append(
            {
                "group": g,
                "reference": ref,
                "tau": tau,
                "diff": c.diff,
                "diff_ci_low": c.diff_ci_low,
                "diff_ci_high": c.diff_ci_high,
                "diff_p": c.diff_p,
                "ratio": c.ratio,
                "ratio_ci_low": c.ratio_ci_low,
                "ratio_ci_high": c.ratio_ci_high,
                "ratio_p": c.ratio_p,
            }
        )
    diff = pd.DataFrame(rows, columns=RMST_DIFF_COLUMNS)
    meta = {"tau": tau, "reference": ref, "event": settings.event}
    method = (
        "Restricted mean time without response up to τ (area under the Kaplan–Meier "
        "curve), Greenwood SE, as R print(survfit, rmean = τ) and survRM2."
    )
    return {
        "rmst": Result("rmst", table, (method, *notes), meta),
        "rmst_difference": Result(
            "rmst_difference",
            diff,
            (
                method,
                "Difference: Wald test with SE √(SE₁² + SE₀²); ratio: on the log scale.",
                *notes,
            ),
            meta,
        ),
    }


def ph_test(
    ttr_patients: pd.DataFrame, settings: Settings, transform: str = "km"
) -> dict[str, Result]:
    """Proportional-hazards check of the Cox model ``cox`` (response ~ group, Efron).

    ``ph_test``: term (``group``, then ``GLOBAL``), chisq, df, p_value, transform; as
    ``cox.zph(coxph(Surv(time, event) ~ group, ties = "efron"), transform = "km")``
    (survival 3 score test; g(t) = 1 − KM(t−) by default). ``ph_residuals``: for the
    residual plot, one row per response and group contrast: term, time (months), g_time,
    scaled_residual (β̂ + scaled Schoenfeld residual, ``cox.zph(fit, terms = FALSE)$y``).
    """
    d = ttr_patients.loc[
        ttr_patients["time"].notna() & ttr_patients["event"].notna() & ttr_patients["group"].notna()
    ]
    groups, ref = _group_order(d["group"], settings)
    empty = (pd.DataFrame(columns=PH_COLUMNS), pd.DataFrame(columns=PH_RESID_COLUMNS))
    meta = {"transform": transform, "reference": ref}
    method = (
        f"Schoenfeld-residual test (transform '{transform}'), as R cox.zph of "
        "coxph(ties = 'efron')."
    )
    others = [g for g in groups if g != ref]
    note = None
    if len(groups) < 2:
        note = "One group only: no Cox model to check."
    elif (d["event"] > 0).sum() == 0:
        note = "No responses: no Cox model to check."
    if note is None:
        grp = d["group"].astype(str)
        x = np.column_stack([(grp == g).to_numpy(float) for g in others])
        z = cox_zph(d["time"], d["event"], x, ["group"], [list(range(len(others)))], transform)
        if not z.converged:
            note = "Cox model not estimable: proportional hazards not checked."
    if note is not None:
        return {
            "ph_test": Result("ph_test", empty[0], (method, note), meta),
            "ph_residuals": Result("ph_residuals", empty[1], (method, note), meta),
        }
    tests = pd.DataFrame(
        [
            {
                "term": r.term,
                "chisq": r.chisq,
                "df": r.df,
                "p_value": r.p_value,
                "transform": transform,
            }
            for r in z.tests
        ],
        columns=PH_COLUMNS,
    )
    res = pd.concat(
        [
            pd.DataFrame(
                {
                    "term": f"{g} vs {ref}",
                    "time": z.residuals["time"],
                    "g_time": z.residuals["g_time"],
                    "scaled_residual": z.residuals[f"x{i}"],
                }
            )
            for i, g in enumerate(others)
        ],
        ignore_index=True,
    )[PH_RESID_COLUMNS]
    return {
        "ph_test": Result("ph_test", tests, (method,), meta),
        "ph_residuals": Result(
            "ph_residuals",
            res,
            (
                method,
                "Scaled Schoenfeld residuals: a flat trend over time supports "
                "proportional hazards.",
            ),
            meta,
        ),
    }


def pairwise_logrank_table(ttr_patients: pd.DataFrame, settings: Settings) -> Result:
    """Log-rank test for every pair of groups with Holm's adjustment (``pairwise_logrank``
    table: group_a, group_b, n_a, n_b, statistic, df, p_value, p_holm), as ``survdiff``
    on each pair and ``p.adjust(method = "holm")``. Meant for three or more groups; with
    two it is the single log-rank test of ``ttr_tests``."""
    d = ttr_patients.loc[
        ttr_patients["time"].notna() & ttr_patients["event"].notna() & ttr_patients["group"].notna()
    ]
    table = pairwise_logrank(d["time"], d["event"], d["group"].astype(str))[PAIRWISE_COLUMNS]
    notes = ["Log-rank for each pair of groups, Holm-adjusted, as R survdiff and p.adjust."]
    if d["group"].nunique() < 3:
        notes.append("Fewer than three groups: the pairwise table repeats the log-rank test.")
    return Result("pairwise_logrank", table, tuple(notes), {"adjust": "holm"})
