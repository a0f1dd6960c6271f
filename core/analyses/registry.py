"""The one list of analyses: what each computes, how its tables read, what draws it.

Every other part of the app reads this module instead of keeping its own list: the run
(:mod:`core.analyses.run`) calls each ``compute`` in order; the pages pick the analyses of their
page; the command line and every export (CSV, XLSX, Word, HTML report, methods text, ZIP)
iterate :data:`ANALYSES`; display rounding reads each table's column roles; the tests check that
every entry is complete (title, methods sentence, R call, figure or an explicit ``NO_FIGURE``,
a reference test).

Adding an analysis: its compute module (with its :class:`~core.analyses.spec.AnalysisSpec`), its figure builder in
``core/report/figures/``, one line in :data:`ANALYSES` below, its tests.

Figure builders live in the report layer, above this one; a spec names them by
:class:`FigureRef` (module and function) and they are imported only when a figure is drawn, so
the layers stay one-way (``core.report`` imports ``core.analyses``, never the reverse).
"""

from __future__ import annotations

from core.analyses.spec import AnalysisSpec, FigureRef, TableSpec
from core.model.vocabulary import event_title


def _specs() -> tuple[AnalysisSpec, ...]:
    # One line per analysis family, in the order of the report.
    from core.analyses import (
        competing_risks,
        criteria_sensitivity,
        dsdna,
        flow,
        lab_mixed,
        labs_values,
        long_term,
        paired,
        response,
        response_audit,
        response_duration,
        restricted_mean,
        subgroups,
        survival_checks,
        sustained_response,
        table1,
        time_to_response,
    )

    return (
        *flow.SPECS,
        *response.SPECS,
        *criteria_sensitivity.SPECS,
        *sustained_response.SPECS,
        *response_duration.SPECS,
        *response_audit.SPECS,
        *subgroups.SPECS,
        *paired.SPECS,
        *dsdna.SPECS,
        *labs_values.SPECS,
        *lab_mixed.SPECS,
        *time_to_response.SPECS,
        *competing_risks.SPECS,
        *restricted_mean.SPECS,
        *survival_checks.SPECS,
        *table1.SPECS,
        *long_term.SPECS,
    )


ANALYSES: tuple[AnalysisSpec, ...] = _specs()
TABLES: dict[str, TableSpec] = {t.name: t for a in ANALYSES for t in a.tables}
TABLE_NAMES: tuple[str, ...] = tuple(TABLES)
ANALYSIS_OF_TABLE: dict[str, AnalysisSpec] = {t.name: a for a in ANALYSES for t in a.tables}


def table_spec(name: str) -> TableSpec | None:
    """The spec of table ``name`` (None for a name no analysis makes)."""
    return TABLES.get(name)


def table_title(name: str, event_name: str | None = None) -> str:
    """The title of a table (its name in words when unknown); "time to response" names the
    user's ``event_name`` when set."""
    spec = TABLES.get(name)
    return event_title(spec.title if spec else name.replace("_", " ").capitalize(), event_name)


def diagnostic_columns(name: str, columns) -> list[str]:
    """The internal diagnostics among ``columns`` of table ``name`` (its ``TableSpec``;
    the shared ``DIAGNOSTIC_COLUMNS`` for a table the registry does not list)."""
    from core.analyses.spec import DIAGNOSTIC_COLUMNS

    spec = TABLES.get(name)
    marked = spec.diagnostics if spec is not None else DIAGNOSTIC_COLUMNS
    return [c for c in columns if c in marked]


def is_patient_level_table(name: str) -> bool:
    spec = TABLES.get(name)
    return bool(spec and spec.patient_level)


def analyses_of_page(page: str) -> tuple[AnalysisSpec, ...]:
    return tuple(a for a in ANALYSES if a.page == page)


FIGURES: dict[str, tuple[AnalysisSpec, FigureRef]] = {
    ref.figure: (a, ref) for a in ANALYSES for ref in a.figures
}


def figure_page(figure: str) -> str:
    """The page whose analyses draw ``figure`` (a ``FigureKey.figure``)."""
    return FIGURES[figure][0].page


def figure_title(figure: str, event_name: str | None = None) -> str:
    text = FIGURES[figure][1].title if figure in FIGURES else figure.replace("_", " ").capitalize()
    return event_title(text, event_name)
