"""core.ingest.identifiers: each kind of direct identifier is found, labels are not, drop/replace work."""

from __future__ import annotations

import pandas as pd
import pytest

from core.ingest.identifiers import (
    IdentifierFinding,
    drop_identifier_columns,
    find_identifier_columns,
    pseudonymise_ids,
)
from core.model.schema import Cohort

IDS = ["PT01", "PT02", "PT03", "PT04", "PT05"]


def _patients(**extra) -> pd.DataFrame:
    base = {"patient_id": IDS, "group": ["refractory"] * 3 + ["relapse"] * 2,
            "sex": ["F", "F", "M", "F", "M"], "age": [34.0, 41.0, 29.0, 52.0, 23.0]}
    return pd.DataFrame({**base, **extra})


def _visits(**extra) -> pd.DataFrame:
    base = {"patient_id": IDS * 2, "month": [0.0] * 5 + [6.0] * 5, "upcr": [1.0] * 10}
    return pd.DataFrame({**base, **extra})


def _kinds(patients, visits=None, raw=()) -> set[tuple[str, str]]:
    found = find_identifier_columns(patients, _visits() if visits is None else visits, raw)
    assert all(isinstance(f, IdentifierFinding) for f in found)
    return {(f.column, f.kind) for f in found}


def test_clean_cohort_has_no_findings():
    korean_labels = _patients(group=["불응성"] * 3 + ["재발성"] * 2, note=["정상"] * 5)
    assert _kinds(_patients()) == set()
    assert _kinds(korean_labels) == set()


@pytest.mark.parametrize("header", ["이름", "성명", "name", "Patient name", "환자명"])
def test_name_header(header):
    p = _patients(**{header: ["A", "B", "C", "D", "E"]})
    assert (header, "name") in _kinds(p)


@pytest.mark.parametrize("values", [
    ["김민준", "이서연", "박지훈", "최수아", "정하준"],
    ["John Smith", "Mary Jones", "Ana Lopez", "Wei Zhang", "Sara Kim"],
    ["SMITH, John", "JONES, Mary", "LOPEZ, Ana", "ZHANG, Wei", "KIM, Sara"],
])
def test_values_that_look_like_names_under_any_header(values):
    assert ("contact", "name") in _kinds(_patients(contact=values))


def test_repeated_korean_labels_are_not_names():
    p = _patients(ward=["정상", "정상", "남성", "남성", "정상"])
    assert ("ward", "name") not in _kinds(p)


@pytest.mark.parametrize("value", ["850101-1234567", "8501012234567", "991231-4123456"])
def test_resident_registration_number(value):
    p = _patients(jumin=[value, None, None, None, None])
    found = find_identifier_columns(p, _visits())
    assert [(f.column, f.kind, f.example_count) for f in found] == [("jumin", "rrn", 1)]


def test_rrn_as_patient_id_and_numeric_column():
    p = _patients(patient_id=["850101-1234567", "900202-2345678", "PT03", "PT04", "PT05"],
                  idno=[8501011234567.0, None, None, None, None])
    kinds = _kinds(p, _visits(patient_id=list(p.patient_id) * 2))
    assert {("patient_id", "rrn"), ("idno", "rrn")} <= kinds


def test_thirteen_digits_with_impossible_date_is_not_an_rrn():
    assert _kinds(_patients(code=["851301-1234567"] * 5)) == set()


@pytest.mark.parametrize("value", ["010-1234-5678", "+82 10-1234-5678", "02-123-4567",
                                   "031-123-4567"])
def test_phone_numbers(value):
    assert ("contact", "phone") in _kinds(_patients(contact=[value] + [None] * 4))


def test_bare_digits_count_as_phone_only_under_a_phone_header():
    assert _kinds(_patients(lab_code=["01012345678"] * 5)) == set()
    assert ("휴대폰", "phone") in _kinds(_patients(**{"휴대폰": ["01012345678"] * 5}))


def test_email():
    p = _patients(contact=["a.kim@hospital.ac.kr", None, None, None, None])
    found = find_identifier_columns(p, _visits())
    assert [(f.column, f.kind, f.example_count) for f in found] == [("contact", "email", 1)]


@pytest.mark.parametrize("header", ["birth_date", "Date of birth", "생년월일", "DOB"])
def test_full_birth_dates(header):
    dates = ["1985-01-02", "1990.12.31", "03/04/1977", "19800101", None]
    assert (header, "birth_date") in _kinds(_patients(**{header: dates}))


def test_birth_year_alone_is_not_flagged_but_datetime_column_is():
    assert _kinds(_patients(birth_year=["1985", "1990", "1977", "1980", "1991"])) == set()
    stamps = pd.to_datetime(["1985-01-02"] * 5)
    assert ("birth", "birth_date") in _kinds(_patients(birth=stamps))


