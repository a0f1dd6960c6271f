"""Rank tests and mean comparisons, each replicating the R function named in its docstring.

Wilcoxon tests round the data to 7 significant digits before ranking (R's
``digits.rank = 7``), so differences equal on paper (0.3 − 0.1 and 0.5 − 0.3) tie. The
exact distributions are computed by counting (no normal shortcut), which is what R's
``psignrank`` and ``pwilcox`` do. ``scipy.stats.wilcoxon`` is not used: its defaults
(exactness rule, zero handling, no rounding) differ from R.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import special  # not scipy.stats: importing it costs ~0.5 s per process

from core.stats.result_types import ChiSquare, PairedT, RankSum, SignedRank, WelchAnova, WelchT

DIGITS_RANK = 7
EXACT_LIMIT = 50  # R: exact only with fewer than 50 observations (per sample)


def signif(x: np.ndarray, digits: int = DIGITS_RANK) -> np.ndarray:
    """Round to significant digits exactly as R's ``signif`` (C ``fprec``): scale by an
    exactly representable power of ten and round half to even."""
    x = np.asarray(x, dtype=float)
    out = x.copy()
    nz = np.isfinite(x) & (x != 0)
    ax = np.abs(x[nz])
    e10 = digits - 1 - np.floor(np.log10(ax)).astype(int)
    pos = e10 > 0
    scaled = np.empty_like(ax)
    # Beyond 10^308 (subnormal values) scale in two exact steps, as R's fprec does; for
    # every other value p_extra is 1 and the arithmetic is unchanged.
    p_pos = np.power(10.0, np.minimum(e10[pos], 308))
    p_extra = np.power(10.0, np.maximum(e10[pos] - 308, 0))
    scaled[pos] = np.rint(ax[pos] * p_extra * p_pos) / p_pos / p_extra
    p_neg = np.power(10.0, -e10[~pos])
    scaled[~pos] = np.rint(ax[~pos] / p_neg) * p_neg
    out[nz] = np.sign(x[nz]) * scaled
    return out


def average_ranks(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Average ranks of ``x`` (ties share the mean of their positions, as R's ``rank``) and
    the size of every tie group, from one stable sort (no NaN expected).

    The same numbers as ``scipy.stats.rankdata(x)`` and ``np.unique(ranks,
    return_counts=True)[1]``, in about half the time: the Wilcoxon tests rank up to
    100,000 differences per call and the report makes hundreds of calls.
    """
    x = np.asarray(x, dtype=float)
    n = len(x)
    if n == 0:
        return np.empty(0), np.empty(0, dtype=np.int64)
    order = np.argsort(x, kind="stable")
    xs = x[order]
    start = np.flatnonzero(np.concatenate(([True], xs[1:] != xs[:-1])))
    sizes = np.diff(np.append(start, n))
    ranks = np.empty(n)
    ranks[order] = np.repeat(start + (sizes + 1) / 2.0, sizes)
    return ranks, sizes


def _rounded_rank_sum(x: np.ndarray, mask: np.ndarray) -> tuple[float, np.ndarray]:
    """Sum over ``mask`` of the average ranks of ``signif(x)``, and the tie sizes.

    The same numbers as ``average_ranks(signif(x))`` summed over ``mask``, but from the
    distinct values of x (hashed, no sort of all n values): lab values repeat, so rounding
    and sorting touch a few hundred values instead of up to 10^6. Ranks are multiples of
    0.5 and the sums are exact, so the order of summation does not matter.
    """
    codes, distinct = pd.factorize(x)
    count = np.bincount(codes, minlength=len(distinct))
    chosen = np.bincount(codes[mask], minlength=len(distinct))
    rounded = signif(distinct)
    order = np.argsort(rounded, kind="stable")
    srt = rounded[order]
    start = np.flatnonzero(np.concatenate(([True], srt[1:] != srt[:-1])))
    sizes = np.add.reduceat(count[order], start)
    picked = np.add.reduceat(chosen[order], start)
    mean_rank = (np.cumsum(sizes) - sizes) + (sizes + 1) / 2.0
    return float(np.sum(mean_rank * picked)), sizes


