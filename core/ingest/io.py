"""Read a clinician's file into text tables: CSV/TSV/TXT, XLSX/XLS, Parquet (data-contract §1).

The format comes from the bytes (magic numbers), not the file name. Every cell is read as
text (``str`` or None) so that patient IDs and class texts such as ``4`` stay text; the
loader converts columns afterwards. Sizes are checked against :class:`Limits` before a
reader allocates anything; a problem is an error :class:`~core.model.schema.Issue`, never an
exception.
"""

from __future__ import annotations

import csv
import io
import re
import time
import warnings

import numpy as np
import pandas as pd

from core.ingest.table import (
    Budget,
    Limits,
    OverBudget,
    RawTable,
    Sheet,
    fail,
    finish,
    header_index,
)
from core.model.i18n import gettext as _

__all__ = ["Limits", "RawTable", "Sheet", "read_table"]

# The csv module's own 128 KiB cell cap would fire before Limits.max_cell_chars, with a
# technical message; our limit is checked per cell with row and column named.
csv.field_size_limit(2**31 - 1)

_DELIMITERS = (",", ";", "\t", "|")
_NOT_TABLES = {b"%PDF": "a PDF document", b"\x89PNG": "a PNG image", b"\xff\xd8\xff": "a JPEG image",
               b"GIF8": "a GIF image", b"\x1f\x8b": "a gzip archive", b"7z\xbc\xaf": "a 7-Zip archive",
               b"Rar!": "a RAR archive", b"\x7fELF": "a program", b"MZ": "a program",
               b"{\\rtf": "an RTF document", b"SQLite format": "a database"}


def read_table(data: bytes, filename: str = "", limits: Limits | None = None) -> RawTable:
    """Read ``data`` (the file's bytes) into a :class:`RawTable`; never raises for bad input.

    At most ``limits.max_read_cpu_seconds`` of CPU time: past that the file is refused. The
    reader libraries' own warnings (openpyxl, xlrd, pandas, pyarrow) are not passed on: what
    matters to the user is in ``RawTable.issues``.
    """
    limits = limits or Limits()
    budget = Budget(limits.max_read_cpu_seconds)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return _read(data, filename, limits, budget)


def _read(data: bytes, filename: str, limits: Limits, budget: Budget) -> RawTable:
    if not data or not data.strip():
        return fail(_("The file is empty."))
    if len(data) > limits.max_file_bytes:
        return fail(_('The file is {data} bytes; the limit is {max_file_bytes}.').format(data=f"{len(data):,}", max_file_bytes=f"{limits.max_file_bytes:,}"))
    for magic, what in _NOT_TABLES.items():
        if data.startswith(magic):
            return fail(_('This file is {what}, not a table: upload CSV, TSV, Excel or Parquet.').format(what=what))
    from core.ingest.parquet import read_parquet
    from core.ingest.workbook import XLS_MAGIC, read_xls, read_xlsx

    try:
        if data[:4] == b"PK\x03\x04":
            return read_xlsx(data, limits, budget)
        if data[:8] == XLS_MAGIC:
            return read_xls(data, limits, budget)
        if data[:4] == b"PAR1":
            return read_parquet(data, limits, budget)
        return _read_text(data, limits, budget)
    except OverBudget:
        return fail(_('Reading the file took more than {max_read_cpu_seconds} seconds of computing time, the limit for one upload: it is too large or too complex. Remove what the analysis does not need (other sheets, unused columns, formatting) or save the table as CSV (UTF-8), which reads fastest.').format(max_read_cpu_seconds=f"{limits.max_read_cpu_seconds:g}"))
    except MemoryError:
        return fail(_("The file is too large to read in memory."))
    except Exception as exc:  # a reader library choked: say so in one sentence
        kind = filename.rsplit(".", 1)[-1] if "." in filename else "file"
        return fail(_('The {kind} file could not be read ({value}: {exc}).').format(kind=kind, value=type(exc).__name__, exc=exc))


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


