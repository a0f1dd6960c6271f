"""Every analysis of the registry is complete, and nothing else lists analyses.

An entry needs a title per table, a methods sentence (on the validation cohort, where every
analysis computes), an R call, figure builders that exist and draw what they say (or an
explicit NO_FIGURE), and a reference that checks it; the run gives every registry table with
at least the spec's columns.
"""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest

from core.analyses.registry import ANALYSES, TABLE_NAMES, TABLES
from core.analyses.run import run_analyses
from core.analyses.spec import NO_FIGURE
from core.ingest.load import load_path

ROOT = Path(__file__).parent.parent
NAMES = [a.name for a in ANALYSES]


@pytest.fixture(scope="module")
def run():
    return run_analyses(load_path(ROOT / "tests/reference/cohort_long.csv"))


def test_names_are_unique() -> None:
    assert len(set(NAMES)) == len(NAMES)
    tables = [t.name for a in ANALYSES for t in a.tables]
    assert len(set(tables)) == len(tables) == len(TABLE_NAMES)


@pytest.mark.parametrize("spec", ANALYSES, ids=NAMES)
def test_entry_is_complete(spec, run) -> None:
    assert spec.tables and spec.r_call.strip() and spec.section.strip()
    for t in spec.tables:
        assert t.title and t.title != t.name and "_" not in t.title, t.name
        assert t.columns, t.name
        path = ROOT / t.reference.split(" ")[0]
        assert path.exists(), f"{t.name}: reference {t.reference} not found"
        roles = {*t.counts, *t.percents, *t.p_values, *t.estimates, *t.not_reached}
        assert roles <= set(t.columns), (t.name, roles - set(t.columns))
    sentences = spec.methods(run)
    assert sentences and all(s.strip().endswith(".") for s in sentences), spec.name
    assert spec.figures is NO_FIGURE or all(
        r.function.startswith("plot_") and r.title for r in spec.figures
    )


@pytest.mark.parametrize("spec", ANALYSES, ids=NAMES)
def test_tables_have_their_columns_and_figures_draw_their_keys(spec, run) -> None:
    for t in spec.tables:
        table = run.results[t.name].table
        assert not table.empty, t.name
        assert set(t.columns) <= set(table.columns), (t.name, set(t.columns) - set(table.columns))
        assert t.patient_level == ("patient_id" in table.columns), t.name
    for ref in spec.figures:
        builder = ref.load()
        assert "show_ids" in inspect.signature(builder).parameters or "_" in str(
            inspect.signature(builder)
        )
        drawn = builder(run)
        assert drawn and {k.figure for k in drawn} == {ref.figure}, (ref.function, drawn.keys())


def test_run_gives_every_table_in_registry_order(run) -> None:
    assert list(run.results) == list(TABLE_NAMES)


def test_no_other_module_lists_analyses() -> None:
    """Lists of table names outside the registry: a module naming five or more registry
    tables in string literals keeps its own list (the Word journal tables aside)."""
    # These read the tables they draw or quote (the Word journal tables, the results
    # paragraph's headline numbers, the survival chart's five tables, the long-term charts'
    # tables): no list of analyses.
    allowed = {"core/report/export/docx_content.py", "core/report/export/followup_content.py",
               "core/report/export/common.py", "core/report/export/methods.py",
               "core/report/figures/ttr.py", "core/report/figures/long_term.py",
               "core/report/export/longterm_content.py"}  # fmt: skip
    offenders = {}
    for path in sorted((ROOT / "core").rglob("*.py")) + sorted((ROOT / "ui").rglob("*.py")):
        rel = str(path.relative_to(ROOT))
        if rel.startswith("core/analyses/") or rel in allowed:
            continue
        named = set(re.findall(r"[\"']([a-z0-9_]+)[\"']", path.read_text())) & set(TABLES)
        if len(named) >= 5:
            offenders[rel] = sorted(named)
    assert not offenders, offenders
