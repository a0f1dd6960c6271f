"""Statistical primitives, each agreeing with the R function named in its docstring.

- ``binomial``: Clopper–Pearson and Wilson intervals, exact binomial p, Newcombe difference.
- ``contingency``: Fisher exact (r × c, network algorithm), chi-square, McNemar.
- ``ranks``: Wilcoxon signed-rank / rank-sum (digits.rank = 7), Friedman, Holm,
  Kruskal–Wallis, paired and Welch t, Welch ANOVA.
- ``survival``: Kaplan–Meier (log-log CI) and its median, log-rank, Cox (Efron ties).
- ``poisson``: exact Poisson rate interval and rate ratio (``PoissonRate``, ``PoissonRatio``).
- ``result_types``: the frozen results they return (``Interval``, ``Difference``,
  ``ChiSquare``, ``ChosenTest``, ``SignedRank``, ``RankSum``, ``PairedT``, ``WelchT``,
  ``WelchAnova``, ``KMMedian``).
- ``competing``: Aalen–Johansen cumulative incidence (IJ SE), Gray's test.
- ``finegray``: Fine–Gray subdistribution hazards (crr's sandwich variance).
- ``rmst``: restricted mean survival time and its two-group comparison.
- ``ph``: cox.zph proportional-hazards test, pairwise log-rank with Holm.
"""

from core.stats.binomial import binom_test_p, clopper_pearson, newcombe_difference, wilson
from core.stats.contingency import (
    chisq_test,
    fisher_exact_2xk,
    fisher_or_chisq_expected,
    group_outcome_test,
    mcnemar_or_binomial,
)
from core.stats.poisson import PoissonRate, PoissonRatio, poisson_rate, poisson_ratio
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
from core.stats.survival import cox_efron, kaplan_meier, km_median, logrank, risk_counts

__all__ = [
    "PoissonRate",
    "PoissonRatio",
    "poisson_rate",
    "poisson_ratio",
    "ChiSquare",
    "ChosenTest",
    "Difference",
    "Interval",
    "KMMedian",
    "PairedT",
    "RankSum",
    "SignedRank",
    "WelchAnova",
    "WelchT",
    "binom_test_p",
    "chisq_test",
    "clopper_pearson",
    "cox_efron",
    "fisher_exact_2xk",
    "fisher_or_chisq_expected",
    "friedman",
    "group_outcome_test",
    "holm",
    "kaplan_meier",
    "km_median",
    "kruskal",
    "logrank",
    "mcnemar_or_binomial",
    "newcombe_difference",
    "paired_t",
    "rank_sum",
    "risk_counts",
    "signed_rank",
    "signif",
    "welch_anova",
    "welch_t",
    "wilson",
]
