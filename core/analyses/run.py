"""One call from a cohort to every contract table: filters → outcomes → analyses.

``run_analyses`` is what the pages, the command line and the tests call. An analysis the
data cannot support (no response information, one group only, too few pairs) gives an
empty table with a note, never an exception.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, replace

import pandas as pd

from core.analyses.paired import (
    change_between_groups,
    dsdna_shift,
    landmark_values,
    paired_changes,
    repeated_measures,
    steroid_trajectory,
)
from core.analyses.response import (
    criteria_sensitivity,
    response_difference,
    response_rates,
    response_tests,
    response_transitions,
)
from core.analyses.subgroups import response_subgroups
from core.analyses.table1 import baseline_table
from core.analyses.time_to_response import time_to_response
from core.model.filters import filter_cohort, filter_summary
from core.model.results import Result
from core.model.schema import Cohort
from core.model.settings import Filters, Settings
from core.outcomes.derive import Outcomes, derive_outcomes

RESPONSE_TABLES = (
    "response_rates",
    "response_tests",
    "response_difference",
    "response_transitions",
)
TTR_TABLES = ("ttr_curve", "ttr_risk", "ttr_summary", "ttr_tests", "cox")

# Contract table names, in the order the report lists them.
TABLE_NAMES = (
    "flow",
    "landmark_visits",
    *RESPONSE_TABLES,
    "criteria_sensitivity",
    "response_subgroups",
    "paired_changes",
    "repeated_measures",
    "repeated_pairwise",
    "change_between_groups",
    "dsdna_shift",
    "steroid_trajectory",
    "ttr_patients",
    *TTR_TABLES,
    "table1",
)


def _empty(name: str, note: str) -> Result:
    return Result(name, pd.DataFrame(), (note,))


def _guard(name: str, fn: Callable[[], Result | dict]) -> Result | dict:
    """Run one analysis; a failure on odd data becomes a note, not a crash of the report."""
    try:
        return fn()
    except Exception as exc:  # noqa: BLE001 - user data must never crash the report
        return _empty(name, f"{name} could not be computed on these data: {exc}")


def flow_table(cohort: Cohort, filtered: Cohort, o: Outcomes) -> pd.DataFrame:
    """Patients from the file to each landmark: step, month, reason, n.

    Steps: ``in file``, ``after filters``, then per landmark ``evaluable`` and
    ``not evaluable`` (one row per reason), ``imputed`` (one row per strategy used).
    """
    rows = [
        ("in file", None, "", len(cohort.patients)),
        ("after filters", None, "", len(filtered.patients)),
    ]
    if o.baseline_cr and o.settings.exclude_baseline_cr:
        rows.append(("excluded: CR at baseline", None, "", len(o.baseline_cr)))
    r = o.responses
    for month in o.settings.landmarks:
        at = r[r["landmark"] == month]
        rows.append(("evaluable", month, "", int(at["evaluable"].sum())))
        missing = at[at["observed"].isna()]
        for reason, n in missing["reason"].fillna("unknown").value_counts().sort_index().items():
            rows.append(("not evaluable", month, str(reason), int(n)))
        for how, n in at.loc[at["imputed"] != "", "imputed"].value_counts().sort_index().items():
            rows.append(("imputed", month, str(how), int(n)))
    return pd.DataFrame(rows, columns=["step", "month", "reason", "n"])


def _response_results(cohort: Cohort, o: Outcomes) -> dict[str, Result]:
    if not o.responses["evaluable"].any():
        note = (
            f"No patient has a response under '{o.settings.criteria}' at any landmark "
            "(no response recorded, or its inputs missing): response analyses skipped."
        )
        out = {n: _empty(n, note) for n in (*RESPONSE_TABLES, "response_subgroups")}
    else:
        out = {
            "response_rates": _guard("response_rates", lambda: response_rates(o)),
            "response_tests": _guard("response_tests", lambda: response_tests(o)),
            "response_difference": _guard("response_difference", lambda: response_difference(o)),
            "response_transitions": _guard("response_transitions", lambda: response_transitions(o)),
            "response_subgroups": _guard(
                "response_subgroups", lambda: response_subgroups(o, cohort.patients)
            ),
        }
    out["criteria_sensitivity"] = _guard(
        "criteria_sensitivity", lambda: criteria_sensitivity(cohort, o.settings, o)
    )
    return out


def _lab_results(cohort: Cohort, o: Outcomes) -> dict[str, Result]:
    values = landmark_values(cohort, o)
    out: dict[str, Result] = {
        "paired_changes": _guard("paired_changes", lambda: paired_changes(cohort, o, values)),
    }
    rm = _guard("repeated_measures", lambda: repeated_measures(cohort, o, values))
    if isinstance(rm, Result):
        out["repeated_measures"] = rm
        out["repeated_pairwise"] = replace(rm, name="repeated_pairwise")
    else:
        out["repeated_measures"], out["repeated_pairwise"] = rm
    out["change_between_groups"] = _guard(
        "change_between_groups", lambda: change_between_groups(cohort, o, values)
    )
    out["dsdna_shift"] = _guard("dsdna_shift", lambda: dsdna_shift(cohort, o, values))
    out["steroid_trajectory"] = _guard("steroid_trajectory", lambda: steroid_trajectory(cohort, o))
    return out


def _ttr_results(o: Outcomes) -> dict[str, Result]:
    t = o.ttr_patients
    out = {"ttr_patients": Result("ttr_patients", t, o.ttr_notes)}
    if t.empty:
        note = "No patient with a visit after month 0: time to response skipped."
        return out | {n: _empty(n, note) for n in TTR_TABLES}
    res = _guard("ttr", lambda: time_to_response(t, o.settings))
    if isinstance(res, Result):
        return out | {n: replace(res, name=n) for n in TTR_TABLES}
    return out | {n: res.get(n, _empty(n, f"{n} not computed.")) for n in TTR_TABLES}


def _table1(cohort: Cohort, settings: Settings) -> Result:
    return _guard("table1", lambda: baseline_table(cohort, settings))


def run_analyses(
    cohort: Cohort, settings: Settings | None = None, filters: Filters | None = None
) -> dict[str, Result]:
    """Every contract table (data-contract §6) for ``cohort`` under ``settings``/``filters``.

    Returns
    -------
    dict keyed by table name (``TABLE_NAMES``): flow, landmark_visits, response_rates,
    response_tests, response_difference, response_transitions, criteria_sensitivity,
    paired_changes, repeated_measures, repeated_pairwise, change_between_groups,
    dsdna_shift, steroid_trajectory, ttr_patients, ttr_curve, ttr_risk, ttr_summary,
    ttr_tests, cox, table1. Each Result's ``meta`` holds ``settings`` (resolved, as a
    dict), ``filters`` (dict) and ``summary`` (one line).
    """
    filters = filters or Filters()
    filtered = filter_cohort(cohort, filters)
    settings = settings or Settings()
    # The default criteria follow the file, not the filtered subset (a filter must not
    # switch recorded to derived responses); the reference is resolved on the subset.
    criteria = settings.criteria or ("recorded" if cohort.has_recorded_response else "kdigo2024")
    o = derive_outcomes(filtered, replace(settings, criteria=criteria))
    results: dict[str, Result] = {
        "flow": Result("flow", flow_table(cohort, filtered, o), o.notes),
        "landmark_visits": Result(
            "landmark_visits",
            o.landmarks,
            (
                f"Baseline ± 1 month; landmarks ± {o.settings.window:g} month(s); nearest visit, "
                "the earlier on a tie; a visit serves one landmark only.",
            ),
        ),
    }
    if filtered.patients.empty:
        note = "No patient matches the filters: nothing to analyse."
        results |= {n: _empty(n, note) for n in TABLE_NAMES if n != "flow"}
    else:
        results |= _response_results(filtered, o)
        results |= _lab_results(filtered, o)
        results |= _ttr_results(o)
        results["table1"] = _table1(filtered, o.settings)
    if not filtered.patients.empty and len(filtered.groups) < 2:
        one = "Only one group in the analysed patients: comparisons between groups skipped."
        for n in (
            "response_tests",
            "response_difference",
            "change_between_groups",
            "ttr_tests",
            "cox",
        ):
            r = results[n]
            results[n] = replace(r, notes=(*r.notes, one)) if one not in r.notes else r
    meta = {
        "settings": asdict(o.settings),
        "filters": asdict(filters),
        "summary": filter_summary(filters, o.settings, len(filtered.patients)),
    }
    return {n: replace(results[n], name=n, meta={**results[n].meta, **meta}) for n in TABLE_NAMES}
