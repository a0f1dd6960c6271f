"""Read a clinician's file into text tables: CSV/TSV/TXT, XLSX/XLS, Parquet (data-contract §1).

The format comes from the bytes (magic numbers), not the file name. Every cell is read as
text (``str`` or None) so that patient IDs and class texts such as ``4`` stay text; the
loader converts columns afterwards. Sizes are checked against :class:`Limits` before a
reader allocates anything; a problem is an error :class:`~core.model.schema.Issue`, never an
exception.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import zipfile
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from core.model.schema import Issue

# The csv module's own 128 KiB cell cap would fire before Limits.max_cell_chars, with a
# technical message; our limit is checked per cell with row and column named.
csv.field_size_limit(2**31 - 1)

_XLS_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_DELIMITERS = (",", ";", "\t", "|")
_NOT_TABLES = {b"%PDF": "a PDF document", b"\x89PNG": "a PNG image", b"\xff\xd8\xff": "a JPEG image",
               b"GIF8": "a GIF image", b"\x1f\x8b": "a gzip archive", b"7z\xbc\xaf": "a 7-Zip archive",
               b"Rar!": "a RAR archive", b"\x7fELF": "a program", b"MZ": "a program",
               b"{\\rtf": "an RTF document", b"SQLite format": "a database"}
_PATIENT_SHEETS = {"patients", "patient", "환자", "환자정보"}
_VISIT_SHEETS = {"visits", "visit", "방문", "방문기록", "검사"}


@dataclass(frozen=True)
class Limits:
    """Largest input accepted; anything bigger is refused with one clear error.

    Defaults: 200 MB file, 2,000,000 rows, 5,000 columns, 10,000 characters per cell,
    500 MB decompressed (xlsx zip members, Parquet row groups).
    """

    max_file_bytes: int = 200_000_000
    max_rows: int = 2_000_000
    max_columns: int = 5_000
    max_cell_chars: int = 10_000
    max_decompressed_bytes: int = 500_000_000


@dataclass
class Sheet:
    """One table: text cells (``str`` or None) under the user's headers.

    ``rows`` holds the 1-based row number of each frame row as the user sees it in the file.
    ``numbers``: for columns stored as numbers (Parquet), the exact values behind their text,
    so the loader need not parse the text back (``float(text)`` gives the same double).
    """

    name: str | None
    frame: pd.DataFrame
    rows: np.ndarray
    numbers: dict[str, np.ndarray] = field(default_factory=dict)


@dataclass
class RawTable:
    """What :func:`read_table` found: one sheet, or ``patients`` + ``visits`` sheets."""

    sheets: list[Sheet] = field(default_factory=list)
    kind: str = ""  # csv, xlsx, xls, parquet
    encoding: str | None = None
    delimiter: str | None = None
    issues: list[Issue] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not any(i.severity == "error" for i in self.issues)

    @property
    def is_workbook(self) -> bool:
        return len(self.sheets) == 2


def _fail(message: str, table: RawTable | None = None, **kw) -> RawTable:
    table = table or RawTable()
    table.issues.append(Issue("error", message, **kw))
    table.sheets = []
    return table


def read_table(data: bytes, filename: str = "", limits: Limits | None = None) -> RawTable:
    """Read ``data`` (the file's bytes) into a :class:`RawTable`; never raises for bad input."""
    limits = limits or Limits()
    if not data or not data.strip():
        return _fail("The file is empty.")
    if len(data) > limits.max_file_bytes:
        return _fail(f"The file is {len(data):,} bytes; the limit is {limits.max_file_bytes:,}.")
    for magic, what in _NOT_TABLES.items():
        if data.startswith(magic):
            return _fail(f"This file is {what}, not a table: upload CSV, TSV, Excel or Parquet.")
    try:
        if data[:4] == b"PK\x03\x04":
            return _read_xlsx(data, limits)
        if data[:8] == _XLS_MAGIC:
            return _read_xls(data, limits)
        if data[:4] == b"PAR1":
            return _read_parquet(data, limits)
        return _read_text(data, limits)
    except MemoryError:
        return _fail("The file is too large to read in memory.")
    except Exception as exc:  # a reader library choked: say so in one sentence
        kind = filename.rsplit(".", 1)[-1] if "." in filename else "file"
        return _fail(f"The {kind} file could not be read ({type(exc).__name__}: {exc}).")


# ----------------------------------------------------------------------------- text files


def _decode(data: bytes) -> tuple[str, str]:
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace"), "utf-8-sig"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16"), "utf-16"
    head = data[:4000]
    if head.count(b"\x00") > len(head) // 4:  # UTF-16 without a byte-order mark
        enc = "utf-16-le" if head[1:2] == b"\x00" else "utf-16-be"
        return data.decode(enc, errors="replace"), enc
    for enc in ("utf-8", "cp949"):
        try:
            return data.decode(enc), enc
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1"), "latin-1"


