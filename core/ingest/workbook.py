"""Excel workbooks: .xlsx (:mod:`core.ingest.xlsx`) and .xls (BIFF, read with xlrd).

Sizes are checked against :class:`~core.ingest.table.Limits` while a sheet is read. A
workbook gives one sheet, or ``patients`` + ``visits`` sheets (:func:`pick_sheets`).
"""

from __future__ import annotations

import io

import pandas as pd

from core.ingest.table import Budget, Limits, RawTable, cell_text, fail, finish
from core.model.i18n import gettext as _
from core.model.schema import Issue

XLS_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_PATIENT_SHEETS = {"patients", "patient", "환자", "환자정보"}
_VISIT_SHEETS = {"visits", "visit", "방문", "방문기록", "검사"}


def read_xlsx(data: bytes, limits: Limits, budget: Budget) -> RawTable:
    """An .xlsx workbook (:mod:`core.ingest.xlsx` measures and parses it)."""
    from core.ingest.xlsx import read_sheets

    table = RawTable(kind="xlsx")
    grids = read_sheets(data, limits, budget, table)
    if isinstance(grids, RawTable):
        return grids
    return pick_sheets(table, grids, limits, budget)


def read_xls(data: bytes, limits: Limits, budget: Budget) -> RawTable:
    """An .xls (BIFF) workbook; xlrd's messages go to a buffer nobody prints."""
    import xlrd

    table = RawTable(kind="xls")
    if "EncryptionInfo".encode("utf-16-le") in data[:1_000_000]:  # OLE container of a
        # password-protected .xlsx: nothing inside is readable without the password
        return fail(_("The Excel file is password-protected: save an unprotected copy and "
                    "upload that."), table)
    try:
        book = xlrd.open_workbook(file_contents=data, on_demand=True,
                                  logfile=io.StringIO(), verbosity=0)
    except xlrd.biffh.XLRDError as exc:
        return fail(_('The Excel file could not be read ({exc}); if it is password-protected, save an unprotected copy.').format(exc=exc), table)
    grids = []
    for i in range(book.nsheets):
        sh = book.sheet_by_index(i)
        if sh.nrows > limits.max_rows + 100 or sh.ncols > limits.max_columns:
            return fail(_("Sheet '{name}' has {nrows} rows and {ncols} columns; the limits are {max_rows} and {max_columns}.").format(name=sh.name, nrows=f"{sh.nrows:,}", ncols=f"{sh.ncols:,}", max_rows=f"{limits.max_rows:,}", max_columns=f"{limits.max_columns:,}"), table)
        if sh.nrows * sh.ncols > limits.max_cells:
            return fail(_("Sheet '{name}' has {value} cells; the limit is {max_cells}.").format(name=sh.name, value=f"{sh.nrows * sh.ncols:,}", max_cells=f"{limits.max_cells:,}"), table)
        rows = []
        for r in range(sh.nrows):
            vals, types = sh.row_values(r), sh.row_types(r)
            rows.append([_xls_value(v, t, book.datemode) for v, t in zip(vals, types, strict=True)])
            if r % 1_000 == 0:
                budget.check()
        grid = pd.DataFrame(rows, dtype=object) if rows else pd.DataFrame(dtype=object)
        grids.append((sh.name, grid.map(cell_text) if not grid.empty else grid, 1))
        budget.check()
    return pick_sheets(table, grids, limits, budget)


def _xls_value(v: object, t: int, datemode: int) -> object:
    import xlrd

    if t in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK):
        return None
    if t == xlrd.XL_CELL_BOOLEAN:
        return bool(v)
    if t == xlrd.XL_CELL_DATE:
        return xlrd.xldate.xldate_as_datetime(v, datemode)
    if t == xlrd.XL_CELL_ERROR:  # the text Excel shows: #DIV/0!, #N/A, ...
        return xlrd.error_text_from_code.get(v, "#ERROR")
    return v


def pick_sheets(table: RawTable, grids: list, limits: Limits,
                budget: Budget | None = None) -> RawTable:
    """``patients`` + ``visits`` when both exist, else the one sheet that holds a table."""
    by_name = {str(name).strip().lower(): g for g in grids for name in [g[0]]}
    pat = next((by_name[n] for n in by_name if n in _PATIENT_SHEETS), None)
    vis = next((by_name[n] for n in by_name if n in _VISIT_SHEETS), None)
    if pat is not None and vis is not None:
        return finish(table, [pat, vis], limits, budget=budget)
    filled = [g for g in grids if g[1].notna().to_numpy().sum() > 0]
    if not filled:
        return fail(_("The workbook has no data in any sheet."), table)
    chosen = max(filled, key=lambda g: int(g[1].notna().to_numpy().sum()))
    if len(filled) > 1:
        others = ", ".join(f"'{g[0]}'" for g in filled if g is not chosen)
        table.issues.append(Issue("warning", _("Read sheet '{value}'; ignored {others}. Name the sheets 'patients' and 'visits' to load both.").format(value=chosen[0], others=others),
                                  sheet=chosen[0]))
    return finish(table, [chosen], limits, budget=budget)
