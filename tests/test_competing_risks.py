"""Competing risks (cif_curve, cif_risk, cif_tests, cif_regression, milestones) against R.

R: tests/reference/competing/reference.R on cohort_competing.csv (the validation cohort
with death, ESKD and discontinuation months added by make_competing.py), survival 3.5.3
and cmprsk 2.2: ``survfit(Surv(time, factor(status)) ~ 1)`` per group and All,
``survfit(Surv(time, status == 1) ~ 1, conf.type = "log-log")``, ``summary(fit, times,
extend = TRUE)``, ``cuminc(time, status, group)$Tests``, ``crr(time, status, cov1)``.
Tolerance: counts exact, other numbers 1e-6 relative (1e-12 absolute where R gives 0).
Fine–Gray is compared with ``crr(..., gtol = 1e-9)``: crr's default gradient tolerance
(1e-6) stops ~5e-6 (relative) short of the maximum on this cohort, while the fit here
iterates to full convergence (on mgus2 the default already agrees to 1e-7).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from core.analyses.competing_patients import competing_patients, has_competing
from core.analyses.competing_risks import competing_risks
from core.analyses.restricted_mean import milestones
from core.ingest.load import load_path
from core.model.settings import Settings
from core.outcomes.derive import derive_outcomes
from core.stats.competing import aalen_johansen, gray_test, step_at
from core.stats.finegray import fine_gray

HERE = Path(__file__).parent / "reference"
EXP = HERE / "competing" / "expected"
RD = HERE / "r_datasets"
COUNTS = {
    "n_risk",
    "n_event",
    "n_censor",
    "cum_events",
    "cum_competing",
    "cum_censored",
    "n",
    "n_events",
    "n_competing",
    "df",
    "status",
    "n_a",
    "n_b",
}


def assert_matches(
    expected: pd.DataFrame, got: pd.DataFrame, keys: list[str], rtol: float = 1e-6
) -> None:
    """Counts exact; other numbers ``rtol`` relative (1e-12 absolute where R gives 0);
    R's empty cells must be NaN here, and the rows the same."""
    assert len(got) == len(expected), (len(got), len(expected))
    m = expected.merge(got, on=keys, how="left", suffixes=("_r", ""), indicator=True)
    assert (m["_merge"] == "both").all(), m.loc[m["_merge"] != "both", keys]
    for col in expected.columns:
        if col in keys:
            continue
        if not pd.api.types.is_numeric_dtype(expected[col]):
            assert (m[f"{col}_r"].astype(str) == m[col].astype(str)).all(), col
            continue
        r, py = m[f"{col}_r"].to_numpy(float), m[col].to_numpy(float)
        assert np.array_equal(np.isnan(r), np.isnan(py)), col
        ok = ~np.isnan(r)
        if col in COUNTS:
            np.testing.assert_array_equal(py[ok], r[ok], err_msg=col)
        else:
            np.testing.assert_allclose(py[ok], r[ok], rtol=rtol, atol=1e-12, err_msg=col)


def expected(name: str) -> pd.DataFrame:
    return pd.read_csv(EXP / f"{name}.csv", dtype={"patient_id": str})


@pytest.fixture(scope="module")
def extended():
    cohort = load_path(HERE / "competing" / "cohort_competing.csv")
    settings = Settings().resolved(cohort.has_recorded_response, cohort.groups)
    outcomes = derive_outcomes(cohort, settings)
    cr, notes = competing_patients(outcomes.ttr_patients, cohort.patients, settings)
    return cohort, settings, cr, notes


def test_loader_reads_the_competing_months(extended):
    cohort, *_ = extended
    p = cohort.patients
    assert p[["death_month", "eskd_month", "discontinued_month"]].notna().sum().tolist() == [
        7,
        5,
        11,
    ]
    assert cohort.report.ok and has_competing(p)


def test_competing_patients_match_r(extended):
    _, _, cr, notes = extended
    assert_matches(expected("competing_patients"), cr, ["patient_id"])
    assert cr["status"].value_counts().to_dict() == {1: 67, 0: 13, 2: 5, 4: 3, 3: 2}
    assert any("after their last assessment" in n for n in notes)


@pytest.fixture(scope="module")
def tables(extended):
    _, settings, cr, _ = extended
    return competing_risks(cr, settings)


