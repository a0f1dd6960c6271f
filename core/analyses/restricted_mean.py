"""Restricted mean time to response and cumulative incidence at milestone months.

``restricted_mean`` takes the ``ttr_patients`` table (patient_id, group, time in months,
event 1 = response); ``milestones`` the time and status of
core.analyses.competing_patients. Each agrees with the R call named in its docstring.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from core.analyses.competing_patients import (
    competing_patients,
    event_label,
    has_competing,
)
from core.analyses.competing_risks import KM, cif_curves
from core.analyses.context import RunContext
from core.analyses.spec import AnalysisSkipped, AnalysisSpec, FigureRef, TableSpec
from core.model.i18n import gettext as _
from core.model.results import AnalysisRun, Result
from core.model.settings import Settings
from core.model.vocabulary import ALL, groups_with_reference
from core.stats.competing import step_at
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
MILESTONE_COLUMNS = [
    "group",
    "estimator",
    "cause",
    "month",
    "cum_incidence",
    "ci_low",
    "ci_high",
    "std_err",
    "n_risk",
]


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
    groups, ref = groups_with_reference(d["group"], settings.reference, settings.group_order)
    tau = default_tau(d) if tau is None else float(tau)
    notes = [
        _('Restricted to τ = {tau} months').format(tau=f"{tau:g}")
        + (_(" (the largest time all groups reach).") if tau == default_tau(d) else ".")
    ]
    fits = {}
    for g in [*groups, ALL]:
        s = d if g == ALL else d[d["group"].astype(str) == g]
        fits[g] = rmst(s["time"], s["event"], tau)
        if len(s) and s["time"].max() < tau:
            notes.append(
                _('{group}: follow-up ends at {time} months, before τ; the last value of the curve is carried to τ.').format(group=g, time=f"{s['time'].max():g}")
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
    meta = {"tau": tau, "tau_default": tau == default_tau(d), "reference": ref,
            "event": settings.event}  # fmt: skip
    method = (
        _('Restricted mean time without {event} up to τ (area under the Kaplan–Meier curve), Greenwood SE, as R print(survfit, rmean = τ) and survRM2.').format(event=_(event_label(settings)))
    )
    return {
        "rmst": Result("rmst", table, (method, *notes), meta),
        "rmst_difference": Result(
            "rmst_difference",
            diff,
            (
                method,
                _("Difference: Wald test with SE √(SE₁² + SE₀²); ratio: on the log scale."),
                *notes,
            ),
            meta,
        ),
    }


def milestones(cr_patients: pd.DataFrame, settings: Settings, months=None) -> Result:
    """Cumulative incidence of response (and of each competing event) at chosen months.

    As ``summary(fit, times = months, extend = TRUE)`` of the ``cif_curve`` fits: the
    Aalen–Johansen estimate (every cause; log CI) and 1 − Kaplan–Meier (response;
    log-log CI) at each month, per group and overall; without competing events only
    1 − Kaplan–Meier (the two are equal). ``months`` default: ``settings.milestones``
    (``milestone_months``, else the landmarks).

    Returns
    -------
    Result ``milestones``: group, estimator, cause, month, cum_incidence, ci_low, ci_high
    (percent; empty while the incidence is 0), std_err (0–1), n_risk (time ≥ month).
    """
    months = np.asarray(months if months is not None else settings.milestones, float)
    d = cr_patients.loc[cr_patients["time"].notna() & cr_patients["status"].notna()]
    curve = cif_curves(d, settings)
    if not (d["status"] > 1).any():
        curve = curve[curve["estimator"] == KM]
    rows = []
    for (grp, est, cause), c in curve.groupby(["group", "estimator", "cause"], sort=False):
        s = d if grp == ALL else d[d["group"].astype(str) == grp]
        at = {
            k: step_at(c["time"], c[k], months, start=0.0)
            for k in ("cum_incidence", "ci_low", "ci_high", "std_err")
        }
        for i, m in enumerate(months):
            zero = at["cum_incidence"][i] == 0
            rows.append(
                {
                    "group": grp,
                    "estimator": est,
                    "cause": cause,
                    "month": m,
                    "cum_incidence": at["cum_incidence"][i],
                    "ci_low": np.nan if zero else at["ci_low"][i],
                    "ci_high": np.nan if zero else at["ci_high"][i],
                    "std_err": at["std_err"][i],
                    "n_risk": int((s["time"] >= m).sum()),
                }
            )
    table = pd.DataFrame(rows, columns=MILESTONE_COLUMNS)
    method = (
        _("Cumulative incidence at each month: Aalen–Johansen (log CI) and 1 − Kaplan–Meier "
        "(log-log CI), the last step at or before the month, as R summary(fit, times).")
    )
    return Result("milestones", table, (method,), {"months": months.tolist()})


# --- registry entry ----------------------------------------------------------------------


def ttr_or_skip(ctx: RunContext) -> pd.DataFrame:
    t = ctx.outcomes.ttr_patients
    if t.empty:
        raise AnalysisSkipped(_("No patient with a time to event: nothing to summarise."))
    return t


def _restricted(ctx: RunContext) -> dict[str, Result]:
    t, s = ttr_or_skip(ctx), ctx.outcomes.settings
    if has_competing(ctx.filtered.patients):
        o = ctx.outcomes
        from_file = bool(o.ttr_source and o.ttr_source.from_file)
        cr, _cr_notes = competing_patients(t, ctx.filtered.patients, s, from_file=from_file)
    else:
        cr = t.assign(status=t["event"], cause=np.where(t["event"] == 1, event_label(s), ""))
    return restricted_mean(t, s, tau=s.rmst_tau) | {
        "milestones": milestones(cr, s, months=s.milestones)
    }


def _methods_rmst(run: AnalysisRun) -> list[str]:
    t = run.table("rmst")
    if t is None:
        return []
    chosen = not run.results["rmst"].meta.get("tau_default", True)
    months = run.results["milestones"].meta.get("months", []) if "milestones" in run.results else []
    at = ", ".join(f"{m:g}" for m in months)
    s = run.settings
    tau_text = _("chosen by the user") if chosen else _("the largest time all groups reach")
    at_text = ((_("at month {months} ") if len(months) == 1 else _("at months {months} ")).format(
        months=at) if months else "")  # fmt: skip
    return [_(
        "Restricted mean time without {event} up to τ = {tau} months ({tau_choice}) was "
        "compared between groups as a difference and a ratio (Greenwood variance of "
        "the area under the Kaplan–Meier curve, R print(survfit, rmean = τ), survRM2's rmst2 "
        "contrasts); cumulative incidence {at}is reported with 95% confidence intervals."
    ).format(
        event=s.event_name or _(event_label(s)), tau=f"{t['tau'].iloc[0]:g}",
        tau_choice=tau_text, at=at_text,
    )]



_REF = "tests/reference/competing/expected/"
_M = {"tau": "months", "rmst": "months", "se": "months", "ci_low": "months", "ci_high": "months"}
SPECS = (
    AnalysisSpec(
        name="restricted_mean",
        page="ttr",
        section="Restricted mean and milestones",
        tables=(
            TableSpec(
                "rmst",
                "Restricted mean time without response",
                tuple(RMST_COLUMNS),
                _REF + "rmst.csv",
                counts=("n", "n_events"),
                estimates=_M,
            ),
            TableSpec(
                "rmst_difference",
                "Restricted mean: difference and ratio",
                tuple(RMST_DIFF_COLUMNS),
                _REF + "rmst_difference.csv",
                p_values=("diff_p", "ratio_p"),
                estimates={
                    "tau": "months",
                    "diff": "months",
                    "diff_ci_low": "months",
                    "diff_ci_high": "months",
                    "ratio": "ratio",
                    "ratio_ci_low": "ratio",
                    "ratio_ci_high": "ratio",
                },
            ),
            TableSpec(
                "milestones",
                "Cumulative incidence at landmark months",
                tuple(MILESTONE_COLUMNS),
                _REF + "milestones.csv",
                counts=("n_risk",),
                percents=("cum_incidence", "ci_low", "ci_high"),
                estimates={"month": "months"},
            ),
        ),
        compute=_restricted,
        figures=(
            FigureRef(
                "core.report.figures.rmst",
                "plot_rmst",
                "rmst",
                "Restricted mean time without response",
            ),
        ),
        methods=_methods_rmst,
        r_call="print(survfit(Surv(time, event) ~ group), rmean = tau); survRM2::rmst2 "
        "contrasts; summary(survfit(...), times = landmarks, extend = TRUE)",
        needs_groups=("rmst_difference",),
    ),
)
