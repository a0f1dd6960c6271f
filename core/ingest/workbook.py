"""Excel workbooks: .xlsx (a zip of XML parts, read with openpyxl) and .xls (BIFF, xlrd).

Sizes are checked against :class:`~core.ingest.table.Limits` before a sheet is parsed. A
workbook gives one sheet, or ``patients`` + ``visits`` sheets (:func:`pick_sheets`).
"""

from __future__ import annotations

import io
import re
import zipfile

import pandas as pd

from core.ingest.table import Limits, RawTable, cell_text, fail, finish
from core.model.schema import Issue

XLS_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_PATIENT_SHEETS = {"patients", "patient", "환자", "환자정보"}
_VISIT_SHEETS = {"visits", "visit", "방문", "방문기록", "검사"}


def _col_index(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n


def _check_xlsx(data: bytes, limits: Limits) -> str | None:
    """Declared sizes of the xlsx zip, before openpyxl allocates anything."""
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        infos = z.infolist()
        if not any(i.filename == "xl/workbook.xml" for i in infos):
            return "This zip file is not an Excel workbook (.xlsx)."
        total = sum(i.file_size for i in infos)
        if total > limits.max_decompressed_bytes:
            return (f"The workbook unpacks to {total:,} bytes; the limit is "
                    f"{limits.max_decompressed_bytes:,}.")
        for info in infos:
            if not re.fullmatch(r"xl/worksheets/[^/]+\.xml", info.filename):
                continue
            with z.open(info) as f:
                head = f.read(8192)
            m = re.search(rb'<(?:\w+:)?dimension\s+ref="\$?([A-Z]+)\$?(\d+)(?::\$?([A-Z]+)\$?(\d+))?"',
                          head)
            if m:
                last_col = (m.group(3) or m.group(1)).decode()
                rows, cols = int(m.group(4) or m.group(2)), _col_index(last_col)
                if rows > limits.max_rows + 100:
                    return f"A sheet declares {rows:,} rows; the limit is {limits.max_rows:,}."
                if cols > limits.max_columns:
                    return f"A sheet declares {cols:,} columns; the limit is {limits.max_columns:,}."
            if info.file_size > limits.max_rows * 15:  # big enough to hold too many rows
                ratio = info.file_size / max(info.compress_size, 1)
                if ratio > 100:
                    return (f"A sheet unpacks to {info.file_size:,} bytes from "
                            f"{info.compress_size:,} (ratio {ratio:.0f}); this exceeds the "
                            "limit for a workbook (ratio 100).")
                rows = _count_rows(z, info, limits.max_rows + 100)
                if rows > limits.max_rows + 100:
                    return f"A sheet holds over {limits.max_rows:,} rows, the limit."
    return None


def _count_rows(z: zipfile.ZipFile, info: zipfile.ZipInfo, stop: int) -> int:
    """Count <row> tags while inflating in chunks (up to ``stop``): nothing is kept."""
    pattern = re.compile(rb"<(?:\w+:)?row[\s>/]")
    count, tail = 0, b""
    with z.open(info) as f:
        while (chunk := f.read(1 << 22)) and count <= stop:
            buf = tail + chunk
            count += len(pattern.findall(buf[: len(buf) - 16])) if len(buf) > 16 else 0
            tail = buf[-16:] if len(buf) > 16 else buf
    return count + len(pattern.findall(tail))


def _grid(rows: list[list], limits: Limits) -> pd.DataFrame:
    grid = pd.DataFrame(rows, dtype=object) if rows else pd.DataFrame(dtype=object)
    return grid.map(cell_text) if not grid.empty else grid


def read_xlsx(data: bytes, limits: Limits) -> RawTable:
    import openpyxl

    table = RawTable(kind="xlsx")
    problem = _check_xlsx(data, limits)
    if problem:
        return fail(problem, table)
    wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    grids = []
    try:
        for ws in wb.worksheets:
            ws.reset_dimensions()  # some writers declare A1 for any sheet: read the rows
            rows = []
            for r in ws.iter_rows(values_only=True):
                rows.append(list(r))
                if len(rows) > limits.max_rows + 100:
                    return fail(f"Sheet '{ws.title}' has more than {limits.max_rows:,} rows.",
                                table, sheet=ws.title)
            grids.append((ws.title, _grid(rows, limits), 1))
    finally:
        wb.close()
    return pick_sheets(table, grids, limits)


def read_xls(data: bytes, limits: Limits) -> RawTable:
    import xlrd

    table = RawTable(kind="xls")
    if "EncryptionInfo".encode("utf-16-le") in data[:1_000_000]:  # OLE container of a
        # password-protected .xlsx: nothing inside is readable without the password
        return fail("The Excel file is password-protected: save an unprotected copy and "
                    "upload that.", table)
    try:
        book = xlrd.open_workbook(file_contents=data, on_demand=True)
    except xlrd.biffh.XLRDError as exc:
        return fail(f"The Excel file could not be read ({exc}); if it is password-protected, "
                    "save an unprotected copy.", table)
    grids = []
    for i in range(book.nsheets):
        sh = book.sheet_by_index(i)
        if sh.nrows > limits.max_rows + 100 or sh.ncols > limits.max_columns:
            return fail(f"Sheet '{sh.name}' has {sh.nrows:,} rows and {sh.ncols:,} columns; "
                        f"the limits are {limits.max_rows:,} and {limits.max_columns:,}.", table)
        rows = []
        for r in range(sh.nrows):
            vals, types = sh.row_values(r), sh.row_types(r)
            rows.append([_xls_value(v, t, book.datemode) for v, t in zip(vals, types, strict=True)])
        grids.append((sh.name, _grid(rows, limits), 1))
    return pick_sheets(table, grids, limits)


def _xls_value(v: object, t: int, datemode: int) -> object:
    import xlrd

    if t in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK):
        return None
    if t == xlrd.XL_CELL_BOOLEAN:
        return bool(v)
    if t == xlrd.XL_CELL_DATE:
        return xlrd.xldate.xldate_as_datetime(v, datemode)
    if t == xlrd.XL_CELL_ERROR:
        return "#ERROR"
    return v


def pick_sheets(table: RawTable, grids: list, limits: Limits) -> RawTable:
    """``patients`` + ``visits`` when both exist, else the one sheet that holds a table."""
    by_name = {str(name).strip().lower(): g for g in grids for name in [g[0]]}
    pat = next((by_name[n] for n in by_name if n in _PATIENT_SHEETS), None)
    vis = next((by_name[n] for n in by_name if n in _VISIT_SHEETS), None)
    if pat is not None and vis is not None:
        return finish(table, [pat, vis], limits)
    filled = [g for g in grids if g[1].notna().to_numpy().sum() > 0]
    if not filled:
        return fail("The workbook has no data in any sheet.", table)
    chosen = max(filled, key=lambda g: int(g[1].notna().to_numpy().sum()))
    if len(filled) > 1:
        others = ", ".join(f"'{g[0]}'" for g in filled if g is not chosen)
        table.issues.append(Issue("warning", f"Read sheet '{chosen[0]}'; ignored {others}. Name "
                                  "the sheets 'patients' and 'visits' to load both.",
                                  sheet=chosen[0]))
    return finish(table, [chosen], limits)