def test_record_numbers_as_patient_ids():
    mrn = ["10234567", "10234568", "20345678", "30456789", "40567890"]
    p = _patients(patient_id=mrn)
    assert ("patient_id", "mrn") in _kinds(p, _visits(patient_id=mrn * 2))
    six = ["102345", "102346", "203456", "304567", "405678"]
    p6 = _patients(patient_id=six)
    assert ("patient_id", "mrn") not in _kinds(p6, _visits(patient_id=six * 2))
    assert ("patient_id", "mrn") in _kinds(p6, _visits(patient_id=six * 2), raw=["등록번호"])


def test_record_number_column_by_header():
    assert ("MRN", "mrn") in _kinds(_patients(MRN=["A1", "A2", "A3", "A4", "A5"]))


def test_visit_level_columns_are_searched():
    v = _visits(nurse_email=["n@x.org"] + [None] * 9)
    assert ("nurse_email", "email") in _kinds(_patients(), v)


def test_describe_names_column_and_kind_never_values():
    p = _patients(이름=["김민준", "이서연", "박지훈", "최수아", "정하준"])
    (finding,) = find_identifier_columns(p, _visits())
    text = finding.describe()
    assert "이름" in text and "names" in text and "김민준" not in text


def _cohort(**extra) -> Cohort:
    return Cohort(_patients(**extra), _visits(phone=["010-1234-5678"] * 10))


def test_drop_identifier_columns_removes_from_both_tables():
    cohort = _cohort(이름=["김민준", "이서연", "박지훈", "최수아", "정하준"])
    out = drop_identifier_columns(cohort, ["이름", "phone"])
    assert "이름" not in out.patients and "phone" not in out.visits
    assert list(out.patients.patient_id) == IDS and "이름" in cohort.patients  # original intact
    assert find_identifier_columns(out.patients, out.visits) == []
    with pytest.raises(ValueError):
        drop_identifier_columns(cohort, ["patient_id"])


def test_pseudonymise_ids_replaces_everywhere_and_returns_the_key():
    cohort = _cohort()
    out, key = pseudonymise_ids(cohort)
    assert list(out.patients.patient_id) == ["S001", "S002", "S003", "S004", "S005"]
    assert list(out.visits.patient_id) == ["S001", "S002", "S003", "S004", "S005"] * 2
    assert key == {f"S{i:03d}": pid for i, pid in enumerate(IDS, start=1)}
    assert list(cohort.patients.patient_id) == IDS  # the caller's cohort is untouched
    # the study codes carry no trace of the original IDs
    assert not set(out.visits.patient_id) & set(IDS)


def test_pseudonymise_width_grows_with_the_cohort():
    ids = [f"{i:08d}" for i in range(1200)]
    cohort = Cohort(pd.DataFrame({"patient_id": ids}), pd.DataFrame({"patient_id": ids}))
    out, key = pseudonymise_ids(cohort)
    assert out.patients.patient_id.iloc[-1] == "S1200" and len(key) == 1200
    assert out.patients.patient_id.iloc[0] == "S0001"


def test_identifiers_found_in_a_loaded_file():
    """End to end with the real loader: pass-through columns keep their headers."""
    from core.ingest.load import load_cohort

    lines = ["patient_id,이름,주민등록번호,연락처,생년월일,group,month,upcr,response"]
    people = [("10234567", "김민준", "850101-1234567", "010-1234-5678", "1985-01-01"),
              ("10234568", "이서연", "900202-2345678", "010-2345-6789", "1990-02-02"),
              ("10234569", "박지훈", "770303-1456789", "010-3456-7890", "1977-03-03")]
    for pid, name, rrn, phone, birth in people:
        for month in (0, 6):
            lines.append(f"{pid},{name},{rrn},{phone},{birth},refractory,{month},1.0,NR")
    cohort = load_cohort(("\n".join(lines) + "\n").encode(), "ids.csv")
    assert cohort.ok, [i.message for i in cohort.report.errors]
    found = {(f.column, f.kind) for f in find_identifier_columns(
        cohort.patients, cohort.visits, ["patient_id", "이름", "주민등록번호", "연락처", "생년월일"])}
    assert {("patient_id", "mrn"), ("이름", "name"), ("주민등록번호", "rrn"),
            ("연락처", "phone"), ("생년월일", "birth_date")} <= found
    clean, key = pseudonymise_ids(drop_identifier_columns(
        cohort, ["이름", "주민등록번호", "연락처", "생년월일"]))
    assert find_identifier_columns(clean.patients, clean.visits) == []
    assert sorted(key.values()) == ["10234567", "10234568", "10234569"]
