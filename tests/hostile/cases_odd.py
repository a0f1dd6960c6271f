"""Hostile cases for odd but fine files and for bounded work per upload (issue 11, points 5, 6).

Odd but fine (``odd_cases``): what a file declares is a hint, never a decision; formatting
without values is skipped; spreadsheet errors and "not done" markers are missing values with
a warning; an over-long cell in a column that is not analysed is cut with a warning.
Bounded work (``bomb_cases``): every file is read or refused within the CPU budget
(``Limits.max_read_cpu_seconds``, 5 s), bombs from what their bytes really inflate to.
"""

from __future__ import annotations

import io
import re

from . import base as B
from . import builders as X
from .case import TOO_BIG, UNREADABLE, Case, csv_base, loads, refuses, with_change

FORMATTED = r"formatted but empty"
ERRORS = r"spreadsheet errors"
NOT_DONE = r"not done"
CUT = r"cut to 10,000 characters"
BUDGET = r"seconds of computing time"
NAN = float("nan")
ALL6 = ((6.0, "All", 6, 2, 4), (12.0, "All", 6, 3, 4))
# (row index in base.long_rows(), column, marker): PT02, PT03, PT04, PT05 at month 6
ERROR_CELLS = ((4, "upcr", "#DIV/0!"), (7, "c3", "#REF!"), (10, "albumin", "#VALUE!"),
               (13, "creatinine", "#N/A"))
NOT_DONE_CELLS = ((4, "c3", "검사안함"), (7, "c4", "not done"), (11, "albumin", "ND"))


def _cohort() -> list[list]:
    header, body = B.table(B.long_rows())
    return [header, *body]


def _ref(index: int, column: str) -> str:
    """Spreadsheet reference of a base row's cell (header in row 1)."""
    return f"{X.col_letter(B.LONG_HEADER.index(column))}{index + 2}"


def _missing(cells) -> tuple[tuple[str, float, str, object], ...]:
    rows = B.long_rows()
    return tuple((rows[i]["patient_id"], float(rows[i]["month"]), col, NAN) for i, col, _ in cells)


def _marked(cells) -> bytes:
    rows = B.long_rows()
    for i, col, text in cells:
        rows = with_change(rows, i, **{col: text})
    return csv_base(rows).encode()


def _set_cell(xml: str, ref: str, cell: str) -> str:
    return re.sub(rf'<c r="{ref}"[^>]*>.*?</c>', cell, xml, count=1)


def _shared_sheet(rows: list[list]) -> tuple[str, list[str]]:
    """Sheet XML whose text cells are shared strings (as Excel writes them), and the strings."""
    strings: list[str] = []
    index: dict[str, int] = {}
    body = []
    for r, row in enumerate(rows, start=1):
        cells = []
        for c, v in enumerate(row):
            ref = f"{X.col_letter(c)}{r}"
            if isinstance(v, str):
                index.setdefault(v, len(strings))
                if index[v] == len(strings):
                    strings.append(v)
                cells.append(X.shared_cell(ref, index[v]))
            elif v is not None:
                cells.append(f'<c r="{ref}"><v>{v!r}</v></c>')
        body.append(f'<row r="{r}">{"".join(cells)}</row>')
    return f"{X.SHEET_HEAD}<sheetData>{''.join(body)}</sheetData></worksheet>", strings


