"""Small-cell suppression end to end: the setting reaches every table, figure, file, the
methods text and each file's context; the app's toggle and the CLI's --suppress set it."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest

from core.__main__ import main as cli
from core.analyses.registry import TABLES
from core.analyses.run import run_analyses
from core.ingest.load import load_path
from core.model.settings import Settings
from core.report.export import report_files
from core.report.figures import build_figures

DEMO = Path(__file__).parent.parent / "data" / "demo" / "demo_cohort_long.csv"


@pytest.fixture(scope="module")
def run():
    return run_analyses(load_path(DEMO), Settings(suppression_threshold=5))


def test_no_table_prints_a_count_from_1_to_4(run) -> None:
    checked = 0
    for name, res in run.results.items():
        spec = TABLES[name]
        if spec.patient_level:
            assert res.table.empty, name
            continue
        for col in spec.counts:
            if col in res.table:
                v = pd.to_numeric(res.table[col], errors="coerce").to_numpy(float)
                assert not ((v >= 1) & (v <= 4)).any(), (name, col)
                checked += 1
    assert checked > 30
    rates = run.results["response_rates"]
    assert any("Small-cell suppression (threshold 5)" in n for n in rates.notes)


def test_figures_and_files_say_so(run) -> None:
    figures = build_figures(run)
    assert figures  # every builder copes with blanked counts and withheld curves
    files, _ = report_files(run, figures, images=False)
    methods = files["methods.md"].decode()
    assert "counts from 1 to 4 were suppressed" in methods
    assert "counts < 5 suppressed" in run.summary
    book = openpyxl.load_workbook(io.BytesIO(files["report.xlsx"]))
    context = " ".join(str(c.value) for row in book.worksheets[0].iter_rows() for c in row)
    assert "counts from 1 to 4 were suppressed" in context
    assert not any(name.endswith(("landmark_visits.csv", "follow_up.csv")) for name in files)
    for name, data in files.items():
        if name.endswith(".csv") and name[:-4] in TABLES:
            t = pd.read_csv(io.BytesIO(data))
            for col in TABLES[name[:-4]].counts:
                if col in t:
                    v = pd.to_numeric(t[col], errors="coerce").to_numpy(float)
                    assert not ((v >= 1) & (v <= 4)).any(), (name, col)


def test_cli_suppress_option(tmp_path: Path, capsys) -> None:
    assert cli(["report", str(DEMO), "--suppress", "5", "--tables-only", "--out", str(tmp_path)]) == 0
    rates = pd.read_csv(tmp_path / "response_rates.csv")
    v = rates["cr_n"].to_numpy(float)
    assert np.isnan(v).any() and not ((v >= 1) & (v <= 4)).any()
    assert "counts < 5 suppressed" in capsys.readouterr().out
