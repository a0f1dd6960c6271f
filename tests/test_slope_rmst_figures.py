"""The lab-slope and restricted-mean charts draw the numbers of their tables.

``plot_lab_slopes`` draws ``lab_slopes`` (log-scale labs back-transformed to % per year, as
the table's pct columns; others in their unit per year); ``plot_rmst`` draws ``rmst`` with τ
in the title and the ``rmst_difference`` row in the note.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from core.analyses.run import run_analyses
from core.ingest.load import load_path
from core.model.settings import Settings
from core.report.figures.lab_slopes import lab_slopes_figure, plot_lab_slopes
from core.report.figures.rmst import plot_rmst, rmst_figure

LONG = Path(__file__).parent / "reference" / "cohort_long.csv"


@pytest.fixture(scope="module")
def run():
    return run_analyses(load_path(LONG), Settings(rmst_tau=9, mixed_measures=("egfr", "upcr")))


def _points(fig) -> list[tuple[float, float, float]]:
    """(x, x + error, x − error minus) of every marker trace."""
    out = []
    for tr in fig.data:
        x = float(tr.x[0])
        out.append((x, x + float(tr.error_x.array[0]), x - float(tr.error_x.arrayminus[0])))
    return out


def _texts(fig) -> str:
    return " ".join(a.text for a in fig.layout.annotations)


def test_lab_slopes_figure_draws_the_table(run) -> None:
    t = run.table("lab_slopes")
    fig = plot_lab_slopes(run)
    assert [k.figure for k in fig] == ["lab_slopes"]
    fig = next(iter(fig.values()))
    drawn = _points(fig)
    assert len(drawn) == len(t)
    for (x, hi, lo), (_, r) in zip(drawn, t.iterrows(), strict=True):
        cols = (
            ("pct_per_year", "pct_ci_high", "pct_ci_low")
            if r["scale"] == "log"
            else ("estimate", "ci_high", "ci_low")
        )
        np.testing.assert_allclose([x, hi, lo], [r[c] for c in cols], rtol=1e-12)
    titles = [fig.layout[a].title.text for a in ("xaxis", "xaxis2")]
    assert "% change per year (back-transformed" in titles[1] and "UPCR" in titles[1]
    assert "eGFR: change per year, mL/min/1.73 m²/year" in titles[0]
    egfr_diff = t[(t["measure"] == "egfr") & (t["kind"] == "difference")].iloc[0]
    assert f"{egfr_diff['estimate']:.2f}" in _texts(fig)


def test_rmst_figure_draws_the_table_tau_and_difference(run) -> None:
    t, diff = run.table("rmst"), run.table("rmst_difference")
    fig = plot_rmst(run)
    fig = next(iter(fig.values()))
    drawn = _points(fig)
    np.testing.assert_allclose(
        np.array(drawn), t[["rmst", "ci_high", "ci_low"]].to_numpy(float), rtol=1e-12
    )
    assert "τ = 9 months" in fig.layout.title.text
    assert fig.layout.xaxis.range[0] == 0 and fig.layout.xaxis.range[1] >= 9
    d = diff.iloc[0]
    note = _texts(fig)
    assert f"{d['diff']:.2f} months" in note and f"{d['diff_ci_low']:.2f}" in note
    assert f"ratio {d['ratio']:.2f}" in note


def test_empty_and_suppressed_tables_draw_without_error(run) -> None:
    assert plot_rmst(replace(run, results={})) == plot_lab_slopes(replace(run, results={})) == {}
    empty = lab_slopes_figure(pd.DataFrame(columns=run.table("lab_slopes").columns))
    assert "No lab" in _texts(empty)
    blank = run.table("rmst").assign(rmst=np.nan, ci_low=np.nan, ci_high=np.nan, n=np.nan)
    fig = rmst_figure(blank, run.table("rmst_difference").assign(diff=np.nan))
    assert "–" in _texts(fig)
    s = run.table("lab_slopes").assign(estimate=np.nan, pct_per_year=np.nan, n_patients=np.nan)
    assert "–" in _texts(lab_slopes_figure(s))
