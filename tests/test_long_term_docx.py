"""The Word document's Table 5 (outcomes after response) quotes the long-term tables."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.analyses.run import run_analyses
from core.ingest.load import load_path
from core.report.export.docx_tables import TABLE_TITLES, docx_table_texts, journal_tables_docx

DEMO = Path(__file__).parent.parent / "data" / "demo" / "demo_cohort_long.csv"


@pytest.fixture(scope="module")
def run():
    return run_analyses(load_path(DEMO))


def test_table_5_quotes_flares_kidney_outcomes_and_steroid(run) -> None:
    tables = docx_table_texts(journal_tables_docx(run))
    assert len(tables) == 5 and TABLE_TITLES["long_term"].startswith("Table 5.")
    rows = {r[0]: r for r in tables[4]}
    assert rows["Outcome"][1:] == ["refractory", "relapse", "All", "p"]
    flares = run.results["flares"].table.set_index(["definition", "group"])
    for g, cell in zip(("refractory", "relapse", "All"), rows[
            "Renal flare (custom definition), patients n/responders (%)"][1:4], strict=True):  # fmt: skip
        f = flares.loc[("custom", g)]
        assert cell.startswith(f"{int(f['n_patients_flare'])}/{int(f['n_responders'])} (")
    kidney = run.results["kidney_outcomes"].table
    death = kidney[(kidney["outcome"] == "death") & (kidney["group"] == "All")].iloc[0]
    assert rows["Death"][3].startswith(f"{int(death['n_events'])}/{int(death['n'])} (")
    steroid = run.results["steroid_thresholds"].table
    at = steroid[(steroid["threshold_mg"] == 7.5) & (steroid["landmark"] == 12)
                 & (steroid["group"] == "All")].iloc[0]  # fmt: skip
    assert rows["Month 12"][3].startswith(f"{int(at['n_at_or_below'])}/{int(at['n'])} (")
