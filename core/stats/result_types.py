"""The small frozen results the statistical primitives return.

Every primitive in ``core.stats`` that gives more than one number returns one of these,
never a bare tuple or dict, so call sites read fields by name; one class serves every test
whose result means the same (``ChiSquare`` for chi-square, Kruskal–Wallis, Friedman and
log-rank). Tables (Kaplan–Meier, numbers at risk, Cox) stay DataFrames. Proportions are on
the 0–1 scale; times are in the unit of the input.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Interval:
    """Confidence limits ``low`` and ``high``: floats for scalar input, arrays (one
    limit per element) for vectorised input; NaN where the estimate is undefined."""

    low: float | np.ndarray
    high: float | np.ndarray


@dataclass(frozen=True)
class Difference:
    """A difference of two estimates (``diff``) with its confidence limits ``low`` and
    ``high``; NaN when undefined."""

    diff: float
    low: float
    high: float


@dataclass(frozen=True)
class ChiSquare:
    """A test referred to the chi-square distribution: ``statistic``, degrees of freedom
    ``df`` (0 when fewer than two groups), upper-tail ``p`` (NaN when undefined)."""

    statistic: float
    df: int
    p: float


@dataclass(frozen=True)
class ChosenTest:
    """A test picked by a rule from the data (``test`` names it, e.g. ``fisher_exact``,
    ``chi_square``, ``mcnemar``, ``exact binomial``) and its two-sided ``p``."""

    test: str
    p: float


@dataclass(frozen=True)
class SignedRank:
    """Wilcoxon signed-rank result: p, statistic V (sum of positive ranks), method
    (``exact`` or ``normal_cc``), zeros dropped and whether rounded |differences| tie."""

    p: float
    V: float
    method: str
    n_zero: int
    tied: bool


@dataclass(frozen=True)
class RankSum:
    """Wilcoxon rank-sum (Mann–Whitney) result: p, W (for the first sample), method, tied."""

    p: float
    W: float
    method: str
    tied: bool


@dataclass(frozen=True)
class PairedT:
    """Paired t-test: mean change, its 95 % CI, SD of the changes (n − 1), p."""

    mean: float
    low: float
    high: float
    sd: float
    p: float


@dataclass(frozen=True)
class WelchT:
    """Welch two-sample t-test: statistic ``t``, Welch–Satterthwaite ``df``, two-sided
    ``p``."""

    t: float
    df: float
    p: float


@dataclass(frozen=True)
class WelchAnova:
    """Welch one-way ANOVA: statistic ``f``, numerator ``df1`` = k − 1, denominator
    ``df2`` (not an integer), upper-tail ``p``."""

    f: float
    df1: float
    df2: float
    p: float


@dataclass(frozen=True)
class KMMedian:
    """Kaplan–Meier median time ``median`` and its confidence limits ``low``, ``high``
    (time unit of the input; NaN = not reached), and the ``rule`` that placed the median:
    ``first_time_at_or_below_half``, ``midpoint`` or ``not_reached``."""

    median: float
    low: float
    high: float
    rule: str


@dataclass(frozen=True)
class CoxFit:
    """A Cox partial-likelihood fit: coefficients ``beta`` (p), the observed
    ``information`` matrix (p × p) at beta, and whether Newton–Raphson ``converged`` to
    a finite maximum with a non-singular information."""

    beta: np.ndarray
    information: np.ndarray
    converged: bool
