"""The shape of an analysis entry: tables with column roles, figure references, the spec.

:mod:`core.analyses.registry` lists the entries; each family module defines its own
``SPECS`` with these classes.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Literal

from core.model.results import Result

if TYPE_CHECKING:  # the run imports this module: types only
    from core.analyses.context import RunContext
    from core.model.results import AnalysisRun

Page = Literal["cohort", "response", "labs", "ttr", "long_term"]
PAGES: tuple[Page, ...] = ("cohort", "response", "labs", "ttr", "long_term")

# Internal diagnostics of a test (which variant ran, the statistic behind a p-value, the rule
# that read a median off a curve): kept in the CSVs, shown on screen only in a table's
# "Details" view and written by the CLI's ``--labels clinical`` to ``<table>_diagnostics.csv``.
DIAGNOSTIC_COLUMNS: tuple[str, ...] = (
    "p_method", "median_rule", "wilcoxon_V", "wilcoxon_method", "n_zero_diff", "tied_abs_diff",
)  # fmt: skip


@dataclass(frozen=True)
class TableSpec:
    """One result table: its name, title and what its columns hold.

    Column roles drive display rounding and, later, suppression: ``counts`` (whole numbers),
    ``percents`` (0–100, one decimal on screen), ``p_values`` (text, ``< 0.001``),
    ``estimates`` (column → unit), ``not_reached`` (a missing value reads "not reached").
    Any other float column is shown to 3 significant digits. ``diagnostics``: internal
    columns (test variant, statistic, median rule) kept out of the main screen table and of
    the CLI's clinical CSV (default: those of ``DIAGNOSTIC_COLUMNS`` the table has). ``patient_level`` tables
    identify patients: left out of shared exports unless asked for. ``reference`` says what
    checks the table against R (a path under ``tests/reference/``, or the test that does).
    """

    name: str
    title: str
    columns: tuple[str, ...]
    reference: str
    counts: tuple[str, ...] = ()
    percents: tuple[str, ...] = ()
    p_values: tuple[str, ...] = ()
    estimates: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    not_reached: tuple[str, ...] = ()
    patient_level: bool = False
    diagnostics: tuple[str, ...] = DIAGNOSTIC_COLUMNS


@dataclass(frozen=True)
class FigureRef:
    """A figure builder ``plot_*(run) -> dict[FigureKey, Figure]`` named by module and
    function (imported when first drawn), the ``FigureKey.figure`` it draws and its title."""

    module: str
    function: str
    figure: str
    title: str

    def load(self) -> Callable:
        return getattr(importlib.import_module(self.module), self.function)


NO_FIGURE: tuple[FigureRef, ...] = ()  # say it explicitly: an analysis drawn by no chart


@dataclass(frozen=True)
class AnalysisSpec:
    """One analysis: its tables, compute function, figures, methods sentences and R call.

    ``compute(ctx)`` returns a :class:`Result` per table name (missing ones become empty with
    a note); it may raise :class:`AnalysisSkipped` for a data condition (one group, no
    response…). ``methods(run)`` returns the sentences of the methods text that describe it
    (empty when nothing of it was computed). ``needs_groups``: comparisons between groups,
    noted and skipped with one group.
    """

    name: str
    page: Page
    section: str
    tables: tuple[TableSpec, ...]
    compute: Callable[[RunContext], Mapping[str, Result]]
    figures: tuple[FigureRef, ...]
    methods: Callable[[AnalysisRun], list[str]]
    r_call: str
    needs_groups: tuple[str, ...] = ()

    @property
    def table_names(self) -> tuple[str, ...]:
        return tuple(t.name for t in self.tables)


class AnalysisSkipped(Exception):  # noqa: N818 - a data condition, not an error
    """A data condition under which an analysis has nothing to compute; the message is the
    note the user reads (for every table of the analysis)."""
