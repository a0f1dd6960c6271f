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
    "steroid_exposure", "steroid_cumulative", "steroid_thresholds", "steroid_taper",
    "steroid_taper_curve", "steroid_taper_risk", "steroid_taper_tests",
)  # fmt: skip
LONG_TERM_TABLES = (*FLARE_TABLES, *KIDNEY_TABLES, *STEROID_TABLES)


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
    return (
        _guarded(FLARE_TABLES, lambda: flares(cohort, o, settings, definitions))
        | _guarded(KIDNEY_TABLES, lambda: kidney_outcomes(cohort, o, settings, kidney_rules))
        | _guarded(STEROID_TABLES, lambda: steroid_exposure(cohort, o, settings))
    )
