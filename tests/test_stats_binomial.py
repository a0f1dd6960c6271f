"""core.stats.binomial against R (stats 4.2): binom.test, prop.test(correct = FALSE)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.stats.binomial import binom_test_p, clopper_pearson, newcombe_difference, wilson
from core.stats.result_types import Difference, Interval

REF = Path(__file__).parent / "reference" / "expected"
REL = 1e-5


def close(a, b, rel=REL):
    return a == pytest.approx(b, rel=rel, abs=1e-12)


def test_clopper_pearson_5_of_10_by_hand():
    """binom.test(5, 10)$conf.int = 0.18708602844739858 0.81291397155260148."""
    iv = clopper_pearson(5, 10)
    assert close(iv.low, 0.18708602844739858) and close(iv.high, 0.81291397155260148)
    assert round(iv.low, 6) == 0.187086 and round(iv.high, 6) == 0.812914


def test_clopper_pearson_edges_and_level():
    """binom.test(0, 12): 0 0.26464846939705111; binom.test(12, 12): 0.73535153060294889 1;
    binom.test(7, 23, conf.level = 0.9): 0.15247968742967721 0.49643508371406275."""
    assert clopper_pearson(0, 12) == Interval(0.0, pytest.approx(0.26464846939705111, rel=1e-9))
    assert clopper_pearson(12, 12) == Interval(pytest.approx(0.73535153060294889, rel=1e-9), 1.0)
    iv = clopper_pearson(7, 23, conf=0.9)
    assert close(iv.low, 0.15247968742967721) and close(iv.high, 0.49643508371406275)


def test_clopper_pearson_vectorised_matches_reference_response_rates():
    """expected/response_rates.csv: binom.test(orr_n, n)$conf.int * 100 (and CR)."""
    for sub in ("", "class_IV_IVV/"):
        rr = pd.read_csv(REF / sub / "response_rates.csv")
        orr = clopper_pearson(rr["orr_n"].to_numpy(), rr["n_evaluable"].to_numpy())
        np.testing.assert_allclose(100 * orr.low, rr["orr_ci_low"], rtol=REL)
        np.testing.assert_allclose(100 * orr.high, rr["orr_ci_high"], rtol=REL)
        cr = clopper_pearson(rr["cr_n"].to_numpy(), rr["n_evaluable"].to_numpy())
        np.testing.assert_allclose(100 * cr.low, rr["cr_ci_low"], rtol=REL)
        np.testing.assert_allclose(100 * cr.high, rr["cr_ci_high"], rtol=REL)


def test_wilson_against_prop_test():
    """prop.test(x, n, correct = FALSE)$conf.int: 5/10 0.23659309051256402
    0.76340690948743595; 0/12 0 0.24249400665524079; 7/23 0.15604024453214027
    0.50865756268759199."""
    iv = wilson(np.array([5, 0, 7]), np.array([10, 12, 23]))
    np.testing.assert_allclose(iv.low, [0.23659309051256402, 0, 0.15604024453214027], rtol=1e-9)
    np.testing.assert_allclose(
        iv.high, [0.76340690948743595, 0.24249400665524079, 0.50865756268759199], rtol=1e-9
    )
    assert iv.low[1] == 0.0


@pytest.mark.parametrize(
    ("x", "n", "p", "expected"),
    [
        (3, 10, 0.5, 0.34375000000000011),  # binom.test(3, 10)
        (7, 20, 0.3, 0.62949796667667735),  # binom.test(7, 20, p = 0.3)
        (1, 25, 0.2, 0.044721595142489655),  # binom.test(1, 25, p = 0.2)
        (9, 12, 0.25, 0.00039166212081909185),  # binom.test(9, 12, p = 0.25)
        (5, 10, 0.5, 1.0),  # binom.test(5, 10)
        (6, 8, 0.5, 0.28906250000000011),  # binom.test(6, 8)
    ],
)
def test_binom_test_p_against_r(x, n, p, expected):
    assert close(binom_test_p(x, n, p), expected)


def test_binom_test_empty_is_nan():
    assert np.isnan(binom_test_p(0, 0))


def test_newcombe_matches_reference_differences():
    """expected/response_difference.csv: Newcombe method 10 from prop.test Wilson limits."""
    for sub in ("", "class_IV_IVV/"):
        rd = pd.read_csv(REF / sub / "response_difference.csv")
        for row in rd.itertuples():
            dif = newcombe_difference(row.x_group, row.n_group, row.x_reference, row.n_reference)
            assert close(100 * dif.diff, row.diff_pct)
            assert close(100 * dif.low, row.ci_low) and close(100 * dif.high, row.ci_high)


def test_newcombe_headline_numbers():
    """README: 6-month ORR relapse 28/37 vs refractory 17/46 = 38.7 [17.3, 55.3] points."""
    dif = newcombe_difference(28, 37, 17, 46)
    rounded = (round(100 * dif.diff, 1), round(100 * dif.low, 1), round(100 * dif.high, 1))
    assert rounded == (38.7, 17.3, 55.3)


def test_newcombe_empty_group_is_nan():
    dif = newcombe_difference(3, 10, 0, 0)
    assert isinstance(dif, Difference) and all(np.isnan([dif.diff, dif.low, dif.high]))


@settings(max_examples=200, deadline=None)
@given(
    st.integers(1, 400).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))),
    st.sampled_from([0.8, 0.9, 0.95, 0.99]),
)
def test_intervals_contain_the_estimate(xn, conf):
    x, n = xn
    for method in (clopper_pearson, wilson):
        iv = method(x, n, conf)
        assert 0.0 <= iv.low <= x / n <= iv.high <= 1.0


@settings(max_examples=100, deadline=None)
@given(
    st.integers(1, 200).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))),
    st.integers(1, 200).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))),
)
def test_newcombe_interval_contains_difference(a, b):
    dif = newcombe_difference(a[0], a[1], b[0], b[1])
    assert -1.0 - 1e-12 <= dif.low <= dif.diff + 1e-12
    assert dif.diff - 1e-12 <= dif.high <= 1.0 + 1e-12
