"""The report workbook a clinician opens: one sheet per table, in the journal style, with
the context it came from; the full-precision numbers in a hidden ``values`` sheet.

Each table sheet starts with a header block (the table's title, source file, date, filters,
settings, patients analysed, app version: :func:`context_items`), a blank row, then the
table: clinical column headers (:mod:`core.report.export.headers`), values rounded by the
one formatting policy (:func:`core.report.export.display.round_for_display`: percentages to
1 decimal, p-values as text, ``NR``), column widths set and the header row frozen. The
``README`` sheet lists the same block and names each sheet's table and file. The hidden
``values`` sheet holds every table again at full precision under its contract name and
column names (as the CSVs). Every text cell is formula-safe (:mod:`core.report.export.safe`).
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from core.analyses.registry import table_spec
from core.model.i18n import N_
from core.model.i18n import gettext as _
from core.report.export.display import NOT_REACHED_NOTE, round_for_display, words_for_display
from core.report.export.headers import column_header
from core.report.export.safe import _xlsx_value, safe_text, sheet_name

README_SHEET = "README"  # the two fixed sheet names stay ASCII in every language
VALUES_SHEET = "values"
# The words of the workbook, in one place: English msgids, translated when written (text()).
TEXT = {
    "item": N_("Item"),
    "value": N_("Value"),
    "sheet": N_("Sheet"),
    "table": N_("Table"),
    "file": N_("Table name (CSV file)"),
    "values_note": N_(
        "Sheet 'values' (hidden; Format > Sheet > Unhide) holds every table at full precision "
        "under its CSV column names."
    ),
    "rounded_note": N_(
        "Values rounded for reading: percentages 1 decimal, p 3 decimals (< 0.001), other "
        "numbers 3 significant digits."
    ),
}


def text(key: str) -> str:
    """A word of the workbook (:data:`TEXT`) in the current language; the rounding note
    ends with the not-reached note."""
    if key == "rounded_note":
        return f"{_(TEXT[key])} {_(NOT_REACHED_NOTE)}"
    return _(TEXT[key])
MIN_WIDTH, MAX_WIDTH = 8, 60  # column widths in characters


def table_title(name: str) -> str:
    """The registry's title of a table in the current language, else its name."""
    spec = table_spec(name)
    return _(spec.title) if spec is not None and spec.title else name


def _width(values: Sequence[Any]) -> float:
    longest = max((len(str(v)) for v in values if v is not None), default=0)
    return float(min(MAX_WIDTH, max(MIN_WIDTH, longest + 2)))


def _write_block(ws, items: Mapping[str, Any], bold) -> int:
    """The context block at the top of a sheet; returns the next free row."""
    row = 1
    for key, value in items.items():
        ws.cell(row=row, column=1, value=safe_text(str(key))).font = bold
        ws.cell(
            row=row,
            column=2,
            value=_xlsx_value(value if isinstance(value, (int, float)) else str(value)),
        )
        row += 1
    return row + 1  # a blank row under the block


def _table_sheet(wb, name: str, sheet: str, df: pd.DataFrame, context: Mapping[str, Any]) -> None:
    from openpyxl.styles import Font

    bold = Font(bold=True)
    ws = wb.create_sheet(sheet)
    shown = words_for_display(round_for_display(name, df))
    block = {table_title(name): "", **context}
    start = _write_block(ws, block, bold)
    ws.cell(row=1, column=1).font = Font(bold=True, size=13)
    headers = [column_header(str(c)) for c in shown.columns]
    for j, h in enumerate(headers, start=1):
        ws.cell(row=start, column=j, value=safe_text(h)).font = bold
    for i, row in enumerate(shown.itertuples(index=False, name=None), start=start + 1):
        for j, v in enumerate(row, start=1):
            ws.cell(row=i, column=j, value=_xlsx_value(v))
    ws.freeze_panes = ws.cell(row=start + 1, column=1)  # the header row stays in view
    from openpyxl.utils import get_column_letter

    for j, col in enumerate(shown.columns, start=1):
        cells = [headers[j - 1], *shown[col].head(2000).tolist()]
        ws.column_dimensions[get_column_letter(j)].width = _width(cells)
    # the block's first column is read too: wide enough for its labels
    first = [*block.keys(), headers[0] if headers else "", *shown.iloc[:2000, 0].tolist()]
    ws.column_dimensions["A"].width = _width(first)


