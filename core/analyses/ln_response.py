"""The LN response tables of issue 13 from one cohort: audit, confirmed/sustained response,
duration of response. Shaped for the analysis registry (``compute(ctx) -> dict[str,
Result]``): :func:`ln_response_tables` takes the filtered cohort and its outcomes;
:func:`run_ln_response` filters and derives them itself, as ``run_analyses`` does.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import pandas as pd

from core.analyses.response_audit import response_audit
from core.analyses.sustained_response import sustained_results
from core.model.filters import filter_cohort
from core.model.results import Result
from core.model.schema import Cohort
from core.model.settings import Filters, Settings
from core.outcomes.derive import Outcomes, derive_outcomes

LN_RESPONSE_TABLES = (
    "sustained_response",
    "sustained_tests",
    "sustained_patients",
    "response_duration",
    "response_duration_summary",
    "response_duration_patients",
    "response_audit",
)
PATIENT_LEVEL = ("sustained_patients", "response_duration_patients", "response_audit")


def _guarded(names: tuple[str, ...], fn: Callable[[], dict[str, Result]]) -> dict[str, Result]:
    try:
        return fn()
    except Exception as exc:  # noqa: BLE001 - user data must never crash the report
        note = f"could not be computed on these data: {exc}"
        return {n: Result(n, pd.DataFrame(), (f"{n} {note}",)) for n in names}


def ln_response_tables(
    cohort: Cohort, o: Outcomes, every_visit: bool = False
) -> dict[str, Result]:
    """Every table of :data:`LN_RESPONSE_TABLES` for the filtered ``cohort`` and its
    outcomes ``o`` (re-derived with every visit judged when ``o`` judged the landmark
    visits only). ``every_visit``: the audit lists every visit after month 0."""
    if o.visits is not None and len(o.visit_responses) != len(o.visits):
        o = derive_outcomes(cohort, o.settings, reuse=o)
    out = _guarded(LN_RESPONSE_TABLES[:-1], lambda: sustained_results(o))
    out |= _guarded(("response_audit",), lambda: {
        "response_audit": response_audit(cohort, o, every_visit)
    })
    return {n: out[n] for n in LN_RESPONSE_TABLES}


def run_ln_response(
    cohort: Cohort, settings: Settings | None = None, filters: Filters | None = None
) -> dict[str, Result]:
    """:func:`ln_response_tables` of ``cohort`` under ``settings`` and ``filters``, with the
    default criteria taken from the whole file (as ``run_analyses``)."""
    filtered = filter_cohort(cohort, filters or Filters())
    settings = settings or Settings()
    if filtered.patients.empty:
        note = "No patient matches the filters: nothing to analyse."
        return {n: Result(n, pd.DataFrame(), (note,)) for n in LN_RESPONSE_TABLES}
    criteria = settings.criteria or ("recorded" if cohort.has_recorded_response else "kdigo2024")
    o = derive_outcomes(filtered, replace(settings, criteria=criteria))
    return ln_response_tables(filtered, o)
