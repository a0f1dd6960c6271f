"""Paired lab changes, repeated measures, change between groups, anti-dsDNA shift."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from test_outcomes import long_cohort

from core.analyses.dsdna import dsdna_shift
from core.analyses.labs_values import measures_of, steroid_trajectory
from core.analyses.paired import (
    change_between_groups,
    paired_changes,
    repeated_measures,
)
from core.model.schema import Cohort
from core.model.settings import Settings
from core.outcomes.derive import derive_outcomes


@pytest.fixture(scope="module")
def whole():
    c = long_cohort()
    return c, derive_outcomes(c, Settings())


def test_upcr_6_months_refractory_against_R(whole) -> None:
    """``wilcox.test(fu, base, paired = TRUE, digits.rank = 7)``: p 0.0367055734552639,
    V 299.5 (normal_cc: PT002/PT008's ±1.91 tie only after rounding); ``t.test(paired =
    TRUE)``: p 0.639924015617685, CI [-0.894372984922384, 0.555768333759593]
    (expected/paired_changes.csv)."""
    c, o = whole
    t = paired_changes(c, o).table.set_index(["measure", "month", "group"])
    r = t.loc[("upcr", 6.0, "refractory")]
    assert r["n_pairs"] == 43 and r["wilcoxon_method"] == "normal_cc" and r["tied_abs_diff"]
    assert r["wilcoxon_V"] == 299.5
    assert r["wilcoxon_p"] == pytest.approx(0.0367055734552639, rel=1e-7)
    assert r["ttest_p"] == pytest.approx(0.639924015617685, rel=1e-7)
    assert [r["mean_change_ci_low"], r["mean_change_ci_high"]] == pytest.approx(
        [-0.894372984922384, 0.555768333759593], rel=1e-7
    )
    assert [r["baseline_q1"], r["baseline_median"], r["baseline_q3"]] == [1.375, 2.42, 3.25]
    assert r["median_change"] == pytest.approx(-0.83)
    assert len(t) == 9 * 2 * 3


def test_repeated_and_between_groups_against_R(whole) -> None:
    """``friedman.test`` upcr refractory: chisq 23.8616352201258, p 6.58433239851363e-06, n 40;
    pairwise 0-6 p 0.026562388820856, Holm 0.053124777641712; rank-sum upcr 6 months
    p 0.101501165795019, W 589 (expected/*.csv)."""
    c, o = whole
    rm, pw = repeated_measures(c, o)
    r = rm.table.set_index(["measure", "group"]).loc[("upcr", "refractory")]
    assert (r["n_complete"], r["months"]) == (40, "0,6,12")
    assert r["friedman_chisq"] == pytest.approx(23.8616352201258, rel=1e-9)
    assert r["friedman_p"] == pytest.approx(6.58433239851363e-06, rel=1e-7)
    p = pw.table.set_index(["measure", "group", "month_a", "month_b"])
    row = p.loc[("upcr", "refractory", 0.0, 6.0)]
    assert row["wilcoxon_p"] == pytest.approx(0.026562388820856, rel=1e-7)
    assert row["p_holm"] == pytest.approx(0.053124777641712, rel=1e-7)
    b = change_between_groups(c, o).table.set_index(["measure", "month"]).loc[("upcr", 6.0)]
    assert (b["group_a"], b["group_b"], b["n_a"], b["n_b"], b["W"]) == (
        "relapse",
        "refractory",
        35,
        43,
        589,
    )
    assert b["p_value"] == pytest.approx(0.101501165795019, rel=1e-7)


def test_dsdna_shift_against_R(whole) -> None:
    """``binom.test(23, 24)$p.value`` = 2.98023223876954e-06 (12 months, All: b 23, c 1)."""
    c, o = whole
    t = dsdna_shift(c, o).table.set_index(["month", "group"])
    r = t.loc[(12.0, "All")]
    assert (r["n_pairs"], r["pos_to_neg"], r["neg_to_pos"], r["test"]) == (
        80,
        23,
        1,
        "exact binomial",
    )
    assert r["p_value"] == pytest.approx(2.98023223876954e-06, rel=1e-9)


def tiny(extra: dict | None = None) -> Cohort:
    v = pd.DataFrame(
        {
            "patient_id": ["a", "a", "a", "b", "b", "c", "c"],
            "month": [0.0, 6.0, 12.0, 0.0, 6.0, 0.0, 6.0],
            "upcr": [3.0, 1.0, np.nan, 2.0, 2.0, 1.0, 1.0],
            "c3": [60.0, np.nan, 70.0, 50.0, np.nan, np.nan, 55.0],
            "anti_dsdna_pos": pd.array([True, False, None, True, True, False, False], "boolean"),
            **(extra or {}),
        }
    )
    p = pd.DataFrame({"patient_id": ["a", "b", "c"], "group": ["refractory", "relapse", "relapse"]})
    return Cohort(p, v)


def test_degenerate_pairs_give_notes_not_errors() -> None:
    c = tiny()
    o = derive_outcomes(c, Settings(criteria="kdigo2024"))
    t = paired_changes(c, o)
    tab = t.table.set_index(["measure", "month", "group"])
    assert tab.loc[("c3", 6.0, "All"), "n_pairs"] == 0
    assert np.isnan(tab.loc[("c3", 6.0, "All"), "wilcoxon_p"])
    assert tab.loc[("upcr", 12.0, "All"), "n_pairs"] == 0
    assert any("Fewer than 2 pairs" in n for n in t.notes)
    # b and c unchanged, a falls by 2: one non-zero difference after two zeros.
    row = tab.loc[("upcr", 6.0, "All")]
    assert (row["n_pairs"], row["n_zero_diff"], row["median_change"]) == (3, 2, 0.0)
    rm, pw = repeated_measures(c, o)
    assert rm.table["friedman_p"].isna().all() and any("complete cases" in n for n in rm.notes)
    assert change_between_groups(c, o).table["n_b"].max() <= 1
    d = dsdna_shift(c, o)
    assert d.table.set_index(["month", "group"]).loc[(12.0, "All"), "n_pairs"] == 0


def test_extra_numeric_column_is_analysed() -> None:
    c = tiny({"ferritin": [100.0, 80.0, 60.0, 90.0, 85.0, 70.0, 50.0], "note_flag": [True] * 7})
    assert measures_of(c.visits) == ["upcr", "c3", "ferritin"]
    o = derive_outcomes(c, Settings(criteria="kdigo2024"))
    tab = paired_changes(c, o).table.set_index(["measure", "month", "group"])
    assert tab.loc[("ferritin", 6.0, "All"), "median_change"] == -20.0


def test_steroid_trajectory_by_visit_month(whole) -> None:
    c, o = whole
    t = steroid_trajectory(c, o).table.set_index(["month", "group"])
    v = c.visits.dropna(subset=["steroid_mg"])
    at0 = v.loc[v["month"] == 0, "steroid_mg"]
    assert t.loc[(0, "All"), "n"] == len(at0)
    assert t.loc[(0, "All"), "median"] == at0.median()
    assert t.loc[(0, "All"), "q3"] == np.quantile(at0, 0.75)
