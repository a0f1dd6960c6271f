""".xlsx workbooks: a zip of XML parts, parsed with openpyxl's own sheet parser.

What a workbook declares (its <dimension>, the sizes in the zip directory, the counts of its
shared-string table) is a hint, never a decision: sizes are measured while unpacking, rows
and columns are counted from the cells that hold a value, and the text the shared strings
expand to is counted cell by cell. Formatted but empty rows and columns are skipped (one
warning) and count toward no limit. Every part is read through a stream that checks the
CPU budget every 16 KB of XML.
"""

from __future__ import annotations

import io
import zipfile

import numpy as np
import pandas as pd

from core.ingest.table import Budget, Limits, RawTable, cell_text, fail
from core.model.i18n import gettext as _
from core.model.schema import Issue

EXCEL_MAX_ROWS, EXCEL_MAX_COLUMNS = 1_048_576, 16_384  # the grid of any Excel sheet
BOMB_RATIO = 100  # a part this much larger than its compressed bytes ...
_CHECK_EVERY = 20_000  # cells between two budget checks (~0.1 s in openpyxl's parser)


class _MeteredStream(io.RawIOBase):
    """A zip member whose every read checks the CPU budget first."""

    def __init__(self, raw, budget: Budget) -> None:
        self._raw, self._budget = raw, budget

    def readable(self) -> bool:
        return True

    def read(self, n: int = -1) -> bytes:
        self._budget.check()
        return self._raw.read(n)

    def readinto(self, b) -> int:
        data = self.read(len(b))
        b[: len(data)] = data
        return len(data)

    def close(self) -> None:
        self._raw.close()
        super().close()


class _MeteredZip(zipfile.ZipFile):
    """The workbook archive as openpyxl sees it: members open as metered streams."""

    budget: Budget

    def open(self, name, mode="r", pwd=None, **kw):  # noqa: A003 (zipfile's name)
        member = super().open(name, mode, pwd, **kw)
        return _MeteredStream(member, self.budget) if mode == "r" else member


def unpacked_problem(data: bytes, limits: Limits, budget: Budget) -> str | None:
    """Inflate every part in 4 MB pieces, keeping nothing: the sizes the bytes really give.

    Refused: over ``limits.max_decompressed_bytes`` in all, or a part above the size that
    could hold ``max_rows`` rows (15 bytes a row) that is more than ``BOMB_RATIO`` times its
    compressed size. Python's zip reader stops a part at its declared size and then fails
    its checksum, so a part that understates its size is refused as damaged.
    """
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        infos = z.infolist()
        if not any(i.filename == "xl/workbook.xml" for i in infos):
            return _("This zip file is not an Excel workbook (.xlsx).")
        total = 0
        for info in infos:
            size = 0
            with z.open(info) as f:
                while chunk := f.read(1 << 22):
                    size += len(chunk)
                    budget.check()
                    if total + size > limits.max_decompressed_bytes:
                        return (_('The workbook unpacks to more than {max_decompressed_bytes} bytes, the limit (counted while unpacking it).').format(max_decompressed_bytes=f"{limits.max_decompressed_bytes:,}"))
            total += size
            ratio = size / max(info.compress_size, 1)
            if size > limits.max_rows * 15 and ratio > BOMB_RATIO:
                return (_("Part '{filename}' of the workbook unpacks to {size} bytes from {compress_size} (ratio {ratio}); this exceeds the limit for a workbook (ratio {bomb_ratio}).").format(filename=info.filename, size=f"{size:,}", compress_size=f"{info.compress_size:,}", ratio=f"{ratio:.0f}", bomb_ratio=BOMB_RATIO))
    return None


def read_sheets(data: bytes, limits: Limits, budget: Budget,
                table: RawTable) -> list[tuple[str, pd.DataFrame, np.ndarray]] | RawTable:
    """Every worksheet as ``(title, text grid, file row of each grid row)``, or ``table``
    refused with the first problem."""
    from openpyxl.reader.excel import ExcelReader
    from openpyxl.styles.stylesheet import apply_stylesheet

    problem = unpacked_problem(data, limits, budget)
    if problem:
        return fail(problem, table)
    reader = ExcelReader(io.BytesIO(data), read_only=True, data_only=True)
    reader.archive.close()
    reader.archive = _MeteredZip(io.BytesIO(data))
    reader.archive.budget = budget
    try:  # the parts a sheet's values need: shared strings, workbook (date epoch), styles
        reader.read_manifest()
        reader.read_strings()
        reader.read_workbook()
        apply_stylesheet(reader.archive, reader.wb)
        grids = []
        for sheet, rel in reader.parser.find_sheets():
            if rel.target not in reader.valid_files or "chartsheet" in rel.Type:
                continue
            got = _sheet_grid(reader, sheet.name, rel.target, limits, budget, table.issues)
            if isinstance(got, str):
                return fail(got, table, sheet=sheet.name)
            grids.append((sheet.name, *got))
    finally:
        reader.archive.close()
    return grids