def _sniff_delimiter(lines: list[str]) -> str:
    best, best_score = ",", (0, 0)
    for d in _DELIMITERS:
        counts = [len(row) - 1 for row in csv.reader(lines, delimiter=d)]
        counts = [c for c in counts if c > 0]
        if not counts:
            continue
        mode = max(set(counts), key=counts.count)
        score = (counts.count(mode), mode)
        if score > best_score:
            best, best_score = d, score
    return best


def _header_index(nonempty: list[int]) -> int:
    """First row that is as full as a header: skips title rows above the table."""
    top = max(nonempty, default=0)
    need = max(min(2, top), int(np.ceil(top * 0.5)))
    return next((i for i, n in enumerate(nonempty) if n >= need and n > 0), 0)


def _read_text(data: bytes, limits: Limits) -> RawTable:
    text, encoding = _decode(data)
    table = RawTable(kind="csv", encoding=encoding)
    if "\x00" in text or sum(ch < " " and ch not in "\t\r\n" for ch in text[:2000]) > 20:
        return _fail("This is not a table file (CSV, TSV, Excel or Parquet).", table)
    n_lines = text.count("\n") + 1
    if n_lines > limits.max_rows + 100:
        return _fail(f"The file has {n_lines:,} lines; the limit is {limits.max_rows:,} rows.",
                     table)
    hint = re.match(r"\s*sep=(.)\s*\r?\n", text)  # Excel's 'sep=;' first line
    above = 0
    if hint:
        above, text = text[: hint.end()].count("\n"), text[hint.end():]
    lines = text[:500_000].splitlines()[:200]
    sample = [ln for ln in lines if ln.strip()][:60]
    delim = hint.group(1) if hint else _sniff_delimiter(sample)
    table.delimiter = delim
    parsed = list(csv.reader(lines[:60], delimiter=delim))
    nonempty = [sum(bool(c.strip()) for c in row) for row in parsed]
    hdr = _header_index(nonempty)
    if hdr < len(parsed) and len(parsed[hdr]) > limits.max_columns:
        return _fail(f"The table has {len(parsed[hdr]):,} columns; the limit is "
                     f"{limits.max_columns:,}.", table)
    offset = hdr + above  # lines above the header
    kw = dict(sep=delim, header=None, skiprows=hdr, dtype=str, keep_default_na=False,
              na_values=[""], skip_blank_lines=False, engine="c", quotechar='"')
    try:
        grid = pd.read_csv(io.StringIO(text), **kw)
    except pd.errors.EmptyDataError:
        return _fail("The file is empty.", table)
    except pd.errors.ParserError:  # rows longer than the header: empty extra cells are fine
        width = len(parsed[hdr]) if hdr < len(parsed) else 1
        most = max((len(r) for r in csv.reader(io.StringIO(text), delimiter=delim)), default=1)
        grid = pd.read_csv(io.StringIO(text), names=range(most), **kw)
        extra = grid.iloc[:, width:].notna().any(axis=1).to_numpy()
        if extra.any():
            i = int(np.flatnonzero(extra)[0])
            n = int(grid.iloc[i].notna().to_numpy().nonzero()[0].max()) + 1
            row = offset + i + 1
            return _fail(f"Row {row} has {n} cells but the header has {width}: check for a "
                         "stray delimiter or an unquoted comma.", table, row=row)
        grid = grid.iloc[:, :width]
    # empty cells are NaN; cells are stripped where they are converted
    long_cell = len(text) > limits.max_cell_chars and max(map(len, text.splitlines())) > \
        limits.max_cell_chars
    return _finish(table, [(None, grid, offset + 1)], limits, header_found=True,
                   check_cells=long_cell)


# ----------------------------------------------------------------------------- spreadsheets


def _cell_text(v: object) -> str | None:
    if v is None:
        return None
    if isinstance(v, str):
        s = v.strip()
        return s or None
    if isinstance(v, bool | np.bool_):
        return "TRUE" if v else "FALSE"
    if isinstance(v, float | np.floating):
        if np.isnan(v):
            return None
        f = float(v)
        return str(int(f)) if f.is_integer() and abs(f) < 1e15 else repr(f)
    if isinstance(v, dt.datetime | pd.Timestamp):
        return v.date().isoformat() if v.time() == dt.time(0) else v.isoformat(sep=" ")
    if isinstance(v, dt.date):
        return v.isoformat()
    return str(v)


