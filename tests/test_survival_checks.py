"""RMST, proportional-hazards check and pairwise log-rank against R (survival 3.5.3).

R: tests/reference/competing/reference.R on the time to response of the validation
cohort: ``summary(survfit(Surv(time, event) ~ 1), rmean = τ)$table`` per group and All
(τ = the largest time both groups reach), survRM2's rmst2 difference/ratio formulas,
``cox.zph(coxph(Surv(time, event) ~ group, ties = "efron"))`` (transform "km") and
``cox.zph(fit, terms = FALSE)$y``, ``survdiff`` per pair of ISN/RPS classes with
``p.adjust(method = "holm")``; and R's lung data (RMST at 965 days by sex, cox.zph of
sex + age + ECOG under every transform). Counts exact, numbers 1e-6 relative.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from core.analyses.restricted_mean import default_tau, restricted_mean
from core.analyses.survival_checks import pairwise_logrank_table, ph_test
from core.model.settings import Settings
from core.stats.ph import cox_zph, pairwise_logrank
from core.stats.rmst import rmst, rmst_compare
from tests.test_competing_risks import assert_matches

HERE = Path(__file__).parent / "reference"
EXP = HERE / "competing" / "expected"
RD = HERE / "r_datasets"


def expected(name: str) -> pd.DataFrame:
    return pd.read_csv(EXP / f"{name}.csv")


@pytest.fixture(scope="module")
def ttr() -> pd.DataFrame:
    return pd.read_csv(HERE / "expected" / "ttr_patients.csv", dtype={"patient_id": str})


def test_default_tau_is_the_shortest_group_follow_up(ttr):
    assert default_tau(ttr) == ttr.groupby("group")["time"].max().min() == 12.0


def test_rmst_matches_r(ttr):
    res = restricted_mean(ttr, Settings())
    assert_matches(expected("rmst"), res["rmst"].table, ["group"])
    assert_matches(expected("rmst_difference"), res["rmst_difference"].table, ["group"])


def test_rmst_tau_is_settable(ttr):
    res = restricted_mean(ttr, Settings(), tau=6.0)
    t = res["rmst"].table.set_index("group")
    s = ttr[ttr["group"] == "relapse"]
    assert t.at["relapse", "rmst"] == pytest.approx(rmst(s["time"], s["event"], 6.0).estimate)
    assert (t["tau"] == 6.0).all() and (t["rmst"] <= 6.0).all()


def test_ph_test_matches_r(ttr):
    res = ph_test(ttr, Settings())
    assert_matches(expected("ph_test"), res["ph_test"].table, ["term"])
    got = res["ph_residuals"].table
    exp = expected("ph_residuals")
    assert len(got) == len(exp)
    np.testing.assert_allclose(got["time"], exp["time"])
    np.testing.assert_allclose(got["g_time"], exp["g_time"], rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(got["scaled_residual"], exp["scaled_residual"], rtol=1e-6)


def test_pairwise_logrank_matches_r(ttr):
    pats = pd.read_csv(HERE / "cohort_long.csv", dtype={"patient_id": str})
    cls = pats.drop_duplicates("patient_id").set_index("patient_id")["isn_class"]
    by_class = ttr.assign(group=ttr["patient_id"].map(cls))
    got = pairwise_logrank_table(by_class, Settings()).table
    assert_matches(expected("pairwise_logrank_isn_class"), got, ["group_a", "group_b"])


def test_two_groups_pairwise_is_the_log_rank(ttr):
    res = pairwise_logrank_table(ttr, Settings())
    lr = pd.read_csv(HERE / "expected" / "ttr_tests.csv")
    assert res.table["p_value"].iloc[0] == pytest.approx(lr["p_value"].iloc[0], rel=1e-9)
    assert any("Fewer than three" in n for n in res.notes)


def test_one_group_gives_a_note(ttr):
    res = ph_test(ttr.assign(group="x"), Settings())
    assert res["ph_test"].table.empty and "One group only" in res["ph_test"].notes[-1]


def test_lung_rmst():
    lung = pd.read_csv(RD / "lung.csv")
    exp = pd.read_csv(RD / "expected" / "lung_rmst.csv")
    m, f = (rmst(s["time"], s["status"] == 2, 965.0) for _, s in lung.groupby("sex"))
    np.testing.assert_allclose([m.estimate, f.estimate], exp["rmst"], rtol=1e-9)
    np.testing.assert_allclose([m.se, f.se], exp["se"], rtol=1e-9)
    c = rmst_compare(m, f)
    r = exp.iloc[1]
    for k in (
        "diff",
        "diff_ci_low",
        "diff_ci_high",
        "diff_p",
        "ratio",
        "ratio_ci_low",
        "ratio_ci_high",
        "ratio_p",
    ):
        assert getattr(c, k) == pytest.approx(r[k], rel=1e-9), k
    # the numbers quoted in issue 14
    assert (round(m.estimate, 2), round(m.se, 2), round(f.estimate, 2), round(f.se, 2)) == (
        324.05,
        22.30,
        455.90,
        32.92,
    )
    assert (round(c.diff, 2), round(c.diff_ci_low, 2), round(c.diff_ci_high, 2)) == (
        131.86,
        53.93,
        209.78,
    )
    assert round(c.diff_p, 5) == 0.00091


def test_lung_cox_zph_every_transform():
    lung = pd.read_csv(RD / "lung.csv").dropna(subset=["time", "status", "sex", "age", "ph.ecog"])
    ecog = np.minimum(lung["ph.ecog"], 2)
    x = np.column_stack([lung["sex"], lung["age"], ecog == 1, ecog == 2]).astype(float)
    exp = pd.read_csv(RD / "expected" / "lung_zph.csv")
    for tr, r in exp.groupby("transform", sort=False):
        z = cox_zph(
            lung["time"], lung["status"] == 2, x, ["sex", "age", "ecog"], [[0], [1], [2, 3]], tr
        )
        got = pd.DataFrame([vars(t) for t in z.tests])
        np.testing.assert_array_equal(got["term"], r["term"])
        np.testing.assert_allclose(got["chisq"], r["chisq"], rtol=1e-8)
        np.testing.assert_allclose(got["p_value"], r["p_value"], rtol=1e-8)
        np.testing.assert_array_equal(got["df"], r["df"])


def test_pairwise_holm_is_monotone_and_capped():
    rng = np.random.default_rng(1)
    t = rng.exponential(10, 120)
    g = np.repeat(["a", "b", "c", "d"], 30)
    t[g == "d"] /= 3
    out = pairwise_logrank(t, np.ones(120), g)
    assert len(out) == 6 and (out["p_holm"] >= out["p_value"]).all()
    assert (out["p_holm"] <= 1).all()
    order = out.sort_values("p_value")
    assert order["p_holm"].is_monotonic_increasing


def test_every_response_at_one_time_gives_a_note_not_an_error():
    ttr = pd.DataFrame(
        {
            "patient_id": list("abcdef"),
            "group": list("xxxyyy"),
            "time": [3.0] * 6,
            "event": [1, 1, 0, 1, 1, 1],
        }
    )
    res = ph_test(ttr, Settings())
    assert res["ph_test"].table.empty
    assert "one time" in res["ph_test"].notes[-1]
