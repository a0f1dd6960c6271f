"""Binomial proportions: confidence intervals, the exact binomial test, rate differences.

Every function agrees with the R call named in its docstring (R 4.2, stats package).
Proportions are on the 0–1 scale; callers multiply by 100 for percentages.
"""

from __future__ import annotations

import numpy as np
from scipy import special  # not scipy.stats: importing it costs ~0.5 s per process

from core.stats.result_types import Difference, Interval

ArrayLike = float | int | np.ndarray

_REL_ERR = 1 + 1e-7  # R's binom.test / fisher.test tolerance for "as or less likely"


def _z(conf: float) -> float:
    return float(special.ndtri((1 + conf) / 2))  # = stats.norm.ppf, bit for bit


def clopper_pearson(x: ArrayLike, n: ArrayLike, conf: float = 0.95) -> Interval:
    """Clopper–Pearson exact interval of x/n, vectorised over arrays.

    Agrees with ``binom.test(x, n, conf.level = conf)$conf.int``: the lower limit is 0 when
    x = 0 and the upper limit 1 when x = n. n = 0 gives NaN limits.

    Returns
    -------
    Interval
        low, high: proportions (0–1); floats for scalar input, arrays otherwise.
    """
    x_arr, n_arr = np.broadcast_arrays(np.asarray(x, float), np.asarray(n, float))
    alpha = 1 - conf
    with np.errstate(invalid="ignore", divide="ignore"):
        # special.betaincinv(a, b, q) is stats.beta.ppf(q, a, b): the same Boost routine
        low = np.where(x_arr > 0, special.betaincinv(x_arr, n_arr - x_arr + 1, alpha / 2), 0.0)
        high = np.where(
            x_arr < n_arr, special.betaincinv(x_arr + 1, n_arr - x_arr, 1 - alpha / 2), 1.0
        )
    bad = n_arr <= 0
    low, high = np.where(bad, np.nan, low), np.where(bad, np.nan, high)
    return Interval(_unwrap(low, x), _unwrap(high, x))


def wilson(x: ArrayLike, n: ArrayLike, conf: float = 0.95) -> Interval:
    """Wilson score interval of x/n without continuity correction, vectorised.

    Agrees with ``prop.test(x, n, conf.level = conf, correct = FALSE)$conf.int`` (R's
    formula, including the limits 0 when x = 0 and 1 when x = n). n = 0 gives NaN limits.

    Returns
    -------
    Interval
        low, high: proportions (0–1); floats for scalar input, arrays otherwise.
    """
    x_arr, n_arr = np.broadcast_arrays(np.asarray(x, float), np.asarray(n, float))
    z = _z(conf)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = x_arr / n_arr
        z22n = z**2 / (2 * n_arr)
        half = z * np.sqrt(p * (1 - p) / n_arr + z22n / (2 * n_arr))
        high = np.where(p >= 1, 1.0, (p + z22n + half) / (1 + 2 * z22n))
        low = np.where(p <= 0, 0.0, (p + z22n - half) / (1 + 2 * z22n))
    bad = n_arr <= 0
    low, high = np.where(bad, np.nan, low), np.where(bad, np.nan, high)
    return Interval(_unwrap(low, x), _unwrap(high, x))


def binom_test_p(x: int, n: int, p: float = 0.5) -> float:
    """Two-sided exact binomial p-value, as ``binom.test(x, n, p)$p.value``.

    R sums the probabilities of all outcomes no more likely than the observed one, with a
    relative tolerance of 1e-7 so that outcomes equally likely on paper are counted.
    n = 0 gives NaN.
    """
    from scipy import stats  # here only: small samples; the module is slow to import

    x, n = int(x), int(n)
    if n <= 0:
        return float("nan")
    d = stats.binom.pmf(x, n, p)
    m = n * p
    if x == m:
        return 1.0
    if x < m:
        i = np.arange(int(np.ceil(m)), n + 1)
        y = int(np.sum(stats.binom.pmf(i, n, p) <= d * _REL_ERR))
        pv = stats.binom.cdf(x, n, p) + stats.binom.sf(n - y, n, p)
    else:
        i = np.arange(0, int(np.floor(m)) + 1)
        y = int(np.sum(stats.binom.pmf(i, n, p) <= d * _REL_ERR))
        pv = stats.binom.cdf(y - 1, n, p) + stats.binom.sf(x - 1, n, p)
    return float(min(1.0, pv))


def newcombe_difference(x1: int, n1: int, x2: int, n2: int, conf: float = 0.95) -> Difference:
    """Difference p1 − p2 with Newcombe's hybrid score interval (Newcombe 1998, method 10).

    Built from the two Wilson intervals ``[l, u] = prop.test(x, n, correct = FALSE)
    $conf.int``: low = d − sqrt((p1 − l1)² + (u2 − p2)²), high = d + sqrt((u1 − p1)² +
    (p2 − l2)²).

    Returns
    -------
    Difference
        diff = p1 − p2, low, high: proportions (−1 to 1); NaN when a group is empty.
    """
    if n1 <= 0 or n2 <= 0:
        nan = float("nan")
        return Difference(nan, nan, nan)
    w1, w2 = wilson(x1, n1, conf), wilson(x2, n2, conf)
    p1, p2 = x1 / n1, x2 / n2
    d = p1 - p2
    low = d - np.sqrt((p1 - w1.low) ** 2 + (w2.high - p2) ** 2)
    high = d + np.sqrt((w1.high - p1) ** 2 + (p2 - w2.low) ** 2)
    return Difference(float(d), float(low), float(high))


def _unwrap(values: np.ndarray, like: ArrayLike) -> float | np.ndarray:
    """A float when the caller passed scalars, else the array."""
    return float(values) if np.ndim(like) == 0 and values.ndim == 0 else values
