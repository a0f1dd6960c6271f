"""Tests on contingency tables: Fisher's exact test (r × c), chi-square, McNemar.

Fisher's two-sided p-value is the probability of every table with the observed margins that
is no more likely than the observed table (relative tolerance 1e-7), as R's
``fisher.test``. 2 × 2 uses the hypergeometric distribution directly. Larger tables use a
network algorithm (Mehta & Patel): columns are filled one at a time; a partial table whose
every completion is decided by bounds on the remaining columns' probability is counted
(or dropped) at once, and partial tables with equal probability are merged. For two rows
(groups × outcome tables, transposed) the bounds are exact, which keeps 2 × k tables of
1,000 patients fast; for more rows and columns the bounds are looser, so tables of a few
hundred patients are fine but larger ones can be slow (``fisher_or_chisq_expected`` is
meant for baseline tables, where that is the normal size). Never a Monte-Carlo p-value.
"""

from __future__ import annotations

import itertools

import numpy as np
from scipy.special import betaln, chdtrc, gammaln  # not scipy.stats: ~0.5 s to import

from core.stats.binomial import binom_test_p
from core.stats.result_types import ChiSquare, ChosenTest

_LOG_REL_ERR = np.log1p(1e-7)
MAX_CELLS = 30_000_000  # work/memory budget of one enumeration step (array cells)


class ExactTooLarge(RuntimeError):
    """The exact enumeration would exceed MAX_CELLS; callers fall back to chi-square."""


def _check_budget(cells: int) -> None:
    if cells > MAX_CELLS:
        raise ExactTooLarge("Table too large for the exact Fisher enumeration.")


def _clean(table) -> np.ndarray:
    """The table as integers without empty rows or columns."""
    t = np.asarray(table, dtype=float)
    if t.ndim != 2 or np.any(t < 0) or np.any(t != np.round(t)):
        raise ValueError("A contingency table needs non-negative whole counts in 2 dimensions.")
    t = t.astype(np.int64)
    return t[t.sum(axis=1) > 0][:, t.sum(axis=0) > 0]


def fisher_exact_2xk(table) -> float:
    """Fisher's exact test, two-sided, for any r × c table (2 × 2, 2 × k, r × c).

    Agrees with ``fisher.test(table)$p.value`` (R's tolerance: tables with probability
    ≤ observed × (1 + 1e-7) count as "as extreme"). Empty rows and columns are dropped; a
    table with fewer than two non-empty rows or columns gives 1, as R. Raises
    :class:`ExactTooLarge` when the enumeration would exceed ``MAX_CELLS`` (2 × k tables of
    a few thousand patients are fine; 3 × k tables of a few hundred).
    """
    t = _clean(table)
    if t.shape[0] < 2 or t.shape[1] < 2:
        return 1.0
    if t.shape == (2, 2):
        return _fisher_2x2(t)
    if t.shape[0] > t.shape[1]:
        t = t.T
    t = t[:, np.argsort(-t.sum(axis=0), kind="stable")]  # big columns first prune earlier
    return _fisher_network(t)


def _fisher_2x2(t: np.ndarray) -> float:
    """R's 2 × 2 route: hypergeometric probabilities of every table with these margins."""
    m, n, k = int(t[0].sum()), int(t[1].sum()), int(t[:, 0].sum())
    x = int(t[0, 0])
    support = np.arange(max(0, k - n), min(k, m) + 1)
    logd = _hypergeom_logpmf(support, m + n, m, k)
    d = np.exp(logd - logd.max())
    d /= d.sum()
    return float(min(1.0, d[d <= d[x - support[0]] * (1 + 1e-7)].sum()))


def _hypergeom_logpmf(k: np.ndarray, tot: int, good: int, draw: int) -> np.ndarray:
    """``scipy.stats.hypergeom.logpmf(k, tot, good, draw)`` for k in the support, by
    scipy's own formula (the same terms in the same order: the same doubles)."""
    bad = tot - good
    return (
        betaln(good + 1, 1) + betaln(bad + 1, 1) + betaln(tot - draw + 1, draw + 1)
        - betaln(k + 1, good - k + 1) - betaln(draw - k + 1, bad - draw + k + 1)
        - betaln(tot + 1, 1)
    )  # fmt: skip


