"""Bad input: every problem is one specific issue naming row and column, never an exception."""

from __future__ import annotations

import io
import zipfile

import numpy as np
import openpyxl
import pytest

from core.ingest.load import load_cohort, load_path

HEAD = "patient_id,group,isn_class,sex,age,month,upcr,creatinine,albumin,response"
GOOD = [  # file rows 2-5
    "PT1,refractory,IV,F,30,0,2.5,0.9,3.1,NR",
    "PT1,refractory,IV,F,30,6,1.0,0.8,3.5,PR",
    "PT2,relapse,V,M,40,0,3.0,1.1,2.9,NR",
    "PT2,relapse,V,M,40,6,0.4,1.0,3.8,CR",
]


def csv(*extra: str, head: str = HEAD, rows=GOOD) -> bytes:
    return ("\n".join([head, *rows, *extra]) + "\n").encode()


def huge_xlsx() -> bytes:
    wb = openpyxl.Workbook()
    wb.active.append(["patient_id"])
    buf, out = io.BytesIO(), io.BytesIO()
    wb.save(buf)
    with zipfile.ZipFile(buf) as zin, zipfile.ZipFile(out, "w") as zout:
        for info in zin.infolist():
            data = zin.read(info)
            if info.filename.startswith("xl/worksheets/"):
                data = data.replace(b'<dimension ref="A1:A1"/>', b'<dimension ref="A1:XFD1048576"/>')
            zout.writestr(info, data)
    return out.getvalue()


# (name, bytes, mapping, expected row, expected column, words in the message)
CASES = [
    ("unreadable", bytes(range(256)) * 8, None, None, None, "not a table file"),
    ("empty", b"", None, None, None, "The file is empty"),
    ("header only", csv(rows=[]), None, 1, None, "header row but no data rows"),
    ("no id column", b"group,month,upcr\nrefractory,0,1.0\n", None, None, None,
     "No patient ID column"),
    ("missing id", csv(",refractory,IV,F,30,12,1.0,0.8,3.5,PR"), None, 6, "patient_id",
     "no patient ID"),
    ("text in numeric", csv("PT3,relapse,V,M,40,0,abc,1.0,3.8,NR"), None, 6, "upcr",
     "'abc' is text in a numeric column"),
    ("negative proteinuria", csv("PT3,relapse,V,M,40,0,-1,1.0,3.8,NR"), None, 6, "upcr",
     "UPCR -1 is not possible"),
    ("one impossible albumin", csv("PT3,relapse,V,M,40,0,1.0,1.0,35,NR"), None, 6, "albumin",
     "Serum albumin 35 is not possible"),
    ("zero creatinine", csv("PT3,relapse,V,M,40,0,1.0,0,3.5,NR"), None, 6, "creatinine",
     "must be above 0"),
    ("age 150", csv("PT3,relapse,V,M,150,0,1.0,1.0,3.5,NR"), None, 6, "age",
     "Age 150 is not possible"),
    ("conflicting duplicate visit", csv("PT2,relapse,V,M,40,6,0.5,1.0,3.8,CR"), None, 6, "month",
     "Rows 5 and 6 are both patient PT2 at month 6 with different values (upcr: 0.4 vs 0.5)"),
    ("conflicting patient field", csv("PT2,relapse,V,F,40,12,0.5,1.0,3.8,CR"), None, 6, "sex",
     "Patient PT2 has sex 'M' in row 4 but 'F' in row 6"),
    ("unknown class VII", csv("PT3,relapse,VII,M,40,0,1.0,1.0,3.5,NR"), None, 6, "isn_class",
     "Unknown ISN/RPS class 'VII'"),
    ("class 0", csv("PT3,relapse,0,M,40,0,1.0,1.0,3.5,NR"), None, 6, "isn_class",
     "Unknown ISN/RPS class '0'"),
    ("unknown sex", csv("PT3,relapse,V,X,40,0,1.0,1.0,3.5,NR"), None, 6, "sex",
     "'X' is not a sex value"),
    ("unknown response", csv("PT3,relapse,V,M,40,0,1.0,1.0,3.5,maybe"), None, 6, "response",
     "'maybe' is not a response value"),
    ("text in month", csv("PT3,relapse,V,M,40,six,1.0,1.0,3.5,NR"), None, 6, "month",
     "'six' is text in a numeric column"),
    ("visit without month", csv("PT3,relapse,V,M,40,,1.0,1.0,3.5,NR"), None, 6, "month",
     "This visit of patient PT3 has no month"),
    ("no month column", b"patient_id,upcr\nPT1,1.0\n", None, None, None, "No month column"),
    ("stray delimiter", csv("PT3,relapse,V,M,40,0,1.0,1.0,3.5,NR,oops"), None, 6, None,
     "Row 6 has 11 cells but the header has 10"),
    ("upcr in mg/g unstated", b"patient_id,month,upcr\nP1,0,850\nP2,0,1200\nP3,0,400\n", None,
     None, "upcr", "looks like mg/g or mg/mmol"),
    ("unit that cannot convert", b"patient_id,month,creatinine (mmol/L)\nP1,0,0.08\n", None, None,
     "creatinine (mmol/L)", "mmol/L, which cannot be converted"),
    ("two columns for one field", b"patient_id,month,upcr,UPCR ratio\nP1,0,1,2\n", None, None,
     "UPCR ratio", "both hold upcr"),
    ("bad positivity", b"patient_id,month,anti_dsdna_pos\nP1,0,perhaps\n", None, 2,
     "anti_dsdna_pos", "'perhaps' is not a positive/negative value"),
    ("bad titre", b"patient_id,month,anti_dsdna\nP1,0,<<10\n", None, 2, "anti_dsdna",
     "'<<10' is not an anti-dsDNA titre"),
    ("steroid 500 mg/day", b"patient_id,month,steroid_mg\nP1,0,500\n", None, 2, "steroid_mg",
     "Prednisolone dose 500 is not possible"),
    ("unknown mapping field", csv(), {"columns": {"upcr": "Proteinuria!"}}, None, None,
     "'Proteinuria!', which is neither a known field"),
    ("unknown mapping unit", csv(), {"units": {"upcr": "furlongs"}}, None, None,
     "unit 'furlongs' for upcr"),
    # a declared dimension is a hint (issue 11 point 5): what the sheet holds decides
    ("huge declared xlsx", huge_xlsx(), None, 1, None, "header row but no data rows"),
    ("cell too long", b"patient_id,month\n" + b"x" * 20_000 + b",0\n", None, 2, "patient_id",
     "20,000 characters"),
    ("wide patient conflict", b"ID,Gender,UPCR (baseline)\nP1,F,1.0\nP1,M,1.0\n", None, 3,
     "Gender", "Patient P1 has Gender 'F' in row 2 but 'M' in row 3"),
]


