"""One call from a cohort to every table of the registry: filters → outcomes → analyses.

``run_analyses`` is what the pages, the command line and the tests call; it returns an
:class:`~core.model.results.AnalysisRun` that figures, exports and pages take as it is.

An analysis the data cannot support (no response information, one group only, too few
pairs) gives empty tables with a note, never an exception. Anything else that goes wrong in an
analysis is an internal error: the user reads a note saying so, the log records the analysis,
the exception type and where it was raised (never a cell value), and under the test suite
(``STRICT``) the exception is raised so that a bug cannot hide as a note.
"""

from __future__ import annotations

import logging
import os
import traceback
from collections.abc import Callable, Iterable
from dataclasses import asdict, replace

import pandas as pd

from core.analyses.context import RunContext
from core.analyses.registry import ANALYSES, TABLE_NAMES
from core.analyses.spec import AnalysisSkipped, AnalysisSpec
from core.analyses.suppression_run import suppress_results
from core.model.dsdna import censored_counts, censored_note, positivity_note, with_cutoff
from core.model.filters import filter_cohort, filter_summary
from core.model.i18n import N_
from core.model.i18n import gettext as _
from core.model.results import AnalysisRun, Result
from core.model.schema import Cohort
from core.model.settings import Filters, Settings
from core.outcomes.derive import derive_outcomes
from core.outcomes.time_to_event import default_criteria, file_times_refusal

log = logging.getLogger(__name__)

# Raise unexpected exceptions instead of turning them into notes (set by the test suite).
STRICT = os.environ.get("LN_STRICT_ANALYSES") == "1"

ONE_GROUP = N_("Only one group in the analysed patients: comparisons between groups skipped.")
NO_PATIENT = N_("No patient matches the filters: nothing to analyse.")
# Data conditions that numerical code reports by raising: a note for the user, not a bug.
DATA_CONDITIONS: tuple[type[Exception], ...] = (AnalysisSkipped,)


def _empty(name: str, note: str) -> Result:
    return Result(name, pd.DataFrame(), (note,))


def _internal_error(spec: AnalysisSpec, name: str, exc: Exception) -> Result:
    frame = traceback.extract_tb(exc.__traceback__)[-1] if exc.__traceback__ else None
    where = f"{os.path.basename(frame.filename)}:{frame.lineno}" if frame else "?"
    # type and place only: an exception message may quote the data
    log.error("analysis %s (%s) failed: %s at %s", spec.name, name, type(exc).__name__, where)
    if STRICT:
        raise exc
    return _empty(
        name,
        _('{name} could not be computed because of an internal error ({error}); the other results are not affected. Please report it.').format(name=name, error=type(exc).__name__),
    )


def _compute(spec: AnalysisSpec, ctx: RunContext) -> dict[str, Result]:
    """The tables of one analysis; a data condition becomes a note on each of them."""
    try:
        made = dict(spec.compute(ctx))
    except DATA_CONDITIONS as exc:
        return {n: _empty(n, str(exc)) for n in spec.table_names}
    except Exception as exc:  # noqa: BLE001 - one analysis must not take the report down
        return {n: _internal_error(spec, n, exc) for n in spec.table_names}
    out: dict[str, Result] = {}
    for name in spec.table_names:
        value = made.get(name)
        if callable(value):  # computed apart: one table's failure leaves the others
            try:
                value = value()
            except DATA_CONDITIONS as exc:
                value = _empty(name, str(exc))
            except Exception as exc:  # noqa: BLE001
                value = _internal_error(spec, name, exc)
        out[name] = value if value is not None else _empty(name, f"{name} not computed.")
    return out


def _with_note(res: Result, note: str) -> Result:
    return res if note in res.notes else replace(res, notes=(*res.notes, note))


