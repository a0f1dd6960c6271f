"""The tables a reader hands on: :class:`Limits`, :class:`Sheet`, :class:`RawTable`, and the
step every reader ends with (:func:`finish`: header row, column names, notes, sizes).

Cells are text (``str`` or None); :func:`cell_text` is the one way a typed cell (a number,
a date, a boolean from a workbook or a Parquet file) becomes that text.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from core.model.i18n import gettext as _
from core.model.schema import Issue


@dataclass(frozen=True)
class Limits:
    """Largest input accepted; anything bigger is refused with one clear error.

    Defaults: 200 MB file, 2,000,000 rows, 5,000 columns, 50,000,000 cells (rows x
    columns), 10,000 characters per cell in an analysed column (longer cells elsewhere are
    cut, with a warning), 500 MB decompressed (measured while unpacking an xlsx, and the
    text its shared strings expand to), 5 s of CPU time to read the file
    (``max_read_cpu_seconds``: the reader stops and refuses the file when it is used up).
    Formatted but empty rows and columns count toward none of these.
    """

    max_file_bytes: int = 200_000_000
    max_rows: int = 2_000_000
    max_columns: int = 5_000
    max_cell_chars: int = 10_000
    max_decompressed_bytes: int = 500_000_000
    max_cells: int = 50_000_000
    max_read_cpu_seconds: float = 5.0


class OverBudget(Exception):  # noqa: N818 (a condition, not a bug)
    """The reading step used up ``Limits.max_read_cpu_seconds`` of CPU time."""


class Budget:
    """CPU seconds of the calling thread spent reading one upload, checked at checkpoints.

    ``check`` raises :class:`OverBudget` once ``seconds - MARGIN_S`` are used: the checkpoints
    are at most ~0.1 s apart, so the refusal itself stays within ``seconds``. Thread time,
    not process time, so other sessions of the same server do not count. A step that knows
    how much of its work is done (``done``, a fraction, of the work begun at ``since``) is
    stopped as soon as its pace shows it cannot finish in time.
    """

    MARGIN_S = 0.5

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.start = time.thread_time()
        self.stop_at = self.start + max(seconds - self.MARGIN_S, 0.0)

    def check(self, done: float | None = None, since: float | None = None) -> None:
        now = time.thread_time()
        if now > self.stop_at:
            raise OverBudget
        if done is not None and done >= 0.02:
            begun = self.start if since is None else since
            if begun + (now - begun) / done > self.stop_at:
                raise OverBudget


@dataclass
class Sheet:
    """One table: text cells (``str`` or None) under the user's headers.

    ``rows`` holds the 1-based row number of each frame row as the user sees it in the file.
    ``numbers``: for columns stored as numbers (Parquet), the exact values behind their text,
    so the loader need not parse the text back (``float(text)`` gives the same double).
    ``long_cells``: columns with cells over ``Limits.max_cell_chars`` -> (how many cells,
    row of the longest, its length); the loader refuses them in an analysed column and cuts
    them elsewhere.
    """

    name: str | None
    frame: pd.DataFrame
    rows: np.ndarray
    numbers: dict[str, np.ndarray] = field(default_factory=dict)
    long_cells: dict[str, tuple[int, int, int]] = field(default_factory=dict)


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


def fail(message: str, table: RawTable | None = None, **kw) -> RawTable:
    """``table`` (or a new one) refused with one error sentence and no sheets."""
    table = table or RawTable()
    table.issues.append(Issue("error", message, **kw))
    table.sheets = []
    return table


def header_index(nonempty: list[int]) -> int:
    """First row that is as full as a header: skips title rows above the table."""
    top = max(nonempty, default=0)
    need = max(min(2, top), int(np.ceil(top * 0.5)))
    return next((i for i, n in enumerate(nonempty) if n >= need and n > 0), 0)


def cell_text(v: object) -> str | None:
    """The text of one typed cell: integral numbers without '.0', midnight datetimes as dates."""
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


def column_text(s: pd.Series) -> np.ndarray:
    """:func:`cell_text` of every cell of a typed column, vectorised by dtype (same text)."""
    if isinstance(s.dtype, pd.CategoricalDtype):  # Parquet text read as a dictionary
        text = np.array([cell_text(u) for u in s.cat.categories] + [None], dtype=object)
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
        return s.astype(object).map(cell_text).to_numpy(dtype=object)
    text = np.array([cell_text(u) for u in uniques] + [None], dtype=object)
    return text[codes]  # code -1 (missing) picks the trailing None


def finish(table: RawTable, grids: list, limits: Limits, header_found: bool = False,
           check_cells: bool = True, numbers: dict[int, np.ndarray] | None = None,
           filled: np.ndarray | None = None, budget: Budget | None = None) -> RawTable:
    """Each ``(name, grid, first_row)`` as a :class:`Sheet` of ``table``; none if one fails.

    ``first_row``: the file row of the grid's first row, or the file row of every grid row
    (a workbook reader that skipped formatted but empty rows).
    """
    for name, grid, first_row in grids:
        sheet = to_sheet(name, grid, first_row, limits, table.issues, header_found,
                         check_cells, numbers, filled, budget)
        if sheet is None:
            table.sheets = []
            return table
        table.sheets.append(sheet)
    return table


def to_sheet(name: str | None, grid: pd.DataFrame, first_row: int | np.ndarray, limits: Limits,
             issues: list[Issue], header_found: bool, check_cells: bool = True,
             numbers: dict[int, np.ndarray] | None = None,
             filled: np.ndarray | None = None, budget: Budget | None = None) -> Sheet | None:
    """Header row, unique column names, notes below the table dropped, sizes checked."""
    where = _(" in sheet '{name}'").format(name=name) if name else ""
    grid = grid.copy(deep=False)  # new labels only: the cells are not copied
    grid.index = pd.RangeIndex(len(grid))
    grid.columns = range(grid.shape[1])
    if grid.shape[1] > limits.max_columns:
        issues.append(Issue("error", _('The table{where} has {value} columns; the limit is {max_columns}.').format(where=where, value=f"{grid.shape[1]:,}", max_columns=f"{limits.max_columns:,}"), sheet=name))
        return None
    # cell j of row i is filled: one numpy matrix, reused for every check below (Parquet:
    # already known from the typed columns)
    if filled is None:
        filled = np.column_stack([pd.notna(grid[j].to_numpy()) for j in grid.columns]) \
            if grid.shape[1] else np.zeros((len(grid), 0), dtype=bool)
    hdr = 0 if header_found else header_index(filled[:60].sum(axis=1).tolist())
    if not filled.any():
        issues.append(Issue("error", _('No table found{where}: the sheet is empty.').format(where=where), sheet=name))
        return None
    header = [("" if pd.isna(v) else str(v).strip()) for v in grid.iloc[hdr]]
    body = grid.iloc[hdr + 1:]
    numbers_of_rows = (np.arange(len(grid)) + first_row if isinstance(first_row, int)
                       else np.asarray(first_row, dtype=np.int64))
    rows = numbers_of_rows[hdr + 1:]
    keep_cols = [j for j, h in enumerate(header) if h or filled[hdr + 1:, j].any()]
    if len(keep_cols) < grid.shape[1]:
        body = body[keep_cols]
    else:
        body = body.copy(deep=False)
    names, seen = [], {}
    for j in keep_cols:
        h = header[j] or f"Column {j + 1}"
        if not header[j]:
            issues.append(Issue("warning", _("Column {value}{where} has values but no header; it is called '{h}'.").format(value=j + 1, where=where, h=h), sheet=name, column=h))
        if h in seen:
            seen[h] += 1
            new = f"{h} ({seen[h]})"
            issues.append(Issue("warning", _("The header '{h}' appears twice{where}; the second is called '{new}'.").format(h=h, where=where, new=new), sheet=name, column=new))
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
                issues.append(Issue("warning", _('{n} line(s) below the table{where} (from row {value}) look like notes and were ignored.').format(n=int(notes.sum()), where=where, value=int(rows[notes][0])), sheet=name, row=int(rows[notes][0])))
                keep &= ~notes
    if not keep.all():
        body, rows = body[keep], rows[keep]
    body.index = pd.RangeIndex(len(body))
    if len(body) > limits.max_rows:
        issues.append(Issue("error", _('The table{where} has {body} rows; the limit is {max_rows}.').format(where=where, body=f"{len(body):,}", max_rows=f"{limits.max_rows:,}"), sheet=name))
        return None
    long_cells = {}
    for col in body.columns if check_cells else ():
        if budget is not None:
            budget.check()
        cells = body[col].to_numpy(dtype=object)
        text = cells[pd.notna(cells)]
        if max(map(len, text), default=0) <= limits.max_cell_chars:  # the usual case: fast
            continue
        lengths = body[col].str.len().to_numpy(dtype=float)
        i = int(np.nanargmax(lengths))
        long_cells[col] = (int(np.sum(lengths > limits.max_cell_chars)), int(rows[i]),
                           int(lengths[i]))
    if body.empty:
        issues.append(Issue("error", _('The table{where} has a header row but no data rows.').format(where=where),
                            sheet=name, row=int(numbers_of_rows[hdr])))
        return None
    known = {}
    if numbers and hdr == 0:  # values of grid column j for every row below the header
        known = {names[i]: numbers[j][keep] if not keep.all() else numbers[j]
                 for i, j in enumerate(keep_cols) if j in numbers}
    return Sheet(name, body, rows.astype(int), known, long_cells)