def _sheet_grid(reader, title: str, path: str, limits: Limits, budget: Budget,
                issues: list[Issue]) -> tuple[pd.DataFrame, np.ndarray] | str:
    """The cells that hold a value, as text, in the rows that hold one (a problem: str).

    openpyxl's own worksheet parser, without its read-only worksheet: that one parses a
    sheet without a <dimension> once more just to size it, and pads rows and columns.
    """
    from openpyxl.worksheet._reader import WorkSheetParser

    wb = reader.wb
    rows: list[list] = []
    numbers: list[int] = []
    width = styled_width = empty_below = cells = chars = 0
    texts: dict[str, str | None] = {}  # a shared string is converted once, however often used
    with reader.archive.open(path) as src:
        parser = WorkSheetParser(src, reader.shared_strings, data_only=True, epoch=wb.epoch,
                                 date_formats=wb._date_formats,
                                 timedelta_formats=wb._timedelta_formats)
        for idx, row_cells in parser.parse():
            values = {}
            for c in row_cells:
                v, col = c["value"], c["column"]
                if isinstance(v, str):
                    t = texts.get(v, "")
                    if t == "":
                        t = texts[v] = cell_text(v)
                    if t is not None:
                        chars += len(t)
                else:
                    t = cell_text(v)
                if t is None:
                    styled_width = max(styled_width, col)
                    continue
                values[col] = t
            cells += len(row_cells)
            if cells > _CHECK_EVERY:
                cells = 0
                budget.check()
            if not values:
                empty_below += 1
                continue
            last = max(values)
            if idx > EXCEL_MAX_ROWS or last > EXCEL_MAX_COLUMNS:
                where = f"row {idx:,}" if idx > EXCEL_MAX_ROWS else f"column {last:,}"
                return (_("Sheet '{title}' has a value in {where}, beyond the maximum of an Excel sheet ({excel_max_rows} rows x {excel_max_columns} columns): the file was not saved by a spreadsheet program and cannot be read.").format(title=title, where=where, excel_max_rows=f"{EXCEL_MAX_ROWS:,}", excel_max_columns=f"{EXCEL_MAX_COLUMNS:,}"))
            empty_below = 0
            width = max(width, last)
            row = [None] * last
            for col, t in values.items():
                row[col - 1] = t
            rows.append(row)
            numbers.append(idx)
            if len(rows) > limits.max_rows + 100:
                return _("Sheet '{title}' has over {max_rows} rows, the limit.").format(title=title, max_rows=f"{limits.max_rows:,}")
            if width > limits.max_columns:
                return (_("Sheet '{title}' has values in {width} columns; the limit is {max_columns}.").format(title=title, width=f"{width:,}", max_columns=f"{limits.max_columns:,}"))
            if len(rows) * width > limits.max_cells:
                return (_("Sheet '{title}' has over {max_cells} cells ({rows} rows x {width} columns), the limit.").format(title=title, max_cells=f"{limits.max_cells:,}", rows=f"{len(rows):,}", width=f"{width:,}"))
            if chars > limits.max_decompressed_bytes:
                return (_("The text of sheet '{title}' expands to more than {max_decompressed_bytes} characters (the same text repeated in cell after cell), the limit.").format(title=title, max_decompressed_bytes=f"{limits.max_decompressed_bytes:,}"))
    _note_formatting(title, empty_below, styled_width - width, issues)
    for row in rows:
        row.extend([None] * (width - len(row)))
    grid = pd.DataFrame(rows, dtype=object) if rows else pd.DataFrame(dtype=object)
    return grid, np.asarray(numbers, dtype=np.int64)


def _note_formatting(title: str, rows_below: int, columns_right: int,
                     issues: list[Issue]) -> None:
    """One warning for formatted but empty rows below the table and columns to its right."""
    parts = []
    if rows_below > 0:
        parts.append(_('{rows_below} formatted but empty row(s) below the table').format(rows_below=f"{rows_below:,}"))
    if columns_right > 0:
        parts.append(_('{columns_right} formatted but empty column(s) to its right').format(columns_right=f"{columns_right:,}"))
    if parts:
        issues.append(Issue("warning", _("Sheet '{title}': {value} were skipped; they count toward no limit.").format(title=title, value=' and '.join(parts)), sheet=title))
