"""core.stats.contingency against R (stats 4.2): fisher.test, chisq.test, mcnemar.test."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from core.stats.contingency import (
    ExactTooLarge,
    chisq_test,
    fisher_exact_2xk,
    fisher_or_chisq_expected,
    group_outcome_test,
    mcnemar_or_binomial,
)
from core.stats.result_types import ChosenTest

REF = Path(__file__).parent / "reference" / "expected"


def close(a, b, rel=1e-5):
    return a == pytest.approx(b, rel=rel, abs=1e-12)


@pytest.mark.parametrize(
    ("table", "expected"),
    [
        ([[3, 1, 4], [2, 6, 1]], 0.092965857671739885),  # fisher.test(rbind(c(3,1,4), c(2,6,1)))
        (
            [[8, 2], [3, 9], [5, 5]],
            0.042061152585596763,
        ),  # fisher.test(rbind(c(8,2),c(3,9),c(5,5)))
        ([[5, 0, 2], [0, 5, 2], [3, 3, 3]], 0.028000775070611581),  # 3 x 3
        ([[17, 29], [28, 9]], 0.00077511663318819335),  # 2 x 2 (README: p 0.000775)
        ([[10, 12, 8], [15, 5, 9]], 0.16468128170156188),
        ([[1, 2, 3, 4], [4, 3, 2, 1]], 0.4587455887765442),  # equal-probability tables tie
        ([[7, 6, 23, 5, 10], [6, 1, 19, 9, 6]], 0.29254475114716566),
        ([[1, 0, 1], [0, 2, 0], [1, 1, 3]], 0.39682539682539653),
    ],
)
def test_fisher_against_r(table, expected):
    """R: fisher.test(table)$p.value, printed with options(digits = 17)."""
    assert close(fisher_exact_2xk(table), expected, rel=1e-9)


def test_fisher_2x2_reference_response_tests():
    """expected/response_tests.csv: fisher.test on group x outcome 2 x 2 tables."""
    for sub in ("", "class_IV_IVV/", "kdigo2024/", "class_IV_IVV/kdigo2024/"):
        rt = pd.read_csv(REF / sub / "response_tests.csv")
        for row in rt.itertuples():
            tab = [
                [row.refractory_yes, row.refractory_n - row.refractory_yes],
                [row.relapse_yes, row.relapse_n - row.relapse_yes],
            ]
            chosen = group_outcome_test(tab)
            assert chosen.test == "fisher_exact" and close(chosen.p, row.p_value)


def test_fisher_large_2xk_is_exact_and_fast():
    """fisher.test(rbind(c(100,110,90,120,95), c(100,95,110,80,100)), workspace = 2e8)
    $p.value = 0.034920566146749564 (1,000 patients)."""
    p = fisher_exact_2xk([[100, 110, 90, 120, 95], [100, 95, 110, 80, 100]])
    assert close(p, 0.034920566146749564, rel=1e-9)


def test_fisher_degenerate_tables():
    """A table with one non-empty row or column has p = 1 (fisher.test gives 1)."""
    assert fisher_exact_2xk([[3, 0], [5, 0]]) == 1.0
    assert fisher_exact_2xk([[0, 0, 0], [2, 3, 4]]) == 1.0


def test_chisq_against_r():
    """chisq.test(rbind(c(10,12,8), c(15,5,9)), correct = FALSE): X-squared
    3.9253549695740362, df 2, p 0.1404817790932972."""
    res = chisq_test([[10, 12, 8], [15, 5, 9]])
    assert close(res.statistic, 3.9253549695740362) and res.df == 2
    assert close(res.p, 0.1404817790932972)
    one_row = chisq_test([[3, 4]])
    assert np.isnan(one_row.statistic) and one_row.df == 0 and np.isnan(one_row.p)


def test_group_outcome_test_switches_above_max_exact():
    """2 x k above max_exact_n: chi-square without correction; 2 x 2 always Fisher."""
    tab = [[10, 12, 8], [15, 5, 9]]
    assert group_outcome_test(tab, max_exact_n=50) == ChosenTest("chi_square", chisq_test(tab).p)
    assert group_outcome_test(tab).test == "fisher_exact"
    assert group_outcome_test([[600, 400], [500, 500]], max_exact_n=10).test == "fisher_exact"


def test_fisher_or_chisq_expected_rule():
    """Any expected count < 5 -> Fisher; else chi-square (table1 rule of reference.R)."""
    assert fisher_or_chisq_expected([[45, 4], [32, 9]]).test == "chi_square"  # min E 5.9
    chosen = fisher_or_chisq_expected([[3, 1, 4], [2, 6, 1]])
    assert chosen.test == "fisher_exact" and close(chosen.p, 0.092965857671739885)


def test_mcnemar_b_equals_c_has_no_correction():
    """mcnemar.test(matrix(c(10, 15, 15, 20), 2))$p.value = 1 (R skips the correction
    when b = c: statistic 0)."""
    assert mcnemar_or_binomial(15, 15) == ChosenTest("mcnemar", 1.0)


def test_mcnemar_with_correction():
    """mcnemar.test(matrix(c(10, 8, 20, 20), 2))$p.value = 0.03763531378731419 (b 20,
    c 8, corrected)."""
    shift = mcnemar_or_binomial(20, 8)
    assert shift.test == "mcnemar" and close(shift.p, 0.03763531378731419)


def test_exact_binomial_below_25_discordant():
    """binom.test(6, 8)$p.value = 0.28906250000000011; reference dsdna_shift rows."""
    shift = mcnemar_or_binomial(6, 2)
    assert shift.test == "exact binomial" and close(shift.p, 0.28906250000000011)
    for sub in ("", "class_IV_IVV/"):
        ds = pd.read_csv(REF / sub / "dsdna_shift.csv")
        for row in ds.itertuples():
            shift = mcnemar_or_binomial(row.pos_to_neg, row.neg_to_pos)
            assert shift.test == row.test and close(shift.p, row.p_value)
    none = mcnemar_or_binomial(0, 0)
    assert none.test == "exact binomial" and np.isnan(none.p)


def test_tables_beyond_the_exact_budget_fall_back_to_chi_square():
    """A 3 x 4 table of 2,992 patients with expected counts < 5 is beyond the enumeration
    budget: fisher_exact_2xk raises ExactTooLarge, the table1 rule names chi_square."""
    tab = [[500, 400, 100, 2], [450, 420, 120, 4], [480, 400, 110, 1]]
    with pytest.raises(ExactTooLarge):
        fisher_exact_2xk(tab)
    assert fisher_or_chisq_expected(tab) == ChosenTest("chi_square", chisq_test(tab).p)
