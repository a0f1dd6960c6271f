"""Formula-safe table files: CSV and XLSX at full precision.

A spreadsheet treats a text cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a
carriage return as a formula (CSV injection, OWASP). Group labels, pass-through columns and
file names come from users' files, so every text cell and header written to CSV, XLSX or
Word goes through :func:`safe_cell`, which prefixes such text with a single quote (OWASP's
advice). Numbers stay numbers, and text that *is* a number (``"-1.5"``) is left alone.

Encoding choice (CSV): UTF-8 **with** a byte-order mark. Excel on Windows opens a CSV without
a BOM in the system code page (CP949 on Korean systems), which garbles Hangul labels; with a
BOM it reads UTF-8. pandas (``read_csv``) and readr skip the BOM; in base R use
``read.csv(file, fileEncoding = "UTF-8-BOM")``.

Precision: CSV floats are written with Python's shortest round-trip ``repr`` (no rounding).
XLSX numbers carry 16 significant digits (openpyxl's writer; Excel itself shows 15), NaN is an
empty cell and +/-inf the text ``Inf`` / ``-Inf`` (xlsx has no infinite number).
"""

from __future__ import annotations

import io
import math
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from core.report.export.csv_text import csv_text

if TYPE_CHECKING:
    from openpyxl import Workbook

FORMULA_TRIGGERS: tuple[str, ...] = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
_SHEET_BAD = re.compile(r"[\[\]:*?/\\]")
SHEET_MAX = 31


def is_number_text(text: str) -> bool:
    """True when ``text`` is a plain decimal number such as ``-1.5`` or ``+2e-3``."""
    return bool(_NUMBER.match(text.strip(" ")))


def safe_text(text: str) -> str:
    """Neutralise one text value: a leading formula trigger gets a ``'`` prefix."""
    if text.startswith(FORMULA_TRIGGERS) and not is_number_text(text):
        return "'" + text
    return text


def safe_cell(value: Any) -> Any:
    """Neutralise a cell value for a spreadsheet: text is made formula-safe, every other
    value (numbers, booleans, missing) is returned unchanged."""
    if isinstance(value, str):
        return safe_text(value)
    return value


def _safe_series(s: pd.Series) -> pd.Series:
    """Formula-safe text cells of one column; non-text columns are returned as they are."""
    if not (
        pd.api.types.is_object_dtype(s)
        or pd.api.types.is_string_dtype(s)
        or isinstance(s.dtype, pd.CategoricalDtype)
    ):
        return s
    obj = s.astype(object)
    try:  # each distinct value once (patient-level tables repeat labels a million times)
        codes, uniques = pd.factorize(obj, use_na_sentinel=True)
    except TypeError:  # unhashable cells: look at every cell
        codes, uniques = np.arange(len(obj)), obj.to_numpy()
    risky = np.fromiter(
        (isinstance(u, str) and u.startswith(FORMULA_TRIGGERS) for u in uniques),
        dtype=bool,
        count=len(uniques),
    )
    if not risky.any():
        return obj
    cells = risky[codes] & (codes >= 0)
    fixed = obj.copy()
    fixed[cells] = obj[cells].map(safe_text)
    return fixed


def safe_frame(df: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``df`` whose text cells and column names are formula-safe.

    Only object/string/category columns are touched (vectorised per column: only cells
    starting with a trigger are examined one by one); numeric columns keep dtype and values.
    """
    columns = {i: _safe_series(df.iloc[:, i]) for i in range(df.shape[1])}
    out = pd.DataFrame(columns, index=df.index)
    out.columns = [safe_text(str(c)) for c in df.columns]
    return out


def table_to_csv_bytes(df: pd.DataFrame) -> bytes:
    """One table as CSV bytes: UTF-8 with BOM, comma, CRLF rows (RFC 4180, so a CR or LF inside
    a cell is quoted), header row, no index, full precision
    (shortest round-trip float text), missing values empty, text formula-safe."""
    return csv_text(safe_frame(df)).encode("utf-8-sig")


def sheet_name(name: str, taken: set[str] | None = None) -> str:
    """A valid, unique Excel sheet name (<= 31 characters, none of ``[]:*?/\\``)."""
    base = _SHEET_BAD.sub("_", name).strip("'") or "sheet"
    base = base[:SHEET_MAX]
    taken = taken if taken is not None else set()
    candidate, k = base, 1
    while candidate.lower() in {t.lower() for t in taken}:
        k += 1
        suffix = f"~{k}"
        candidate = base[: SHEET_MAX - len(suffix)] + suffix
    taken.add(candidate)
    return candidate


def _xlsx_value(value: Any) -> Any:
    """A cell value openpyxl writes faithfully (numpy scalars unwrapped, NaN empty)."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float):
        if math.isnan(value):
            return None
        if math.isinf(value):
            return "Inf" if value > 0 else "-Inf"
        return value
    if isinstance(value, (bool, int)):
        return value
    if isinstance(value, str):
        return safe_text(value)
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    return safe_text(str(value))


def _append_frame(wb: Workbook, df: pd.DataFrame, name: str) -> None:
    ws = wb.create_sheet(name)
    ws.append([safe_text(str(c)) for c in df.columns])
    for row in df.itertuples(index=False, name=None):
        ws.append([_xlsx_value(v) for v in row])


def _readme_rows(readme: Mapping[str, Any] | None, names: Mapping[str, str]) -> list[list]:
    rows: list[list] = [["item", "value"]]
    for key, value in (readme or {}).items():
        rows.append(
            [
                safe_text(str(key)),
                _xlsx_value(value if isinstance(value, (int, float)) else str(value)),
            ]
        )
    rows.append(["", ""])
    rows.append(["sheet", "table"])
    rows.extend([[sheet, safe_text(table)] for table, sheet in names.items()])
    return rows


def tables_to_xlsx_bytes(
    tables: Mapping[str, pd.DataFrame], readme: Mapping[str, Any] | None = None
) -> bytes:
    """Many tables as one workbook.

    Parameters
    ----------
    tables
        Table name -> DataFrame, one sheet each (names made valid: <= 31 characters,
        unique, no ``[]:*?/\\``).
    readme
        Items for the first sheet ``README`` (e.g. settings, filters, source file); the
        sheet-to-table index is appended.

    Returns
    -------
    bytes
        The .xlsx: numbers as numbers (16 significant digits), text formula-safe.
    """
    from openpyxl import Workbook  # only when a workbook is written

    wb = Workbook(write_only=True)
    taken: set[str] = {"README"}
    names = {table: sheet_name(table, taken) for table in tables}
    readme_ws = wb.create_sheet("README")
    for row in _readme_rows(readme, names):
        readme_ws.append(row)
    for table, df in tables.items():
        _append_frame(wb, df, names[table])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def table_to_xlsx_bytes(df: pd.DataFrame, sheet: str = "table") -> bytes:
    """One table as a one-sheet workbook (no README), full precision, formula-safe."""
    from openpyxl import Workbook  # only when a workbook is written

    wb = Workbook(write_only=True)
    _append_frame(wb, df, sheet_name(sheet))
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
