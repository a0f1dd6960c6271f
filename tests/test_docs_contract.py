"""docs/data-contract.md is the source of truth: §6 names every table of the analysis
registry with each of its columns (and marks the patient-level ones), §7 every option of
the command line."""

from __future__ import annotations

import re
from pathlib import Path

from core.analyses.registry import ANALYSES, TABLES
from core.cli.report import _parser

DOC = Path(__file__).resolve().parent.parent / "docs" / "data-contract.md"


def _section(number: int) -> str:
    text = DOC.read_text(encoding="utf-8")
    start = re.search(rf"^## {number}\. ", text, re.M)
    assert start, f"§{number} missing"
    end = re.search(r"^## \d+\. ", text[start.end() :], re.M)
    return text[start.start() : start.end() + end.start()] if end else text[start.start() :]


def _table_rows() -> dict[str, str]:
    """Table name -> its row of the §6 table (``| `name` ... |``)."""
    rows = {}
    for line in _section(6).splitlines():
        m = re.match(r"^\| `([a-z0-9_]+)`", line)
        if m:
            assert m.group(1) not in rows, f"{m.group(1)} listed twice"
            rows[m.group(1)] = line
    return rows


def test_every_registered_table_and_column_is_documented() -> None:
    rows = _table_rows()
    assert set(rows) == set(TABLES), {
        "undocumented": sorted(set(TABLES) - set(rows)),
        "not registered": sorted(set(rows) - set(TABLES)),
    }
    for name, spec in TABLES.items():
        cells = rows[name].split("|")
        columns_cell = cells[2]
        for col in spec.columns:
            assert re.search(rf"(?<![\w`<]){re.escape(col)}(?![\w>])", columns_cell), (name, col)


def test_documented_order_follows_the_registry() -> None:
    assert list(_table_rows()) == [t.name for a in ANALYSES for t in a.tables]


def test_patient_level_tables_are_marked() -> None:
    rows = _table_rows()
    marked = {n for n, row in rows.items() if "(patient-level)" in row.split("|")[1]}
    assert marked == {n for n, s in TABLES.items() if s.patient_level}


def test_every_report_option_is_documented() -> None:
    section = _section(7)
    options = [o for a in _parser()._actions for o in a.option_strings if o.startswith("--")]
    assert "--max-mb" in options
    for option in options:
        if option == "--help":
            continue
        assert re.search(rf"{re.escape(option)}(?![\w-])", section), option
