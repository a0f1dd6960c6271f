"""Tests on contingency tables: Fisher's exact test (r × c), chi-square, McNemar.

Fisher's two-sided p-value is the probability of every table with the observed margins that
is no more likely than the observed table, as R's ``fisher.test``: 2 × 2 by the
hypergeometric distribution (relative tolerance 1e-7, as R); larger tables by the network
algorithm of Mehta & Patel (R's FEXACT, whose tolerance is e^3.45254e-7 on the probability).
Columns are filled one at a time; the nodes are the remaining row sums, sorted (row
permutations complete alike); each node gets the exact largest and smallest log weight of
its completions (longest / shortest path), which settles a past path at once when every
completion, or none, is as extreme; past paths with equal probability are merged. Past
paths (forward) and the distributions of completions (backward) meet in the middle, where
each past path is a binary search. Table 1's 4 × 5 class-by-group table of 90 patients
takes ~0.3 s, 6 × 6 of 50 patients ~0.7 s. The work is bounded (``MAX_WORK`` array cells in
total, ``MAX_CELLS`` in one step, both checked before each step): beyond it
:class:`ExactTooLarge` and the callers report chi-square, named as such. Never a
Monte-Carlo p-value.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from scipy.special import betaln, chdtrc, gammaln  # not scipy.stats: ~0.5 s to import

from core.stats.binomial import binom_test_p
from core.stats.result_types import ChiSquare, ChosenTest

# r × c: FEXACT adds tol = 3.45254e-7 to the observed log probability (prob <= obs · e^tol)
_FEXACT_LOG_TOL = 3.45254e-7
MAX_CELLS = 30_000_000  # memory budget of one enumeration step (array cells)
MAX_WORK = 100_000_000  # work budget of one test (array cells over all steps; ~2-4 s CPU)


class ExactTooLarge(RuntimeError):
    """The exact enumeration would exceed MAX_CELLS; callers fall back to chi-square."""


def _clean(table) -> np.ndarray:
    """The table as integers without empty rows or columns."""
    t = np.asarray(table, dtype=float)
    if t.ndim != 2 or np.any(t < 0) or np.any(t != np.round(t)):
        raise ValueError("A contingency table needs non-negative whole counts in 2 dimensions.")
    t = t.astype(np.int64)
    return t[t.sum(axis=1) > 0][:, t.sum(axis=0) > 0]


def fisher_exact_2xk(table) -> float:
    """Fisher's exact test, two-sided, for any r × c table (2 × 2, 2 × k, r × c).

    Agrees with ``fisher.test(table, workspace = 2e8)$p.value`` (R's tolerance: tables with
    probability ≤ observed × (1 + 1e-7) for 2 × 2, × e^3.45254e-7 (FEXACT) otherwise, count
    as "as extreme"). Empty rows and columns are dropped; a table with fewer than two
    non-empty rows or columns gives 1, as R. Raises :class:`ExactTooLarge` when the
    enumeration would exceed ``MAX_WORK`` / ``MAX_CELLS`` (2 × k tables of a thousand
    patients, 4 × 5 of ~100 and 6 × 6 of ~50 are fine; 3 × 6 of 300 is not).
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


def _spend(work: list, cells: int) -> None:
    """Charge ``cells`` array cells to the enumeration's budget (one step and in total)."""
    work[0] += cells
    if cells > MAX_CELLS or work[0] > MAX_WORK:
        raise ExactTooLarge("Table too large for the exact Fisher enumeration.")


def _fillings(c: int, caps: np.ndarray, work: list) -> np.ndarray:
    """Every way to split a column total c over the rows, row i taking at most caps[i]."""
    n = len(caps)
    out = np.zeros((1, 0), dtype=np.int64)
    left = np.array([c], dtype=np.int64)
    for i in range(n - 1):
        room = int(caps[i + 1 :].sum())
        lo_x = np.maximum(left - room, 0)
        hi_x = np.minimum(left, int(caps[i]))
        size = np.maximum(hi_x - lo_x + 1, 0)
        _spend(work, int(size.sum()) * (i + 2))
        parent = np.repeat(np.arange(len(left)), size)
        x = lo_x[parent] + np.arange(len(parent)) - np.repeat(np.cumsum(size) - size, size)
        out = np.column_stack([out[parent], x])
        left = left[parent] - x
    keep = left <= caps[-1]
    return np.column_stack([out[keep], left[keep]])


