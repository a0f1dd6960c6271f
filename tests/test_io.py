"""Reading files: formats from the bytes, encodings, delimiters, title rows, notes, limits."""

from __future__ import annotations

import io
import zipfile

import openpyxl
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from core.ingest.io import Limits, read_table

TABLE = [["환자번호", "성별", "알부민"], ["P001", "여", "3,2"], ["P002", "남", "2,9"]]


def _text(rows, delim=",") -> str:
    return "\r\n".join(delim.join(r) for r in rows) + "\r\n"


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "cp949", "euc-kr"])
@pytest.mark.parametrize("delim", [",", ";", "\t", "|"])
def test_encodings_and_delimiters(encoding, delim):
    rows = [[c.replace(",", ".") for c in r] for r in TABLE] if delim == "," else TABLE
    raw = read_table(_text(rows, delim).encode(encoding), "x.txt")
    assert raw.ok, raw.issues
    df = raw.sheets[0].frame
    assert list(df.columns) == ["환자번호", "성별", "알부민"]
    assert df["환자번호"].tolist() == ["P001", "P002"]
    assert df["성별"].tolist() == ["여", "남"]
    assert raw.delimiter == delim


def test_latin1():
    raw = read_table("patient_id;Gène\nPé1;x\n".encode("latin-1"), "x.csv")
    assert raw.encoding == "latin-1"
    assert raw.sheets[0].frame.iloc[0, 0] == "Pé1"


def test_title_row_blank_rows_and_notes_below():
    text = ("Lupus nephritis cohort export 2024;;;\n"
            ";;;\n"
            "patient_id;month;upcr;albumin\n"
            "P1;0;1,5;3,1\n"
            ";;;\n"
            "P1;6;0,5;3,5\n"
            "\n"
            "Note: UPCR in g/g;;;\n"
            "Source: hospital EMR\n")
    raw = read_table(text.encode(), "x.csv")
    assert raw.ok
    sheet = raw.sheets[0]
    assert list(sheet.frame.columns) == ["patient_id", "month", "upcr", "albumin"]
    assert sheet.frame["upcr"].tolist() == ["1,5", "0,5"]  # decimal comma read later, as text
    assert sheet.rows.tolist() == [4, 6]  # spreadsheet rows as the user sees them
    assert any("notes" in i.message and i.row == 8 for i in raw.issues)


def test_ids_and_classes_stay_text():
    raw = read_table(b"patient_id,isn_class,age\n007,4,30\n010,5,41.5\n", "x.csv")
    df = raw.sheets[0].frame
    assert df["patient_id"].tolist() == ["007", "010"]
    assert df["isn_class"].tolist() == ["4", "5"]


def _xlsx(sheets: dict[str, list[list]]) -> bytes:
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for r in rows:
            ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_xlsx_detected_from_content_not_extension():
    data = _xlsx({"Data": [["Title"], [], ["ID", "age"], [7, 30.5], [8, True]]})
    raw = read_table(data, "cohort.csv")  # wrong extension on purpose
    assert raw.kind == "xlsx" and raw.ok
    df = raw.sheets[0].frame
    assert df["ID"].tolist() == ["7", "8"]  # integral numbers as text without '.0'
    assert df["age"].tolist() == ["30.5", "TRUE"]
    assert raw.sheets[0].rows.tolist() == [4, 5]


def test_workbook_patients_and_visits_sheets():
    data = _xlsx({"Patients": [["patient_id", "sex"], ["P1", "F"]],
                  "Visits": [["patient_id", "month"], ["P1", 0], ["P1", 6]]})
    raw = read_table(data, "w.xlsx")
    assert raw.is_workbook
    assert [s.name for s in raw.sheets] == ["Patients", "Visits"]


def test_workbook_picks_the_sheet_with_the_table():
    data = _xlsx({"Readme": [["about this file"]], "Cohort": [["patient_id", "month"], ["P1", 0]]})
    raw = read_table(data, "w.xlsx")
    assert raw.sheets[0].name == "Cohort"


def test_parquet():
    table = pa.table({"patient_id": ["P1", "P2"], "upcr": [1.25, 0.1], "month": [0, 6]})
    buf = io.BytesIO()
    pq.write_table(table, buf)
    raw = read_table(buf.getvalue(), "x.bin")
    assert raw.kind == "parquet"
    df = raw.sheets[0].frame
    assert df["upcr"].tolist() == ["1.25", "0.1"]
    assert df["month"].tolist() == ["0", "6"]


def _declared_huge_xlsx() -> bytes:
    small = _xlsx({"Sheet": [["patient_id"], ["P1"]]})
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(small)) as zin, zipfile.ZipFile(out, "w") as zout:
        for info in zin.infolist():
            data = zin.read(info)
            if info.filename.startswith("xl/worksheets/"):
                data = data.replace(b'<dimension ref="A1:A2"/>',
                                    b'<dimension ref="A1:XFD1048576"/>')
            zout.writestr(info, data)
    return out.getvalue()