_LOG_FACT = gammaln(np.arange(1025) + 1.0)  # log k!, grown on demand


def _log_fact(x) -> np.ndarray:
    """log x! by table look-up (much faster than gammaln on millions of cells)."""
    global _LOG_FACT
    k = np.asarray(x).astype(np.int64)
    top = int(k.max()) if k.size else 0
    if top >= len(_LOG_FACT):
        _LOG_FACT = gammaln(np.arange(2 * top + 1) + 1.0)
    return _LOG_FACT[k]


def _log_weight(col_total: int, x: np.ndarray) -> np.ndarray:
    """log of C! / prod x_i! for column fillings x (last axis = rows)."""
    return _log_fact(col_total) - _log_fact(x).sum(axis=-1)


def _log_total(rem: np.ndarray) -> np.ndarray:
    """log of the summed weights of all completions: M! / prod r_i! (multinomial)."""
    return _log_fact(rem.sum(axis=-1)) - _log_fact(rem).sum(axis=-1)


def _two_row_bounds(cols: np.ndarray, r0: int) -> tuple[list, list]:
    """Exact max / min of the remaining columns' log weight, per level and row-0 need s."""
    k = len(cols)
    rem_after = np.concatenate([np.cumsum(cols[::-1])[::-1], [0]])
    hi = [None] * (k + 1)
    lo = [None] * (k + 1)
    base = np.full(r0 + 1, -np.inf)
    base[0] = 0.0
    hi[k], lo[k] = base, -base
    lo[k][0] = 0.0
    _check_budget((r0 + 1) * (int(cols.max()) + 1))
    s = np.arange(r0 + 1)[:, None]
    for j in range(k - 1, -1, -1):
        c = int(cols[j])
        x = np.arange(c + 1)[None, :]
        child = s - x
        ok = (child >= 0) & (child <= rem_after[j + 1]) & (child <= r0)
        idx = np.clip(child, 0, r0)
        w = _log_weight(c, np.stack(np.broadcast_arrays(x, c - x), axis=-1).astype(float))
        w = np.broadcast_to(w, ok.shape)
        hi[j] = np.where(ok, w + hi[j + 1][idx], -np.inf).max(axis=1)
        lo[j] = np.where(ok, w + lo[j + 1][idx], np.inf).min(axis=1)
    return hi, lo


