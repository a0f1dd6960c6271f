"""Deterministic generator of the hostile-file corpus, built in memory.

``corpus()`` returns one :class:`Case` per file. Each case states what must happen:

- ``expect="refuse"``: loading gives at least one error Issue whose text matches
  ``must_mention`` (the one sentence a clinician reads; the CLI's one stderr line matches it
  too). Nothing raises.
- ``expect="load"``: no error; the cohort has the stated numbers; when ``must_mention`` is
  set, a warning matches it. The default analyses run without an exception.

``basis`` says where the expectation comes from: ``contract`` (data-contract / clinical
rules say so), ``issue`` (the hostile-files issue says so) or ``judgement`` (the contract is
silent; this is the behaviour we chose, listed in the report for the lead).

Run ``python tests/hostile/make_corpus.py OUTDIR`` to write the files out for a manual look.
"""

from __future__ import annotations

import functools
import io
import sys
import zipfile
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make the package importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    __package__ = "hostile"  # noqa: A001

from . import base as B  # noqa: E402
from . import builders as X  # noqa: E402
from .case import (  # noqa: E402
    EMPTY,
    ENCRYPTED,
    PNG,
    TOO_BIG,
    UNREADABLE,
    Case,
    csv_base,
    loads,
    refuses,
    with_change,
)
from .cases_more import more_cases  # noqa: E402
from .cases_odd import bomb_cases, odd_cases  # noqa: E402


