"""core.stats.ranks against R 4.2 (wilcox.test digits.rank = 7, friedman.test, p.adjust,
kruskal.test, t.test, oneway.test) and against the reference tables computed by
tests/reference/reference.R from cohort_long.csv."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.stats.ranks import (
    friedman,
    holm,
    kruskal,
    paired_t,
    rank_sum,
    signed_rank,
    signif,
    welch_anova,
    welch_t,
)

ROOT = Path(__file__).parent / "reference"
MEASURES = [
    "upcr",
    "creatinine",
    "egfr",
    "albumin",
    "anti_dsdna",
    "c3",
    "c4",
    "sledai",
    "steroid_mg",
]


def close(a, b, rel=1e-9):
    return a == pytest.approx(b, rel=rel, abs=1e-12)


def test_signif_matches_r():
    """signif(c(0.3 - 0.1, 0.5 - 0.3, 123456789, -0.000123456789, 2.5e-7, 0), 7)."""
    got = signif(np.array([0.3 - 0.1, 0.5 - 0.3, 123456789, -0.000123456789, 0.0]))
    assert got[0] == got[1] == 0.2
    assert got[2] == 123456800 and got[3] == -0.0001234568 and got[4] == 0


def test_signed_rank_differences_equal_on_paper_tie():
    """0.3 − 0.1 and 0.5 − 0.3 differ as doubles but tie after signif(·, 7):
    wilcox.test(c(0.3-0.1, 0.5-0.3, -0.1, 0.4, 0.7, -0.25, 1.1), digits.rank = 7):
    V = 23, p = 0.1500556952976945 (normal approximation: "cannot compute exact p-value
    with ties")."""
    assert 0.3 - 0.1 != 0.5 - 0.3
    res = signed_rank([0.3 - 0.1, 0.5 - 0.3, -0.1, 0.4, 0.7, -0.25, 1.1])
    assert res.tied and res.method == "normal_cc" and res.V == 23
    assert close(res.p, 0.1500556952976945)


def test_signed_rank_exact_and_zero_dropped():
    """wilcox.test(c(1.2,-0.5,2.3,0.8,1.9,-0.1,0.6,3.1), digits.rank = 7): exact, V 33,
    p 0.039062500000000014; with a 0 appended: zero dropped, normal, p
    0.04231527490571399."""
    d = [1.2, -0.5, 2.3, 0.8, 1.9, -0.1, 0.6, 3.1]
    res = signed_rank(d)
    assert (res.method, res.V, res.n_zero) == ("exact", 33, 0) and close(res.p, 0.0390625)
    res = signed_rank(d + [0.0])
    assert (res.method, res.n_zero) == ("normal_cc", 1) and close(res.p, 0.04231527490571399)


@pytest.mark.parametrize(
    ("n", "p", "v", "method"),
    [(49, 1.1544603495394782e-08, 1130, "exact"), (50, 1.959731844660886e-07, 1177, "normal_cc")],
)
def test_signed_rank_exact_only_below_50(n, p, v, method):
    """k <- 1:n; d <- ((k * 37) %% 101) - 20.3; wilcox.test(d, digits.rank = 7)."""
    k = np.arange(1, n + 1)
    res = signed_rank((k * 37) % 101 - 20.3)
    assert res.method == method and res.V == v and close(res.p, p)


@pytest.mark.parametrize(
    ("n", "p", "w", "method"),
    [(49, 0.61199190316609531, 786, "exact"), (50, 0.64399475558041308, 797, "normal_cc")],
)
def test_rank_sum_exact_only_below_50(n, p, w, method):
    """k <- 1:n; a <- ((k*37) %% 101)/3; j <- 1:30; b <- ((j*53) %% 103)/3.1 + 0.01;
    wilcox.test(a, b, digits.rank = 7)."""
    a = ((np.arange(1, n + 1) * 37) % 101) / 3
    b = ((np.arange(1, 31) * 53) % 103) / 3.1 + 0.01
    res = rank_sum(a, b)
    assert res.method == method and res.W == w and close(res.p, p)


def test_rank_sum_small_cases():
    """wilcox.test(c(1.1,2.5,3.3,0.4,5.2), c(2.0,0.9,0.3,1.7,0.6,0.2), digits.rank = 7):
    W 24, p 0.12554112554112554 (exact); with 2.0 added to the first sample (a tie):
    W 29.5, p 0.077648309992793291."""
    res = rank_sum([1.1, 2.5, 3.3, 0.4, 5.2], [2.0, 0.9, 0.3, 1.7, 0.6, 0.2])
    assert (res.method, res.W) == ("exact", 24) and close(res.p, 0.12554112554112554)
    res = rank_sum([1.1, 2.5, 3.3, 0.4, 5.2, 2.0], [2.0, 0.9, 0.3, 1.7, 0.6, 0.2])
    assert (res.method, res.W, res.tied) == ("normal_cc", 29.5, True)
    assert close(res.p, 0.077648309992793291)


def test_friedman_against_r():
    """friedman.test(cbind(1:8, c(2,2,5,3,7,8,9,6), c(3,1,4,6,8,7,9,9))): chisq
    4.4666666666666668, p 0.10717059875230674; and with within-row ties
    friedman.test(rbind(c(1,2,3),c(2,3,1),c(3,1,2),c(1,3,2),c(1,2,2),c(4,5,6))):
    2.34782608695652195, p 0.30915483498901641."""
    m = np.column_stack([np.arange(1, 9), [2, 2, 5, 3, 7, 8, 9, 6], [3, 1, 4, 6, 8, 7, 9, 9]])
    fr = friedman(m)
    assert close(fr.statistic, 4.4666666666666668) and close(fr.p, 0.10717059875230674)
    assert fr.df == 2
    fr = friedman([[1, 2, 3], [2, 3, 1], [3, 1, 2], [1, 3, 2], [1, 2, 2], [4, 5, 6]])
    assert close(fr.statistic, 2.34782608695652195) and close(fr.p, 0.30915483498901641)


def test_holm_against_p_adjust():
    """p.adjust(c(0.02, 0.001, 0.04, 0.5, 0.03), "holm") = 0.08 0.005 0.09 0.5 0.09;
    p.adjust(c(0.01, 0.04, 0.03, NA, 0.2), "holm") = 0.04 0.09 0.09 NA 0.2."""
    np.testing.assert_allclose(
        holm([0.02, 0.001, 0.04, 0.5, 0.03]), [0.08, 0.005, 0.09, 0.5, 0.09], rtol=1e-12
    )
    got = holm([0.01, 0.04, 0.03, np.nan, 0.2])
    np.testing.assert_allclose(got, [0.04, 0.09, 0.09, np.nan, 0.2], rtol=1e-12)


def test_kruskal_t_and_welch_against_r():
    """kruskal.test(list(c(1,2,3,3), c(4,5,6), c(2,7,8,9,9))): 5.839134275618373948,
    p 0.053957038207897365; t.test(c(1.2,-0.5,2.3,0.8,1.9,-0.1)): mean
    0.933333333333333237, CI -0.217542435450347821 2.084209102117014378, p
    0.091515935903230164; t.test(c(1,2,3,4,8), c(2,5,7,9,12,13)): t -2.099208608739148829,
    df 8.563968822871117936, p 0.066755916872508661; oneway.test(y ~ g) for those and
    c(3,3.5,4,6): F 2.31271308750896099, df 2 and 7.60461136644296243, p
    0.16420686526409914."""
    kw = kruskal([[1, 2, 3, 3], [4, 5, 6], [2, 7, 8, 9, 9]])
    assert close(kw.statistic, 5.839134275618373948) and close(kw.p, 0.053957038207897365)
    assert kw.df == 2
    pt = paired_t([1.2, -0.5, 2.3, 0.8, 1.9, -0.1])
    assert close(pt.mean, 0.933333333333333237) and close(pt.p, 0.091515935903230164)
    assert close(pt.low, -0.217542435450347821) and close(pt.high, 2.084209102117014378)
    wt = welch_t([1, 2, 3, 4, 8], [2, 5, 7, 9, 12, 13])
    assert close(wt.t, -2.099208608739148829) and close(wt.df, 8.563968822871117936)
    assert close(wt.p, 0.066755916872508661)
    wa = welch_anova([[1, 2, 3, 4, 8], [2, 5, 7, 9, 12, 13], [3, 3.5, 4, 6]])
    assert close(wa.f, 2.31271308750896099) and wa.df1 == 2
    assert close(wa.df2, 7.60461136644296243) and close(wa.p, 0.16420686526409914)
    assert close(welch_anova([[1, 2, 3, 4, 8], [2, 5, 7, 9, 12, 13]]).p, 0.066755916872508661)


def test_degenerate_inputs_are_nan_not_errors():
    assert np.isnan(signed_rank([0.0, 0.0]).p) and signed_rank([0.0, 0.0]).n_zero == 2
    assert np.isnan(rank_sum([], [1.0]).p)
    assert np.isnan(paired_t([1.0]).p)
    # friedman.test(matrix(c(1, 2), 1)): chisq 1, p 0.31731050786291115 (one patient is fine)
    fr = friedman([[1.0, 2.0]])
    assert fr.statistic == 1.0 and fr.df == 1 and close(fr.p, 0.31731050786291115)
    assert np.isnan(friedman([[1.0], [2.0]]).p)
    # friedman.test(rbind(c(1,1,1), c(2,2,2))) and kruskal.test(list(c(1,1), c(1,1,1))):
    # statistic NaN, df 2 and 1, p NaN
    fr = friedman([[1.0, 1.0, 1.0], [2.0, 2.0, 2.0]])
    assert np.isnan(fr.statistic) and fr.df == 2 and np.isnan(fr.p)
    kw = kruskal([[1.0, 1.0], [1.0, 1.0, 1.0]])
    assert np.isnan(kw.statistic) and kw.df == 1 and np.isnan(kw.p)
    assert np.isnan(welch_t([1.0], [2.0, 3.0]).p) and np.isnan(welch_anova([[1.0, 2.0]]).f)


# ---------------------------------------------------------------- reference tables
def _landmark_values() -> pd.DataFrame:
    """Per patient and landmark 0/6/12: the nearest visit within ± 1 month (earlier on a
    tie), as reference.R's landmark_visits(); its lab values."""
    d = pd.read_csv(ROOT / "cohort_long.csv", dtype={"patient_id": str})
    frames = []
    for mark in (0.0, 6.0, 12.0):
        w = d.assign(dist=(d["month"] - mark).abs())
        w = w[w["dist"] <= 1]
        w = w.sort_values(["patient_id", "dist", "month"]).drop_duplicates("patient_id")
        frames.append(w.assign(landmark=mark))
    return pd.concat(frames)


@pytest.fixture(scope="module")
def landmark_values():
    return _landmark_values()


def _wide(lv: pd.DataFrame, measure: str, marks) -> pd.DataFrame:
    w = lv.pivot(index="patient_id", columns="landmark", values=measure)[list(marks)]
    groups = lv.drop_duplicates("patient_id").set_index("patient_id")["group"]
    return w.dropna().join(groups)


@pytest.mark.parametrize("sub", ["", "class_IV_IVV/"])
def test_signed_rank_and_paired_t_reproduce_paired_changes(landmark_values, sub):
    """expected/paired_changes.csv: wilcox.test(followup, baseline, paired = TRUE,
    digits.rank = 7) and t.test(followup, baseline, paired = TRUE)."""
    lv = landmark_values
    if sub:
        lv = lv[lv["isn_class"].isin(["IV", "IV+V"])]
    ref = pd.read_csv(ROOT / "expected" / sub / "paired_changes.csv")
    for row in ref.itertuples():
        w = _wide(lv, row.measure, (0.0, float(row.month)))
        if row.group != "All":
            w = w[w["group"] == row.group]
        diffs = (w[float(row.month)] - w[0.0]).to_numpy()
        assert len(diffs) == row.n_pairs
        sr = signed_rank(diffs)
        assert (sr.V, sr.method, sr.n_zero, sr.tied) == (
            row.wilcoxon_V,
            row.wilcoxon_method,
            row.n_zero_diff,
            row.tied_abs_diff,
        )
        assert close(sr.p, row.wilcoxon_p, rel=1e-5)
        pt = paired_t(diffs)
        for got, exp in [
            (pt.mean, row.mean_change),
            (pt.low, row.mean_change_ci_low),
            (pt.high, row.mean_change_ci_high),
            (pt.sd, row.sd_change),
            (pt.p, row.ttest_p),
        ]:
            assert close(got, exp, rel=1e-5)


def test_rank_sum_reproduces_change_between_groups(landmark_values):
    """expected/change_between_groups.csv: wilcox.test(change_relapse, change_refractory,
    digits.rank = 7)."""
    ref = pd.read_csv(ROOT / "expected" / "change_between_groups.csv")
    for row in ref.itertuples():
        w = _wide(landmark_values, row.measure, (0.0, float(row.month)))
        ch = w[float(row.month)] - w[0.0]
        res = rank_sum(ch[w["group"] == row.group_a], ch[w["group"] == row.group_b])
        assert (res.W, res.method, res.tied) == (row.W, row.wilcoxon_method, row.tied)
        assert close(res.p, row.p_value, rel=1e-5)


def test_friedman_and_holm_reproduce_repeated_tables(landmark_values):
    """expected/repeated_measures.csv (friedman.test on complete cases) and
    repeated_pairwise.csv (pairwise.wilcox.test(paired = TRUE, p.adjust.method = "holm",
    digits.rank = 7))."""
    rm = pd.read_csv(ROOT / "expected" / "repeated_measures.csv")
    rp = pd.read_csv(ROOT / "expected" / "repeated_pairwise.csv")
    for row in rm.itertuples():
        w = _wide(landmark_values, row.measure, (0.0, 6.0, 12.0))
        if row.group != "All":
            w = w[w["group"] == row.group]
        assert len(w) == row.n_complete
        fr = friedman(w[[0.0, 6.0, 12.0]].to_numpy())
        assert close(fr.statistic, row.friedman_chisq, rel=1e-5)
        assert close(fr.p, row.friedman_p, rel=1e-5)
        pairs = rp[(rp["measure"] == row.measure) & (rp["group"] == row.group)]
        raw = [
            signed_rank(w[b] - w[a]).p
            for a, b in zip(pairs["month_a"], pairs["month_b"], strict=True)
        ]
        np.testing.assert_allclose(raw, pairs["wilcoxon_p"], rtol=1e-5)
        np.testing.assert_allclose(holm(raw), pairs["p_holm"], rtol=1e-5)


@settings(max_examples=80, deadline=None)
@given(
    st.lists(
        st.floats(-50, 50, allow_nan=False).map(lambda v: round(v, 2)), min_size=1, max_size=60
    )
)
def test_signed_rank_p_is_a_probability_and_symmetric(d):
    res = signed_rank(d)
    flipped = signed_rank([-x for x in d])
    if np.isnan(res.p):
        assert all(x == 0 for x in d)
    else:
        assert 0 < res.p <= 1 and res.p == pytest.approx(flipped.p, rel=1e-12)


def test_signif_handles_subnormal_values_without_overflow() -> None:
    """R: signif(c(1e-320, 123.45678949), 7) gives 1e-320 and 123.4568, with no overflow."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = signif(np.array([1e-320, 123.45678949, -2.5e-310]))
    assert out[0] == 1e-320 and out[1] == 123.4568 and out[2] == -2.5e-310