def _read_text(data: bytes, limits: Limits, budget: Budget) -> RawTable:
    text, encoding = _decode(data)
    table = RawTable(kind="csv", encoding=encoding)
    if "\x00" in text or sum(ch < " " and ch not in "\t\r\n" for ch in text[:2000]) > 20:
        return fail(_("This is not a table file (CSV, TSV, Excel or Parquet)."), table)
    n_lines = text.count("\n") + 1
    if n_lines > limits.max_rows + 100:
        return fail(_('The file has {n_lines} lines; the limit is {max_rows} rows.').format(n_lines=f"{n_lines:,}", max_rows=f"{limits.max_rows:,}"),
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
    hdr = header_index(nonempty)
    width = len(parsed[hdr]) if hdr < len(parsed) else 1
    if width > limits.max_columns:
        return fail(_('The table has {width} columns; the limit is {max_columns}.').format(width=f"{width:,}", max_columns=f"{limits.max_columns:,}"),
                    table)
    if (too_many := _cells_problem(n_lines, width, limits)) is not None:
        return fail(too_many, table)
    offset = hdr + above  # lines above the header
    kw = dict(sep=delim, header=None, skiprows=hdr, dtype=str, keep_default_na=False,
              na_values=[""], skip_blank_lines=False, engine="c", quotechar='"')
    try:
        grid = _parse_csv(text, kw, width, n_lines, budget)
    except pd.errors.EmptyDataError:
        return fail(_("The file is empty."), table)
    except pd.errors.ParserError:  # rows longer than the header: empty extra cells are fine
        most = 1
        for k, r in enumerate(csv.reader(io.StringIO(text), delimiter=delim)):
            most = max(most, len(r))
            if k % 50_000 == 0:
                budget.check()
        if (too_many := _cells_problem(n_lines, most, limits)) is not None:
            return fail(too_many, table)
        grid = _parse_csv(text, {**kw, "names": range(most)}, most, n_lines, budget)
        extra = grid.iloc[:, width:].notna().any(axis=1).to_numpy()
        if extra.any():
            i = int(np.flatnonzero(extra)[0])
            n = int(grid.iloc[i].notna().to_numpy().nonzero()[0].max()) + 1
            row = offset + i + 1
            return fail(_('Row {row} has {n} cells but the header has {width}: check for a stray delimiter or an unquoted comma.').format(row=row, n=n, width=width), table, row=row)
        grid = grid.iloc[:, :width]
    # empty cells are NaN; cells are stripped where they are converted
    long_cell = len(text) > limits.max_cell_chars and max(map(len, text.splitlines())) > \
        limits.max_cell_chars
    budget.check()
    return finish(table, [(None, grid, offset + 1)], limits, header_found=True,
                  check_cells=long_cell, budget=budget)


def _cells_problem(n_lines: int, width: int, limits: Limits) -> str | None:
    """The grid the parser would allocate (short rows are padded to the header's width)."""
    if n_lines * width <= limits.max_cells:
        return None
    return (_('The table has {n_lines} lines of {width} columns ({value} cells); the limit is {max_cells} cells.').format(n_lines=f"{n_lines:,}", width=f"{width:,}", value=f"{n_lines * width:,}", max_cells=f"{limits.max_cells:,}"))


def _parse_csv(text: str, kw: dict, width: int, n_lines: int, budget: Budget) -> pd.DataFrame:
    """``pd.read_csv`` in pieces of about a million cells, the CPU budget checked after each
    (with the share of the lines read, so a file too big for the budget stops early)."""
    chunks, done = [], 0
    rows = max(1_000, 1_000_000 // max(width, 1))
    since = time.thread_time()
    with pd.read_csv(io.StringIO(text), chunksize=rows, **kw) as reader:
        for chunk in reader:
            chunks.append(chunk)
            done += len(chunk)
            budget.check(done=done / n_lines, since=since)
    if len(chunks) == 1:
        return chunks[0]
    return pd.concat(chunks, ignore_index=True) if chunks else pd.DataFrame()