def _signrank_counts(n: int) -> np.ndarray:
    """Number of subsets of {1..n} with each sum 0..n(n+1)/2 (R's psignrank)."""
    counts = np.zeros(n * (n + 1) // 2 + 1)
    counts[0] = 1.0
    for k in range(1, n + 1):
        counts[k:] = counts[k:] + counts[:-k].copy()
    return counts


def _ranksum_counts(m: int, n: int) -> np.ndarray:
    """Number of size-m subsets of ranks {1..m+n} with each W = rank sum − m(m+1)/2."""
    total = m + n
    max_sum = sum(range(n + 1, total + 1))
    dp = np.zeros((m + 1, max_sum + 1))
    dp[0, 0] = 1.0
    for r in range(1, total + 1):
        dp[1:, r:] = dp[1:, r:] + dp[:-1, :-r].copy()
    offset = m * (m + 1) // 2
    return dp[m, offset : offset + m * n + 1]


def _exact_two_sided(counts: np.ndarray, stat: float, centre: float) -> float:
    """2 × the smaller tail, as R: P(S >= stat) above the centre, else P(S <= stat)."""
    s = int(round(stat))
    tail = counts[s:].sum() if stat > centre else counts[: s + 1].sum()
    return float(min(1.0, 2 * tail / counts.sum()))


def _normal_cc(z: float, sigma: float) -> float:
    """Two-sided normal p with R's continuity correction sign(z) · 0.5."""
    if sigma <= 0:
        return float("nan")
    zz = (z - np.sign(z) * 0.5) / sigma
    return float(min(1.0, 2 * min(special.ndtr(zz), special.ndtr(-zz))))  # norm.cdf, norm.sf


def signed_rank(diffs) -> SignedRank:
    """Two-sided Wilcoxon signed-rank test of paired differences (follow-up − baseline).

    As ``wilcox.test(followup, baseline, paired = TRUE, digits.rank = 7)``: missing values
    removed, zero differences dropped, the rest rounded to 7 significant digits before
    ranking |d|; exact ``psignrank`` only with < 50 non-zero differences, no ties and no
    zero dropped, else the normal approximation with continuity correction and
    tie-corrected variance. No non-zero difference gives p NaN.
    """
    d = np.asarray(diffs, dtype=float)
    d = d[~np.isnan(d)]
    n_zero = int(np.sum(d == 0))
    d = d[d != 0]
    n = len(d)
    if n == 0:
        return SignedRank(float("nan"), 0.0, "normal_cc", n_zero, False)
    v, tie_sizes = _rounded_rank_sum(np.abs(d), d > 0)  # |signif(d)| = signif(|d|)
    tied = bool(np.any(tie_sizes > 1))
    if n < EXACT_LIMIT and not tied and n_zero == 0:
        p = _exact_two_sided(_signrank_counts(n), v, n * (n + 1) / 4)
        return SignedRank(p, v, "exact", n_zero, tied)
    var = n * (n + 1) * (2 * n + 1) / 24 - np.sum(tie_sizes**3 - tie_sizes) / 48
    p = _normal_cc(v - n * (n + 1) / 4, float(np.sqrt(var)))
    return SignedRank(p, v, "normal_cc", n_zero, tied)


def rank_sum(a, b) -> RankSum:
    """Two-sided Wilcoxon rank-sum (Mann–Whitney) test of a against b.

    As ``wilcox.test(a, b, digits.rank = 7)``: pooled values rounded to 7 significant
    digits before ranking; W = rank sum of a − n_a(n_a + 1)/2; exact ``pwilcox`` only when
    both samples have fewer than 50 values and there are no ties, else the normal
    approximation with continuity and tie correction. An empty sample gives p NaN.
    """
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    a, b = a[~np.isnan(a)], b[~np.isnan(b)]
    na, nb = len(a), len(b)
    if na == 0 or nb == 0:
        return RankSum(float("nan"), float("nan"), "normal_cc", False)
    first = np.arange(na + nb) < na
    rank_a, tie_sizes = _rounded_rank_sum(np.concatenate([a, b]), first)
    w = float(rank_a - na * (na + 1) / 2)
    tied = bool(np.any(tie_sizes > 1))
    if na < EXACT_LIMIT and nb < EXACT_LIMIT and not tied:
        p = _exact_two_sided(_ranksum_counts(na, nb), w, na * nb / 2)
        return RankSum(p, w, "exact", tied)
    n = na + nb
    var = (na * nb / 12) * ((n + 1) - np.sum(tie_sizes**3 - tie_sizes) / (n * (n - 1)))
    return RankSum(_normal_cc(w - na * nb / 2, float(np.sqrt(var))), w, "normal_cc", tied)


def _friedman_pairs(y: np.ndarray) -> tuple[np.ndarray, float]:
    """Column sums of the within-row average ranks of ``y`` and the tie term Σ(t³ − t),
    from one comparison per pair of occasions (few occasions, no NaN).

    A value's average rank in its row is 1 + (values below it) + (equal others) / 2, so a
    column's rank sum is 0.5 n + Σ_j [#(y_i > y_j) + 0.5 #(y_i = y_j)] over all j (itself
    included). A value in a tie of t has t − 1 equal others, and Σ over the tie of
    (m² − 1), m = t, is t³ − t. Counts are integers and halves are exact, so both equal
    ``rankdata(y, axis=1).sum(axis=0)`` and the run-length sum exactly.
    """
    n, k = y.shape
    above = np.zeros(k, dtype=np.int64)  # Σ_j #(y_i > y_j)
    equal = np.full(k, n, dtype=np.int64)  # Σ_j #(y_i = y_j), j = i included
    same = np.ones((n, k), dtype=np.int64)  # m: values of the row equal to y_i
    for i in range(k):
        for j in range(i + 1, k):
            eq = y[:, i] == y[:, j]
            gt = int(np.count_nonzero(y[:, i] > y[:, j]))
            n_eq = int(np.count_nonzero(eq))
            above[i] += gt
            above[j] += n - gt - n_eq
            equal[i] += n_eq
            equal[j] += n_eq
            same[:, i] += eq
            same[:, j] += eq
    rank_sums = 0.5 * n + above + 0.5 * equal
    return rank_sums, float(np.sum(same * same - 1))


def friedman(matrix) -> ChiSquare:
    """Friedman rank-sum test of a patients × occasions matrix (complete rows only).

    As ``friedman.test(matrix)`` (ranks within rows, tie-corrected statistic; no
    rounding).

    Returns
    -------
    ChiSquare
        statistic (Friedman chi-squared), df = k − 1 occasions, p. No complete row or
        fewer than 2 occasions give statistic and p NaN with df 0; every row tied
        throughout gives NaN with df k − 1 (as R).
    """
    y = np.asarray(matrix, dtype=float)
    y = y[~np.isnan(y).any(axis=1)]
    n, k = y.shape if y.ndim == 2 else (0, 0)
    nan = float("nan")
    if n < 1 or k < 2:
        return ChiSquare(nan, 0, nan)
    if k <= 12:
        rank_sums, ties = _friedman_pairs(y)
    else:
        from scipy import stats

        rank_sums = stats.rankdata(y, axis=1).sum(axis=0)
        # ties within each patient's row: run lengths of the row-sorted values
        srt = np.sort(y, axis=1)
        new_run = np.ones_like(srt, dtype=bool)
        new_run[:, 1:] = srt[:, 1:] != srt[:, :-1]
        c = np.bincount(np.cumsum(new_run.ravel())).astype(float)
        ties = float(np.sum(c**3 - c))
    denom = n * k * (k + 1) - ties / (k - 1)
    if denom <= 0:
        return ChiSquare(nan, k - 1, nan)
    stat = 12 * np.sum((rank_sums - n * (k + 1) / 2) ** 2) / denom
    return ChiSquare(float(stat), k - 1, float(special.chdtrc(k - 1, stat)))  # = chi2.sf


def holm(pvals) -> np.ndarray:
    """Holm step-down adjustment, as ``p.adjust(p, "holm")`` (NaN kept, not counted)."""
    p = np.asarray(pvals, dtype=float)
    out = np.full(p.shape, np.nan)
    ok = ~np.isnan(p)
    q = p[ok]
    m = len(q)
    if m == 0:
        return out
    order = np.argsort(q, kind="stable")
    adj = np.minimum(1.0, np.maximum.accumulate((m - np.arange(m)) * q[order]))
    res = np.empty(m)
    res[order] = adj
    out[ok] = res
    return out


def kruskal(groups) -> ChiSquare:
    """Kruskal–Wallis test, as ``kruskal.test(list_of_groups)`` (tie-corrected; no
    rounding, as R).

    Returns
    -------
    ChiSquare
        statistic (Kruskal–Wallis chi-squared), df = k − 1 over the non-empty groups, p.
        Fewer than two non-empty groups give NaN with df 0; all values equal give NaN with
        df k − 1 (as R).
    """
    samples = [np.asarray(g, dtype=float) for g in groups]
    samples = [g[~np.isnan(g)] for g in samples]
    samples = [g for g in samples if len(g)]
    nan = float("nan")
    if len(samples) < 2:
        return ChiSquare(nan, 0, nan)
    x = np.concatenate(samples)
    n = len(x)
    r = average_ranks(x)[0]
    bounds = np.cumsum([0] + [len(g) for g in samples])
    h = sum(r[bounds[i] : bounds[i + 1]].sum() ** 2 / len(g) for i, g in enumerate(samples))
    _, ties = np.unique(x, return_counts=True)
    corr = 1 - np.sum(ties**3 - ties) / (n**3 - n)
    df = len(samples) - 1
    if corr <= 0:
        return ChiSquare(nan, df, nan)
    stat = (12 * h / (n * (n + 1)) - 3 * (n + 1)) / corr
    return ChiSquare(float(stat), df, float(special.chdtrc(df, stat)))


def paired_t(diffs, conf: float = 0.95) -> PairedT:
    """Paired t-test on differences with the CI of the mean change, as ``t.test(followup,
    baseline, paired = TRUE)`` (mean, conf.int, p). Fewer than 2 differences give NaN."""
    d = np.asarray(diffs, dtype=float)
    d = d[~np.isnan(d)]
    n = len(d)
    nan = float("nan")
    if n < 2:
        return PairedT(float(d.mean()) if n else nan, nan, nan, nan, nan)
    mean, sd = float(d.mean()), float(d.std(ddof=1))
    se = sd / np.sqrt(n)
    half = float(special.stdtrit(n - 1, (1 + conf) / 2) * se)  # = stats.t.ppf
    p = float(2 * special.stdtr(n - 1, -abs(mean / se))) if se > 0 else nan  # = 2 t.sf
    return PairedT(mean, mean - half, mean + half, sd, p)


def welch_t(a, b) -> WelchT:
    """Welch two-sample t-test of a against b, as ``t.test(a, b, var.equal = FALSE)``
    (statistic, parameter, p.value).

    Returns
    -------
    WelchT
        t (mean a − mean b over its SE), df (Welch–Satterthwaite), two-sided p; all NaN
        when a sample has fewer than 2 values or both have zero variance.
    """
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    a, b = a[~np.isnan(a)], b[~np.isnan(b)]
    nan = float("nan")
    if len(a) < 2 or len(b) < 2:
        return WelchT(nan, nan, nan)
    va, vb = a.var(ddof=1) / len(a), b.var(ddof=1) / len(b)
    se = np.sqrt(va + vb)
    if se == 0:
        return WelchT(nan, nan, nan)
    t = (a.mean() - b.mean()) / se
    df = (va + vb) ** 2 / (va**2 / (len(a) - 1) + vb**2 / (len(b) - 1))
    return WelchT(float(t), float(df), float(2 * special.stdtr(df, -abs(t))))


def welch_anova(groups) -> WelchAnova:
    """Welch's one-way ANOVA, as ``oneway.test(y ~ g, var.equal = FALSE)`` (statistic,
    parameter, p.value). With two groups its p equals the Welch t-test's.

    Returns
    -------
    WelchAnova
        f, df1 = k − 1, df2, p over the non-empty groups; all NaN when fewer than two
        groups, or a group with fewer than 2 values or zero variance.
    """
    samples = [np.asarray(g, dtype=float) for g in groups]
    samples = [g[~np.isnan(g)] for g in samples]
    samples = [g for g in samples if len(g)]
    k = len(samples)
    nan = float("nan")
    if k < 2 or any(len(g) < 2 for g in samples):
        return WelchAnova(nan, nan, nan, nan)
    n = np.array([len(g) for g in samples], dtype=float)
    m = np.array([g.mean() for g in samples])
    v = np.array([g.var(ddof=1) for g in samples])
    if np.any(v <= 0):
        return WelchAnova(nan, nan, nan, nan)
    w = n / v
    tmp = np.sum((1 - w / w.sum()) ** 2 / (n - 1)) / (k**2 - 1)
    grand = np.sum(w * m) / w.sum()
    f = np.sum(w * (m - grand) ** 2) / ((k - 1) * (1 + 2 * (k - 2) * tmp))
    df2 = 1 / (3 * tmp)
    p = float(special.fdtrc(k - 1, df2, f))  # = stats.f.sf
    return WelchAnova(float(f), float(k - 1), float(df2), p)
