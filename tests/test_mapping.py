"""Header parsing, suggested mappings and the mapping file (data-contract §1 and §3)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from core.ingest.io import read_table
from core.ingest.mapping import (
    mapping_from_table,
    mapping_to_json,
    parse_mapping_json,
    parse_target,
    suggest_mapping,
)
from core.ingest.synonyms import parse_header, to_months
from core.ingest.units import is_canonical, normalise_unit

REF = Path(__file__).parent / "reference"
W = 24 * 12 / 52


@pytest.mark.parametrize(
    ("header", "field", "month", "unit"),
    [  # every time-point and unit pattern of data-contract §1
        ("upcr_m6", "upcr", 6.0, None), ("upcr_0", "upcr", 0.0, None),
        ("upcr_6m", "upcr", 6.0, None), ("UPCR (6 mo)", "upcr", 6.0, None),
        ("UPCR (month 6)", "upcr", 6.0, None), ("UPCR (m6)", "upcr", 6.0, None),
        ("upcr_month6", "upcr", 6.0, None), ("UPCR_6개월", "upcr", 6.0, None),
        ("UPCR 6개월", "upcr", 6.0, None), ("upcr_baseline", "upcr", 0.0, None),
        ("upcr_bl", "upcr", 0.0, None), ("UPCR (baseline)", "upcr", 0.0, None),
        ("UPCR_기저", "upcr", 0.0, None), ("UPCR_0개월", "upcr", 0.0, None),
        ("upcr_w24", "upcr", W, None), ("UPCR (week 24)", "upcr", W, None),
        ("uPCR, mg/mmol (month 6)", "upcr", 6.0, "mg/mmol"),
        ("UPCR(mg/g)_기저", "upcr", 0.0, "mg/g"),
        ("S-creatinine (µmol/L) (month 12)", "creatinine", 12.0, "umol/l"),
        ("Alb (g/L)", "albumin", None, "g/l"), ("Albumin [g/L]", "albumin", None, "g/l"),
        ("알부민(g/dL)_6개월", "albumin", 6.0, "g/dl"),
        ("프레드니솔론(mg/일)_기저", "steroid_mg", 0.0, "mg/day"),
        ("Methylprednisolone (mg/day)", "steroid_mg", None, "methylprednisolone"),
        ("MP pulse (mg)", "steroid_pulse_mg", None, "methylprednisolone"),
        ("week", "month", None, "weeks"), ("month", "month", None, None),
    ],
)
def test_header_patterns(header, field, month, unit):
    info = parse_header(header)
    assert (info.field, info.unit) == (field, unit)
    assert info.month == month  # exact: weeks * 12 / 52, never rounded


@pytest.mark.parametrize(
    ("header", "field"),
    [("환자번호", "patient_id"), ("등록번호", "patient_id"), ("Patient No.", "patient_id"),
     ("ID", "patient_id"), ("알부민", "albumin"), ("Alb", "albumin"), ("S-albumin", "albumin"),
     ("전환사유", "group"), ("ISN분류", "isn_class"), ("성별", "sex"), ("연령(세)", "age"),
     ("신반응", "response"), ("항dsDNA 양성여부", "anti_dsdna_pos"), ("프레드니솔론", "steroid_mg"),
     ("크레아티닌", "creatinine"), ("Gender", "sex"), ("Biopsy class (ISN/RPS)", "isn_class"),
     ("SLEDAI-2K", "sledai"), ("Anti-dsDNA pos/neg", "anti_dsdna_pos"), ("eGFR", "egfr"),
     ("24h proteinuria", "proteinuria_24h"), ("Urine RBC", "urine_rbc"), ("C3", "c3"),
     ("Renal response", "response"), ("Favourite colour", None)],
)
def test_synonyms(header, field):
    assert parse_header(header).field == field


def _cases(form: str, filename: str, mapping_file: str) -> list:
    mapping = json.loads((REF / mapping_file).read_text(encoding="utf-8"))
    return [pytest.param(filename, h, t, mapping["units"], id=f"{form}:{h}")
            for h, t in mapping["columns"].items()]


_RAW: dict[str, pd.DataFrame] = {}


def _months(row) -> float | None:
    """The time point of a mapping-table row in months (exact)."""
    return None if row["time"] is None else to_months(row["time"], row["time_unit"])


def _suggested(filename: str) -> pd.DataFrame:
    if filename not in _RAW:
        raw = read_table((REF / filename).read_bytes(), filename)
        _RAW[filename] = suggest_mapping(raw).set_index("column")
    return _RAW[filename]


@pytest.mark.parametrize(
    ("filename", "header", "target", "units"),
    _cases("wide", "cohort_wide.xlsx", "cohort_wide.mapping.json")
    + _cases("korean", "cohort_korean_cp949.csv", "cohort_korean.mapping.json"),
)
def test_suggested_without_mapping_matches_mapping_file(filename, header, target, units):
    """Every header of the wide and Korean files is understood without the mapping file."""
    row = _suggested(filename).loc[header]
    field, month = parse_target(target)
    assert row["field"] == field
    assert _months(row) == month
    assert row["status"] == "matched"
    got = normalise_unit(row["unit"], field) if row["unit"] else None
    if field in units:
        assert got == normalise_unit(units[field], field)
    else:
        assert is_canonical(field, got)


def test_suggest_mapping_columns_and_status():
    raw = read_table(b"Patient No.,Shoe size,UPCR (month 6)\nP1,42,1.0\n", "x.csv")
    df = suggest_mapping(raw, {"columns": {"Shoe size": "ignore"}})
    assert list(df.columns[:6]) == ["column", "field", "time", "time_unit", "unit", "status"]
    assert df["status"].tolist() == ["matched", "from mapping file", "matched"]
    assert df["field"].tolist() == ["patient_id", "ignore", "upcr"]
    assert mapping_from_table(df)["columns"]["Shoe size"] == "ignore"
    assert (df["time"].tolist()[2], df["time_unit"].tolist()[2]) == (6.0, "months")
    df2 = suggest_mapping(raw)
    assert df2["status"].tolist()[1] == "unmatched"


def test_mapping_table_round_trip_gives_the_same_plan():
    raw = read_table((REF / "cohort_wide.xlsx").read_bytes(), "cohort_wide.xlsx")
    table = suggest_mapping(raw)
    mapping = mapping_from_table(table, {"sex": {"female": "F", "male": "M"}})
    assert mapping["columns"]["uPCR, mg/mmol (month 6)"] == "upcr_m6"
    assert mapping["units"]["upcr"] == "mg/mmol"
    again, err = parse_mapping_json(mapping_to_json(mapping))
    assert err is None and again == mapping
    assert suggest_mapping(raw, again)[["field", "time", "time_unit"]].equals(
        table[["field", "time", "time_unit"]])


def test_reference_mapping_files_parse():
    for name in ("cohort_wide.mapping.json", "cohort_korean.mapping.json"):
        mapping, err = parse_mapping_json((REF / name).read_bytes())
        assert err is None
        assert json.loads(mapping_to_json(mapping)) == json.loads((REF / name).read_text("utf-8"))


def test_week_target_round_trips_exactly():
    m = mapping_from_table(pd.DataFrame([{"column": "u", "field": "upcr", "month": W,
                                          "unit": None}]))
    assert parse_target(m["columns"]["u"]) == ("upcr", W)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("{not json", "not valid JSON"),
        ('{"columns": {"ID": "Patient Nr"}}', "'Patient Nr', which is neither a known field"),
        ('{"columns": {"X": "age_m6"}}', "nor a measure name"),
        ('{"units": {"upcr": "furlongs"}}', "unit 'furlongs' for upcr"),
        ('{"units": {"Shoe size": "mg"}}', "'Shoe size', which is not a numeric field"),
        ('{"values": {"sex": {"w": "woman"}}}', "not a sex label"),
        ('{"colums": {}}', "unknown section 'colums'"),
        ("[1, 2]", "must be a JSON object"),
    ],
)
def test_invalid_mapping_refused_with_one_sentence(text, words):
    mapping, err = parse_mapping_json(text)
    assert mapping is None
    assert words in err
    assert err.count(". ") == 0 and err.endswith(".")
