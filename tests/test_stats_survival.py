"""core.stats.survival against R survival 3.5.3 (survfit, survdiff, coxph)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from core.stats.survival import cox_efron, kaplan_meier, km_median, logrank, risk_counts

THREE = pd.DataFrame(
    {
        "time": [
            2,
            3,
            3,
            4,
            5,
            5,
            6,
            7,
            8,
            9,
            10,
            3,
            4,
            4,
            6,
            6,
            7,
            9,
            12,
            2,
            2,
            3,
            5,
            8,
            8,
            11,
            12,
        ],
        "event": [1, 1, 0, 1, 1, 1, 0, 1, 0, 1, 1, 1, 0, 1, 1, 1, 0, 1, 0, 1, 1, 1, 0, 1, 1, 0, 1],
        "group": ["a"] * 11 + ["b"] * 8 + ["c"] * 8,
    }
)


def test_km_small_case_against_survfit():
    """survfit(Surv(c(1,2,2,3,4), c(1,1,0,1,1)) ~ 1, conf.type = "log-log"): surv 0.8 0.6
    0.3 0; std.err 0.22360679774997896 0.36514837167011072 0.795822425754221463 Inf; lower
    0.20380926326763926 0.12573018299443137 0.012301529425416074 NA; upper
    0.96917978886674261 0.88175640739353234 0.719218020810414971 NA; median 3, LCL 1,
    UCL NA."""
    km = kaplan_meier([1, 2, 2, 3, 4], [1, 1, 0, 1, 1])
    assert km["n_risk"].tolist() == [5, 4, 2, 1] and km["n_censor"].tolist() == [0, 1, 0, 0]
    np.testing.assert_allclose(km["surv"], [0.8, 0.6, 0.3, 0.0], rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(
        km["std_err_log_surv"][:3],
        [0.22360679774997896, 0.36514837167011072, 0.795822425754221463],
        rtol=1e-10,
    )
    assert np.isinf(km["std_err_log_surv"].iloc[3])
    np.testing.assert_allclose(
        km["lower"][:3], [0.20380926326763926, 0.12573018299443137, 0.012301529425416074], rtol=1e-9
    )
    np.testing.assert_allclose(
        km["upper"][:3], [0.96917978886674261, 0.88175640739353234, 0.719218020810414971], rtol=1e-9
    )
    assert km[["lower", "upper"]].iloc[3].isna().all()
    med = km_median(km)
    assert (med.median, med.low) == (3.0, 1.0) and np.isnan(med.high)
    assert med.rule == "first_time_at_or_below_half"


def test_km_median_exactly_on_half_takes_midpoint():
    """survfit(Surv(c(1,2,3,4), c(1,1,1,1)) ~ 1): S(2) = 0.5 exactly, S(3) = 0.25, so
    summary(fit)$table["median"] = 2.5 (survival's minmin midpoint rule)."""
    med = km_median(kaplan_meier([1, 2, 3, 4], [1, 1, 1, 1]))
    assert med.median == 2.5 and med.rule == "midpoint"


def test_km_median_on_half_without_later_drop_is_that_time():
    """survfit(Surv(c(1,2,2,3,4), c(0,1,1,0,0)) ~ 1): S = 0.5 from month 2 on and never
    lower, so the median is 2 (no midpoint)."""
    med = km_median(kaplan_meier([1, 2, 2, 3, 4], [0, 1, 1, 0, 0]))
    assert med.median == 2.0 and med.rule == "first_time_at_or_below_half"


def test_risk_counts_at_and_beyond_last_time():
    r = risk_counts([1, 2, 2, 3, 4], [1, 1, 0, 1, 1], [0, 2, 4, 6])
    assert r["n_risk"].tolist() == [5, 4, 1, 0]
    assert r["cum_events"].tolist() == [0, 2, 4, 4] and r["cum_censored"].tolist() == [0, 1, 1, 1]


def test_logrank_three_groups_against_survdiff():
    """survdiff(Surv(time, event) ~ group) on THREE: chisq 0.46254560766532093, df 2,
    p 0.79352296039990078."""
    lr = logrank(THREE["time"], THREE["event"], THREE["group"])
    assert lr.df == 2
    assert lr.statistic == pytest.approx(0.46254560766532093, rel=1e-9)
    assert lr.p == pytest.approx(0.79352296039990078, rel=1e-9)


def test_cox_three_groups_against_coxph():
    """coxph(Surv(time, event) ~ group, data = THREE, ties = "efron"): coef b
    -0.36308421397774332 (se 0.57900180045066252, p 0.53060253425259540, CI
    0.22359768527265081-2.1635241906757190), c -0.21388526563605714 (se
    0.55366751177005935, p 0.69926981152693024, CI 0.27278982608577146-2.3899755047759208)."""
    fit = cox_efron(THREE["time"], THREE["event"], THREE["group"], "a").set_index("group")
    expected = {
        "b": (
            -0.36308421397774332,
            0.57900180045066252,
            0.53060253425259540,
            0.22359768527265081,
            2.1635241906757190,
        ),
        "c": (
            -0.21388526563605714,
            0.55366751177005935,
            0.69926981152693024,
            0.27278982608577146,
            2.3899755047759208,
        ),
    }
    for g, (coef, se, p, low, high) in expected.items():
        row = fit.loc[g]
        assert row["term"] == f"{g} vs a" and row["converged"]
        np.testing.assert_allclose(
            [row["coef"], row["se"], row["p_value"], row["ci_low"], row["ci_high"]],
            [coef, se, p, low, high],
            rtol=1e-7,
        )
        assert row["hr"] == pytest.approx(np.exp(coef), rel=1e-9)


def test_hundred_thousand_patients_give_finite_results():
    """Registry scale (100,000 patients, 39 distinct times): one curve row per time, a
    finite log-rank p and a converged Cox fit. Speed is measured in bench/, not here."""
    rng = np.random.default_rng(7)
    n = 100_000
    t = rng.integers(1, 40, n).astype(float)
    e = (rng.random(n) < 0.7).astype(int)
    g = np.where(rng.random(n) < 0.5, "refractory", "relapse")
    km = kaplan_meier(t, e)
    assert len(km) == len(np.unique(t)) and (np.diff(km["surv"]) <= 0).all()
    assert 0 <= logrank(t, e, g).p <= 1
    cox = cox_efron(t, e, g, "refractory")
    assert bool(cox["converged"].iloc[0]) and np.isfinite(cox["hr"].iloc[0])