def _column_text(s: pd.Series) -> np.ndarray:
    """:func:`_cell_text` of every cell of a typed column, vectorised by dtype (same text)."""
    if isinstance(s.dtype, pd.CategoricalDtype):  # Parquet text read as a dictionary
        text = np.array([_cell_text(u) for u in s.cat.categories] + [None], dtype=object)
        return text[s.cat.codes.to_numpy()]  # code -1 (missing) picks the trailing None
    kind = s.dtype.kind
    if s.dtype == bool:
        return np.where(s.to_numpy(dtype=bool), "TRUE", "FALSE").astype(object)
    if kind in "iuf":  # numbers repeat: format each distinct value once (<NA>: missing)
        plain = isinstance(s.dtype, np.dtype)  # Int64/Float64: objects, <NA> as None
        codes, uniques = pd.factorize(s.to_numpy() if plain else s.to_numpy(dtype=object,
                                      na_value=None), use_na_sentinel=True)
        if kind in "iu":
            return np.array([str(v) for v in uniques.tolist()] + [None], dtype=object)[codes]
        x = np.asarray(uniques, dtype=float)
        text = np.full(len(x) + 1, None, dtype=object)  # the last one: missing (code -1)
        with np.errstate(invalid="ignore"):
            whole = (np.mod(x, 1.0) == 0) & (np.abs(x) < 1e15)
        text[:-1][whole] = [str(int(v)) for v in x[whole].tolist()]
        rest = ~np.isnan(x) & ~whole
        text[:-1][rest] = [repr(v) for v in x[rest].tolist()]
        return text[codes]
    try:  # text, dates, categories: convert each distinct value once
        codes, uniques = pd.factorize(s.astype(object), use_na_sentinel=True)
    except TypeError:  # unhashable cells (lists): one at a time
        return s.astype(object).map(_cell_text).to_numpy(dtype=object)
    text = np.array([_cell_text(u) for u in uniques] + [None], dtype=object)
    return text[codes]  # code -1 (missing) picks the trailing None


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
    return grid.map(_cell_text) if not grid.empty else grid


def _read_xlsx(data: bytes, limits: Limits) -> RawTable:
    import openpyxl

    table = RawTable(kind="xlsx")
    problem = _check_xlsx(data, limits)
    if problem:
        return _fail(problem, table)
    wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    grids = []
    try:
        for ws in wb.worksheets:
            ws.reset_dimensions()  # some writers declare A1 for any sheet: read the rows
            rows = []
            for r in ws.iter_rows(values_only=True):
                rows.append(list(r))
                if len(rows) > limits.max_rows + 100:
                    return _fail(f"Sheet '{ws.title}' has more than {limits.max_rows:,} rows.",
                                 table, sheet=ws.title)
            grids.append((ws.title, _grid(rows, limits), 1))
    finally:
        wb.close()
    return _pick_sheets(table, grids, limits)


def _read_xls(data: bytes, limits: Limits) -> RawTable:
    import xlrd

    table = RawTable(kind="xls")
    if "EncryptionInfo".encode("utf-16-le") in data[:1_000_000]:  # OLE container of a
        # password-protected .xlsx: nothing inside is readable without the password
        return _fail("The Excel file is password-protected: save an unprotected copy and "
                     "upload that.", table)
    try:
        book = xlrd.open_workbook(file_contents=data, on_demand=True)
    except xlrd.biffh.XLRDError as exc:
        return _fail(f"The Excel file could not be read ({exc}); if it is password-protected, "
                     "save an unprotected copy.", table)
    grids = []
    for i in range(book.nsheets):
        sh = book.sheet_by_index(i)
        if sh.nrows > limits.max_rows + 100 or sh.ncols > limits.max_columns:
            return _fail(f"Sheet '{sh.name}' has {sh.nrows:,} rows and {sh.ncols:,} columns; "
                         f"the limits are {limits.max_rows:,} and {limits.max_columns:,}.", table)
        rows = []
        for r in range(sh.nrows):
            vals, types = sh.row_values(r), sh.row_types(r)
            rows.append([_xls_value(v, t, book.datemode) for v, t in zip(vals, types, strict=True)])
        grids.append((sh.name, _grid(rows, limits), 1))
    return _pick_sheets(table, grids, limits)


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


