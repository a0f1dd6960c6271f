"""core.analyses.time_to_response.time_to_response against the R reference (survival 3.5.3).

R (tests/reference/reference.R, ttr_tables): per group and All
``survfit(Surv(time, event) ~ 1, conf.type = "log-log")``, ``summary(fit, times =
seq(0, max(time), by = 3), extend = TRUE)``, ``summary(fit)$table``,
``survdiff(Surv(time, event) ~ group)``, ``coxph(Surv(time, event) ~ group, ties =
"efron")`` with refractory as the reference.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.analyses.time_to_response import time_to_response
from core.model.settings import Settings

REF = Path(__file__).parent / "reference" / "expected"
SUBSETS = ("", "class_IV_IVV/")
COUNTS = {"n_risk", "n_event", "n_censor", "cum_events", "cum_censored", "n", "n_events", "df"}


def assert_matches(expected: pd.DataFrame, got: pd.DataFrame, keys: list[str]) -> None:
    """Contract agreement: counts exact; other numbers 1e-5 relative (1e-12 absolute where
    R gives 0); R's empty cells must be NaN here."""
    assert len(got) == len(expected), (len(got), len(expected))
    m = expected.merge(got, on=keys, how="left", suffixes=("_r", ""), indicator=True)
    assert (m["_merge"] == "both").all(), m.loc[m["_merge"] != "both", keys]
    for col in expected.columns:
        if col in keys or not pd.api.types.is_numeric_dtype(expected[col]):
            continue
        r, py = m[f"{col}_r"].to_numpy(float), m[col].to_numpy(float)
        assert np.array_equal(np.isnan(r), np.isnan(py)), col
        ok = ~np.isnan(r)
        if col in COUNTS:
            np.testing.assert_array_equal(py[ok], r[ok], err_msg=col)
        else:
            np.testing.assert_allclose(py[ok], r[ok], rtol=1e-5, atol=1e-12, err_msg=col)


def run(sub: str) -> dict:
    patients = pd.read_csv(REF / sub / "ttr_patients.csv", dtype={"patient_id": str})
    return time_to_response(patients, Settings())


@pytest.fixture(scope="module", params=SUBSETS)
def case(request):
    return request.param, run(request.param)


def test_curve_matches_survfit(case):
    """survfit(..., conf.type = "log-log"): one row per observed time, 100(1 − S) etc."""
    sub, res = case
    assert_matches(
        pd.read_csv(REF / sub / "ttr_curve.csv"), res["ttr_curve"].table, ["group", "time"]
    )


def test_risk_matches_summary_times(case):
    """summary(fit, times = c(0, 3, 6, 9, 12), extend = TRUE), cumulated."""
    sub, res = case
    assert_matches(
        pd.read_csv(REF / sub / "ttr_risk.csv"), res["ttr_risk"].table, ["group", "time"]
    )


def test_summary_matches_survfit_table(case):
    """summary(fit)$table: records, events, median, 0.95LCL, 0.95UCL."""
    sub, res = case
    expected = pd.read_csv(REF / sub / "ttr_summary.csv")
    got = res["ttr_summary"].table
    assert_matches(expected, got, ["group"])
    rules = dict(zip(got["group"], got["median_rule"], strict=True))
    assert rules == dict(zip(expected["group"], expected["median_rule"], strict=True))


def test_median_sits_on_half_uses_midpoint():
    """class_IV_IVV All: S(5) = 28/56 = 0.5 exactly on paper, so survfit's median is the
    midpoint 5.5 of months 5 and 6 (summary(fit)$table[, "median"] = 5.5)."""
    row = run("class_IV_IVV/")["ttr_summary"].table.set_index("group").loc["All"]
    assert row["median_time"] == 5.5 and row["median_rule"] == "midpoint"
    assert (row["median_ci_low"], row["median_ci_high"]) == (3.0, 6.0)


def test_logrank_matches_survdiff(case):
    """survdiff(Surv(time, event) ~ group): chisq 10.4517898241812, p 0.00122530670590627
    (whole cohort)."""
    sub, res = case
    assert_matches(pd.read_csv(REF / sub / "ttr_tests.csv"), res["ttr_tests"].table, ["test"])


def test_cox_matches_coxph_efron(case):
    """coxph(Surv(time, event) ~ group, ties = "efron"): HR 2.15579232137464
    [1.34927705360134, 3.44439306997287], Wald p 0.00131370990526654 (whole cohort)."""
    sub, res = case
    expected = pd.read_csv(REF / sub / "cox.csv")
    got = res["cox"].table
    assert_matches(expected, got, ["term"])
    np.testing.assert_allclose(got["p_value"], expected["p_value"], rtol=1e-8)


