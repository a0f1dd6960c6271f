"""The four validation files load to the same canonical cohort (validation README).

Reference: ``tests/reference/cohort_long.csv`` is the canonical form; the wide, Korean and
workbook forms must give every value identical (eGFR computed by CKD-EPI 2021 within 1e-12
relative of the long file's, which reference.R asserts is that formula).
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from core.ingest.load import load_cohort, load_path
from core.model.schema import PATIENT_FIELDS, VISIT_FIELDS

FORMS = {
    "long": ("cohort_long.csv", None),
    "wide": ("cohort_wide.xlsx", "cohort_wide.mapping.json"),
    "korean": ("cohort_korean_cp949.csv", "cohort_korean.mapping.json"),
    "workbook": ("cohort_workbook.xlsx", None),
}
_CACHE: dict = {}


def load(reference_dir, form: str, with_mapping: bool = True):
    key = (form, with_mapping)
    if key not in _CACHE:
        data, mapping = FORMS[form]
        mp = reference_dir / mapping if (mapping and with_mapping) else None
        _CACHE[key] = load_path(reference_dir / data, mp)
    return _CACHE[key]


@pytest.mark.parametrize("form", list(FORMS))
def test_counts_and_no_errors(reference_dir, form):
    cohort = load(reference_dir, form)
    assert cohort.report.issues == ()
    assert len(cohort.patients) == 90 and len(cohort.visits) == 427
    assert cohort.patients["group"].value_counts().to_dict() == {"refractory": 49, "relapse": 41}
    assert cohort.patients["isn_class"].value_counts().to_dict() == {
        "IV": 42, "V": 16, "IV+V": 14, "III": 13, "III+V": 5}
    assert cohort.patients["sex"].value_counts().to_dict() == {"F": 77, "M": 13}
    assert cohort.source.form == ("long" if form == "long" else
                                  "workbook" if form == "workbook" else "wide")


@pytest.mark.parametrize("form", ["wide", "korean", "workbook"])
def test_same_canonical_tables_as_long(reference_dir, form):
    ref, got = load(reference_dir, "long"), load(reference_dir, form)
    for col in ("patient_id", "group", "isn_class", "sex", "age"):
        pd.testing.assert_series_equal(got.patients[col], ref.patients[col])
    assert list(got.visits.columns) == list(ref.visits.columns)
    for col in ref.visits.columns:
        if col == "egfr":
            a, b = got.visits[col].to_numpy(), ref.visits[col].to_numpy()
            assert np.array_equal(np.isnan(a), np.isnan(b))
            ok = ~np.isnan(b)
            assert np.max(np.abs(a[ok] - b[ok]) / b[ok]) < 1e-12
        else:
            pd.testing.assert_series_equal(got.visits[col], ref.visits[col])


def test_canonical_dtypes_and_order(reference_dir):
    c = load(reference_dir, "korean")
    assert list(c.patients.columns) == [f for f in PATIENT_FIELDS if f in c.patients]
    assert list(c.visits.columns) == [f for f in VISIT_FIELDS if f in c.visits]
    assert c.patients["patient_id"].is_monotonic_increasing
    assert c.visits[["patient_id", "month"]].apply(tuple, axis=1).is_monotonic_increasing
    assert c.visits["anti_dsdna_pos"].dtype == "boolean"
    assert c.visits["upcr"].dtype == np.float64 and c.patients["age"].dtype == np.float64
    assert c.patients["patient_id"].map(type).eq(str).all()
    assert set(c.visits["response"]) == {"CR", "PR", "NR"}
    assert set(c.patients["isn_class_detail"]) >= {"Ⅳ", "4", "Ⅲ+Ⅴ"}  # original texts kept


def test_source_and_mapping_recorded(reference_dir):
    c = load(reference_dir, "wide")
    assert c.source.name == "cohort_wide.xlsx"
    assert c.source.size_bytes == (reference_dir / "cohort_wide.xlsx").stat().st_size
    assert len(c.source.sha256) == 64
    given = json.loads((reference_dir / "cohort_wide.mapping.json").read_text("utf-8"))
    assert c.mapping["columns"] == given["columns"]
    assert c.mapping["values"] == given["values"]
    assert c.mapping["units"]["upcr"] == "mg/mmol"


@pytest.mark.parametrize("form", ["wide", "korean"])
def test_without_mapping_only_value_recodes_differ(reference_dir, form):
    ref, got = load(reference_dir, form), load(reference_dir, form, with_mapping=False)
    assert got.ok and len(got.visits) == 427
    for col in ref.visits.columns:
        pd.testing.assert_series_equal(got.visits[col], ref.visits[col])
    pd.testing.assert_series_equal(got.patients["sex"], ref.patients["sex"])
    assert got.patients["isn_class"].equals(ref.patients["isn_class"])


# ------------------------------------------------------------- conversions and forms


def _one(data: bytes, **kw):
    cohort = load_cohort(data, "c.csv", **kw)
    assert cohort.report.errors == (), cohort.report.errors
    return cohort


def test_unit_precedence_mapping_header_page_heuristic():
    data = b"patient_id,month,UPCR (mg/g)\nP1,0,1131.2\n"
    assert _one(data).visits["upcr"].iloc[0] == 1131.2 / 1000  # header
    got = _one(data, mapping={"units": {"upcr": "mg/mmol"}}, unit_overrides={"upcr": "g/g"})
    assert got.visits["upcr"].iloc[0] == 1131.2 / 113.12  # mapping beats header and page
    plain = b"patient_id,month,upcr\nP1,0,1131.2\n"
    assert _one(plain, unit_overrides={"upcr": "mg/mmol"}).visits["upcr"].iloc[0] == 10.0
    page = _one(b"patient_id,month,albumin\nP1,0,30\n", unit_overrides={"albumin": "g/L"})
    assert page.visits["albumin"].iloc[0] == 3.0
    assert page.report.warnings == ()  # the page's choice: no heuristic, no warning


def test_decimal_comma_semicolon_file_exact():
    data = "환자번호;개월;알부민;크레아티닌\nP1;0;3,2;0,46\n".encode("cp949")
    v = _one(data).visits
    assert v["albumin"].iloc[0] == 3.2 and v["creatinine"].iloc[0] == 0.46


def test_thousands_separators_and_decimal_commas():
    c = _one(b'patient_id;month;UPCR (mg/g);albumin\nP1;0;"1,234";3,5\nP1;6;850;"3,0"\n')
    assert c.visits["upcr"].tolist() == [1.234, 0.85]
    assert c.visits["albumin"].tolist() == [3.5, 3.0]


def test_censored_titre_rbc_ranges_and_steroid_equivalents():
    data = (b"patient_id,month,anti_dsdna,urine_rbc,Methylprednisolone (mg/day)\n"
            b"P1,0,<10,10-20,8\nP1,3,>300,>50,4\nP1,6,45,3,\n")
    c = load_cohort(data, "c.csv")
    assert c.ok
    v = c.visits
    assert v["anti_dsdna"].tolist() == [10.0, 300.0, 45.0]
    assert v["anti_dsdna_censored"].tolist() == ["<", ">", ""]
    assert v["urine_rbc"].tolist() == [15.0, 51.0, 3.0]
    assert v["steroid_mg"].tolist()[:2] == [10.0, 5.0]
    assert any("ranges" in w.message for w in c.report.warnings)


def test_weeks_and_dates_become_months():
    c = _one(b"patient_id,week,upcr\nP1,0,1\nP1,24,0.5\n")
    assert c.visits["month"].tolist() == [0.0, 24 * 12 / 52]
    d = _one(b"patient_id,start_date,visit_date,upcr\nP1,2024-01-01,2024-01-01,1\n"
             b"P1,2024-01-01,2024-07-01,0.5\n")
    assert d.visits["month"].tolist() == [0.0, 182 / 30.4375]


def test_pass_through_columns_and_wide_extra_lab():
    data = (b"patient_id,month,upcr,Hospital,Weight\nP1,0,1,Seoul,60\nP1,6,0.5,Seoul,58\n"
            b"P2,0,2,Busan,70\n")
    c = _one(data)
    assert c.patients["Hospital"].tolist() == ["Seoul", "Busan"]  # constant per patient
    assert c.visits["Weight"].tolist() == [60.0, 58.0, 70.0]  # varies: a visit column
    w = _one(b"ID,UPCR (baseline),UPCR (month 6),Weight (baseline),Weight (month 6)\n"
             b"P1,1,0.5,60,58\n")
    assert w.visits["Weight"].tolist() == [60.0, 58.0]


def test_egfr_computed_when_absent_and_not_for_children():
    data = (b"patient_id,sex,age,month,creatinine\nA,M,55,0,1.2\nB,F,16,0,0.7\n")
    c = load_cohort(data, "c.csv")
    assert c.ok
    assert c.visits["egfr"].iloc[0] == pytest.approx(71.42, abs=0.005)
    assert np.isnan(c.visits["egfr"].iloc[1])
    assert "under 18" in c.report.warnings[0].message


def test_unreadable_file_gives_empty_frames_not_exception():
    c = load_cohort(b"\x89PNG\r\n\x1a\n" + bytes(100), "c.csv")
    assert not c.ok and c.patients.empty and c.visits.empty
    assert list(c.visits.columns) == ["patient_id", "month"]


def test_month_written_as_words():
    c = _one("patient_id,month,upcr\nP1,baseline,1\nP1,6개월,0.5\nP1,week 24,0.4\n".encode())
    assert c.visits["month"].tolist() == [0.0, 24 * 12 / 52, 6.0]


def test_workbook_visits_of_unlisted_patient(tmp_path):
    import openpyxl

    wb = openpyxl.Workbook()
    wb.active.title = "patients"
    wb.active.append(["patient_id", "sex"])
    wb.active.append(["P1", "F"])
    ws = wb.create_sheet("visits")
    for r in (["patient_id", "month", "upcr"], ["P1", 0, 1.0], ["P2", 0, 2.0]):
        ws.append(r)
    wb.save(tmp_path / "w.xlsx")
    c = load_path(tmp_path / "w.xlsx")
    assert c.ok and c.patients["patient_id"].tolist() == ["P1", "P2"]
    assert "no row on the 'patients' sheet" in c.report.warnings[0].message


def test_assumed_unit_is_recorded_in_the_applied_mapping():
    c = load_cohort(b"patient_id,month,albumin\nP1,0,32\n", "c.csv")
    assert c.mapping["units"] == {"albumin": "g/L"}
    assert c.mapping["columns"] == {"patient_id": "patient_id", "month": "month",
                                    "albumin": "albumin"}


@pytest.mark.slow
def test_many_visits_load_in_seconds():
    """300,000 visit rows (30,000 patients): vectorised, no loop per row."""

    n = 300_000
    pid = np.repeat(np.arange(n // 10), 10)
    df = pd.DataFrame({"patient_id": [f"P{i:06d}" for i in pid], "sex": np.where(pid % 5, "F", "M"),
                       "age": 30 + pid % 40, "month": np.tile(np.arange(10) * 1.5, n // 10),
                       "upcr": np.round(np.linspace(0.1, 5, n), 2),
                       "creatinine": np.round(np.linspace(0.5, 2, n), 2),
                       "response": np.where(pid % 2, "CR", "NR")})
    data = df.to_csv(index=False).encode()
    c = load_cohort(data, "big.csv")
    assert c.ok and len(c.visits) == n and len(c.patients) == n // 10
    assert c.visits["egfr"].notna().all()