def _read_parquet(data: bytes, limits: Limits) -> RawTable:
    import pyarrow.parquet as pq

    table = RawTable(kind="parquet")
    pf = pq.ParquetFile(io.BytesIO(data))
    md = pf.metadata
    size = sum(md.row_group(i).total_byte_size for i in range(md.num_row_groups))
    if md.num_rows > limits.max_rows or md.num_columns > limits.max_columns:
        return _fail(f"The Parquet file has {md.num_rows:,} rows and {md.num_columns:,} columns; "
                     f"the limits are {limits.max_rows:,} and {limits.max_columns:,}.", table)
    if size > limits.max_decompressed_bytes:
        return _fail(f"The Parquet file unpacks to {size:,} bytes; the limit is "
                     f"{limits.max_decompressed_bytes:,}.", table)
    arrow = pf.read()
    df = arrow.to_pandas(strings_to_categorical=True)  # one Python str per distinct text
    # header row + text cells in one column-major array: the frame wraps it without a copy
    cells = np.empty((len(df) + 1, df.shape[1]), dtype=object, order="F")
    cells[0, :] = [str(c) for c in df.columns]
    numbers, col = {}, None
    filled = np.ones(cells.shape, dtype=bool)  # the header row: str, always filled
    for j in range(df.shape[1]):
        col = df.iloc[:, j]
        cells[1:, j] = _column_text(col)
        # _column_text gives str or None only, so != None is pd.notna, ~3x faster
        filled[1:, j] = cells[1:, j] != None  # noqa: E711 (elementwise)
        if col.dtype.kind in "iuf":
            # + 0.0: -0.0 is written '0', which reads back as 0.0
            x = col.to_numpy(dtype=float, na_value=np.nan) + 0.0
            if not np.isinf(x).any():  # 'inf' is an error the text parser reports
                numbers[j] = x
    grid = pd.DataFrame(cells, copy=False)
    long_text = _long_text(arrow, limits)
    del arrow, df, col  # the typed copies are not needed from here on (memory at scale)
    return _finish(table, [(None, grid, 1)], limits, check_cells=long_text, numbers=numbers,
                   filled=filled)


