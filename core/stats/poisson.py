"""Event rates: exact Poisson interval of one rate and the exact comparison of two rates.

Each agrees with ``poisson.test`` of R's stats package (R 4.2). Times are in whatever unit
the caller uses (patient-years here); callers scale rates (× 100 for per 100 patient-years).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import special  # not scipy.stats: importing it costs ~0.5 s per process

from core.stats.binomial import binom_test_p, clopper_pearson


@dataclass(frozen=True)
class PoissonRate:
    """One rate ``events / time`` with its exact (Garwood) interval.

    ``rate``, ``ci_low``, ``ci_high`` are events per unit of ``time``; NaN when time ≤ 0.
    """

    events: int
    time: float
    rate: float
    ci_low: float
    ci_high: float


@dataclass(frozen=True)
class PoissonRatio:
    """Rate ratio (first / second) with its exact conditional interval and p-value."""

    ratio: float
    ci_low: float
    ci_high: float
    p_value: float


def poisson_rate(events: int, time: float, conf: float = 0.95) -> PoissonRate:
    """Exact Poisson interval of a rate, as ``poisson.test(events, time)``.

    Garwood's interval from the chi-square (gamma) quantiles: low = G⁻¹(α/2; x) / T (0 when
    x = 0), high = G⁻¹(1 − α/2; x + 1) / T with G the unit-scale gamma distribution, i.e.
    ``poisson.test(x, T, conf.level = conf)$conf.int``; ``estimate`` = x / T.
    """
    x, t = int(events), float(time)
    if not t > 0:
        nan = float("nan")
        return PoissonRate(x, t, nan, nan, nan)
    alpha = 1 - conf
    # special.gammaincinv(a, q) is the q-quantile of Gamma(a, 1) (= stats.gamma.ppf)
    low = float(special.gammaincinv(x, alpha / 2)) / t if x > 0 else 0.0
    high = float(special.gammaincinv(x + 1, 1 - alpha / 2)) / t
    return PoissonRate(x, t, x / t, low, high)


def poisson_ratio(x1: int, t1: float, x2: int, t2: float, conf: float = 0.95) -> PoissonRatio:
    """Ratio of two Poisson rates (x1/t1) / (x2/t2), as ``poisson.test(c(x1, x2), c(t1, t2))``.

    Conditional on x1 + x2 the first count is binomial with p = t1 / (t1 + t2) under equal
    rates: p-value = ``binom.test(x1, x1 + x2, t1 / (t1 + t2))``; the Clopper–Pearson limits
    (l, u) of that proportion give the ratio's limits l / (1 − l) · t2 / t1 and likewise u.
    No event in either group (x1 + x2 = 0) gives NaN.
    """
    x1, x2, t1, t2 = int(x1), int(x2), float(t1), float(t2)
    nan = float("nan")
    if x1 + x2 == 0 or not (t1 > 0 and t2 > 0):
        return PoissonRatio(nan, nan, nan, nan)
    p = binom_test_p(x1, x1 + x2, t1 / (t1 + t2))
    ci = clopper_pearson(x1, x1 + x2, conf)
    low, high = float(ci.low), float(ci.high)
    with np.errstate(divide="ignore"):
        lo = low / (1 - low) * t2 / t1
        hi = float(np.inf) if high >= 1 else high / (1 - high) * t2 / t1
        ratio = float(np.inf) if x2 == 0 else (x1 / t1) / (x2 / t2)
    return PoissonRatio(ratio, float(lo), float(hi), float(p))