def _fisher_network(t: np.ndarray) -> float:
    """Two-sided Fisher p for a table with rows <= columns (network algorithm).

    Nodes are the remaining row sums after each column, sorted (a table's completions
    depend only on that multiset), so row permutations share one node. A backward pass
    gives each node the exact largest and smallest log weight of its completions (longest
    and shortest path); the forward pass carries the distinct past log weights into every
    node and settles a past path at once when all of its completions are, or none is, as
    extreme as the observed table.
    """
    n_rows, n_cols = t.shape
    rows = np.sort(t.sum(axis=1))[::-1].astype(np.int64)  # caps of the sorted state
    cols = t.sum(axis=0).astype(np.int64)
    const = gammaln(rows + 1).sum() - gammaln(rows.sum() + 1)
    obs = sum(_log_weight(int(cols[j]), t[:, j].astype(float)) for j in range(n_cols))
    limit = obs + _FEXACT_LOG_TOL
    radix = int(rows[0]) + 1
    if n_rows * np.log2(radix) > 62:
        raise ExactTooLarge("Table too large for the exact Fisher enumeration.")
    code = radix ** np.arange(n_rows - 1, -1, -1, dtype=np.int64)
    work = [0]
    # the node network: nodes per level and the edges (parent, child, log weight)
    levels = [rows[None, :]]
    edges = []
    for j in range(n_cols - 1):
        nodes = levels[j]
        fill = _fillings(int(cols[j]), rows, work)
        _spend(work, len(nodes) * len(fill) * n_rows)
        child = nodes[:, None, :] - fill[None, :, :]
        parent, f = np.nonzero((child >= 0).all(axis=2))
        child = -np.sort(-child[parent, f], axis=1)
        keys, first, inv = np.unique(child @ code, return_index=True, return_inverse=True)
        edges.append((parent, inv.ravel(), _log_weight(int(cols[j]), fill)[f]))
        levels.append(child[first])
    # longest (hi) and shortest (lo) path from each node to the end
    hi = [None] * n_cols
    hi[-1] = _log_weight(int(cols[-1]), levels[-1])
    lo = list(hi)
    starts = []
    for j in range(n_cols - 2, -1, -1):
        parent, child, w = edges[j]
        start = np.searchsorted(parent, np.arange(len(levels[j])))
        hi[j] = np.maximum.reduceat(w + hi[j + 1][child], start)
        lo[j] = np.minimum.reduceat(w + lo[j + 1][child], start)
        starts.insert(0, start)
    # Meet in the middle: past paths go forward from the first column, the distribution
    # of future log weights (distinct values with their number of completions) goes
    # backward from the last; whichever side is cheaper takes the next step.
    fwd = _Paths(np.zeros(1, dtype=np.int64), np.zeros(1), np.ones(1))
    bwd = _Futures(np.arange(len(levels[-1])), hi[-1], np.ones(len(levels[-1])))
    p_total = 0.0
    f, b = 0, n_cols - 1
    while True:
        # settle past paths whose completions are all, or none, as extreme
        node, past, count = fwd
        done = past + hi[f][node] <= limit
        if done.any():
            total = _log_total(levels[f][node[done]])
            p_total += float(np.sum(count[done] * np.exp(const + past[done] + total)))
        keep = ~done & (past + lo[f][node] <= limit)
        fwd = _Paths(node[keep], past[keep], count[keep])
        if f == b or len(fwd.node) == 0:
            break
        degree = np.diff(np.append(starts[f], len(edges[f][0])))
        forward_cost = int(degree[fwd.node].sum())
        backward_cost = int(bwd.size()[edges[b - 1][1]].sum())
        if forward_cost <= backward_cost:
            _spend(work, forward_cost * 4)
            fwd = _step_forward(fwd, edges[f], starts[f], degree)
            f += 1
        else:
            _spend(work, backward_cost * 4)
            bwd = _step_backward(bwd, edges[b - 1], len(levels[b - 1]))
            b -= 1
    if f == b and len(fwd.node):
        p_total += _meet(fwd, bwd, const, limit)
    return float(min(1.0, p_total))


