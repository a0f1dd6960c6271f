"""Response within subgroups: the ``All`` and group rows are the response rates.

Reference: tests/reference/expected/kdigo2024/response_rates.csv (``Rscript reference.R``,
responses derived under KDIGO 2024; intervals ``binom.test(x, n)$conf.int``), so the table
follows the chosen criteria, not only recorded responses.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from core.analyses.subgroups import response_subgroups
from core.ingest.load import load_path
from core.model.settings import Settings
from core.outcomes.derive import derive_outcomes

REF = Path(__file__).parent / "reference"


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    cohort = load_path(REF / "cohort_long.csv")
    settings = Settings(criteria="kdigo2024").resolved(True, cohort.groups)
    return response_subgroups(derive_outcomes(cohort, settings), cohort.patients).table


def test_all_and_group_rows_equal_the_kdigo_response_rates_against_R(table) -> None:
    expected = pd.read_csv(REF / "expected" / "kdigo2024" / "response_rates.csv")
    for _, exp in expected.iterrows():
        level = "All" if exp["group"] == "All" else exp["group"]
        subgroup = "All" if level == "All" else "Group"
        got = table[(table["month"] == exp["month"]) & (table["subgroup"] == subgroup)
                    & (table["level"] == level)].iloc[0]  # fmt: skip
        assert (got["n"], got["orr_n"]) == (exp["n_evaluable"], exp["orr_n"])
        for ours, theirs in (("orr_pct", "orr_pct"), ("ci_low", "orr_ci_low"),
                             ("ci_high", "orr_ci_high")):  # fmt: skip
            assert got[ours] == pytest.approx(exp[theirs], rel=1e-5)


def test_each_subgroup_partitions_the_evaluable_patients(table) -> None:
    for month, block in table.groupby("month"):
        total = block.loc[block["subgroup"] == "All", "n"].iloc[0]
        for name, rows in block[block["subgroup"] != "All"].groupby("subgroup"):
            assert rows["n"].sum() <= total, (month, name)  # missing values leave a row out
            assert (rows["orr_n"] <= rows["n"]).all()
        assert block.loc[block["subgroup"] == "Group", "n"].sum() == total
