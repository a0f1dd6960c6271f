"""Small-cell suppression over a whole run: every table, the same count blanked alike.

Each table is suppressed with :func:`core.analyses.suppression.suppress_table`; then the
counts printed in two tables (``suppression_specs.LINKS``) are compared, a count blanked in
one is forced blank in the other, and the touched tables are suppressed again, until
nothing changes. Off (``threshold=None``) returns the results as they are.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from core.analyses.suppression import Suppressed, _match, suppress_table
from core.analyses.suppression_specs import LINKS, Link, spec_for, withheld
from core.model.i18n import gettext as _
from core.model.results import Result
from core.model.vocabulary import without_ids

MAX_ROUNDS = 20


def suppression_note(threshold: int, s: Suppressed) -> str:
    """The sentence a table's notes and its file's context block carry."""
    head = (
        _('Small-cell suppression (threshold {threshold}): counts 1–{top} are blanked, with the cells they could be recovered from by subtraction from totals (complementary suppression) and the percentages and statistics derived from them').format(threshold=threshold, top=threshold - 1)
    )
    if s.withheld:
        return head + _("; no pattern protected every count, so all counts of this table are blanked.")
    return head + _('; here {n_primary} primary and {n_complementary} complementary cell(s).').format(n_primary=s.n_primary, n_complementary=s.n_complementary)


def _number(x) -> bool:
    return pd.api.types.is_number(x) and not isinstance(x, bool)


def _pairs(link: Link, ta: pd.DataFrame, tb: pd.DataFrame) -> list[tuple[int, int]]:
    """(row position in a, row position in b) of rows that pair up on the link's keys."""
    ia = np.nonzero(_match(ta, link.a_rows))[0]
    ib = np.nonzero(_match(tb, link.b_rows))[0]

    def key(t: pd.DataFrame, i: int, cols: list[str]) -> tuple:
        return tuple(
            str(float(x)) if isinstance(x, int | float) else str(x) for x in t.iloc[i][cols]
        )

    by_key: dict[tuple, list[int]] = {}
    for j in ib:
        by_key.setdefault(key(tb, j, [k for _a, k in link.keys]), []).append(int(j))
    return [(int(i), j) for i in ia for j in by_key.get(key(ta, i, [k for k, _b in link.keys]), [])]


def _linked(link: Link, ta, tb, ma, mb) -> tuple[set, set]:
    """Cells to force in a and in b: a shared count blanked on one side only."""
    force_a, force_b = set(), set()
    for i, j in _pairs(link, ta, tb):
        for ca, cb in link.columns:
            if ca not in ta or cb not in tb:
                continue
            x, y = pd.to_numeric(ta[ca].iloc[i]), pd.to_numeric(tb[cb].iloc[j])
            if pd.isna(x) or pd.isna(y) or x != y:
                continue
            if ma[ca].iloc[i] and not mb[cb].iloc[j]:
                force_b.add((j, cb))
            elif mb[cb].iloc[j] and not ma[ca].iloc[i]:
                force_a.add((i, ca))
    return force_a, force_b


def suppress_results(results: dict[str, Result], threshold: int | None) -> dict[str, Result]:
    """Suppress every table of a run at ``threshold`` (None = off, the results unchanged).

    Tables without counts pass unchanged; withheld tables (patient-level ones and
    ``suppression_specs.WITHHELD``) are emptied with a note. Each suppressed Result gains
    the note of :func:`suppression_note` and ``meta['suppression']`` (threshold, primary,
    complementary, withheld).
    """
    if threshold is None:
        return results
    specs = {
        n: s
        for n, r in results.items()
        if not withheld(n) and not r.table.empty and (s := spec_for(n, r.table)) is not None
    }
    forced: dict[str, set] = {n: set() for n in specs}
    done = {n: suppress_table(results[n].table, s, threshold) for n, s in specs.items()}
    for _round in range(MAX_ROUNDS):
        grew = set()
        for link in LINKS:
            if link.a in done and link.b in done:
                ta, tb = results[link.a].table, results[link.b].table
                fa, fb = _linked(link, ta, tb, done[link.a].blanked, done[link.b].blanked)
                for name, more in ((link.a, fa), (link.b, fb)):
                    if more - forced[name]:
                        forced[name] |= more
                        grew.add(name)
        if not grew:
            break
        for n in grew:
            done[n] = suppress_table(results[n].table, specs[n], threshold, frozenset(forced[n]))
    out: dict[str, Result] = {}
    for name, r in results.items():
        if withheld(name):
            note = (
                _('Withheld under small-cell suppression (threshold {threshold}): this table has one row per patient or per event time.').format(threshold=threshold)
            )
            meta = r.meta | {"suppression": {"threshold": threshold, "withheld": True}}
            out[name] = replace(r, table=r.table.iloc[0:0], notes=(*r.notes, note), meta=meta)
        elif name in done:
            s = done[name]
            meta = r.meta | {
                "suppression": {
                    "threshold": threshold,
                    "primary": s.n_primary,
                    "complementary": s.n_complementary,
                    "withheld": s.withheld,
                }
            }
            note = suppression_note(threshold, s)
            out[name] = replace(r, table=s.table, notes=(*r.notes, note), meta=meta)
        else:
            out[name] = r
    # patient IDs named in notes (patients left out, at most 20) never leave under suppression
    return {n: replace(r, notes=tuple(without_ids(x) for x in r.notes)) for n, r in out.items()}