def unreadable_cases() -> list[Case]:
    good_xlsx = X.xlsx({"Cohort": [list(B.LONG_HEADER)] + B.table(B.long_rows())[1]})
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        info = zipfile.ZipInfo("hello.txt", date_time=X.ZIP_TIME)
        zf.writestr(info, "not a workbook")
    return [
        refuses("empty_csv", "cohort.csv", b"", EMPTY, "empty"),
        refuses("empty_xlsx", "cohort.xlsx", b"", EMPTY, "empty"),
        refuses("blank_lines_csv", "cohort.csv", b"\r\n\n   \n\t\n", EMPTY, "empty"),
        refuses("header_only_csv", "cohort.csv", (",".join(B.LONG_HEADER) + "\n").encode(),
                EMPTY, "empty"),
        refuses("header_only_xlsx", "cohort.xlsx", X.xlsx({"Cohort": [list(B.LONG_HEADER)]}),
                EMPTY, "empty"),
        refuses("png_as_csv", "cohort.csv", PNG, UNREADABLE, "binary", basis="issue"),
        refuses("png_as_xlsx", "cohort.xlsx", PNG, UNREADABLE, "binary", basis="issue"),
        refuses("pdf_upload", "cohort.pdf", b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n",
                UNREADABLE + r"|not supported|file type|format", "unsupported"),
        refuses("truncated_xlsx", "cohort.xlsx", good_xlsx[: len(good_xlsx) // 2], UNREADABLE,
                "corrupt_xlsx", basis="issue"),
        refuses("xlsx_bad_crc", "cohort.xlsx",
                X.corrupt_member(good_xlsx, "xl/worksheets/sheet1.xml"), UNREADABLE,
                "corrupt_xlsx", basis="issue"),
        refuses("zip_without_workbook", "cohort.xlsx", buf.getvalue(), UNREADABLE,
                "corrupt_xlsx", basis="issue"),
        loads("xlsx_size_lie", "cohort.xlsx",
              X.patch_declared_size(good_xlsx, "xl/worksheets/sheet1.xml", 0xFFFF0000),
              "corrupt_xlsx", ids=B.IDS, basis="issue",
              note="declares a 4 GB sheet: a hint; the size is measured while unpacking, and "
                   "the small content loads"),
        refuses("parquet_corrupt", "cohort.parquet", b"PAR1" + bytes(range(200)) + b"PAR1",
                UNREADABLE, "binary", basis="issue"),
    ]


def huge_cases() -> list[Case]:
    rows = [list(B.LONG_HEADER)] + B.table(B.long_rows())[1]
    declared = X.sheet_xml(rows, dimension="A1:XFD1048576")
    far_row = X.sheet_xml(rows, dimension="A1:N5000000",
                          tail='<row r="5000000"><c r="A5000000"><v>1</v></c></row>')
    wide_header = list(B.LONG_HEADER) + [f"extra_{i}" for i in range(10_000 - len(B.LONG_HEADER))]
    wide_body = [r + [""] * (10_000 - len(r)) for r in B.table(B.long_rows())[1]]
    long_cell = with_change(B.long_rows(), 2, response="NR" + "x" * 1_048_576)
    return [
        loads("xlsx_dimension_xfd", "cohort.xlsx", X.xlsx({"Cohort": declared}), "huge_xlsx",
              ids=B.IDS, basis="issue",
              note="declares A1:XFD1048576 (17 billion cells) around a small table: the "
                   "declaration is a hint; the cells are read"),
        refuses("xlsx_rows_declared", "cohort.xlsx", X.xlsx({"Cohort": far_row}), TOO_BIG,
                "huge_xlsx", basis="issue",
                note="a value in row 5,000,000, past the last row Excel has (1,048,576): refused "
                     "from the cell, not from the declared dimension"),
        loads("xlsx_dimension_understated", "cohort.xlsx",
              X.xlsx({"Cohort": X.sheet_xml(rows, dimension="A1")}), "corrupt_xlsx",
              ids=B.IDS, basis="judgement",
              note="some writers declare A1 for any sheet: read the rows, not the declaration"),
        refuses("xlsx_zip_bomb", "cohort.xlsx", X.xlsx_zip_bomb(), TOO_BIG, "huge_xlsx",
                basis="issue",
                note="6 million rows, ~300 MB inflated from <1 MB, no <dimension>: refused by a "
                     "cheap count or the compression ratio, not by parsing 2 million rows"),
        refuses("ten_thousand_columns", "cohort.csv",
                X.delimited(wide_header, wide_body).encode(),
                r"column.*(too many|exceed|limit|maximum|at most)|(too many|more than|"
                r"exceed|limit|maximum|at most).*column", "too_many_columns", basis="judgement",
                note="the column limit (default well under 10,000) is refused with its number"),
        refuses("one_mb_cell", "cohort.csv", csv_base(long_cell).encode(),
                r"characters|too long", "long_cell", basis="judgement",
                note="a sentence about the cell's length (the cell limit, default 10,000 "
                     "characters), not the csv module's 'field larger than field limit'"),
        refuses("encrypted_xlsx", "cohort.xlsx", X.encrypted_office_file(), ENCRYPTED,
                "encrypted", basis="issue"),
        refuses("encrypted_as_xls", "cohort.xls", X.encrypted_office_file(), ENCRYPTED,
                "encrypted", basis="issue"),
    ]


def xml_attack_cases() -> list[Case]:
    laughs = (
        '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lololololololololol">'
        + "".join(f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">'
                  for i in range(1, 10))
        + ']><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        '<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>&lol9;</t></is></c></row>'
        "</sheetData></worksheet>"
    )
    xxe = (
        '<?xml version="1.0"?><!DOCTYPE ws [<!ENTITY xxe SYSTEM "file:///etc/hostname">]>'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        '<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>patient_id</t></is></c>'
        '<c r="B1" t="inlineStr"><is><t>month</t></is></c></row><row r="2">'
        '<c r="A2" t="inlineStr"><is><t>&xxe;</t></is></c><c r="B2"><v>0</v></c></row>'
        "</sheetData></worksheet>"
    )
    mention = UNREADABLE + "|" + TOO_BIG + r"|entit|DTD|doctype"
    return [
        refuses("xlsx_billion_laughs", "cohort.xlsx", X.xlsx({"Cohort": laughs}), mention,
                "corrupt_xlsx", basis="judgement",
                note="entity expansion: refused, never expanded (DTDs have no place in xlsx)"),
        refuses("xlsx_external_entity", "cohort.xlsx", X.xlsx({"Cohort": xxe}), mention,
                "corrupt_xlsx", basis="judgement",
                note="an external entity must never pull a server file into the cohort"),
    ]


@functools.lru_cache(maxsize=1)
def corpus() -> tuple[Case, ...]:
    """Every hostile case, in a fixed order (names are unique)."""
    cases = [*unreadable_cases(), *huge_cases(), *xml_attack_cases(), *more_cases(),
             *odd_cases(), *bomb_cases()]
    names = [c.name for c in cases]
    assert len(names) == len(set(names)), "duplicate case names"
    return tuple(cases)


def by_name(name: str) -> Case:
    return next(c for c in corpus() if c.name == name)


if __name__ == "__main__":
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "hostile_out")
    out.mkdir(parents=True, exist_ok=True)
    for case in corpus():
        (out / f"{case.name}__{case.filename}").write_bytes(case.data)
        if case.mapping is not None:
            (out / f"{case.name}__mapping.json").write_text(case.mapping_text or "")
    print(f"{len(corpus())} cases written to {out}")