def _values_sheet(wb, tables: Mapping[str, pd.DataFrame]) -> None:
    """Every table at full precision, one after another: its name, its columns, its rows."""
    ws = wb.create_sheet(VALUES_SHEET)
    for name, df in tables.items():
        ws.append([safe_text(name)])
        ws.append([safe_text(str(c)) for c in df.columns])
        for row in df.itertuples(index=False, name=None):
            ws.append([_xlsx_value(v) for v in row])
        ws.append([])
    ws.sheet_state = "hidden"


def report_workbook(
    tables: Mapping[str, pd.DataFrame], context: Mapping[str, Any] | None = None
) -> bytes:
    """The workbook of ``tables`` (contract name -> table) with ``context`` (label -> value:
    :func:`context_items`).

    Sheets: ``README`` (the context, then sheet -> table -> CSV name), one sheet per table
    named by its title (<= 31 characters, unique), and the hidden ``values`` sheet.
    """
    from openpyxl import Workbook
    from openpyxl.styles import Font

    context = dict(context or {})
    wb = Workbook()
    wb.remove(wb.active)
    taken: set[str] = {README_SHEET.lower(), VALUES_SHEET.lower()}
    names = {name: sheet_name(table_title(name), taken) for name in tables}
    readme = wb.create_sheet(README_SHEET)
    bold = Font(bold=True)
    row = _write_block(readme, context, bold)
    for j, h in enumerate((text("sheet"), text("table"), text("file")), start=1):
        readme.cell(row=row, column=j, value=h).font = bold
    for name, sheet in names.items():
        row += 1
        readme.cell(row=row, column=1, value=safe_text(sheet))
        readme.cell(row=row, column=2, value=safe_text(table_title(name)))
        readme.cell(row=row, column=3, value=safe_text(f"{name}.csv"))
    readme.cell(row=row + 2, column=1, value=text("rounded_note"))
    readme.cell(row=row + 3, column=1, value=text("values_note"))
    readme.column_dimensions["A"].width = _width([*context.keys(), *names.values()])
    readme.column_dimensions["B"].width = _width(
        [*map(str, context.values()), *map(table_title, names)]
    )
    readme.column_dimensions["C"].width = _width([f"{n}.csv" for n in names] + [text("file")])
    for name, df in tables.items():
        _table_sheet(wb, name, names[name], df, context)
    _values_sheet(wb, tables)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def context_items(
    *,
    source: str,
    created: str,
    filters: str,
    settings: str,
    n: str,
    app_version: str,
    extra: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The header block of every file: source file, date, filters, settings, patients,
    app version (labels in :data:`CONTEXT_LABELS`, in the current language), then any
    ``extra`` items."""
    label = context_labels()
    items = {
        label["source"]: source,
        label["created"]: created,
        label["filters"]: filters,
        label["settings"]: settings,
        label["n"]: n,
        label["app_version"]: app_version,
    }
    return {**items, **(extra or {})}


CONTEXT_LABELS = {  # English msgids: _() where written
    "source": N_("Source file"),
    "created": N_("Created (UTC)"),
    "filters": N_("Patients (filters)"),
    "settings": N_("Settings"),
    "n": N_("Patients analysed"),
    "app_version": N_("App version"),
}


def context_labels() -> dict[str, str]:
    """:data:`CONTEXT_LABELS` in the current language."""
    return {key: _(text) for key, text in CONTEXT_LABELS.items()}