def test_cif_curve_matches_r(tables):
    assert_matches(
        expected("cif_curve"), tables["cif_curve"].table, ["group", "estimator", "cause", "time"]
    )


def test_cif_risk_matches_r(tables):
    assert_matches(expected("cif_risk"), tables["cif_risk"].table, ["group", "time"])


def test_gray_tests_match_r(tables):
    assert_matches(expected("cif_tests"), tables["cif_tests"].table, ["cause"])


def test_fine_gray_matches_r(tables):
    exp = expected("cif_regression")
    got = tables["cif_regression"].table
    assert_matches(exp, got, ["term"])
    assert got["converged"].all() and (got["reference"] == "refractory").all()


def test_milestones_match_r(extended):
    _, settings, cr, _ = extended
    got = milestones(cr, settings).table
    assert_matches(expected("milestones"), got, ["group", "estimator", "cause", "month"])


def test_aalen_johansen_exceeds_nothing_that_km_does(tables):
    """1 − KM (competing events censored) is never below the Aalen–Johansen estimate."""
    c = tables["cif_curve"].table
    resp = c[c["cause"] == "response (CR or PR)"]
    aj = resp[resp["estimator"] == "aalen_johansen"].set_index(["group", "time"])
    km = resp[resp["estimator"] == "one_minus_km"].set_index(["group", "time"])
    diff = km["cum_incidence"] - aj.loc[km.index, "cum_incidence"]
    assert (diff >= -1e-12).all() and (diff > 0.1).any()


def test_rules_tie_goes_to_the_response_and_earlier_competing_event_wins():
    ttr = pd.DataFrame(
        {
            "patient_id": ["a", "b", "c", "d", "e"],
            "group": "g",
            "time": [6.0, 6.0, 9.0, 3.0, 12.0],
            "event": [1, 1, 0, 0, 1],
        }
    )
    pats = pd.DataFrame(
        {
            "patient_id": ["a", "b", "c", "d", "e"],
            "death_month": [np.nan, np.nan, 5.0, 8.0, np.nan],
            "discontinued_month": [6.0, 4.0, 5.0, np.nan, 0.0],
        }
    )
    cr, notes = competing_patients(ttr, pats, Settings())
    assert cr["status"].tolist() == [1, 4, 2, 2, 1]
    assert cr["time"].tolist() == [6.0, 4.0, 5.0, 8.0, 12.0]
    assert any("at or before month 0" in n for n in notes)


def test_ttr_status_codes_are_used_under_recorded_criteria():
    ttr = pd.DataFrame(
        {"patient_id": ["a", "b"], "group": "g", "time": [3.0, 6.0], "event": [1, 0]}
    )
    pats = pd.DataFrame({"patient_id": ["a", "b"], "ttr_months": [4.0, 2.0], "ttr_status": [1, 2]})
    cr, _ = competing_patients(ttr, pats, Settings(criteria="recorded"))
    assert cr[["time", "status"]].values.tolist() == [[4.0, 1], [2.0, 5]]
    assert cr["cause"].tolist()[1] == "competing event"


def test_one_group_and_no_response_give_notes_not_errors():
    cr = pd.DataFrame(
        {
            "patient_id": list("abc"),
            "group": "g",
            "time": [1.0, 2.0, 3.0],
            "status": [0, 2, 0],
            "cause": ["censored", "death", "censored"],
        }
    )
    res = competing_risks(cr, Settings())
    assert res["cif_tests"].table.empty and res["cif_regression"].table.empty
    assert any("One group only" in n for n in res["cif_tests"].notes)
    cr["group"] = ["x", "y", "y"]
    res = competing_risks(cr, Settings())
    assert res["cif_tests"].table.empty
    assert any("No responses" in n for n in res["cif_tests"].notes)


# ------------------------------------------------------------------ R's data sets


@pytest.fixture(scope="module")
def mgus2():
    m = pd.read_csv(RD / "mgus2.csv")
    m["etime"] = np.where(m["pstat"] == 0, m["futime"], m["ptime"])
    m["event"] = np.where(m["pstat"] == 0, 2 * m["death"], 1)
    return m