@pytest.mark.parametrize(("name", "data", "mapping", "row", "column", "words"), CASES,
                         ids=[c[0] for c in CASES])
def test_bad_input_gives_one_specific_error(name, data, mapping, row, column, words):
    cohort = load_cohort(data, "cohort.csv", mapping)
    errors = cohort.report.errors
    assert len(errors) == 1, [e.message for e in errors]
    error = errors[0]
    assert words in error.message
    assert (error.row, error.column) == (row, column)
    assert not cohort.ok


def test_enough_bad_input_cases():
    assert len(CASES) >= 20


def test_invalid_mapping_json_file(tmp_path):
    (tmp_path / "c.csv").write_bytes(csv())
    (tmp_path / "m.json").write_text('{"columns": {', encoding="utf-8")
    cohort = load_path(tmp_path / "c.csv", tmp_path / "m.json")
    assert len(cohort.report.errors) == 1
    assert "not valid JSON" in cohort.report.errors[0].message


def test_drop_invalid_sets_missing_and_counts():
    data = csv("PT3,relapse,V,M,40,0,-1,1.0,35,NR", "PT3,relapse,V,M,40,6,abc,1.0,3.0,NR")
    blocked = load_cohort(data, "c.csv")
    assert len(blocked.report.errors) == 3 and blocked.report.n_dropped == 0
    cohort = load_cohort(data, "c.csv", drop_invalid=True)
    assert cohort.ok and cohort.report.n_dropped == 3
    pt3 = cohort.visits[cohort.visits["patient_id"] == "PT3"]
    assert pt3["upcr"].isna().all() and np.isnan(pt3["albumin"].iloc[0])
    assert all("Set to missing" in w.message for w in cohort.report.warnings[:3])


def test_drop_invalid_keeps_first_of_conflicting_visits():
    cohort = load_cohort(csv("PT2,relapse,V,M,40,6,0.5,1.0,3.8,CR"), "c.csv", drop_invalid=True)
    assert cohort.ok and cohort.report.n_dropped == 1
    assert len(cohort.visits) == 4


def test_identical_duplicate_kept_once_with_warning():
    cohort = load_cohort(csv(GOOD[3]), "c.csv")
    assert cohort.ok and len(cohort.visits) == 4
    assert cohort.report.warnings[0].row == 6
    assert "repeats row 5" in cohort.report.warnings[0].message


def test_patient_without_baseline_is_a_warning():
    cohort = load_cohort(csv(rows=GOOD[:2] + GOOD[3:]), "c.csv")
    assert cohort.ok
    assert [w.value for w in cohort.report.warnings] == ["PT2"]
    assert "no baseline visit" in cohort.report.warnings[0].message


def test_unusual_value_is_a_warning_only():
    cohort = load_cohort(b"patient_id,month,steroid_mg\nP1,0,100\n", "c.csv")
    assert cohort.ok
    assert "probably a pulse" in cohort.report.warnings[0].message


def test_albumin_in_g_per_l_is_converted_with_a_warning():
    cohort = load_cohort(b"patient_id,month,Alb\nP1,0,32\nP1,6,38\n", "c.csv")
    assert cohort.ok
    assert cohort.visits["albumin"].tolist() == [3.2, 3.8]
    assert "Alb" in cohort.report.warnings[0].message
    assert "g/L" in cohort.report.warnings[0].message


def test_wide_patient_with_no_visits_has_no_baseline():
    cohort = load_cohort(b"ID,UPCR (baseline),UPCR (month 6)\nP1,1.0,0.5\nP2,,\n", "w.csv")
    assert cohort.ok and cohort.patients["patient_id"].tolist() == ["P1", "P2"]
    assert [w.value for w in cohort.report.warnings] == ["P2"]


def test_wide_visit_field_without_time_point_is_named():
    cohort = load_cohort(b"ID,UPCR (baseline),Response\nP1,1.0,CR\n", "w.csv")
    assert cohort.ok
    assert cohort.report.warnings[0].column == "Response"
    assert "no time point" in cohort.report.warnings[0].message


def test_wide_row_without_id_reported_once():
    cohort = load_cohort(b"ID,Sex,UPCR (baseline)\nP1,F,1.0\n,F,2.0\n", "w.csv")
    assert [(e.row, e.column) for e in cohort.report.errors] == [(3, "ID")]
    assert cohort.visits["patient_id"].tolist() == ["P1"]


def test_mapping_for_another_export_is_flagged():
    cohort = load_cohort(csv(), "c.csv", {"columns": {"등록번호": "patient_id"}})
    assert cohort.ok
    assert "not in the file ('등록번호')" in cohort.report.warnings[0].message
