"""Landmark visits, evaluability, missing-landmark strategies and time to response
(data-contract §5), on small hand-built cohorts and on the validation cohort."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from core.model.schema import Cohort
from core.model.settings import Settings
from core.outcomes.derive import derive_outcomes, landmark_visits

REF = Path(__file__).parent / "reference"


def long_cohort(path: Path = REF / "cohort_long.csv") -> Cohort:
    """The canonical long file read with plain pandas (independent of the loader)."""
    d = pd.read_csv(path, dtype={"patient_id": str, "isn_class": str})
    patients = d.drop_duplicates("patient_id")[["patient_id", "group", "isn_class", "sex", "age"]]
    visits = d.drop(columns=["group", "isn_class", "sex", "age"])
    visits["month"] = visits["month"].astype(float)
    visits["anti_dsdna_pos"] = visits["anti_dsdna_pos"].astype("boolean")
    return Cohort(patients.reset_index(drop=True), visits)


def cohort(rows: list[tuple], groups: dict[str, str] | None = None, **patient_cols) -> Cohort:
    """Visits as (patient_id, month, response, upcr, egfr) tuples."""
    v = pd.DataFrame(rows, columns=["patient_id", "month", "response", "upcr", "egfr"])
    v["month"] = v["month"].astype(float)
    ids = list(dict.fromkeys(v["patient_id"]))
    groups = groups or {}
    p = pd.DataFrame({"patient_id": ids, "group": [groups.get(i, "refractory") for i in ids]})
    for k, val in patient_cols.items():
        p[k] = val
    return Cohort(p, v)


def lv(visits: list[tuple[str, float]], landmarks=(6.0, 12.0), window=1.0) -> dict:
    v = pd.DataFrame(visits, columns=["patient_id", "month"])
    t = landmark_visits(v, landmarks, window)
    return {(r.patient_id, r.landmark): r.visit_month for r in t.itertuples()}


def test_nearest_visit_earlier_on_tie_and_outside_window() -> None:
    got = lv([("a", 0), ("a", 5), ("a", 7), ("a", 13), ("a", 11), ("b", 0.5), ("b", 8)])
    assert got[("a", 0.0)] == 0 and got[("a", 6.0)] == 5 and got[("a", 12.0)] == 11
    assert got[("b", 0.0)] == 0.5
    assert np.isnan(got[("b", 6.0)]) and np.isnan(got[("b", 12.0)])


def test_baseline_window_is_one_month_whatever_the_landmark_window() -> None:
    got = lv([("a", -1), ("a", 6.5), ("b", 1.5), ("b", 6)], window=0.0)
    assert got[("a", 0.0)] == -1 and np.isnan(got[("a", 6.0)])
    assert np.isnan(got[("b", 0.0)]) and got[("b", 6.0)] == 6


def test_a_visit_serves_one_landmark_the_nearer_earlier_on_tie() -> None:
    # Landmarks 3 and 6 with window 2: month 4.5 is 1.5 from both -> serves 3 only;
    # month 5 is nearer 6; 1.5 serves baseline? no: 1.5 is outside baseline's +-1 -> 3.
    got = lv([("a", 0), ("a", 4.5), ("b", 0), ("b", 4.5), ("b", 5)], landmarks=(3, 6), window=2)
    assert got[("a", 3.0)] == 4.5 and np.isnan(got[("a", 6.0)])
    assert got[("b", 3.0)] == 4.5 and got[("b", 6.0)] == 5


def test_weeks_converted_months_are_in_window() -> None:
    m = 30 * 12 / 52  # 6.923... months: within 6 +- 1
    assert lv([("a", 0), ("a", m)])[("a", 6.0)] == m


def test_landmark_visit_chosen_first_whatever_it_holds() -> None:
    c = cohort([("a", 0, "NR", 3, 90), ("a", 6, None, 1, 90), ("a", 7, "CR", 0.1, 90)])
    r = derive_outcomes(c, Settings()).responses.set_index("landmark")
    assert r.loc[6.0, "visit_month"] == 6 and pd.isna(r.loc[6.0, "response"])
    assert r.loc[6.0, "reason"] == "response missing at landmark visit"
    assert r.loc[12.0, "reason"] == "no visit in window"


def test_reasons_for_derived_criteria() -> None:
    c = cohort(
        [
            ("a", 0, None, 3, np.nan),
            ("a", 6, None, 1, 90),
            ("a", 12, None, np.nan, 90),
            ("b", 6, None, 1, 90),
        ]
    )
    r = derive_outcomes(c, Settings(criteria="kdigo2024")).responses
    reasons = {(x.patient_id, x.landmark): x.reason for x in r.itertuples()}
    assert reasons[("a", 6.0)] == "baseline missing"
    assert reasons[("a", 12.0)] == "lab needed missing"
    assert reasons[("b", 6.0)] == "baseline missing"  # no baseline visit at all
    assert reasons[("b", 12.0)] == "no visit in window"


def test_missing_strategies() -> None:
    rows = [
        ("a", 0, "NR", 3, 90),
        ("a", 3, "PR", 1, 90),
        ("a", 6, None, 1, 90),
        ("b", 0, "CR", 3, 90),
        ("b", 12, "NR", 3, 90),
        ("c", 0, "NR", 3, 90),
        ("c", 5.5, "CR", 3, 90),
    ]
    c = cohort(rows)

    def at(missing: str, pid: str, month: float) -> object:
        r = derive_outcomes(c, Settings(missing=missing)).responses
        return r.set_index(["patient_id", "landmark"]).loc[(pid, month), "response"]

    assert pd.isna(at("complete-case", "a", 6.0))
    assert at("non-responder", "a", 6.0) == "NR" and at("non-responder", "b", 6.0) == "NR"
    assert at("locf", "a", 6.0) == "PR"  # month 3 is before the 5-7 window
    assert pd.isna(at("locf", "b", 6.0))  # baseline is never carried forward
    # c's 5.5 visit is inside the 12-month landmark's past but 11-13 window excludes it: carried.
    assert at("locf", "c", 12.0) == "CR"
    r = derive_outcomes(c, Settings(missing="locf")).responses
    assert set(r["imputed"]) == {"", "locf"}


def test_time_to_response_rules() -> None:
    rows = [
        ("a", 0, "CR", 3, 90),
        ("a", 3, "NR", 2, 90),
        ("a", 6, "PR", 1, 90),
        ("a", 9, "CR", 0.1, 90),
        ("b", 0, "NR", 3, 90),
        ("b", 3, "NR", 3, 90),
        ("b", 7, None, np.nan, np.nan),
        ("c", 0, "NR", 3, 90),
    ]
    c = cohort(rows)
    o = derive_outcomes(c, Settings())
    t = o.ttr_patients.set_index("patient_id")
    assert (t.loc["a", "time"], t.loc["a", "event"]) == (6.0, 1)  # baseline CR never counts
    assert (t.loc["b", "time"], t.loc["b", "event"]) == (3.0, 0)  # month 7 holds no data
    assert "c" not in t.index
    assert any(
        n.startswith("1 patient left out of time to response: no visit after month 0")
        and n.endswith("(IDs: c).")
        for n in o.notes
    )
    t_cr = derive_outcomes(c, Settings(event="cr")).ttr_patients.set_index("patient_id")
    assert (t_cr.loc["a", "time"], t_cr.loc["a", "event"]) == (9.0, 1)


def test_given_ttr_columns_only_under_default_settings() -> None:
    rows = [("a", 0, "NR", 3, 90), ("a", 6, "PR", 1, 90)]
    c = cohort(rows, ttr_months=4.5, ttr_event=1)
    assert derive_outcomes(c, Settings()).ttr_patients["time"].tolist() == [4.5]
    o = derive_outcomes(c, Settings(criteria="kdigo2024"))
    assert o.ttr_patients["time"].tolist() == [6.0]
    assert any("derived from the visits" in n for n in o.notes)


def test_baseline_cr_flag_and_exclusion() -> None:
    rows = [
        ("a", 0, "NR", 0.3, 90),
        ("a", 6, "NR", 0.2, 90),
        ("b", 0, "NR", 3.0, 90),
        ("b", 6, "NR", 1.0, 90),
    ]
    c = cohort(rows)
    o = derive_outcomes(c, Settings(criteria="kdigo2024"))
    assert o.baseline_cr == ("a",) and any("a" in n and "baseline" in n for n in o.notes)
    ex = derive_outcomes(c, Settings(criteria="kdigo2024", exclude_baseline_cr=True))
    assert set(ex.responses["patient_id"]) == {"b"}


def test_egfr_computed_from_creatinine_when_missing() -> None:
    pytest.importorskip("core.ingest.units")
    v = pd.DataFrame(
        {
            "patient_id": ["a", "a"],
            "month": [0.0, 6.0],
            "upcr": [2.0, 0.3],
            "creatinine": [1.2, 1.2],
        }
    )
    p = pd.DataFrame({"patient_id": ["a"], "group": ["relapse"], "sex": ["M"], "age": [55.0]})
    o = derive_outcomes(Cohort(p, v), Settings())
    assert o.settings.criteria == "kdigo2024"  # nothing recorded
    assert o.responses.set_index("landmark").loc[6.0, "response"] == "CR"


def test_validation_cohort_landmarks_and_ttr_match_reference() -> None:
    """landmark_visits.csv and ttr_patients.csv of reference.R (whole cohort)."""
    o = derive_outcomes(long_cohort(), Settings())
    exp = pd.read_csv(REF / "expected" / "landmark_visits.csv", dtype={"patient_id": str})
    got = exp.merge(o.landmarks, on=["patient_id", "landmark"], suffixes=("_r", ""))
    assert len(got) == len(exp) == len(o.landmarks) == 270
    same = (got["visit_month_r"] == got["visit_month"]) | (
        got["visit_month_r"].isna() & got["visit_month"].isna()
    )
    assert same.all() and got["visit_month"].isna().sum() == 15
    exp = pd.read_csv(REF / "expected" / "ttr_patients.csv", dtype={"patient_id": str})
    got = exp.merge(o.ttr_patients, on="patient_id", suffixes=("_r", ""))
    assert len(got) == 90
    assert (got["time_r"] == got["time"]).all() and (got["event_r"] == got["event"]).all()


def test_visit_without_month_never_fills_a_missing_landmark() -> None:
    c = cohort([("a", 0, "NR", 3, 90), ("a", np.nan, "CR", 0.1, 90)])
    o = derive_outcomes(c, Settings())
    r = o.responses.set_index("landmark")
    assert pd.isna(r.loc[6.0, "response"]) and r.loc[6.0, "reason"] == "no visit in window"
    assert o.ttr_patients.empty
