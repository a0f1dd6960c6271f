"""Issue 12, point 7: every group's CI band drawn, one group order across charts, n per time
point on trajectories, forest-plot labels clear of the markers, upper bounds never rounded
up to 100."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from core.analyses.run import run_analyses
from core.analyses.time_to_response import time_to_response
from core.ingest.load import load_path
from core.model.settings import Settings
from core.model.vocabulary import groups_with_reference
from core.report.figures import build_figures, labs, response, ttr
from core.report.figures.steps import band_polygon, from_origin

REF = Path(__file__).parent / "reference"


def overlapping_cohort() -> pd.DataFrame:
    """Group a reaches 100 % at month 9 (S = 0: survfit gives no interval there); group b's
    band overlaps a's from month 3 to 9 and goes on to month 12."""
    rows = [(f"a{i}", "a", float(t), 1) for i, t in enumerate([3, 3, 6, 6, 9, 9])]
    b = [(3, 1), (3, 0), (6, 1), (6, 1), (9, 0), (12, 1), (12, 0)]
    rows += [(f"b{i}", "b", float(t), e) for i, (t, e) in enumerate(b)]
    return pd.DataFrame(rows, columns=["patient_id", "group", "time", "event"])


def bands(fig) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    return {
        t.legendgroup: (np.asarray(t.x, float), np.asarray(t.y, float))
        for t in fig.data
        if t.fill == "toself"
    }


def inside(xs: np.ndarray, ys: np.ndarray, x: float, y: float) -> bool:
    """Point in polygon (ray casting)."""
    hit = False
    for i in range(len(xs)):
        x0, y0, x1, y1 = xs[i - 1], ys[i - 1], xs[i], ys[i]
        if (y0 > y) != (y1 > y) and x < x0 + (y - y0) * (x1 - x0) / (y1 - y0):
            hit = not hit
    return hit


def test_every_group_band_is_drawn_when_bands_overlap_and_one_ends_at_100():
    res = time_to_response(overlapping_cohort(), Settings())
    curve = res["ttr_curve"].table
    assert (
        curve.loc[(curve["group"] == "a") & (curve["cum_incidence"] == 100), "ci_low"].isna().all()
    )
    fig = ttr.ttr_curve(res["ttr_curve"], res["ttr_risk"])
    drawn = bands(fig)
    assert set(drawn) == {"a", "b"}  # one closed, self-filled band per group
    # No band relies on trace order: nothing is filled "to the next trace".
    assert not [t for t in fig.data if t.fill in ("tonexty", "tonextx", "tonext")]
    for g, (xs, ys) in drawn.items():
        d = curve[curve["group"] == g].dropna(subset=["ci_low"])
        # Between each defined time and the next, the band spans exactly [ci_low, ci_high].
        times = curve.loc[curve["group"] == g, "time"].tolist()
        for r in d.itertuples():
            if r.time == max(times):
                continue  # the curve (and its band) ends at the last time
            nxt = min(t for t in times if t > r.time)
            mid = (r.time + nxt) / 2
            assert inside(xs, ys, mid, (r.ci_low + r.ci_high) / 2), (g, r.time)
            assert not inside(xs, ys, mid, r.ci_high + 0.5) and not inside(
                xs, ys, mid, r.ci_low - 0.5
            )
    # Group a's band ends where its curve reaches 100 % (no interval there), not later.
    assert drawn["a"][0].max() == 9 and drawn["b"][0].max() == 12


def test_band_polygon_from_origin_and_an_undefined_first_interval():
    # Everyone responds at month 3: the curve jumps to 100 % with no interval; the band is
    # the [0, 0] before it and ends at month 3.
    d = from_origin(pd.DataFrame({"time": [3.0], "cum_incidence": [100.0], "ci_low": [np.nan],
                                  "ci_high": [np.nan], "n_censor": [0]}))  # fmt: skip
    assert d["ci_low"].isna().tolist() == [False, True]
    xs, ys = band_polygon(d)
    assert max(xs) == 3 and max(ys) == 0