class _Paths(NamedTuple):
    """Past paths into the nodes of one level, sorted by node: node, past log weight and
    the number of partial tables with it."""

    node: np.ndarray
    past: np.ndarray
    count: np.ndarray


class _Futures(NamedTuple):
    """Completions of every node of one level: value runs sorted by node then value
    (``start`` = each node's first run), their log weight and number of completions."""

    start: np.ndarray
    value: np.ndarray
    count: np.ndarray

    def size(self) -> np.ndarray:
        return np.diff(np.append(self.start, len(self.value)))


def _merge(node, value, count):
    """Equal (node, value) pairs merged (values equal up to rounding at 1e-9), sorted by
    node then value."""
    if len(node) == 0:
        return node, value, count
    key = np.round(value * 1e9).astype(np.int64)
    key -= key.min()
    span = int(key.max()) + 1
    if span * (int(node.max()) + 1) < 2**62:
        order = np.argsort(node * span + key)
    else:
        order = np.lexsort((key, node))
    node, key, value, count = node[order], key[order], value[order], count[order]
    change = np.ones(len(node), dtype=bool)
    change[1:] = (node[1:] != node[:-1]) | (key[1:] != key[:-1])
    first = np.nonzero(change)[0]
    return node[first], value[first], np.add.reduceat(count, first)


def _segments(start: np.ndarray, size: np.ndarray) -> np.ndarray:
    """Indices start[i], …, start[i] + size[i] − 1 for every i, concatenated."""
    return np.repeat(start - np.cumsum(size) + size, size) + np.arange(int(size.sum()))


def _step_forward(fwd: _Paths, edges, start: np.ndarray, degree: np.ndarray) -> _Paths:
    """Every past path extended by every filling of the next column."""
    parent, child, w = edges
    deg = degree[fwd.node]
    which = np.repeat(np.arange(len(fwd.node)), deg)
    edge = _segments(start[fwd.node], deg)
    return _Paths(*_merge(child[edge], fwd.past[which] + w[edge], fwd.count[which]))


def _step_backward(bwd: _Futures, edges, n_nodes: int) -> _Futures:
    """The completions of the previous level's nodes: each edge followed by each of its
    child's completions."""
    parent, child, w = edges
    size = bwd.size()[child]
    which = np.repeat(np.arange(len(parent)), size)
    run = _segments(bwd.start[child], size)
    node, value, count = _merge(parent[which], w[which] + bwd.value[run], bwd.count[run])
    return _Futures(np.searchsorted(node, np.arange(n_nodes)), value, count)


def _meet(fwd: _Paths, bwd: _Futures, const: float, limit: float) -> float:
    """Past paths joined with the completions of their node: the completions with
    past + future <= limit, found by binary search in the node's sorted values."""
    total = 0.0
    size = bwd.size()
    bounds = np.searchsorted(fwd.node, np.unique(fwd.node), side="left")
    for lo_i, hi_i in zip(bounds, np.append(bounds[1:], len(fwd.node)), strict=True):
        n = fwd.node[lo_i]
        values = bwd.value[bwd.start[n] : bwd.start[n] + size[n]]
        top = values.max()
        acc = np.concatenate([[0.0], np.cumsum(bwd.count[bwd.start[n] : bwd.start[n] + size[n]]
                                               * np.exp(values - top))])
        past = fwd.past[lo_i:hi_i]
        k = np.searchsorted(values, limit - past, side="right")
        total += float(np.sum(fwd.count[lo_i:hi_i] * np.exp(const + past + top) * acc[k]))
    return total


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
