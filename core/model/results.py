"""What the pipeline hands on: one analysis's frozen result, and the whole run."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import pandas as pd

from core.model.schema import Cohort
from core.model.settings import Filters, Settings


@dataclass(frozen=True)
class Result:
    """One analysis output.

    ``name`` is the contract table name (``response_rates`` ...); ``table`` has the
    contract columns (extra columns allowed) at full precision; ``notes`` are sentences
    naming the method, variant and caveats; ``meta`` records the settings and filters.
    """

    name: str
    table: pd.DataFrame
    notes: tuple[str, ...] = ()
    meta: dict = field(default_factory=dict)


@dataclass(frozen=True)
class AnalysisRun:
    """One run of every analysis: what went in, resolved once, and what came out.

    Figures, exports, the methods text and the pages take the run; none of them filters the
    cohort or resolves the settings again.

    Attributes
    ----------
    cohort
        As loaded (before filters): the file, its mapping, its validation report.
    filtered
        The patients the filters keep, with their visits.
    filters
        As asked.
    settings
        Resolved: ``criteria`` and ``reference`` filled in (``Settings.resolved``).
    summary
        One line saying what is analysed (``Class IV, IV+V · kdigo2024 · complete-case · n = 56``).
    results
        Every table of the registry by name, in registry order.
    """

    cohort: Cohort
    filtered: Cohort
    filters: Filters
    settings: Settings
    summary: str
    results: Mapping[str, Result]

    def table(self, name: str) -> pd.DataFrame | None:
        """The table of result ``name``; None when absent or empty."""
        res = self.results.get(name)
        if res is None or res.table is None or res.table.empty:
            return None
        return res.table

    @property
    def n_patients(self) -> int:
        return len(self.filtered.patients)


@dataclass(frozen=True)
class FigureKey:
    """Which figure: the chart (``paired``, ``response_sankey``…) and, for charts drawn once
    per measure, group or landmark month, which one. ``stem`` is its file name."""

    figure: str
    measure: str | None = None
    group: str | None = None
    month: float | None = None

    @property
    def stem(self) -> str:
        if self.measure is not None:
            return f"{self.figure}_{self.measure}"
        if self.group is not None:
            return f"{self.figure}_{self.group}"
        if self.month is not None:
            return f"{self.figure}_m{self.month:g}"
        return self.figure
