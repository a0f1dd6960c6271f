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

import numpy as np
import pandas as pd

from core.ingest.table import Limits, RawTable, Sheet, fail, finish, header_index

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
    """Read ``data`` (the file's bytes) into a :class:`RawTable`; never raises for bad input."""
    limits = limits or Limits()
    if not data or not data.strip():
        return fail("The file is empty.")
    if len(data) > limits.max_file_bytes:
        return fail(f"The file is {len(data):,} bytes; the limit is {limits.max_file_bytes:,}.")
    for magic, what in _NOT_TABLES.items():
        if data.startswith(magic):
            return fail(f"This file is {what}, not a table: upload CSV, TSV, Excel or Parquet.")
    from core.ingest.parquet import read_parquet
    from core.ingest.workbook import XLS_MAGIC, read_xls, read_xlsx

    try:
        if data[:4] == b"PK\x03\x04":
            return read_xlsx(data, limits)
        if data[:8] == XLS_MAGIC:
            return read_xls(data, limits)
        if data[:4] == b"PAR1":
            return read_parquet(data, limits)
        return _read_text(data, limits)
    except MemoryError:
        return fail("The file is too large to read in memory.")
    except Exception as exc:  # a reader library choked: say so in one sentence
        kind = filename.rsplit(".", 1)[-1] if "." in filename else "file"
        return fail(f"The {kind} file could not be read ({type(exc).__name__}: {exc}).")


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


def _read_text(data: bytes, limits: Limits) -> RawTable:
    text, encoding = _decode(data)
    table = RawTable(kind="csv", encoding=encoding)
    if "\x00" in text or sum(ch < " " and ch not in "\t\r\n" for ch in text[:2000]) > 20:
        return fail("This is not a table file (CSV, TSV, Excel or Parquet).", table)
    n_lines = text.count("\n") + 1
    if n_lines > limits.max_rows + 100:
        return fail(f"The file has {n_lines:,} lines; the limit is {limits.max_rows:,} rows.",
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
    if hdr < len(parsed) and len(parsed[hdr]) > limits.max_columns:
        return fail(f"The table has {len(parsed[hdr]):,} columns; the limit is "
                    f"{limits.max_columns:,}.", table)
    offset = hdr + above  # lines above the header
    kw = dict(sep=delim, header=None, skiprows=hdr, dtype=str, keep_default_na=False,
              na_values=[""], skip_blank_lines=False, engine="c", quotechar='"')
    try:
        grid = pd.read_csv(io.StringIO(text), **kw)
    except pd.errors.EmptyDataError:
        return fail("The file is empty.", table)
    except pd.errors.ParserError:  # rows longer than the header: empty extra cells are fine
        width = len(parsed[hdr]) if hdr < len(parsed) else 1
        most = max((len(r) for r in csv.reader(io.StringIO(text), delimiter=delim)), default=1)
        grid = pd.read_csv(io.StringIO(text), names=range(most), **kw)
        extra = grid.iloc[:, width:].notna().any(axis=1).to_numpy()
        if extra.any():
            i = int(np.flatnonzero(extra)[0])
            n = int(grid.iloc[i].notna().to_numpy().nonzero()[0].max()) + 1
            row = offset + i + 1
            return fail(f"Row {row} has {n} cells but the header has {width}: check for a "
                        "stray delimiter or an unquoted comma.", table, row=row)
        grid = grid.iloc[:, :width]
    # empty cells are NaN; cells are stripped where they are converted
    long_cell = len(text) > limits.max_cell_chars and max(map(len, text.splitlines())) > \
        limits.max_cell_chars
    return finish(table, [(None, grid, offset + 1)], limits, header_found=True,
                  check_cells=long_cell)