def _long_text(arrow, limits: Limits) -> bool:
    """Whether a Parquet cell may exceed the cell limit (only text can: numbers are short)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    for col in arrow.columns:
        if not (pa.types.is_string(col.type) or pa.types.is_large_string(col.type)):
            if pa.types.is_floating(col.type) or pa.types.is_integer(col.type) \
                    or pa.types.is_boolean(col.type):
                continue
            return True  # dates, binary, nested: let the full check decide
        longest = pc.max(pc.utf8_length(col)).as_py()
        if longest is not None and longest > limits.max_cell_chars:
            return True
    return False


def _pick_sheets(table: RawTable, grids: list, limits: Limits) -> RawTable:
    """``patients`` + ``visits`` when both exist, else the one sheet that holds a table."""
    by_name = {str(name).strip().lower(): g for g in grids for name in [g[0]]}
    pat = next((by_name[n] for n in by_name if n in _PATIENT_SHEETS), None)
    vis = next((by_name[n] for n in by_name if n in _VISIT_SHEETS), None)
    if pat is not None and vis is not None:
        return _finish(table, [pat, vis], limits)
    filled = [g for g in grids if g[1].notna().to_numpy().sum() > 0]
    if not filled:
        return _fail("The workbook has no data in any sheet.", table)
    chosen = max(filled, key=lambda g: int(g[1].notna().to_numpy().sum()))
    if len(filled) > 1:
        others = ", ".join(f"'{g[0]}'" for g in filled if g is not chosen)
        table.issues.append(Issue("warning", f"Read sheet '{chosen[0]}'; ignored {others}. Name "
                                  "the sheets 'patients' and 'visits' to load both.",
                                  sheet=chosen[0]))
    return _finish(table, [chosen], limits)


# ----------------------------------------------------------------------------- common end


def _finish(table: RawTable, grids: list, limits: Limits, header_found: bool = False,
            check_cells: bool = True, numbers: dict[int, np.ndarray] | None = None,
            filled: np.ndarray | None = None) -> RawTable:
    for name, grid, first_row in grids:
        sheet = _to_sheet(name, grid, first_row, limits, table.issues, header_found,
                          check_cells, numbers, filled)
        if sheet is None:
            table.sheets = []
            return table
        table.sheets.append(sheet)
    return table


def _to_sheet(name: str | None, grid: pd.DataFrame, first_row: int, limits: Limits, issues: list[Issue],
              header_found: bool, check_cells: bool = True,
              numbers: dict[int, np.ndarray] | None = None,
              filled: np.ndarray | None = None) -> Sheet | None:
    where = f" in sheet '{name}'" if name else ""
    grid = grid.copy(deep=False)  # new labels only: the cells are not copied
    grid.index = pd.RangeIndex(len(grid))
    grid.columns = range(grid.shape[1])
    if grid.shape[1] > limits.max_columns:
        issues.append(Issue("error", f"The table{where} has {grid.shape[1]:,} columns; the limit "
                            f"is {limits.max_columns:,}.", sheet=name))
        return None
    # cell j of row i is filled: one numpy matrix, reused for every check below (Parquet:
    # already known from the typed columns)
    if filled is None:
        filled = np.column_stack([pd.notna(grid[j].to_numpy()) for j in grid.columns]) \
            if grid.shape[1] else np.zeros((len(grid), 0), dtype=bool)
    hdr = 0 if header_found else _header_index(filled[:60].sum(axis=1).tolist())
    if not filled.any():
        issues.append(Issue("error", f"No table found{where}: the sheet is empty.", sheet=name))
        return None
    header = [("" if pd.isna(v) else str(v).strip()) for v in grid.iloc[hdr]]
    body = grid.iloc[hdr + 1:]
    rows = np.arange(hdr + 1, len(grid)) + first_row
    keep_cols = [j for j, h in enumerate(header) if h or filled[hdr + 1:, j].any()]
    if len(keep_cols) < grid.shape[1]:
        body = body[keep_cols]
    else:
        body = body.copy(deep=False)
    names, seen = [], {}
    for j in keep_cols:
        h = header[j] or f"Column {j + 1}"
        if not header[j]:
            issues.append(Issue("warning", f"Column {j + 1}{where} has values but no header; "
                                f"it is called '{h}'.", sheet=name, column=h))
        if h in seen:
            seen[h] += 1
            new = f"{h} ({seen[h]})"
            issues.append(Issue("warning", f"The header '{h}' appears twice{where}; the second "
                                f"is called '{new}'.", sheet=name, column=new))
            h = new
        seen.setdefault(h, 1)
        names.append(h)
    body.columns = names
    nonempty = filled[hdr + 1:][:, keep_cols].sum(axis=1)
    keep = nonempty > 0
    if len(names) > 1 and keep.any():  # notes below the table: one cell per row at the end
        last_full = np.flatnonzero(nonempty >= 2)
        if last_full.size:
            tail = np.arange(len(nonempty)) > last_full[-1]
            notes = tail & (nonempty == 1)
            if notes.any():  # a note is prose ('Source: EMR'), not a lone patient ID
                text = body[notes].stack().astype(str)  # the one filled cell of each row
                prose = text.str.contains(r"\s|:", regex=True) | (text.str.len() > 40)
                notes[np.flatnonzero(notes)] = prose.to_numpy(dtype=bool)
            if notes.any():
                issues.append(Issue("warning", f"{int(notes.sum())} line(s) below the table{where}"
                                    f" (from row {int(rows[notes][0])}) look like notes and "
                                    "were ignored.", sheet=name, row=int(rows[notes][0])))
                keep &= ~notes
    if not keep.all():
        body, rows = body[keep], rows[keep]
    body.index = pd.RangeIndex(len(body))
    if len(body) > limits.max_rows:
        issues.append(Issue("error", f"The table{where} has {len(body):,} rows; the limit is "
                            f"{limits.max_rows:,}.", sheet=name))
        return None
    for col in body.columns if check_cells else ():
        cells = body[col].to_numpy(dtype=object)
        text = cells[pd.notna(cells)]
        if max(map(len, text), default=0) <= limits.max_cell_chars:  # the usual case: fast
            continue
        lengths = body[col].str.len()
        if lengths.max(skipna=True) > limits.max_cell_chars:
            i = int(np.nanargmax(lengths.to_numpy(dtype=float)))
            issues.append(Issue("error", f"A cell holds {int(lengths.iloc[i]):,} characters; the "
                                f"limit is {limits.max_cell_chars:,}.", row=int(rows[i]),
                                column=col, sheet=name))
            return None
    if body.empty:
        issues.append(Issue("error", f"The table{where} has a header row but no data rows.",
                            sheet=name, row=int(first_row + hdr)))
        return None
    known = {}
    if numbers and hdr == 0:  # values of grid column j for every row below the header
        known = {names[i]: numbers[j][keep] if not keep.all() else numbers[j]
                 for i, j in enumerate(keep_cols) if j in numbers}
    return Sheet(name, body, rows.astype(int), known)