def test_mgus2_gray_test(mgus2):
    exp = pd.read_csv(RD / "expected" / "mgus2_gray.csv")
    for cause, stat, p in [(1, 1.1945, 0.2744), (2, 11.6513, 0.000642)]:
        g = gray_test(mgus2["etime"], mgus2["event"], mgus2["sex"], cause)
        r = exp[exp["cause"] == cause].iloc[0]
        assert g.statistic == pytest.approx(r["statistic"], rel=1e-9)
        assert g.p_value == pytest.approx(r["p_value"], rel=1e-9)
        assert round(g.statistic, 4) == stat and g.p_value == pytest.approx(p, rel=1e-3)


def test_mgus2_cumulative_incidence(mgus2):
    exp = pd.read_csv(RD / "expected" / "mgus2_cif.csv")
    brief = {("F", 1): 0.06196, ("M", 1): 0.04865, ("F", 2): 0.41670, ("M", 2): 0.52057}
    for (sex, cause), r in exp.groupby(["sex", "cause"]):
        s = mgus2[mgus2["sex"] == sex]
        aj = aalen_johansen(s["etime"], s["event"])
        aj = aj[aj["cause"] == cause]
        for col in ("cif", "std_err", "lower", "upper"):
            np.testing.assert_allclose(
                step_at(aj["time"], aj[col], r["time"]), r[col], rtol=1e-9, err_msg=col
            )
        at100 = step_at(aj["time"], aj["cif"], [100.0])[0]
        assert round(at100, 5) == brief[(sex, cause)]


def test_mgus2_fine_gray(mgus2):
    exp = pd.read_csv(RD / "expected" / "mgus2_crr.csv")
    ag = pd.cut(mgus2["age"], [0, 60, 75, 200]).cat.codes
    x = np.column_stack([mgus2["sex"] == "M", ag == 1, ag == 2]).astype(float)
    for cause, r in exp.groupby("cause"):
        f = fine_gray(mgus2["etime"], mgus2["event"], x, list(r["term"]), cause=cause)
        np.testing.assert_allclose(f.coef, r["coef"], rtol=1e-6)
        np.testing.assert_allclose(f.se, r["se"], rtol=1e-6)


def test_competing_headers_in_english_and_korean_with_units(tmp_path):
    f = tmp_path / "cohort.csv"
    f.write_text(
        "patient_id,group,month,response,Time to death (days),중단 시점,ESKD\n"
        "P1,a,0,NR,304.375,,1\nP1,a,3,NR,304.375,,1\n"
        "P2,b,0,NR,,4,0\nP2,b,3,PR,,4,0\n",
        encoding="utf-8",
    )
    p = load_path(f).patients.set_index("patient_id")
    assert p.at["P1", "death_month"] == 10.0  # 304.375 days / 30.4375
    assert p.at["P2", "discontinued_month"] == 4.0
    assert "eskd_month" not in p  # a bare "ESKD" (yes/no) column is not read as a month


def test_mgus2_gray_test_three_groups_with_ties(mgus2):
    """Three age bands (2 df), follow-up rounded to 6-month units so that many times tie."""
    exp = pd.read_csv(RD / "expected" / "mgus2_gray_age.csv")
    band = pd.cut(mgus2["age"], [0, 60, 75, 200], labels=["a<=60", "b60-75", "c>75"])
    t = np.round(mgus2["etime"].to_numpy(float) / 6)
    for r in exp.itertuples():
        g = gray_test(t, mgus2["event"], band.astype(str), r.cause)
        assert g.df == r.df == 2
        assert g.statistic == pytest.approx(r.statistic, rel=1e-9)
        # cuminc reports 1 − pchisq (0 for the death test); here the upper tail itself
        assert g.p_value == pytest.approx(r.p_value, rel=1e-9, abs=1e-12)


def test_gray_test_with_zero_variance_is_nan_and_a_note():
    cr = pd.DataFrame(
        {
            "patient_id": list("abcd"),
            "group": list("xxyy"),
            "time": [3.0] * 4,
            "status": [1] * 4,
            "cause": ["response (CR or PR)"] * 4,
        }
    )
    g = gray_test(cr["time"], cr["status"], cr["group"], 1)
    assert np.isnan(g.statistic) and np.isnan(g.p_value)
    res = competing_risks(cr, Settings())
    assert any("variance is 0" in n for n in res["cif_tests"].notes)
