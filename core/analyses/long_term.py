"""Long-term outcomes: renal flares, kidney outcomes, steroid exposure, per-patient events.

The registry entries (``SPECS``: one per analysis, page ``long_term``) and
``long_term_results``, which computes every long-term table from a filtered cohort, its
derived ``Outcomes`` and resolved ``Settings`` (tests, notebooks). An analysis the data
cannot support gives empty tables or rows with a note, never an exception.
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd

from core.analyses.context import RunContext
from core.analyses.flares import EVENT_COLUMNS as FLARE_EVENT_COLUMNS
from core.analyses.flares import PATIENT_COLUMNS as FLARE_PATIENT_COLUMNS
from core.analyses.flares import RATE_COLUMNS, FlareDefinition, definitions_of, flares
from core.analyses.kidney_outcomes import PATIENT_COLUMNS as KIDNEY_PATIENT_COLUMNS
from core.analyses.kidney_outcomes import KidneyRules, kidney_outcomes
from core.analyses.long_term_methods import (
    events_methods,
    flare_methods,
    kidney_methods,
    steroid_methods,
)
from core.analyses.patient_order import by_patient_month, patient_codes
from core.analyses.spec import AnalysisSpec, FigureRef, TableSpec
from core.analyses.steroid_exposure import (
    CUMULATIVE_COLUMNS,
    EXPOSURE_COLUMNS,
    THRESHOLD_COLUMNS,
    steroid_exposure,
)
from core.model.i18n import gettext as _
from core.model.results import Result
from core.model.schema import Cohort
from core.model.settings import Settings
from core.outcomes.derive import Outcomes

FLARE_TABLES = (
    "flares", "flare_events", "flare_patients", "flare_curve", "flare_risk", "flare_tests",
)  # fmt: skip
KIDNEY_TABLES = (
    "kidney_outcomes", "kidney_patients", "kidney_curve", "kidney_risk", "kidney_tests",
)  # fmt: skip
STEROID_TABLES = (
    "steroid_exposure", "steroid_cumulative", "steroid_thresholds", "steroid_target_time",
    "steroid_target_curve", "steroid_target_risk", "steroid_target_tests",
)  # fmt: skip
LONG_TERM_TABLES = (*FLARE_TABLES, *KIDNEY_TABLES, *STEROID_TABLES, "patient_events")
EVENT_COLUMNS = ["patient_id", "group", "month", "event", "detail"]
# kidney outcomes marked on the swimmer plot (the 30 % decline is implied by the 40 %)
SWIMMER_KIDNEY = ("egfr_decline_30", "egfr_decline_40", "creatinine_doubling", "eskd", "death")


def _rules(settings: Settings) -> KidneyRules:
    return KidneyRules(last_visit_counts=settings.decline_at_last_visit)


def _guarded(names: tuple[str, ...], fn: Callable[[], dict[str, Result]]) -> dict[str, Result]:
    """Run one analysis; a failure on odd data becomes a note on each of its tables."""
    try:
        out = fn()
    except Exception as exc:  # noqa: BLE001 - user data must never crash the report
        note = _('Could not be computed on these data: {exc}').format(exc=exc)
        return {n: Result(n, pd.DataFrame(), (note,)) for n in names}
    return {n: out[n] for n in names}


def long_term_results(
    cohort: Cohort,
    o: Outcomes,
    settings: Settings,
    definitions: tuple[FlareDefinition, ...] | None = None,
    kidney_rules: KidneyRules | None = None,
) -> dict[str, Result]:
    """Every long-term table (``LONG_TERM_TABLES``) for the filtered ``cohort``.

    ``settings`` must be resolved (``o.settings``): its ``reference`` is the Cox reference,
    its ``ci`` the interval of the low-dose shares, and its flare and decline fields the
    definitions unless ``definitions`` / ``kidney_rules`` are given.
    """
    if cohort.patients.empty:
        note = _("No patient matches the filters: nothing to analyse.")
        return {n: Result(n, pd.DataFrame(), (note,)) for n in LONG_TERM_TABLES}
    defs = definitions or definitions_of(settings)
    rules = kidney_rules or _rules(settings)
    out = (
        _guarded(FLARE_TABLES, lambda: flares(cohort, o, settings, defs))
        | _guarded(KIDNEY_TABLES, lambda: kidney_outcomes(cohort, o, settings, rules))
        | _guarded(STEROID_TABLES, lambda: steroid_exposure(cohort, o, settings))
    )
    return out | {"patient_events": patient_events(o, out)}


def patient_events(o: Outcomes, results: dict[str, Result]) -> Result:
    """Per-patient events for the swimmer plot: one row per patient and event.

    ``event``: ``last visit``; ``response`` (a CR or PR visit after month 0 following a
    visit without one, or the first); ``loss of response`` (an NR visit right after a CR
    or PR visit); ``flare`` (the first flare definition's flares); ``kidney event`` and
    ``death`` (the outcomes of ``SWIMMER_KIDNEY``; ``detail`` = the outcome). Columns:
    patient_id, group, month, event, detail.
    """
    grp = o.landmarks.drop_duplicates("patient_id").set_index("patient_id")["group"]
    rows = []
    vr = o.visit_responses[["patient_id", "month", "response"]]
    vr = by_patient_month(vr[(vr["month"] > 0) & vr["response"].notna()])
    responded = vr["response"].isin(("CR", "PR"))
    code, _ids = patient_codes(vr["patient_id"])
    key = code if (code >= 0).all() else vr["patient_id"].to_numpy()
    before = responded.groupby(key).shift(fill_value=False).astype(bool)
    first = ~vr["patient_id"].duplicated()
    gained = vr[responded & (~before | first)]
    lost = vr[~responded & before & ~first]
    rows += [(p, m, "response", r) for p, m, r in gained.itertuples(index=False)]
    rows += [(p, m, "loss of response", r) for p, m, r in lost.itertuples(index=False)]
    last = o.visits.groupby("patient_id")["month"].max()
    rows += [(p, float(m), "last visit", "") for p, m in last.items()]
    fe = results.get("flare_events")
    if fe is not None and not fe.table.empty:
        defs = fe.meta.get("definitions") or [{"name": fe.table["definition"].iloc[0]}]
        t = fe.table[fe.table["definition"] == defs[0]["name"]]
        rows += [(p, m, "flare", d) for p, m, d in t[["patient_id", "month", "definition"]].values]
    kp = results.get("kidney_patients")
    if kp is not None and not kp.table.empty:
        t = kp.table[(kp.table["event"] == 1) & kp.table["outcome"].isin(SWIMMER_KIDNEY)]
        rows += [(p, m, "death" if k == "death" else "kidney event", k)
                 for p, m, k in t[["patient_id", "time", "outcome"]].values]  # fmt: skip
    ev = pd.DataFrame(rows, columns=["patient_id", "month", "event", "detail"])
    ev.insert(1, "group", ev["patient_id"].map(grp))
    ev = ev.sort_values(["patient_id", "month", "event"], kind="stable").reset_index(drop=True)
    return Result(
        "patient_events",
        ev[EVENT_COLUMNS],
        (_("Response gained and lost at visits, flares (first definition), kidney events."),),
    )


# --- registry entries ----------------------------------------------------------------------


def _flares(ctx: RunContext) -> dict[str, Result]:
    out = flares(ctx.filtered, ctx.outcomes, ctx.settings, definitions_of(ctx.settings))
    ctx._shared["long_term_flares"] = out  # the swimmer's events reuse them (same run)
    return out


def _kidney(ctx: RunContext) -> dict[str, Result]:
    out = kidney_outcomes(ctx.filtered, ctx.outcomes, ctx.settings, _rules(ctx.settings))
    ctx._shared["long_term_kidney"] = out
    return out


def _steroid(ctx: RunContext) -> dict[str, Result]:
    return steroid_exposure(ctx.filtered, ctx.outcomes, ctx.settings)


def _events(ctx: RunContext) -> dict[str, Result]:
    """The swimmer's events from this run's flares and kidney outcomes (computed here when
    the run computed only this analysis)."""
    fl = ctx._shared.get("long_term_flares") or _flares(ctx)
    kd = ctx._shared.get("long_term_kidney") or _kidney(ctx)
    made = {"flare_events": fl["flare_events"], "kidney_patients": kd["kidney_patients"]}
    return {"patient_events": patient_events(ctx.outcomes, made)}


_REF = "tests/reference/long_term/expected/"
_MONTHS = {"time": "months"}
KM_COLUMNS = (
    "group", "time", "n_risk", "n_event", "n_censor", "cum_incidence", "ci_low", "ci_high",
    "surv", "std_err_log_surv",
)  # fmt: skip
RISK = ("group", "time", "n_risk", "cum_events", "cum_censored")
SUMMARY = (
    "group", "n", "n_events", "events_pct", "median_time", "median_ci_low", "median_ci_high",
    "median_rule",
)  # fmt: skip
TESTS = (
    "test", "term", "statistic", "df", "hr", "ci_low", "ci_high", "p_value", "n", "n_events",
    "reference", "converged",
)  # fmt: skip
_MEDIANS = ("median_time", "median_ci_low", "median_ci_high")


def _curve_specs(prefix: str, key: str, what: str, summary: str | None) -> tuple[TableSpec, ...]:
    """The curve, numbers at risk, (summary) and tests tables of one time-to-event family."""
    specs = [
        TableSpec(f"{prefix}_curve", f"Time to {what}", (key, *KM_COLUMNS),
                  _REF + f"{prefix}_curve.csv", counts=("n_risk", "n_event", "n_censor"),
                  percents=("cum_incidence", "ci_low", "ci_high"), estimates=_MONTHS),
        TableSpec(f"{prefix}_risk", f"Number at risk, {what}", (key, *RISK),
                  _REF + f"{prefix}_risk.csv", counts=("n_risk", "cum_events", "cum_censored"),
                  estimates=_MONTHS),
    ]  # fmt: skip
    if summary:
        specs.append(
            TableSpec(summary, f"Events and median time to {what}", (key, *SUMMARY),
                      _REF + f"{summary}.csv", counts=("n", "n_events"), percents=("events_pct",),
                      estimates={m: "months" for m in _MEDIANS}, not_reached=_MEDIANS)
        )  # fmt: skip
    specs.append(
        TableSpec(f"{prefix}_tests", f"Tests, {what}", (key, *TESTS), _REF + f"{prefix}_tests.csv",
                  counts=("n", "n_events"), p_values=("p_value",),
                  estimates={"hr": "ratio", "ci_low": "ratio", "ci_high": "ratio"})
    )  # fmt: skip
    return tuple(specs)


_FIG = "core.report.figures.long_term"
_R_KM = 'survfit(Surv(time, event) ~ 1, conf.type = "log-log"); survdiff; coxph(ties = "efron")'

SPECS = (
    AnalysisSpec(
        name="flares", page="long_term", section="Renal flares",
        tables=(
            TableSpec("flares", "Renal flares per 100 patient-years", tuple(RATE_COLUMNS),
                      _REF + "flares.csv",
                      counts=("n_responders", "n_patients_flare", "n_flares"),
                      estimates={"patient_years": "years", "rate_per_100py": "per 100 py",
                                 "rate_ci_low": "per 100 py", "rate_ci_high": "per 100 py",
                                 **{m: "months" for m in _MEDIANS}},
                      not_reached=_MEDIANS),
            TableSpec("flare_events", "Renal flare events", tuple(FLARE_EVENT_COLUMNS),
                      _REF + "flare_events.csv", patient_level=True),
            TableSpec("flare_patients", "Flare follow-up per patient",
                      tuple(FLARE_PATIENT_COLUMNS), _REF + "flare_patients.csv",
                      patient_level=True, counts=("n_flares",), estimates=_MONTHS),
            *_curve_specs("flare", "definition", "first renal flare", None),
        ),
        compute=_flares,
        figures=(FigureRef(_FIG, "plot_flare_curve", "flare_curve", "Time to first renal flare"),),
        methods=flare_methods,
        r_call="poisson.test(n_flares, patient_years); poisson.test(c(x1, x0), c(T1, T0)); "
        + _R_KM,
        needs_groups=("flare_tests",),
    ),
    AnalysisSpec(
        name="kidney_outcomes", page="long_term", section="Kidney outcomes",
        tables=(
            *_curve_specs("kidney", "outcome", "kidney outcome", "kidney_outcomes"),
            TableSpec("kidney_patients", "Kidney outcomes per patient",
                      tuple(KIDNEY_PATIENT_COLUMNS), _REF + "kidney_patients.csv",
                      patient_level=True, estimates=_MONTHS),
        ),
        compute=_kidney,
        figures=(FigureRef(_FIG, "plot_kidney_outcomes", "kidney_outcome", "Kidney outcomes"),),
        methods=kidney_methods,
        r_call=_R_KM,
        needs_groups=("kidney_tests",),
    ),
    AnalysisSpec(
        name="steroid_exposure", page="long_term", section="Steroid exposure",
        tables=(
            TableSpec("steroid_exposure", "Cumulative steroid dose per visit",
                      tuple(EXPOSURE_COLUMNS), _REF + "steroid_exposure.csv", patient_level=True,
                      estimates={"steroid_mg": "mg/day", "interval_mean_mg_day": "mg/day",
                                 "cumulative_g": "g", "cumulative_oral_g": "g"}),
            TableSpec("steroid_cumulative", "Cumulative steroid dose at the landmarks",
                      tuple(CUMULATIVE_COLUMNS), _REF + "steroid_cumulative.csv", counts=("n",)),
            TableSpec("steroid_thresholds", "Low-dose steroid targets",
                      tuple(THRESHOLD_COLUMNS), _REF + "steroid_thresholds.csv",
                      counts=("n", "n_at_or_below", "n_pairs", "newly_at_or_below",
                              "no_longer_at_or_below"),
                      percents=("pct", "ci_low", "ci_high"), p_values=("p_value",)),
            *_curve_specs("steroid_target", "outcome", "7.5 mg/day or less",
                          "steroid_target_time"),
        ),
        compute=_steroid,
        figures=(FigureRef(_FIG, "plot_steroid_exposure", "steroid_cumulative",
                           "Cumulative steroid dose"),),
        methods=steroid_methods,
        r_call="quantile(type = 7); binom.test; mcnemar.test(correct = TRUE); " + _R_KM,
        needs_groups=("steroid_target_tests",),
    ),
    AnalysisSpec(
        name="patient_events", page="long_term", section="Events per patient",
        tables=(
            TableSpec("patient_events", "Response, flares and kidney events per patient",
                      tuple(EVENT_COLUMNS), "tests/test_long_term_figures.py",
                      patient_level=True, estimates={"month": "months"}),
        ),
        compute=_events,
        figures=(FigureRef(_FIG, "plot_swimmer_events", "swimmer_events",
                           "Response, flares and kidney events of each patient"),),
        methods=events_methods,
        r_call="none (event listing; its inputs are checked against R in their own tables)",
    ),
)  # fmt: skip
