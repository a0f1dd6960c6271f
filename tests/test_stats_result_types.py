"""Every statistical primitive that gives more than one number returns a frozen dataclass
with named fields (no bare tuple or dict), so no call site depends on positions."""

from __future__ import annotations

import dataclasses

import pytest

from core.stats.binomial import clopper_pearson, newcombe_difference, wilson
from core.stats.contingency import (
    chisq_test,
    fisher_or_chisq_expected,
    group_outcome_test,
    mcnemar_or_binomial,
)
from core.stats.ranks import (
    friedman,
    kruskal,
    paired_t,
    rank_sum,
    signed_rank,
    welch_anova,
    welch_t,
)
from core.stats.result_types import (
    ChiSquare,
    ChosenTest,
    Difference,
    Interval,
    KMMedian,
    PairedT,
    RankSum,
    SignedRank,
    WelchAnova,
    WelchT,
)
from core.stats.survival import kaplan_meier, km_median, logrank

A, B, C = [1.0, 2.0, 3.5, 4.0], [2.5, 5.0, 6.0, 7.5], [0.5, 3.0, 3.2, 9.0]
TIME, EVENT, GROUP = [1, 2, 3, 4, 5, 6], [1, 0, 1, 1, 1, 0], ["a", "a", "a", "b", "b", "b"]

CALLS = [
    (lambda: clopper_pearson(3, 10), Interval, ("low", "high")),
    (lambda: wilson(3, 10), Interval, ("low", "high")),
    (lambda: newcombe_difference(3, 10, 5, 12), Difference, ("diff", "low", "high")),
    (lambda: chisq_test([[3, 7], [8, 4]]), ChiSquare, ("statistic", "df", "p")),
    (lambda: group_outcome_test([[3, 7], [8, 4]]), ChosenTest, ("test", "p")),
    (lambda: fisher_or_chisq_expected([[3, 7], [8, 4]]), ChosenTest, ("test", "p")),
    (lambda: mcnemar_or_binomial(6, 2), ChosenTest, ("test", "p")),
    (lambda: friedman([A, B, C]), ChiSquare, ("statistic", "df", "p")),
    (lambda: kruskal([A, B, C]), ChiSquare, ("statistic", "df", "p")),
    (lambda: welch_t(A, B), WelchT, ("t", "df", "p")),
    (lambda: welch_anova([A, B, C]), WelchAnova, ("f", "df1", "df2", "p")),
    (lambda: signed_rank(A), SignedRank, ("p", "V", "method", "n_zero", "tied")),
    (lambda: rank_sum(A, B), RankSum, ("p", "W", "method", "tied")),
    (lambda: paired_t(A), PairedT, ("mean", "low", "high", "sd", "p")),
    (lambda: km_median(kaplan_meier(TIME, EVENT)), KMMedian, ("median", "low", "high", "rule")),
    (lambda: logrank(TIME, EVENT, GROUP), ChiSquare, ("statistic", "df", "p")),
]


@pytest.mark.parametrize(("call", "cls", "fields"), CALLS)
def test_primitive_returns_its_frozen_dataclass(call, cls, fields):
    res = call()
    assert type(res) is cls
    assert tuple(f.name for f in dataclasses.fields(res)) == fields
    with pytest.raises(dataclasses.FrozenInstanceError):
        setattr(res, fields[0], 0.0)
    with pytest.raises(TypeError):  # not a tuple: no unpacking by position
        iter(res)