def three_group_run():
    """The validation cohort with a third group whose label sorts first."""
    from core.ingest.load import load_cohort

    long = pd.read_csv(REF / "cohort_long.csv", dtype={"patient_id": str})
    ids = long["patient_id"].drop_duplicates().iloc[::5]
    long.loc[long["patient_id"].isin(ids), "group"] = "Aaa control"
    cohort = load_cohort(long.to_csv(index=False).encode(), "three.csv")
    return run_analyses(cohort)


@pytest.fixture(scope="module")
def run3():
    return three_group_run()


def _legend_order(fig) -> list[str]:
    return [t.name for t in fig.data if t.showlegend is not False and t.name]


def test_one_group_order_across_charts(run3):
    groups, _ = groups_with_reference(run3.filtered.patients["group"], run3.settings.reference)
    figs = build_figures(run3, pages=["labs", "ttr"])
    paired = next(f for k, f in figs.items() if k.figure == "paired")
    panels = [a.text for a in paired.layout.annotations][: len(groups)]
    assert panels == groups  # the Labs paired plot: panels in the run's group order
    traj = next(f for k, f in figs.items() if k.figure == "trajectory")
    assert _legend_order(traj) == groups
    curve = figs[next(k for k in figs if k.figure == "ttr_curve")]
    assert [n for n in _legend_order(curve) if n != "All"] == groups


def test_trajectory_shows_n_per_time_point():
    t = pd.DataFrame({"month": [0, 6, 12] * 2, "group": ["x"] * 3 + ["y"] * 3,
                      "n": [40, 31, 22, 38, 30, 27], "median": [2, 1, 0.5, 2.2, 1.2, 0.7],
                      "q1": [1, 0.5, 0.2, 1.1, 0.6, 0.3], "q3": [3, 2, 1, 3.1, 2.1, 1.2]})  # fmt: skip
    fig = labs.trajectory(t, "upcr")
    rows = {tr.name: tr for tr in fig.data if tr.mode == "text"}
    assert set(rows) == {"x n", "y n"}
    assert list(rows["x n"].text) == ["40", "31", "22"] and list(rows["x n"].x) == [0, 6, 12]
    assert list(rows["y n"].text) == ["38", "30", "27"]
    assert any(a.text == labs.N_ROW_TITLE for a in fig.layout.annotations)


def test_forest_labels_clear_of_markers_and_bounds_not_rounded_up():
    d = pd.DataFrame({"subgroup": ["All", "Sex", "Sex"], "level": ["", "F", "M"],
                      "n": [40, 30, 10], "orr_n": [30, 29, 1], "orr_pct": [75.0, 96.7, 10.0],
                      "ci_low": [58.8, 82.8, 0.25], "ci_high": [87.3, 99.8, 44.5]})  # fmt: skip
    fig = response.response_forest(d)
    labels = [a for a in fig.layout.annotations if "n = " in a.text]
    texts = [a.text for a in labels]
    assert "96.7 (82.8–99.8), n = 30" in texts  # 99.8 stays 99.8, en dash
    assert not any("100" in t for t in texts)
    # Labels sit right of the plot area, shifted clear of a marker drawn at 100 %.
    assert all(a.xref == "paper" and a.x >= 1 and a.xanchor == "left" for a in labels)
    largest = max(fig.data[0].marker.size)
    assert all(a.xshift >= largest for a in labels)
    lo, hi = fig.layout.xaxis.range
    assert lo < 0 and hi > 100  # a marker at 0 or 100 is drawn whole inside the axis


def test_demo_ttr_curve_draws_both_bands():
    run = run_analyses(
        load_path(Path(__file__).parents[1] / "data" / "demo" / "demo_cohort_long.csv")
    )
    fig = ttr.plot_ttr_curve(run)[next(iter(ttr.plot_ttr_curve(run)))]
    assert set(bands(fig)) == {"refractory", "relapse"}


def test_bar_labels_are_percentages_to_one_decimal():
    t = pd.read_csv(REF / "expected" / "response_rates.csv")
    t.loc[0, ["cr_pct", "pr_pct"]] = [99.8, 0.0]
    fig = response.response_rates(response.Result("response_rates", t))
    cr = next(tr for tr in fig.data if tr.name == "CR")
    assert "99.8%" in list(cr.text) and "100%" not in list(cr.text)