def _cap_bounds(col_totals: np.ndarray, rem: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Valid (loose) bounds for r > 2 rows: each remaining column bounded on its own,
    vectorised over partial tables.

    Under row caps the largest multinomial coefficient is the most even filling (water
    filling, smallest caps first); the smallest is the most concentrated (largest caps
    first). The product of per-column extremes bounds the joint extreme.
    """
    caps = np.sort(rem, axis=1)  # ascending
    n_rows = caps.shape[1]
    hi = np.zeros(len(rem))
    lo = np.zeros(len(rem))
    for c in col_totals:
        c = int(c)
        left = np.full(len(rem), c)
        even = np.empty_like(caps)
        for pos in range(n_rows):
            even[:, pos] = np.minimum(caps[:, pos], left // (n_rows - pos))
            left -= even[:, pos]
        before = np.cumsum(caps[:, ::-1], axis=1) - caps[:, ::-1]
        greedy = np.clip(c - before, 0, caps[:, ::-1])
        hi += _log_weight(c, even)
        lo += _log_weight(c, greedy)
    return hi, lo


def _fisher_network(t: np.ndarray) -> float:
    """Two-sided Fisher p for a table with rows <= columns (network algorithm)."""
    n_rows, n_cols = t.shape
    rows, cols = t.sum(axis=1), t.sum(axis=0)
    const = gammaln(rows + 1).sum() - gammaln(rows.sum() + 1)
    obs = sum(_log_weight(int(cols[j]), t[:, j].astype(float)) for j in range(n_cols))
    limit = obs + _LOG_REL_ERR
    two_rows = n_rows == 2
    if two_rows:
        hi_tab, lo_tab = _two_row_bounds(cols, int(rows[0]))
    # level state: remaining row sums (m × rows), past log weight and multiplicity
    rem = rows[None, :].astype(np.int64)
    past = np.zeros(1)
    count = np.ones(1)
    p_total = 0.0
    for j in range(n_cols - 1):
        if two_rows:
            hi, lo = hi_tab[j][rem[:, 0]], lo_tab[j][rem[:, 0]]
        else:
            hi, lo = _cap_bounds(cols[j:], rem)
        tol = 1e-10 * max(1.0, abs(limit))
        done = past + hi <= limit - tol
        p_total += float(np.sum(count[done] * np.exp(const + past[done] + _log_total(rem[done]))))
        amb = ~done & (past + lo <= limit + tol)
        rem, past, count = rem[amb], past[amb], count[amb]
        if j == n_cols - 2 and two_rows:
            p_total += _finish_two_rows(rem[:, 0], past, count, cols[j], cols[j + 1], const, limit)
            break
        if j == n_cols - 2:  # the last column is forced: decide each table directly
            fill = _fillings(int(cols[j]), n_rows)
            _check_budget(len(rem) * fill.size)
            child = rem[:, None, :] - fill[None, :, :]
            ok = (child >= 0).all(axis=2)
            i, f = np.nonzero(ok)
            total = past[i] + _log_weight(int(cols[j]), fill[f])
            total += _log_weight(int(cols[j + 1]), child[i, f])
            keep = total <= limit
            p_total += float(np.sum(count[i][keep] * np.exp(const + total[keep])))
            break
        rem, past, count = _expand(rem, past, count, int(cols[j]), cols[j + 1 :])
        if len(past) == 0:
            break
    return float(min(1.0, p_total))


def _finish_two_rows(need, past, count, c_j: int, c_last: int, const: float, limit: float) -> float:
    """The last two columns of a 2-row table: for each row-0 need s the completions'
    log weights f_s(x) are sorted once, so every partial table is a binary search."""
    total = 0.0
    x = np.arange(int(c_j) + 1)
    for s in np.unique(need):
        rest = s - x
        ok = (rest >= 0) & (rest <= c_last)
        f = np.sort(
            _log_weight(int(c_j), np.stack([x[ok], c_j - x[ok]], axis=1))
            + _log_weight(int(c_last), np.stack([rest[ok], c_last - rest[ok]], axis=1))
        )
        top = f.max()
        csum = np.concatenate([[0.0], np.cumsum(np.exp(f - top))])
        at = need == s
        k = np.searchsorted(f, limit - past[at], side="right")
        total += float(np.sum(count[at] * np.exp(const + past[at] + top) * csum[k]))
    return total


def _fillings(c: int, n_rows: int) -> np.ndarray:
    """Every way to split a column total c over n_rows rows."""
    if n_rows == 2:
        x = np.arange(c + 1)
        return np.stack([x, c - x], axis=1)
    combos = [
        np.diff(np.concatenate(([-1], bars, [c + n_rows - 1]))) - 1
        for bars in itertools.combinations(range(c + n_rows - 1), n_rows - 1)
    ]
    return np.array(combos, dtype=np.int64)


def _expand(rem, past, count, c: int, later_cols: np.ndarray):
    """Children of every ambiguous partial table after filling the next column; equal
    (state, probability) pairs merged."""
    fill = _fillings(c, rem.shape[1])
    _check_budget(len(rem) * fill.size)
    child = rem[:, None, :] - fill[None, :, :]
    ok = (child >= 0).all(axis=2)
    w = _log_weight(c, fill)
    i, f = np.nonzero(ok)
    new_rem = child[i, f]
    new_past = past[i] + w[f]
    new_count = count[i]
    key = np.round(new_past, 9)
    order = np.lexsort((key, *new_rem.T[::-1]))
    new_rem, key, new_past, new_count = (
        new_rem[order],
        key[order],
        new_past[order],
        new_count[order],
    )
    change = np.ones(len(key), dtype=bool)
    change[1:] = (key[1:] != key[:-1]) | (new_rem[1:] != new_rem[:-1]).any(axis=1)
    first = np.nonzero(change)[0]
    if len(first) == 0:
        return new_rem, new_past, new_count
    return new_rem[first], new_past[first], np.add.reduceat(new_count, first)


def chisq_test(table) -> ChiSquare:
    """Pearson's chi-square test without continuity correction.

    Agrees with ``chisq.test(table, correct = FALSE)``. Empty rows and columns are dropped
    first (R would return NaN).

    Returns
    -------
    ChiSquare
        statistic, df = (r − 1)(c − 1), p; fewer than two non-empty rows or columns give
        statistic and p NaN, df 0.
    """
    t = _clean(table).astype(float)
    if t.shape[0] < 2 or t.shape[1] < 2:
        return ChiSquare(float("nan"), 0, float("nan"))
    expected = np.outer(t.sum(axis=1), t.sum(axis=0)) / t.sum()
    stat = float(((t - expected) ** 2 / expected).sum())
    df = (t.shape[0] - 1) * (t.shape[1] - 1)
    return ChiSquare(stat, df, float(chdtrc(df, stat)))  # = stats.chi2.sf


def group_outcome_test(table, max_exact_n: int = 1000) -> ChosenTest:
    """Rates between groups (clinical-rules §3): Fisher exact (``fisher.test(table)``) for
    2 × 2 at any size and for larger tables up to ``max_exact_n`` patients; chi-square
    without correction (``chisq.test(table, correct = FALSE)``) above.

    Returns
    -------
    ChosenTest
        test: ``fisher_exact`` or ``chi_square`` (also when an r × c table with more than
        two groups and outcomes is beyond the exact budget); p: two-sided.
    """
    t = _clean(table)
    if t.shape == (2, 2) or t.sum() <= max_exact_n:
        try:
            return ChosenTest("fisher_exact", fisher_exact_2xk(t))
        except ExactTooLarge:
            pass
    return ChosenTest("chi_square", chisq_test(t).p)


def fisher_or_chisq_expected(table) -> ChosenTest:
    """Baseline-table rule: Fisher exact when any expected count is below 5, else
    chi-square without correction (``fisher.test`` / ``chisq.test(correct = FALSE)``).

    Expected counts are taken over the table as given (an empty row or column has expected
    counts of 0, hence Fisher). A table beyond the exact budget (:class:`ExactTooLarge`)
    gets the chi-square test, named as such.

    Returns
    -------
    ChosenTest
        test: ``fisher_exact`` or ``chi_square``; p: two-sided (NaN for an empty table).
    """
    t = np.asarray(table, dtype=float)
    n = t.sum()
    if n <= 0:
        return ChosenTest("fisher_exact", float("nan"))
    expected = np.outer(t.sum(axis=1), t.sum(axis=0)) / n
    if np.any(expected < 5):
        try:
            return ChosenTest("fisher_exact", fisher_exact_2xk(t))
        except ExactTooLarge:
            pass
    return ChosenTest("chi_square", chisq_test(t).p)


def mcnemar_or_binomial(b: int, c: int) -> ChosenTest:
    """Paired binary shift: McNemar when b + c ≥ 25 discordant pairs, else exact binomial.

    ``mcnemar.test(matrix, correct = TRUE)``: statistic (|b − c| − 1)² / (b + c), with no
    correction when b = c (R then gives statistic 0, p = 1); ``binom.test(b, b + c)``
    otherwise.

    Returns
    -------
    ChosenTest
        test: ``mcnemar`` or ``exact binomial``; p: two-sided (NaN when no discordant pair).
    """
    b, c = int(b), int(c)
    if b + c >= 25:
        diff = abs(b - c) - (1 if b != c else 0)
        stat = diff**2 / (b + c)
        return ChosenTest("mcnemar", float(chdtrc(1, stat)))
    p = binom_test_p(b, b + c) if b + c > 0 else float("nan")
    return ChosenTest("exact binomial", p)