def odd_cases() -> list[Case]:
    rows = _cohort()
    shared, strings = _shared_sheet(rows)
    wrong_counts = X.with_shared_strings(
        X.xlsx({"Cohort": shared}), X.shared_strings_xml(strings, count=4_000_000_000, unique=3))
    styled = "".join(f'<c r="{X.col_letter(c)}1" s="1"/>' for c in range(len(rows[0]), 16_384))
    below = "".join(f'<row r="{r}" s="1" customFormat="1" ht="15"/>'
                    for r in range(len(rows) + 1, len(rows) + 50_001))
    formatted = X.sheet_xml(rows, dimension="A1:XFD1048576", tail=below).replace(
        "</row>", styled + "</row>", 1)
    noted = [dict(r, note="seen") for r in B.long_rows()]
    noted[4]["note"] = "x" * 1_048_576
    errors = X.sheet_xml(rows)
    for i, col, text in ERROR_CELLS:
        ref = _ref(i, col)
        errors = _set_cell(errors, ref, f'<c r="{ref}" t="e"><v>{text}</v></c>')
    ldh = _ref(17, "ldh")  # PT06 month 12: a date style on a serial no date can have
    warned = _set_cell(X.sheet_xml(rows), ldh, f'<c r="{ldh}" s="1"><v>1000000000</v></c>')
    warned = warned.replace("</sheetData>", "</sheetData><extLst><ext uri="
                            '"{CCE6A557-97BC-4b89-ADB6-D9C93CAAB3DF}" xmlns:x14="http://schemas.'
                            'microsoft.com/office/spreadsheetml/2009/9/main"><x14:dataValidations '
                            'count="0"/></ext></extLst>')
    return [
        loads("xlsx_shared_string_counts_wrong", "cohort.xlsx", wrong_counts, "odd_fine",
              ids=B.IDS, rates=ALL6, basis="issue",
              note="the shared-string table declares 4 billion strings, 3 distinct: counts "
                   "are hints; the strings are read"),
        loads("xlsx_formatted_empty_rows_cols", "cohort.xlsx", X.xlsx({"Cohort": formatted}),
              "odd_fine", warning=FORMATTED, ids=B.IDS, rates=ALL6, basis="issue",
              note="50,000 formatted empty rows below, styled empty cells out to column XFD "
                   "(over the column limit): skipped with one warning, counted toward no limit"),
        loads("long_note_cell", "cohort.csv", csv_base(noted, B.LONG_HEADER + ("note",)).encode(),
              "odd_fine", warning=CUT, ids=B.IDS, basis="issue",
              values=(("PT02", 6.0, "note", "x" * 10_000), ("PT02", 12.0, "note", "seen")),
              note="a 1 MB cell in a column no analysis uses: cut to the cell limit, warned"),
        loads("csv_error_cells", "cohort.csv", _marked(ERROR_CELLS), "odd_fine", warning=ERRORS,
              values=_missing(ERROR_CELLS), rates=ALL6, basis="issue",
              note="#DIV/0!, #REF!, #VALUE!, #N/A: missing, one warning per column with rows"),
        loads("xlsx_error_cells", "cohort.xlsx", X.xlsx({"Cohort": errors}), "odd_fine",
              warning=ERRORS, values=_missing(ERROR_CELLS), rates=ALL6, basis="issue",
              note="error cells as Excel stores them (t=\"e\")"),
        loads("not_done_markers", "cohort.csv", _marked(NOT_DONE_CELLS), "odd_fine",
              warning=NOT_DONE, values=_missing(NOT_DONE_CELLS), rates=ALL6, basis="issue",
              note="검사안함, not done, ND: missing, one warning per column with rows"),
        loads("xlsx_library_warnings", "cohort.xlsx", X.xlsx({"Cohort": warned}), "odd_fine",
              warning=ERRORS, values=(("PT06", 12.0, "ldh", NAN),), rates=ALL6, basis="issue",
              note="openpyxl warns about the data-validation extension and the date serial "
                   "(which it reads as #VALUE!); no warning reaches the terminal"),
    ]


def bomb_cases() -> list[Case]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    cohort = X.xlsx({"Cohort": _cohort()})
    sst_bomb = X.with_shared_strings(
        cohort, X.shared_strings_xml([], count=1, unique=1).replace(
            "</sst>", "<si><t>x</t></si>" * 2_000_000 + "</sst>"))
    cells = "".join(X.shared_cell(f"{X.col_letter(c)}1", 0) for c in range(14))
    rows = "<row>" + '<c t="s"><v>0</v></c>' * 14 + "</row>"
    expanding = X.with_shared_strings(
        X.xlsx({"Cohort": f'{X.SHEET_HEAD}<sheetData><row r="1">{cells}</row>'
                          f"{rows * 60_000}</sheetData></worksheet>"}),
        X.shared_strings_xml(["y" * 9_000]))
    slow = X.xlsx({"Cohort": X.SHEET_HEAD + "<sheetData>"
                   + "<row>" + "".join(f"<c><is><t>c{i}</t></is></c>" for i in range(16))
                   + "</row>" + ("<row>" + "<c><v>1</v></c>" * 16 + "</row>") * 110_000
                   + "</sheetData></worksheet>"})
    padded = ",".join(f"c{i}" for i in range(5_000)) + "\n" + "1\n" * 1_000_000
    zeros = pa.array(bytes(1_900_000), type=pa.int8())
    buf = io.BytesIO()
    pq.write_table(pa.table({f"c{i}": zeros for i in range(30)}), buf)
    return [
        refuses("xlsx_shared_strings_bomb", "cohort.xlsx", sst_bomb, TOO_BIG, "bomb",
                basis="issue", note="2 million shared strings (~36 MB) from ~100 KB, declaring "
                "count 1: refused from the size the part really unpacks to"),
        refuses("xlsx_shared_string_expansion", "cohort.xlsx", expanding, TOO_BIG, "bomb",
                basis="issue", note="one 9,000-character shared string used in 840,000 cells "
                "(7.5 billion characters): refused once the expanded text passes 500 million"),
        refuses("xlsx_size_understated", "cohort.xlsx",
                X.patch_declared_size(cohort, "xl/worksheets/sheet1.xml", 100), UNREADABLE,
                "bomb", basis="issue", note="declares 100 bytes for a larger sheet: the unzip "
                "stops at the declared size and the checksum fails"),
        refuses("csv_padded_columns", "cohort.csv", padded.encode(), TOO_BIG, "bomb",
                basis="issue", note="5,000 headers over a million one-cell lines: the parser "
                "would pad them to 5 billion cells; refused from the count, before parsing"),
        refuses("parquet_cells_bomb", "cohort.parquet", buf.getvalue(), TOO_BIG, "bomb",
                basis="issue", note="57 million cells (1.9 million rows x 30 columns) of zeros "
                "in a few kilobytes: refused from the metadata the decoder itself enforces"),
        refuses("xlsx_slow_to_parse", "cohort.xlsx", slow, BUDGET, "budget", basis="issue",
                note="1.76 million cells under every size limit: refused when the 5 s CPU "
                "budget is used up (openpyxl parses ~100,000 cells a second)"),
    ]