@pytest.mark.parametrize(
    ("data", "limits", "words"),
    [
        (b"", Limits(), "empty"),
        (b"patient_id\n" + b"P1\n" * 50, Limits(max_rows=10), "50 rows; the limit is 10"),
        (b"a,b,c\n1,2,3\n", Limits(max_columns=2), "limit is 2"),
        (b"a,b\n1,2\n", Limits(max_file_bytes=5), "limit is 5"),
        (_xlsx({"S": [["a"], [1]]}), Limits(max_decompressed_bytes=100), "unpacks to more than"),
        (b"a,b\n" + b"1\n" * 20, Limits(max_cells=30), "limit is 30 cells"),
        (b"PK\x03\x04" + bytes(100), Limits(), "could not be read"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600), Limits(), "could not be read"),
        (bytes(range(256)) * 4, Limits(), "not a table file"),
    ],
)
def test_refusals_are_one_error(data, limits, words):
    raw = read_table(data, "x.xlsx", limits)
    errors = [i for i in raw.issues if i.severity == "error"]
    assert len(errors) == 1 and words in errors[0].message, raw.issues
    assert raw.sheets == []


def test_stray_delimiter_names_the_row():
    raw = read_table(b"a,b\n1,2\n3,4,5\n", "x.csv")
    assert raw.issues[0].row == 3 and "3 cells" in raw.issues[0].message


def test_headerless_column_with_values_gets_a_name():
    raw = read_table(b"patient_id,,month\nP1,x,0\n", "x.csv")
    assert list(raw.sheets[0].frame.columns) == ["patient_id", "Column 2", "month"]
    assert isinstance(raw.sheets[0].frame, pd.DataFrame)


def test_excel_sep_hint_line():
    raw = read_table(b"sep=;\npatient_id;upcr\nP1;1,5\n", "x.csv")
    assert raw.delimiter == ";" and list(raw.sheets[0].frame.columns) == ["patient_id", "upcr"]


def test_trailing_delimiters_and_row_numbers_after_title():
    raw = read_table(b"sep=,\nCohort export\npatient_id,upcr\nP1,1.5,\nP2,2.5,,\n", "x.csv")
    assert raw.ok and list(raw.sheets[0].frame.columns) == ["patient_id", "upcr"]
    assert raw.sheets[0].rows.tolist() == [4, 5]
    bad = read_table(b"Cohort export\npatient_id,upcr\nP1,1.5\nP2,2.5,7\n", "x.csv")
    assert bad.issues[0].row == 4 and "3 cells but the header has 2" in bad.issues[0].message


def test_declared_dimension_is_a_hint():
    """A sheet declaring A1:XFD1048576 with two cells in it reads as those two cells."""
    raw = read_table(_declared_huge_xlsx(), "x.xlsx", Limits(max_rows=1000))
    assert raw.ok, raw.issues
    assert raw.sheets[0].frame["patient_id"].tolist() == ["P1"]


def test_long_cell_is_recorded_for_the_loader_not_refused():
    raw = read_table(b"a,b\n" + b"x" * 200 + b",1\n", "x.csv", Limits(max_cell_chars=100))
    assert raw.ok, raw.issues
    assert raw.sheets[0].long_cells == {"a": (1, 2, 200)}  # (cells, row of the longest, length)


def test_budget_refuses_with_a_sentence():
    """A file that needs more CPU time than the budget is refused, not read on and on."""
    data = b"a,b\n" + b"1,2\n" * 200_000
    raw = read_table(data, "x.csv", Limits(max_read_cpu_seconds=0.01))
    errors = [i.message for i in raw.issues if i.severity == "error"]
    assert len(errors) == 1 and "seconds of computing time" in errors[0], errors


def test_library_warnings_stay_inside(recwarn):
    """openpyxl warns about a date serial out of range; the user sees an issue, not a warning."""
    data = _xlsx({"S": [["patient_id", "month"], ["P1", 0]]})
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as zin, zipfile.ZipFile(out, "w") as zout:
        for info in zin.infolist():
            part = zin.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":  # B2: a date style, serial 1e9
                part = part.replace(b'<c r="B2" t="n"><v>0</v></c>',
                                    b'<c r="B2" t="n" s="1"><v>1000000000</v></c>')
            if info.filename == "xl/styles.xml":
                part = part.replace(b'<cellXfs count="1">', b'<cellXfs count="2">').replace(
                    b"</cellXfs>", b'<xf numFmtId="14" fontId="0" fillId="0" borderId="0" '
                    b'applyNumberFormat="1"/></cellXfs>')
            zout.writestr(info, part)
    raw = read_table(out.getvalue(), "x.xlsx")
    assert raw.ok, raw.issues
    assert raw.sheets[0].frame["month"].tolist() == ["#VALUE!"]  # openpyxl's error text
    assert len(recwarn) == 0, [str(w.message) for w in recwarn]
