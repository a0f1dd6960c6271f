"""Long-term figures: built from the long-term Results, numbers taken from the tables,
no patient ID anywhere unless asked for."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from core.analyses.run import run_analyses
from core.ingest.load import load_path
from core.model.results import FigureKey
from core.report.figures import build_figures
from core.report.figures.long_term import (
    flare_curve as plot_flare_curve,
)
from core.report.figures.long_term import (
    kidney_outcome_curve as plot_kidney_outcomes,
)
from core.report.figures.long_term import (
    steroid_exposure_plot as plot_steroid_exposure,
)
from core.report.figures.long_term import (
    swimmer_events as plot_swimmer_events,
)

DEMO = Path(__file__).parents[1] / "data" / "demo" / "demo_cohort_long.csv"


@pytest.fixture(scope="module")
def run():
    return run_analyses(load_path(DEMO))


@pytest.fixture(scope="module")
def results(run) -> dict:
    return run.results


def test_every_figure_is_built_on_the_long_term_page(run) -> None:
    figs = build_figures(run, pages=["long_term"])
    assert {k.stem for k in figs} == {
        "flare_curve_aurora2", "flare_curve_custom", "steroid_cumulative", "swimmer_events",
        *(f"kidney_outcome_{o}" for o in ("egfr_decline_30", "egfr_decline_40",
                                          "creatinine_doubling", "eskd", "death", "composite")),
    }  # fmt: skip
    assert FigureKey("swimmer_events") in figs


def test_flare_curve_follows_the_table(results: dict) -> None:
    fig = plot_flare_curve(results, "custom")
    curve = results["flare_curve"].table
    rel = curve[(curve["definition"] == "custom") & (curve["group"] == "relapse")]
    line = next(t for t in fig.data if t.name == "relapse")
    assert list(line.y)[1:] == pytest.approx(list(rel["cum_incidence"]))
    assert fig.layout.xaxis.title.text == "Months since first response"
    assert "Log-rank" in " ".join(a.text for a in fig.layout.annotations)


def test_kidney_curve_marks_the_decline(results: dict) -> None:
    fig = plot_kidney_outcomes(results, "egfr_decline_30")
    ref = next(t for t in fig.data if t.name == "refractory")
    curve = results["kidney_curve"].table
    mine = curve[(curve["outcome"] == "egfr_decline_30") & (curve["group"] == "refractory")]
    assert max(ref.y) == pytest.approx(mine["cum_incidence"].max()) and max(ref.y) > 0


def test_swimmer_marks_events_without_ids(results: dict) -> None:
    fig = plot_swimmer_events(results)
    names = {t.name for t in fig.data}
    assert {"response", "flare", "kidney event", "death"} <= names
    assert "DM0" not in json.dumps(fig.to_plotly_json(), default=str)
    with_ids = plot_swimmer_events(results, show_ids=True)
    assert "DM0" in json.dumps(with_ids.to_plotly_json(), default=str)


def test_steroid_plot_and_empty_inputs(results: dict) -> None:
    fig = plot_steroid_exposure(results)
    medians = [t for t in fig.data if t.name and t.name.endswith("median (IQR)")]
    cum = results["steroid_cumulative"].table
    want = cum[(cum["measure"] == "cumulative_g") & (cum["group"] == "relapse")]["median"]
    got = next(t for t in medians if t.name.startswith("relapse")).y
    assert list(got) == pytest.approx(list(want))
    assert "No steroid dose" in plot_steroid_exposure({}).layout.annotations[0].text
    assert "No patient at risk" in plot_flare_curve({}, "aurora2").layout.annotations[0].text
