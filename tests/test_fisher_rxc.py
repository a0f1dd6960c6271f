"""Fisher's exact test on r × c tables against R's fisher.test (FEXACT):
tests/reference/fisher/fisher.R writes fisher_rxc.csv (tables incl. Table 1's 4 × 5 class by
group of the four-group validation cohort, empty rows and columns, 2 × k, up to 6 × 6)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from core.stats.contingency import (
    ExactTooLarge,
    chisq_test,
    fisher_exact_2xk,
    fisher_or_chisq_expected,
)
from core.stats.result_types import ChosenTest
from tests.groups_cohort import split_frame

REF = pd.read_csv(Path(__file__).parent / "reference" / "fisher" / "fisher_rxc.csv")


def _table(text: str) -> np.ndarray:
    return np.array([[int(x) for x in row.split()] for row in text.split("/")])


@pytest.mark.parametrize("rec", REF.to_dict("records"), ids=list(REF["name"]))
def test_fisher_rxc_matches_r(rec):
    table = _table(rec["table"])
    if rec["beyond_budget"]:
        with pytest.raises(ExactTooLarge):
            fisher_exact_2xk(table)
        assert fisher_or_chisq_expected(table) == ChosenTest("chi_square", chisq_test(table).p)
        return
    p = fisher_exact_2xk(table)
    assert p == pytest.approx(rec["p_value"], rel=1e-8, abs=1e-300)
    if table.sum() > 100:
        return  # (the larger tables once: the test suite's time)
    # the same p for the transposed table and for permuted rows and columns
    assert fisher_exact_2xk(table.T) == pytest.approx(p, rel=1e-11, abs=1e-300)
    assert fisher_exact_2xk(table[::-1, ::-1]) == pytest.approx(p, rel=1e-11, abs=1e-300)


def test_table1_class_by_group_is_the_four_group_cohorts_table():
    """The 4 × 5 reference table is Table 1's ISN/RPS class by group of the four-group
    cohort (90 patients), and it is exact (no chi-square fallback)."""
    d = split_frame(4).drop_duplicates("patient_id")
    tab = pd.crosstab(d["group"], d["isn_class"]).to_numpy()
    rec = REF.set_index("name").loc["table1_class_4x5"]
    assert tab.sum() == 90
    assert (tab == _table(rec["table"])).all()
    chosen = fisher_or_chisq_expected(tab)
    assert chosen.test == "fisher_exact"
    assert chosen.p == pytest.approx(rec["p_value"], rel=1e-9)


def test_fisher_rxc_brute_force_on_a_small_table():
    """Full enumeration of every 3 × 3 table with the margins of a small table: the
    probabilities ≤ observed × exp(3.45254e-7) (FEXACT's tolerance) summed."""
    from itertools import product

    from scipy.special import gammaln

    t = np.array([[2, 0, 3], [1, 4, 0], [0, 2, 3]])
    rows, cols = t.sum(1), t.sum(0)

    def logp(x):
        return (gammaln(rows + 1).sum() + gammaln(cols + 1).sum() - gammaln(t.sum() + 1)
                - gammaln(x + 1).sum())

    obs = logp(t)
    p = 0.0
    for a, b, d, e in product(range(6), repeat=4):
        x = np.array([[a, b, rows[0] - a - b], [d, e, rows[1] - d - e], [0, 0, 0]])
        x[2, :2] = cols[:2] - x[:2, :2].sum(0)
        x[2, 2] = rows[2] - x[2, :2].sum()
        if (x >= 0).all() and (x.sum(0) == cols).all():
            lp = logp(x)
            if lp <= obs + 3.45254e-7:
                p += np.exp(lp)
    assert fisher_exact_2xk(t) == pytest.approx(p, rel=1e-12)
