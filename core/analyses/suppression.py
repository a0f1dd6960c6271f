"""Small-cell suppression for outputs that leave the hospital (primary and complementary).

A table's counts are tied together by *relations* (``core.analyses.suppression_specs``): a
total equals the sum of its parts within a row (``orr_n = cr_n + pr_n``), across rows (the
``All`` group is the sum of the groups), or a sum everybody knows (each group's patients
in ``response_transitions``). Some parts are not printed but follow by subtraction (the
non-responders ``n_evaluable − orr_n``): they are *hidden* counts, small ones included.

Rule, with a threshold t (default off; 5 when on): every count from 1 to t − 1, printed or
hidden, is sensitive. Printed sensitive counts are blanked (primary suppression); then,
while the published cells and the relations still determine a sensitive count exactly
(its unit vector lies in the row space of the relations restricted to the unknown cells),
or confines it to one whole number once counts are known to be ≥ 0 (a linear programme:
a zero margin pins its cells), one more printed count is blanked (complementary
suppression: the smallest non-zero count near it that frees it; zeros only when nothing
else will). Percentages, intervals and statistics computed from a blanked count are blanked too.
If no choice protects a count (a relation pins it to public totals), every count of the
table is blanked and a note says so. Zeros are never sensitive, and a hidden remainder
that is zero is taken as known to the reader (the conservative choice).

Pure pandas/numpy; no domain knowledge beyond the specs' column names.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
from scipy import linalg, optimize

from core.analyses.suppression_specs import CountSpec, Margin, RowsSum, Steps

DEFAULT_THRESHOLD = 5

Var = tuple  # ("cell", row, column) printed count; ("hidden", name, ...) implied count


@dataclass(frozen=True)
class Suppressed:
    """A table after suppression: the table with blanks, which cells were blanked, how many
    were primary (small counts) and complementary, and whether it was withheld whole."""

    table: pd.DataFrame
    blanked: pd.DataFrame  # bool, same shape as ``table``
    n_primary: int
    n_complementary: int
    withheld: bool


class _System:
    """Cells, hidden counts and the linear relations among them (Σ coef·x = public)."""

    def __init__(self, counts: pd.DataFrame, spec: CountSpec, keep: np.ndarray) -> None:
        self.counts = counts
        self.value: dict[Var, float] = {}
        self.rows: list[dict[Var, float]] = []
        rows = np.nonzero(keep)[0]
        for i in rows:
            for c in spec.counts:
                x = counts.iat[i, counts.columns.get_loc(c)]
                if pd.notna(x):
                    self.value[("cell", int(i), c)] = float(x)
        for rel in spec.relations:
            if isinstance(rel, Margin):
                for i in rows:
                    self._margin(rel, int(i))
            elif isinstance(rel, RowsSum):
                self._rows_sum(rel, rows)
            else:
                self._steps(rel, rows)

    def _add(self, terms: dict[Var, float], hidden: Var | None) -> None:
        """Add Σ terms = public; a hidden remainder gets the value that balances it."""
        if any(v not in self.value for v in terms):
            return  # a missing count: the relation cannot be written
        rest = -sum(coef * self.value[v] for v, coef in terms.items())
        if hidden is not None:
            if abs(rest) < 1e-9:
                hidden = None  # a zero remainder is taken as known
            else:
                self.value[hidden] = rest
                terms = {**terms, hidden: 1.0}
        self.rows.append(terms)

    def _margin(self, rel: Margin, i: int) -> None:
        # total = Σ parts; hidden parts get their value from this relation when unknown.
        cells = {("cell", i, c): 1.0 for c in rel.parts if not c.startswith("~")}
        hidden = [("hidden", i, c) for c in rel.parts if c.startswith("~")]
        known_hidden = [h for h in hidden if h in self.value]
        unknown = [h for h in hidden if h not in self.value]
        terms = {**cells, **{h: 1.0 for h in known_hidden}}
        if rel.total is not None:
            terms[("cell", i, rel.total)] = -1.0
        if len(unknown) > 1:
            return  # wait: spec order must define all but one hidden part first
        self._add(terms, unknown[0] if unknown else None)

    def _rows_sum(self, rel: RowsSum, rows: np.ndarray) -> None:
        d = self.counts.iloc[rows]
        is_total = _match(d, rel.total) if rel.total is not None else np.zeros(len(d), bool)
        is_part = _match(d, rel.parts) & ~is_total
        keys = (
            d[list(rel.by)].astype(str).agg("|".join, axis=1)
            if rel.by
            else pd.Series("", index=d.index)
        )
        for col in rel.columns:
            for key in pd.unique(keys):
                at = (keys == key).to_numpy()
                terms = {("cell", int(i), col): 1.0 for i in rows[at & is_part]}
                totals = rows[at & is_total]
                if rel.total is not None:
                    if len(totals) != 1 or not terms:
                        continue
                    terms[("cell", int(totals[0]), col)] = -1.0
                    hidden = ("hidden", "rest", rel.name, col, key)
                    self._add(terms, hidden)
                elif terms:
                    self._add(terms, None)

    def _steps(self, rel: Steps, rows: np.ndarray) -> None:
        d = self.counts.iloc[rows]
        for _, g in d.groupby(list(rel.by), sort=False, dropna=False):
            order = g.sort_values(rel.order).index
            pos = [int(self.counts.index.get_loc(ix)) for ix in order]
            for a, b in zip(pos[:-1], pos[1:], strict=True):
                sign = 1.0 if rel.increasing else -1.0  # the hidden step is ≥ 0
                terms = {("cell", b, rel.column): -sign, ("cell", a, rel.column): sign}
                self._add(terms, ("hidden", "step", rel.column, a, b))

    def sensitive(self, v: Var, t: int) -> bool:
        x = self.value[v]
        return 1 <= round(x) <= t - 1 and abs(x - round(x)) < 1e-9

    def null_space(self, unknown: list[Var], rows: list[int] | None = None) -> np.ndarray:
        """Basis (columns) of the directions the unknowns can move in together while every
        relation keeps its published total (``rows``: relation indices, default all)."""
        idx = {v: k for k, v in enumerate(unknown)}
        use = range(len(self.rows)) if rows is None else rows
        A = np.zeros((len(use), len(unknown)))
        for r, e in enumerate(use):
            for v, coef in self.rows[e].items():
                if v in idx:
                    A[r, idx[v]] = coef
        A = A[np.abs(A).sum(axis=1) > 0]
        return np.eye(len(unknown)) if len(A) == 0 else linalg.null_space(A)

    def determined(self, unknown: list[Var], rows: list[int] | None = None) -> set[Var]:
        """Unknowns fixed by the relations given every other count: those with a zero in
        every vector of the null space."""
        if not unknown:
            return set()
        N = self.null_space(unknown, rows)
        free = np.abs(N).max(axis=1) > 1e-9 if N.size else np.zeros(len(unknown), bool)
        return {v for v, k in zip(unknown, range(len(unknown)), strict=True) if not free[k]}

    def roomy(self, unknown: list[Var], N: np.ndarray, v: Var) -> bool:
        """A quick sufficient test that ``v`` is not pinned: along some null-space basis
        direction it can move by a whole unit in total while every count stays ≥ 0."""
        x = np.array([self.value[u] for u in unknown])
        k = unknown.index(v)
        for j in range(N.shape[1]):
            d = N[:, j]
            if abs(d[k]) < 1e-9:
                continue
            d = d / d[k]
            neg, pos = d < -1e-12, d > 1e-12
            up = np.min(x[neg] / -d[neg]) if neg.any() else np.inf
            down = np.min(x[pos] / d[pos]) if pos.any() else np.inf
            if up + down >= 1 - 1e-9:
                return True
        return False

    def pinned(self, unknown: list[Var], rows: list[int], targets: list[Var]) -> set[Var]:
        """Targets confined to a single whole number once counts are known to be ≥ 0:
        minimise and maximise each over the relations (a linear programme, HiGHS)."""
        idx = {v: k for k, v in enumerate(unknown)}
        A, b = [], []
        for e in rows:
            row = np.zeros(len(unknown))
            for v, coef in self.rows[e].items():
                if v in idx:
                    row[idx[v]] = coef
            if row.any():
                A.append(row)
                b.append(sum(coef * self.value[v] for v, coef in self.rows[e].items() if v in idx))
        out = set()
        for v in targets:
            if not A:
                continue
            c = np.zeros(len(unknown))
            c[idx[v]] = 1.0
            lo = optimize.linprog(c, A_eq=np.array(A), b_eq=b, bounds=(0, None), method="highs")
            hi = optimize.linprog(-c, A_eq=np.array(A), b_eq=b, bounds=(0, None), method="highs")
            if lo.status == 0 and hi.status == 0:
                if np.ceil(lo.fun - 1e-7) >= np.floor(-hi.fun + 1e-7):
                    out.add(v)
        return out

    def components(self) -> list[tuple[set[Var], list[int]]]:
        """Groups of counts linked by relations, with the relations of each group."""
        parent: dict[Var, Var] = {v: v for v in self.value}

        def find(v: Var) -> Var:
            while parent[v] != v:
                parent[v] = parent[parent[v]]
                v = parent[v]
            return v

        for terms in self.rows:
            first, *rest = list(terms)
            for v in rest:
                parent[find(v)] = find(first)
        comps: dict[Var, tuple[set[Var], list[int]]] = {}
        for v in self.value:
            comps.setdefault(find(v), (set(), []))[0].add(v)
        for e, terms in enumerate(self.rows):
            comps[find(next(iter(terms)))][1].append(e)
        return list(comps.values())


def _match(d: pd.DataFrame, selector: dict) -> np.ndarray:
    ok = np.ones(len(d), bool)
    for col, want in selector.items():
        text = d[col].astype(str).to_numpy()
        if isinstance(want, tuple) and want and want[0] == "not":
            ok &= ~np.isin(text, [str(w) for w in want[1:]])
        else:
            ok &= np.isin(text, [str(w) for w in (want if isinstance(want, tuple) else (want,))])
    return ok


class _Component:
    """One group of linked counts (a landmark, a rule set ...): small null spaces."""

    def __init__(self, system: _System, t: int, members: set[Var], rows: list[int]) -> None:
        self.system, self.t, self.members, self.rows = system, t, members, rows
        self.hidden = sorted((v for v in members if v[0] == "hidden"), key=str)
        self.safe: set[Var] = set()  # once free, a count stays free as more are blanked

    def exposed(self, blank: set[Var], only: Var | None = None) -> set[Var]:
        """Sensitive unknowns fixed by the relations (linear algebra) or confined to one
        whole number by them and non-negativity (linear programme)."""
        unknown = sorted(blank & self.members, key=str) + self.hidden
        sens = [
            v
            for v in unknown
            if v not in self.safe
            and self.system.sensitive(v, self.t)
            and (only is None or v == only)
        ]
        if not sens:
            return set()
        N = self.system.null_space(unknown, self.rows)
        moves = np.abs(N).max(axis=1) > 1e-9 if N.size else np.zeros(len(unknown), bool)
        lin = {v for v in sens if not moves[unknown.index(v)]}
        rest = [v for v in sens if v not in lin and not self.system.roomy(unknown, N, v)]
        found = lin | self.system.pinned(unknown, self.rows, rest)
        if only is None:
            self.safe.update(v for v in sens if v not in found)
        return found


def _protect(system: _System, t: int, forced: set[Var]) -> tuple[set[Var], int, bool]:
    """Primary and complementary suppression; returns (blanked cells, n primary, ok)."""
    cells = [v for v in system.value if v[0] == "cell"]
    blank = {v for v in cells if system.sensitive(v, t)}
    n_primary = len(blank)
    blank |= forced & set(cells)
    touches: dict[Var, set[Var]] = {}
    for terms in system.rows:
        for v in terms:
            touches.setdefault(v, set()).update(terms)
    for members, rows in system.components():
        comp = _Component(system, t, members, rows)
        while found := comp.exposed(blank):
            target = sorted(found, key=str)[0]
            near = {u for v in touches.get(target, {target}) for u in touches.get(v, set())}
            candidates = sorted(
                (v for v in near if v[0] == "cell" and v not in blank),
                key=lambda v: (system.value[v] == 0, system.value[v], str(v)),
            )
            if not candidates:
                return blank, n_primary, False
            chosen = next(
                (v for v in candidates if not comp.exposed(blank | {v}, target)), candidates[0]
            )
            blank.add(chosen)
    return blank, n_primary, True


def suppress_table(
    table: pd.DataFrame,
    spec: CountSpec,
    threshold: int = DEFAULT_THRESHOLD,
    forced: frozenset[tuple[int, str]] = frozenset(),
) -> Suppressed:
    """Blank small counts and the cells that would give them away, in one table.

    Parameters
    ----------
    table
        A contract table (as ``Result.table``).
    spec
        Its counts, relations and derived columns (``suppression_specs.SPECS``).
    threshold
        t: counts 1 … t − 1 are blanked (t ≥ 2).
    forced
        (row position, column) of counts to blank whatever their size: the same count
        blanked in another table (see :mod:`core.analyses.suppression_run`).

    Returns
    -------
    Suppressed: ``table`` with blanked cells set to missing (NaN for numbers, None for
    text), the boolean mask ``blanked``, the numbers of primary and complementary cells,
    and ``withheld`` (every count blanked because no pattern protects them).
    """
    if threshold < 2:
        raise ValueError("The suppression threshold must be at least 2.")
    out = table.copy()
    mask = pd.DataFrame(False, index=table.index, columns=table.columns)
    present = [c for c in spec.counts if c in table]
    if table.empty or not present:
        return Suppressed(out, mask, 0, 0, False)
    spec = replace(spec, counts=tuple(present))
    counts = table.reset_index(drop=True).copy()
    keep = _match(counts, spec.rows) if spec.rows else np.ones(len(counts), bool)
    for c in present:
        counts[c] = (
            counts[c].map(spec.parse) if spec.parse else pd.to_numeric(counts[c], errors="coerce")
        )
    system = _System(counts, spec, keep)
    blank, n_primary, ok = _protect(system, threshold, {("cell", i, c) for i, c in forced})
    if not ok:
        blank = {v for v in system.value if v[0] == "cell"}
    for _, i, c in blank:
        mask.iat[i, table.columns.get_loc(c)] = True
    for col, sources in spec.derived.items():
        if col in table:
            hit = np.zeros(len(table), bool)
            for s in sources:
                if s in mask:
                    hit |= mask[s].to_numpy()
            mask.loc[hit, col] = True
    for col in table.columns[mask.any().to_numpy()]:
        numeric = pd.api.types.is_numeric_dtype(out[col]) and not pd.api.types.is_bool_dtype(
            out[col]
        )
        out[col] = out[col].astype(float if numeric else object)
        out.loc[mask[col].to_numpy(), col] = np.nan if numeric else None
    return Suppressed(out, mask, n_primary, len(blank) - n_primary if ok else 0, not ok)