def test_reference_setting_flips_the_hazard_ratio():
    """With relapse as the reference the HR is the reciprocal (same model)."""
    patients = pd.read_csv(REF / "ttr_patients.csv", dtype={"patient_id": str})
    flipped = time_to_response(patients, Settings(reference="relapse"))["cox"].table
    assert flipped["term"].tolist() == ["refractory vs relapse"]
    assert flipped["hr"].iloc[0] == pytest.approx(1 / 2.15579232137464, rel=1e-8)


def test_one_group_skips_tests_with_a_note():
    patients = pd.read_csv(REF / "ttr_patients.csv", dtype={"patient_id": str})
    res = time_to_response(patients[patients["group"] == "relapse"], Settings())
    assert res["ttr_tests"].table.empty and res["cox"].table.empty
    assert any("One group only" in n for n in res["cox"].notes)
    assert set(res["ttr_summary"].table["group"]) == {"relapse", "All"}


def test_no_events_degrades_gracefully():
    """All censored: S = 1, CI undefined (R gives NA), median not reached, tests skipped."""
    patients = pd.DataFrame(
        {
            "patient_id": ["a", "b", "c", "d"],
            "group": ["x", "x", "y", "y"],
            "time": [3.0, 6.0, 6.0, 9.0],
            "event": [0, 0, 0, 0],
        }
    )
    res = time_to_response(patients, Settings())
    curve = res["ttr_curve"].table
    assert (curve["cum_incidence"] == 0).all() and curve["ci_low"].isna().all()
    assert res["ttr_summary"].table["median_time"].isna().all()
    assert res["cox"].table.empty and any("No events" in n for n in res["ttr_tests"].notes)
    assert any("No response (CR or PR) observed" in n for n in res["ttr_curve"].notes)


def test_group_without_events_gives_no_hazard_ratio():
    """One group never responds: the Cox likelihood has no finite maximum; NaN + note."""
    patients = pd.DataFrame(
        {
            "patient_id": list("abcdef"),
            "group": ["x"] * 3 + ["y"] * 3,
            "time": [3.0, 3, 6, 6, 9, 12],
            "event": [1, 1, 1, 0, 0, 0],
        }
    )
    res = time_to_response(patients, Settings())
    assert res["cox"].table["hr"].isna().all()
    assert any("not estimable" in n for n in res["cox"].notes)
    assert res["ttr_tests"].table["p_value"].notna().all()


def test_all_events_at_one_time():
    """Everyone responds at month 3: S drops to 0 there (R: std.err Inf, CI NA)."""
    patients = pd.DataFrame(
        {
            "patient_id": list("abcd"),
            "group": ["x", "x", "y", "y"],
            "time": [3.0] * 4,
            "event": [1] * 4,
        }
    )
    res = time_to_response(patients, Settings())
    curve = res["ttr_curve"].table
    assert (curve["cum_incidence"] == 100).all() and curve["ci_low"].isna().all()
    assert (res["ttr_summary"].table["median_time"] == 3).all()


def test_default_risk_times_and_custom():
    patients = pd.read_csv(REF / "ttr_patients.csv", dtype={"patient_id": str})
    res = time_to_response(patients, Settings(), risk_times=[0, 6, 12, 24])
    risk = res["ttr_risk"].table
    assert risk.loc[risk["group"] == "All", "time"].tolist() == [0, 6, 12, 24]
    assert risk.loc[(risk["group"] == "All") & (risk["time"] == 24), "n_risk"].item() == 0


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(1, 24), st.booleans(), st.sampled_from(["a", "b"])),
        min_size=1,
        max_size=60,
    )
)
def test_cumulative_incidence_never_falls_and_ci_contains_it(rows):
    patients = pd.DataFrame(rows, columns=["time", "event", "group"])
    patients["patient_id"] = [f"p{i}" for i in range(len(rows))]
    patients["event"] = patients["event"].astype(int)
    curve = time_to_response(patients, Settings())["ttr_curve"].table
    for _, c in curve.groupby("group"):
        inc = c["cum_incidence"].to_numpy()
        assert np.all(np.diff(inc) >= -1e-9) and np.all((inc >= 0) & (inc <= 100 + 1e-9))
        ok = c["ci_low"].notna()
        assert np.all(c.loc[ok, "ci_low"] <= c.loc[ok, "cum_incidence"] + 1e-9)
        assert np.all(c.loc[ok, "cum_incidence"] <= c.loc[ok, "ci_high"] + 1e-9)
