"""Small-cell suppression: no blanked count can be recovered from what is published.

The property test runs the real analyses (``run_analyses``) on random small cohorts,
suppresses every table at threshold 5 and then attacks each table as a reader would: for
every sensitive count (1–4, printed and blanked, or implied by subtraction), it solves two
linear programmes (scipy ``linprog``: minimise and maximise the count subject to the
table's relations, the published cells and counts ≥ 0). A count whose minimum equals its
maximum, or whose range holds a single whole number, is recovered: the test fails. The solver is independent of the suppression's own
null-space check and stronger (it also uses non-negativity).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog
from test_properties import random_cohort

from core.analyses.run import run_analyses
from core.analyses.suppression import _System, suppress_table
from core.analyses.suppression_run import _pairs, suppress_results
from core.analyses.suppression_specs import (
    LINKS,
    CountSpec,
    Margin,
    RowsSum,
    leading_count,
    spec_for,
    withheld,
)
from core.model.results import Result
from core.model.settings import Filters, Settings

T = 5


def _relations_hold(system: _System) -> None:
    """Every relation with a printed total holds on the unsuppressed table (hidden
    remainders are counts: never negative)."""
    for v, x in system.value.items():
        if v[0] == "hidden":
            assert x >= -1e-9, v


def _recoverable(table: pd.DataFrame, spec: CountSpec, published: pd.DataFrame) -> list:
    """Sensitive counts pinned to one value by the published cells (LP attack)."""
    counts = table.reset_index(drop=True).copy()
    for c in spec.counts:
        if c in counts:
            counts[c] = counts[c].map(spec.parse) if spec.parse else counts[c].astype(float)
    keep = np.ones(len(counts), bool)
    if spec.rows:
        from core.analyses.suppression import _match

        keep = _match(counts, spec.rows)
    spec = CountSpec(tuple(c for c in spec.counts if c in counts), spec.relations)
    system = _System(counts, spec, keep)
    _relations_hold(system)
    pub = published.reset_index(drop=True)
    unknown = [
        v
        for v in system.value
        if v[0] == "hidden" or pd.isna(pub.iat[v[1], pub.columns.get_loc(v[2])])
    ]
    if not unknown:
        return []
    idx = {v: k for k, v in enumerate(unknown)}
    A, b = [], []
    for terms in system.rows:
        row = np.zeros(len(unknown))
        const = 0.0
        for v, coef in terms.items():
            if v in idx:
                row[idx[v]] = coef
            const -= coef * system.value[v] if v not in idx else 0.0
        if row.any():
            # Σ unknown = −Σ known, where the relation's public total is the true one.
            true = sum(coef * system.value[v] for v, coef in terms.items())
            A.append(row)
            b.append(true + const)
    if not A:
        return []
    A, b = np.array(A), np.array(b)
    exposed = []
    for v, k in idx.items():
        if not system.sensitive(v, T):
            continue
        c = np.zeros(len(unknown))
        c[k] = 1
        lo = linprog(c, A_eq=A, b_eq=b, bounds=(0, None), method="highs")
        hi = linprog(-c, A_eq=A, b_eq=b, bounds=(0, None), method="highs")
        assert lo.status == 0, (v, lo.message)
        if hi.status == 0 and np.ceil(lo.fun - 1e-7) >= np.floor(-hi.fun + 1e-7):
            exposed.append((v, lo.fun))  # one whole number fits: recovered
    return exposed


def _check_table(name: str, before: Result, after: Result) -> None:
    spec = spec_for(name, before.table)
    t, s = before.table, after.table
    if spec is None or t.empty:
        assert s.equals(t)
        return
    for c in spec.counts:
        if c in s:
            x = s[c].map(spec.parse) if spec.parse else pd.to_numeric(s[c])
            assert not ((x >= 1) & (x <= T - 1)).any(), (name, c)
    for col, sources in spec.derived.items():
        if col in s:
            for src in sources:
                if src in s:
                    gone = s[src].isna() & t[src].notna()
                    assert s.loc[gone, col].isna().all(), (name, col, src)
    if after.meta["suppression"]["withheld"]:
        # Public totals pin a small count whatever is blanked: every count is withheld.
        for c in spec.counts:
            if c in s:
                x = s[c].map(spec.parse) if spec.parse else pd.to_numeric(s[c])
                assert x.isna().all(), (name, c)
    else:
        assert not _recoverable(t, spec, s), name
    assert any("Small-cell suppression (threshold 5)" in n for n in after.notes)


cohorts = st.builds(
    random_cohort,
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(2, 30),
    n_groups=st.integers(1, 3),
    missing=st.sampled_from([0.0, 0.1, 0.5]),
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cohorts, st.sampled_from(["recorded", "kdigo2024"]))
def test_no_suppressed_count_can_be_recovered(c, criteria: str) -> None:
    results = dict(run_analyses(c, Settings(criteria=criteria), Filters()).results)
    out = suppress_results(results, T)
    assert set(out) == set(results)
    for name in results:
        if withheld(name):
            assert out[name].table.empty
        else:
            _check_table(name, results[name], out[name])
    for link in LINKS:
        _check_link(link, results, out)


def _check_link(link, before: dict, after: dict) -> None:
    """A count printed in two tables is blanked in both or in neither."""
    ta, tb = before[link.a].table, before[link.b].table
    if ta.empty or tb.empty:
        return
    sa, sb = after[link.a].table, after[link.b].table
    for i, j in _pairs(link, ta, tb):
        for ca, cb in link.columns:
            if ca in ta and cb in tb and ta[ca].iloc[i] == tb[cb].iloc[j]:
                assert pd.isna(sa[ca].iloc[i]) == pd.isna(sb[cb].iloc[j]), (link, i, j, ca)


def test_off_means_unchanged() -> None:
    results = dict(run_analyses(random_cohort(1, 12, 2, 0.0), Settings(), Filters()).results)
    assert suppress_results(results, None) is results


def test_two_by_two_with_known_margins_needs_a_rectangle() -> None:
    """A 2 × 2 table with its margins public: one small cell blanks all four."""
    t = pd.DataFrame(
        {
            "row": ["a", "a", "b", "b"],
            "col": ["x", "y", "x", "y"],
            "n": [3, 10, 12, 20],
        }
    )
    spec = CountSpec(
        counts=("n",),
        relations=(
            RowsSum("rows", ("n",), None, {}, ("row",)),
            RowsSum("cols", ("n",), None, {}, ("col",)),
        ),
    )
    s = suppress_table(t, spec, T)
    assert s.table["n"].isna().all()
    assert (s.n_primary, s.n_complementary) == (1, 3)
    assert not _recoverable(t, spec, s.table)


def test_hidden_small_count_is_protected_and_derived_columns_follow() -> None:
    """orr 8 of 10 evaluable: 2 non-responders follow by subtraction, so blank one."""
    t = pd.DataFrame(
        {
            "group": ["g"],
            "n_evaluable": [10],
            "orr_n": [8],
            "orr_pct": [80.0],
        }
    )
    spec = CountSpec(
        counts=("n_evaluable", "orr_n"),
        relations=(Margin("n_evaluable", ("orr_n", "~nr_n")),),
        derived={"orr_pct": ("orr_n", "n_evaluable")},
    )
    s = suppress_table(t, spec, T)
    assert s.n_primary == 0 and s.n_complementary == 1
    assert s.table["orr_n"].isna().all() and s.table["orr_pct"].isna().all()
    assert s.table["n_evaluable"].tolist() == [10]


def test_a_count_pinned_by_public_totals_withholds_the_table() -> None:
    """A single part equal to a public sum cannot be hidden: all counts blanked."""
    t = pd.DataFrame({"k": ["a"], "n": [2]})
    spec = CountSpec(counts=("n",), relations=(RowsSum("all", ("n",), None, {}, ("k",)),))
    s = suppress_table(t, spec, T)
    assert s.withheld and s.table["n"].isna().all()


def test_table1_texts_are_read_and_blanked() -> None:
    assert leading_count("45 (91.8%)") == 45
    assert np.isnan(leading_count("34 (29-41)"))
    results = dict(run_analyses(random_cohort(11, 14, 2, 0.0), Settings(), Filters()).results)
    out = suppress_results(results, T)["table1"].table
    cat = out[out["level"].notna() & (out["level"] != "")]
    for col in ("refractory", "relapse", "All"):
        if col in cat:
            n = cat[col].map(leading_count)
            assert not ((n >= 1) & (n <= T - 1)).any()


def test_threshold_must_be_at_least_two() -> None:
    with pytest.raises(ValueError):
        suppress_table(pd.DataFrame({"n": [1]}), CountSpec(counts=("n",)), 1)