def run_analyses(
    cohort: Cohort,
    settings: Settings | None = None,
    filters: Filters | None = None,
    *,
    only: Iterable[str] | None = None,
) -> AnalysisRun:
    """Every analysis of the registry for ``cohort`` under ``settings`` and ``filters``.

    The filters are applied once; the settings are resolved once (criteria from the whole
    file — a filter must not switch recorded to derived responses — and the reference group
    on the analysed patients). ``only``: compute just these analyses (registry names; a page
    needs its own); the other tables are absent from the run.

    With ``settings.suppression_threshold`` every table is suppressed before the run is
    returned (``core.analyses.suppression_run``), so no figure, page or file sees a small count.

    Returns
    -------
    AnalysisRun whose ``results`` hold a Result per table of ``registry.TABLE_NAMES`` (in that
    order), each with ``meta`` recording the resolved settings, filters and summary line.
    """
    filters = filters or Filters()
    settings = settings or Settings()
    cohort, positivity = with_cutoff(cohort, settings.dsdna_cutoff)
    filtered = filter_cohort(cohort, filters)
    # criteria from the whole file, the reference among the analysed patients' groups
    default = default_criteria(cohort)
    resolved = replace(settings, criteria=settings.criteria or default).resolved(
        True, filtered.groups, cohort.group_levels
    )
    # the file's own times against the whole file's default criteria (§5)
    refused = file_times_refusal(settings, default)
    o = derive_outcomes(filtered, resolved, file_times_refused=refused)
    ctx = RunContext(cohort, filtered, filters, resolved, o)
    wanted = None if only is None else set(only)
    specs = [a for a in ANALYSES if wanted is None or a.name in wanted]
    results: dict[str, Result] = {}
    for spec in specs:
        if filtered.patients.empty and spec.name != "flow":
            results |= {n: _empty(n, _(NO_PATIENT)) for n in spec.table_names}
            continue
        results |= _compute(spec, ctx)
        if filtered.patients.empty:  # the flow says why; its other tables are empty
            for n in spec.table_names[1:]:
                results[n] = _with_note(results[n], _(NO_PATIENT))
            continue
        if len(filtered.groups) < 2:
            for n in spec.needs_groups:
                results[n] = _with_note(results[n], _(ONE_GROUP))
    results = _dsdna_notes(results, filtered, resolved, positivity)
    if resolved.suppression_threshold is not None:  # before anything leaves the run
        results = suppress_results(results, resolved.suppression_threshold)
    summary = filter_summary(filters, o.settings, len(filtered.patients))
    meta = {"settings": asdict(o.settings), "filters": asdict(filters), "summary": summary}
    ordered = {
        n: replace(results[n], name=n, meta={**results[n].meta, **meta})
        for n in TABLE_NAMES
        if n in results
    }
    return AnalysisRun(cohort, filtered, filters, o.settings, summary, ordered)


def _uses_dsdna(res: Result) -> bool:
    t = res.table
    for col in ("measure", "variable"):
        if col in t and (t[col].astype(str) == "anti_dsdna").any():
            return True
    return False


def _dsdna_notes(results: dict[str, Result], filtered: Cohort, settings: Settings,
                 positivity) -> dict[str, Result]:
    """Censored titres (how many, how treated) on every table showing anti-dsDNA titres, and
    what the positivity cutoff derived on ``dsdna_shift`` (clinical-rules §4)."""
    censored = censored_note(*censored_counts(filtered.visits))
    out = dict(results)
    for name, res in results.items():
        derived_from_titres = name == "dsdna_shift" and positivity is not None
        if censored and (_uses_dsdna(res) or derived_from_titres):
            out[name] = _with_note(out[name], censored)
    if positivity is not None and "dsdna_shift" in out:
        titre_unit = ((filtered.mapping or {}).get("units") or {}).get("anti_dsdna")
        note = positivity_note(positivity, settings.dsdna_cutoff, settings.dsdna_cutoff_unit,
                               titre_unit)
        out["dsdna_shift"] = _with_note(out["dsdna_shift"], note)
    return out


def compute_one(
    name: str, ctx: RunContext, compute: Callable[[RunContext], dict] | None = None
) -> dict[str, Result]:
    """The tables of one registry analysis on a prepared context (tests, notebooks)."""
    spec = next(a for a in ANALYSES if a.name == name)
    return _compute(replace(spec, compute=compute) if compute else spec, ctx)
