"""Helpers for tests that hand R reference tables to the exporters as a run."""

from __future__ import annotations

import pandas as pd

from core.model.results import AnalysisRun, Result
from core.model.schema import Cohort, SourceInfo, ValidationReport
from core.model.settings import Filters, Settings


def as_run(
    results: dict[str, Result],
    settings: Settings,
    filters: Filters | None = None,
    source: SourceInfo | None = None,
    mapping: dict | None = None,
    n_dropped: int = 0,
) -> AnalysisRun:
    """The reference tables as a run: the source, mapping and dropped count on its cohort."""
    cohort = Cohort(
        pd.DataFrame(),
        pd.DataFrame(),
        ValidationReport(n_dropped=n_dropped),
        source or SourceInfo(),
        mapping,
    )
    return AnalysisRun(cohort, cohort, filters or Filters(), settings, "summary", results)
