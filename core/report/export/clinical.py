"""The human form of a result table's CSV (the CLI's ``--labels clinical``): clinical
headers (:data:`core.report.export.headers.HEADERS`, in the chosen language), category
values as words (:func:`~core.report.export.headers.value_words`), and the internal
diagnostics (``p_method``, ``wilcoxon_V``…, ``core.analyses.spec.DIAGNOSTIC_COLUMNS``) in a
separate ``<table>_diagnostics.csv``. Numbers keep full precision; the writer is the
formula-safe one of every CSV. By default the CLI keeps machine names (for scripts).
"""

from __future__ import annotations

import pandas as pd

from core.analyses.registry import diagnostic_columns
from core.model.i18n import gettext as _
from core.report.export.headers import column_header, value_words
from core.report.export.safe import table_to_csv_bytes

# Columns that say which row a diagnostic belongs to, kept beside it in the diagnostics file.
KEY_COLUMNS = ("measure", "variable", "level", "group", "group_a", "group_b", "outcome",
               "criteria", "month", "month_a", "month_b", "time", "event", "test", "term")  # fmt: skip


def _clinical(frame: pd.DataFrame) -> pd.DataFrame:
    out = value_words(frame)
    return out.rename(columns={c: _(column_header(c)) for c in out.columns})


def clinical_csvs(name: str, table: pd.DataFrame) -> dict[str, bytes]:
    """``{"<name>.csv": …}`` with clinical headers and words, plus
    ``{"<name>_diagnostics.csv": …}`` when the table has diagnostic columns."""
    diagnostics = diagnostic_columns(name, table.columns)
    files = {f"{name}.csv": table_to_csv_bytes(_clinical(table.drop(columns=diagnostics)))}
    if diagnostics:
        keys = [c for c in KEY_COLUMNS if c in table.columns and c not in diagnostics]
        files[f"{name}_diagnostics.csv"] = table_to_csv_bytes(_clinical(table[keys + diagnostics]))
    return files
