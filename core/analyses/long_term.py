"""Long-term outcomes in one call: renal flares, kidney outcomes, steroid exposure.

``long_term_results`` takes what a run already has (the filtered cohort, its derived
``Outcomes`` and resolved ``Settings``) and returns every long-term table keyed by name;
an analysis the data cannot support gives empty tables with a note, never an exception.
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd

from core.analyses.flares import DEFAULT_DEFINITIONS, FlareDefinition, flares
from core.analyses.kidney_outcomes import DEFAULT_RULES, KidneyRules, kidney_outcomes
from core.analyses.steroid_exposure import steroid_exposure
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


def _guarded(names: tuple[str, ...], fn: Callable[[], dict[str, Result]]) -> dict[str, Result]:
    """Run one analysis; a failure on odd data becomes a note on each of its tables."""
    try:
        out = fn()
    except Exception as exc:  # noqa: BLE001 - user data must never crash the report
        note = f"Could not be computed on these data: {exc}"
        return {n: Result(n, pd.DataFrame(), (note,)) for n in names}
    return {n: out[n] for n in names}


def long_term_results(
    cohort: Cohort,
    o: Outcomes,
    settings: Settings,
    definitions: tuple[FlareDefinition, ...] = DEFAULT_DEFINITIONS,
    kidney_rules: KidneyRules = DEFAULT_RULES,
) -> dict[str, Result]:
    """Every long-term table (``LONG_TERM_TABLES``) for the filtered ``cohort``.

    ``settings`` must be resolved (``o.settings``): its ``reference`` is the Cox reference
    and its ``ci`` the interval of the low-dose shares.
    """
    if cohort.patients.empty:
        note = "No patient matches the filters: nothing to analyse."
        return {n: Result(n, pd.DataFrame(), (note,)) for n in LONG_TERM_TABLES}
    out = (
        _guarded(FLARE_TABLES, lambda: flares(cohort, o, settings, definitions))
        | _guarded(KIDNEY_TABLES, lambda: kidney_outcomes(cohort, o, settings, kidney_rules))
        | _guarded(STEROID_TABLES, lambda: steroid_exposure(cohort, o, settings))
    )
    return out | _guarded(("patient_events",), lambda: {"patient_events": patient_events(o, out)})


def patient_events(o: Outcomes, results: dict[str, Result]) -> Result:
    """Per-patient events for the swimmer plot: one row per patient and event.

    ``event``: ``last visit``; ``response`` (a CR or PR visit after month 0 following a
    visit without one, or the first); ``loss of response`` (an NR visit right after a CR
    or PR visit); ``flare`` (the first flare definition's flares); and the kidney outcomes
    of ``SWIMMER_KIDNEY`` (``detail`` = the outcome). Columns: patient_id, group, month,
    event, detail.
    """
    grp = o.landmarks.drop_duplicates("patient_id").set_index("patient_id")["group"]
    rows = []
    vr = o.visit_responses[["patient_id", "month", "response"]]
    vr = vr[(vr["month"] > 0) & vr["response"].notna()].sort_values(["patient_id", "month"])
    responded = vr["response"].isin(("CR", "PR"))
    before = responded.groupby(vr["patient_id"]).shift(fill_value=False).astype(bool)
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
        ("Response gained and lost at visits, flares (first definition), kidney events.",),
    )
