"""Figure builders draw the numbers of the contract tables.

Inputs are the R reference tables in tests/reference/expected (computed by
tests/reference/reference.R from cohort_long.csv) and a Cohort read from cohort_long.csv
with plain pandas; every assertion compares a drawn number with a table value.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest

from core.analyses.flow import data_completeness, follow_up
from core.analyses.labs_values import TRAJECTORY_COLUMNS, trajectory_table
from core.analyses.registry import figure_page
from core.analyses.run import run_analyses
from core.analyses.subgroups import SUBGROUP_COLUMNS, subgroup_rates
from core.ingest.load import load_path
from core.model.results import FigureKey, Result
from core.model.schema import Cohort
from core.report.export.display import p_text
from core.report.figures import (
    PAGES,
    build_figures,
    cohort,
    labs,
    response,
    theme,
    ttr,
)

REF = Path(__file__).parent / "reference"
EXPECTED = REF / "expected"


def table(name: str) -> pd.DataFrame:
    return pd.read_csv(EXPECTED / f"{name}.csv", dtype={"patient_id": str})


def result(name: str) -> Result:
    return Result(name, table(name))


@pytest.fixture(scope="module")
def ref_cohort() -> Cohort:
    long = pd.read_csv(REF / "cohort_long.csv", dtype={"patient_id": str})
    patients = long.drop_duplicates("patient_id")[
        ["patient_id", "group", "isn_class", "sex", "age"]
    ]
    visits = long.drop(columns=["group", "isn_class", "sex", "age"])
    return Cohort(patients.reset_index(drop=True), visits)


@pytest.fixture(scope="module")
def ref_results(ref_cohort) -> dict[str, Result]:
    """The R reference tables, plus ``response_subgroups`` (no R file: it is built from
    the recorded responses at the reference landmark visits)."""
    names = [p.stem for p in EXPECTED.glob("*.csv")]
    out = {n: result(n) for n in names}
    responses = _responses(ref_cohort)
    sub = pd.concat(
        [subgroup_rates(responses, ref_cohort.patients, m).assign(month=m) for m in (6.0, 12.0)]
    )
    out["response_subgroups"] = Result("response_subgroups", sub)
    return out


@pytest.fixture(scope="module")
def ref_run():
    """The run on the validation cohort: its tables equal the R references
    (test_reference_tables), and the figures draw from them."""
    return run_analyses(load_path(REF / "cohort_long.csv"))


def upcr_values(run) -> pd.DataFrame:
    t = run.table("lab_landmark_values")
    t = t[t["measure"] == "upcr"]
    return t[["patient_id", "group", "landmark", "value"]].reset_index(drop=True)


def K(stem: str) -> FigureKey:
    """The key of a figure by its file stem (paired_upcr, response_forest_m6…)."""
    for fig in ("paired", "trajectory"):
        if stem.startswith(fig + "_"):
            return FigureKey(fig, measure=stem[len(fig) + 1 :])
    if stem.startswith("response_forest_m"):
        return FigureKey("response_forest", month=float(stem.removeprefix("response_forest_m")))
    if stem.startswith("response_sankey_"):
        return FigureKey("response_sankey", group=stem.removeprefix("response_sankey_"))
    return FigureKey(stem)


def trace(fig: go.Figure, name: str):
    return next(t for t in fig.data if t.name == name)


# --- theme -----------------------------------------------------------------------------


def test_group_colors_are_fixed_okabe_ito_and_stable_across_subsets():
    full = theme.group_colors(["relapse", "refractory", "lupus-new", "All"])
    assert full["refractory"] == "#D55E00" and full["relapse"] == "#0072B2"
    assert full["All"] == theme.ALL_COLOR
    assert full["lupus-new"] in theme.OKABE_ITO.values()
    assert len(set(full.values())) == 4
    assert theme.group_colors(["refractory"])["refractory"] == full["refractory"]


def test_journal_layout_is_white_with_korean_capable_font():
    fig = theme.journal_layout(go.Figure(), title="t")
    tmpl = fig.layout.template.layout
    assert tmpl.paper_bgcolor == "white" and tmpl.plot_bgcolor == "white"
    assert "NanumGothic" in tmpl.font.family
    app = theme.for_app(fig, dark=True)
    assert app.layout.paper_bgcolor == "rgba(0,0,0,0)"
    assert fig.layout.paper_bgcolor is None  # the export copy is untouched


def test_for_app_writes_axis_defaults_but_keeps_explicit_ones():
    """Streamlit's own theme replaces the template: the screen copy carries the axis
    look explicitly, without undoing a chart's deliberate choices (risk-table axes)."""
    fig = ttr.ttr_curve(result("ttr_curve"), result("ttr_risk"))
    app = theme.for_app(fig)
    assert app.layout.xaxis.showline is True and app.layout.xaxis.showgrid is False
    assert app.layout.xaxis2.showline is False and app.layout.yaxis2.ticks == ""
    assert "NanumGothic" in app.layout.font.family


def test_format_p_follows_display_rule():
    assert p_text(0.0436475) == "p = 0.044"
    assert p_text(0.000775) == "p < 0.001"
    assert p_text(1.0) == "p > 0.999"


# --- response --------------------------------------------------------------------------


def test_response_rate_bars_equal_table_percentages():
    t = table("response_rates")
    fig = response.response_rates(Result("response_rates", t))
    order = t.assign(_o=t["group"].map({"refractory": 0, "relapse": 1, "All": 2}))
    order = order.sort_values(["month", "_o"])
    np.testing.assert_allclose(trace(fig, "CR").y, order["cr_pct"])
    np.testing.assert_allclose(trace(fig, "PR").y, order["pr_pct"])
    np.testing.assert_allclose(trace(fig, "NR").y, 100 - order["orr_pct"])
    orr = trace(fig, "ORR (95% CI)")
    np.testing.assert_allclose(orr.y, order["orr_pct"])
    np.testing.assert_allclose(np.asarray(orr.y) + orr.error_y.array, order["orr_ci_high"])
    np.testing.assert_allclose(np.asarray(orr.y) - orr.error_y.arrayminus, order["orr_ci_low"])
    ticks = list(fig.layout.xaxis.ticktext)
    assert "refractory<br>n = 46" in ticks and "All<br>n = 82" in ticks


def test_criteria_sensitivity_bars_equal_orr():
    t = table("criteria_sensitivity")
    fig = response.criteria_sensitivity(Result("criteria_sensitivity", t))
    relapse_m12 = [tr for tr in fig.data if tr.name == "relapse" and tr.xaxis == "x2"][0]
    expected = t[(t["group"] == "relapse") & (t["month"] == 12)]["orr_pct"]
    np.testing.assert_allclose(relapse_m12.y, expected)
    assert list(relapse_m12.x)[1] == "KDIGO 2024"


def test_sankey_links_count_every_patient():
    t = table("response_transitions")
    fig = response.response_transitions(Result("response_transitions", t), group="All")
    sankey = fig.data[0]
    assert sum(sankey.link.value) == 90  # every patient of the cohort counts
    assert "CR (19)" in sankey.node.label  # 19 CR at month 6 (response_rates cr_n, All)
    relapse = response.response_transitions(Result("response_transitions", t), group="relapse")
    assert sum(relapse.data[0].link.value) == 41


def test_subgroup_response_agrees_with_response_rates(ref_cohort):
    """Recorded responses at the landmark visits give the reference rates and their
    Clopper-Pearson limits (R binom.test) for the All and group rows."""
    lv = table("landmark_visits").dropna(subset=["visit_month"])
    v = ref_cohort.visits[["patient_id", "month", "response"]].rename(
        columns={"month": "visit_month"}
    )
    responses = lv.merge(v, on=["patient_id", "visit_month"])
    sub = subgroup_rates(responses, ref_cohort.patients, 6.0)
    rates = table("response_rates").query("month == 6").set_index("group")
    first = sub.iloc[0]
    assert (first["subgroup"], first["n"], first["orr_n"]) == ("All", 83, 45)
    for _, row in sub[sub["subgroup"].isin(["All", "Group"])].iterrows():
        ref = rates.loc["All" if row["subgroup"] == "All" else row["level"]]
        assert row["n"] == ref["n_evaluable"] and row["orr_n"] == ref["orr_n"]
        assert row["ci_low"] == pytest.approx(ref["orr_ci_low"], rel=1e-6)
        assert row["ci_high"] == pytest.approx(ref["orr_ci_high"], rel=1e-6)
    assert set(sub["subgroup"]) >= {"ISN/RPS class", "Sex", "Age"}
    assert sub.loc[sub["subgroup"] == "Sex", "n"].sum() == 83
    fig = response.response_forest(sub)
    np.testing.assert_allclose(fig.data[0].x, sub["orr_pct"])


# --- time to response ------------------------------------------------------------------


def test_ttr_curve_steps_equal_cum_incidence_with_risk_table_and_tests():
    fig = ttr.ttr_curve(
        result("ttr_curve"),
        result("ttr_risk"),
        result("ttr_tests"),
        result("cox"),
        result("ttr_summary"),
    )
    curve = table("ttr_curve")
    for g in ("refractory", "relapse"):
        line = trace(fig, g)
        assert line.line.shape == "hv"
        assert (line.x[0], line.y[0]) == (0.0, 0.0)  # starts at 0 at time 0
        np.testing.assert_allclose(line.y[1:], curve.loc[curve["group"] == g, "cum_incidence"])
        censored = trace(fig, f"{g} censored")
        rows = curve[(curve["group"] == g) & (curve["n_censor"] > 0)]
        np.testing.assert_allclose(censored.x, rows["time"])
        np.testing.assert_allclose(censored.y, rows["cum_incidence"])
    risk = table("ttr_risk")
    at_risk = [t for t in fig.data if t.mode == "text" and t.y[0] == "relapse"][0]
    assert list(at_risk.text) == [str(n) for n in risk.loc[risk["group"] == "relapse", "n_risk"]]
    assert "All" not in [t.name for t in fig.data]  # two groups: All not drawn
    text = " ".join(a.text for a in fig.layout.annotations)
    assert "Log-rank p = 0.001" in text  # survdiff p 0.001225, 3 decimals
    assert "HR relapse vs refractory 2.16 (95% CI 1.35–3.44)" in text  # coxph, Efron
    assert "refractory 6 (6–9); relapse 3 (3–6)" in text  # summary(fit)$table medians
    assert "Number at risk" in text


def test_ttr_median_not_reached_is_written_nr():
    s = pd.DataFrame(
        {
            "group": ["All"],
            "n": [5],
            "n_events": [1],
            "median_time": [np.nan],
            "median_ci_low": [3.0],
            "median_ci_high": [np.nan],
        }
    )
    fig = ttr.ttr_curve(result("ttr_curve"), summary=Result("ttr_summary", s), show_all=True)
    assert "All" in [t.name for t in fig.data]
    assert fig.layout.annotations[0].text == "Median, months (95% CI): All NR (3–NR)"


# --- labs ------------------------------------------------------------------------------


def test_paired_plot_boxes_from_landmark_values(ref_run):
    values = upcr_values(ref_run)
    assert set(values.columns) == {"patient_id", "group", "landmark", "value"}
    fig = labs.paired_plot(values, "upcr", changes=table("paired_changes"))
    box = [t for t in fig.data if t.type == "box" and t.name == "refractory"][0]
    ref = values[values["group"] == "refractory"].groupby("landmark")["value"]
    np.testing.assert_allclose(box.median, ref.median())
    np.testing.assert_allclose(box.q1, ref.quantile(0.25))
    notes = [a.text for a in fig.layout.annotations]
    assert "p = 0.037" in notes  # paired_changes wilcoxon_p, upcr month 6 refractory
    assert fig.layout.yaxis.type == "log"
    ticks = list(fig.layout.xaxis.ticktext)
    assert ticks[0] == f"Baseline<br>n = {ref.size().loc[0]}"


def test_paired_plot_draws_at_most_1000_lines_for_large_cohorts():
    n = 20_000
    rng = np.random.default_rng(1)
    values = pd.DataFrame(
        {
            "patient_id": np.repeat([f"P{i}" for i in range(n)], 2),
            "group": "refractory",
            "landmark": np.tile([0.0, 6.0], n),
            "value": rng.lognormal(size=2 * n),
        }
    )
    fig = labs.paired_plot(values, "upcr")
    lines = fig.data[0]
    assert np.isnan(np.asarray(lines.x, float)).sum() == labs.MAX_LINES
    box = fig.data[1]
    assert box.median[0] == pytest.approx(values.loc[values["landmark"] == 0, "value"].median())


def test_trajectory_table_uses_the_visit_plan(ref_cohort):
    t = trajectory_table(ref_cohort, "upcr")
    assert sorted(t["month"].unique()) == [0.0, 3.0, 6.0, 9.0, 12.0]
    # Month 12 takes the visit nearest month 12 within ± 1.5 (11, 12 or 13), one per patient.
    v = ref_cohort.visits.dropna(subset=["upcr"])
    near = v[(v["month"] - 12).abs() <= 1.5].assign(d=lambda x: (x["month"] - 12).abs())
    near = near.sort_values(["patient_id", "d", "month"]).drop_duplicates("patient_id")
    row = t[(t["month"] == 12) & (t["group"] == "All")].iloc[0]
    assert row["n"] == len(near)
    assert row["median"] == pytest.approx(near["upcr"].median())
    fig = labs.trajectory(t, "upcr")
    np.testing.assert_allclose(trace(fig, "relapse").y, t[t["group"] == "relapse"]["median"])


def test_trajectory_drops_off_schedule_months_of_a_few_patients():
    t = pd.DataFrame(
        {
            "month": [0, 3, 4, 6],
            "group": "All",
            "n": [80, 78, 2, 70],
            "median": [20, 15, 50, 10],
            "q1": [10, 8, 40, 5],
            "q3": [30, 20, 60, 15],
        }
    )
    fig = labs.steroid_trajectory(t)
    assert list(trace(fig, "All").x) == [0, 3, 6]


def test_paired_changes_forest_draws_mean_and_median():
    t = table("paired_changes")
    fig = labs.paired_changes(Result("paired_changes", t))
    first = fig.data[0]  # upcr, month 6
    ref = t[(t["measure"] == "upcr") & (t["month"] == 6)]
    np.testing.assert_allclose(first.x, ref["mean_change"])
    np.testing.assert_allclose(fig.data[1].x, ref["median_change"])
    assert len([a for a in fig.layout.annotations if a.text.startswith("p")]) == len(t)


def test_dsdna_shift_bars_equal_counts():
    t = table("dsdna_shift")
    fig = labs.dsdna_shift(Result("dsdna_shift", t))
    m6 = [tr for tr in fig.data if tr.xaxis == "x"]
    np.testing.assert_array_equal(m6[0].y, t[t["month"] == 6]["pos_to_neg"])
    np.testing.assert_array_equal(m6[1].y, t[t["month"] == 6]["neg_to_pos"])
    assert "p = 0.008" in [a.text for a in fig.layout.annotations]  # binom.test(8, 8)


# --- cohort ----------------------------------------------------------------------------


def test_flow_steps_from_contract_flow_table():
    flow = pd.DataFrame(
        {
            "step": ["in file", "after filters", "evaluable", "not evaluable", "evaluable"],
            "month": [None, None, 6.0, 6.0, 12.0],
            "reason": ["", "", "", "no visit in window", ""],
            "n": [90, 56, 50, 6, 48],
        }
    )
    steps = cohort.flow_steps(flow)
    assert list(steps["step"]) == [
        "Patients in file",
        "After filters",
        "Evaluable at month 6",
        "Evaluable at month 12",
    ]
    assert steps.loc[2, "detail"] == "no visit in window: 6"
    fig = cohort.patient_flow(steps)
    assert list(fig.data[0].x) == [90, 56, 50, 48]


def test_completeness_heatmap_shares(ref_cohort):
    fig = cohort.completeness(data_completeness(ref_cohort.visits))
    hm = fig.data[0]
    row = list(hm.y).index("UPCR")
    col = [x.split("<br>")[0] for x in hm.x].index("6")
    at6 = ref_cohort.visits[ref_cohort.visits["month"] == 6]
    assert hm.z[row][col] == pytest.approx(100 * at6["upcr"].notna().mean())


def test_swimmer_marks_every_visit_and_caps_patients(ref_cohort):
    fig = cohort.swimmer(follow_up(ref_cohort))
    marks = sum(len(t.x) for t in fig.data if t.mode == "markers")
    assert marks == len(ref_cohort.visits)
    assert len(trace(fig, "CR").x) == (ref_cohort.visits["response"] == "CR").sum()
    capped = cohort.swimmer(follow_up(ref_cohort), max_patients=10)
    assert "first 10 of 90" in capped.layout.title.text


# --- build_figures ---------------------------------------------------------------------


def test_build_figures_from_the_run(ref_run):
    figs = {k.stem: f for k, f in build_figures(ref_run).items()}
    expected = {
        "flow",
        "completeness",
        "swimmer",
        "response_rates",
        "criteria_sensitivity",
        "response_sankey",
        "response_sankey_relapse",
        "response_forest_m6",
        "response_forest_m12",
        "ttr_curve",
        "paired_upcr",
        "trajectory_egfr",
        "paired_changes",
        "steroid_taper",
        "dsdna_shift",
    }
    assert expected <= set(figs)
    assert all(isinstance(f, go.Figure) for f in figs.values())
    # One colour per group across charts.
    km = trace(figs["ttr_curve"], "relapse").line.color
    assert km == trace(figs["trajectory_egfr"], "relapse").line.color == "#0072B2"


def test_build_figures_pages_build_one_page_and_the_same_figures(ref_run):
    """``pages`` builds only that page's charts, identical to the full build's; together the
    pages give every chart, and the registry knows each chart's page."""
    full = build_figures(ref_run)
    parts = {s: build_figures(ref_run, pages=[s]) for s in PAGES}
    assert set(parts["ttr"]) == {FigureKey("ttr_curve"), FigureKey("cif_curve"),
                                 FigureKey("rmst"), FigureKey("schoenfeld")}  # fmt: skip
    assert {"flow", "completeness", "swimmer"} == {k.figure for k in parts["cohort"]}
    assert all(k.figure.startswith("response_") or k.figure == "criteria_sensitivity"
               for k in parts["response"])  # fmt: skip
    assert K("paired_upcr") in parts["labs"] and K("response_rates") not in parts["labs"]
    assert FigureKey("lab_slopes") in parts["labs"]
    assert all(figure_page(k.figure) == s for s, p in parts.items() for k in p)
    merged = {n: f for p in parts.values() for n, f in p.items()}
    assert set(merged) == set(full) and sum(map(len, parts.values())) == len(full)
    assert all(merged[n].to_json() == full[n].to_json() for n in full)
    with pytest.raises(ValueError, match="unknown pages"):
        build_figures(ref_run, pages=["tables"])


def test_build_figures_skips_what_is_missing(ref_run):
    from dataclasses import replace

    only = {
        "response_rates": ref_run.results["response_rates"],
        "flow": ref_run.results["flow"],
        "ttr_curve": Result("ttr_curve", pd.DataFrame()),
    }
    figs = build_figures(replace(ref_run, results=only))
    assert K("ttr_curve") not in figs and K("response_forest_m6") not in figs
    assert {K("response_rates"), K("flow")} <= set(figs)


@pytest.mark.parametrize(
    "builder",
    [
        lambda: response.response_rates(Result("r", pd.DataFrame())),
        lambda: response.criteria_sensitivity(Result("r", pd.DataFrame())),
        lambda: response.response_forest(pd.DataFrame(columns=SUBGROUP_COLUMNS)),
        lambda: ttr.ttr_curve(Result("r", pd.DataFrame())),
        lambda: labs.paired_changes(Result("r", pd.DataFrame())),
        lambda: labs.dsdna_shift(Result("r", pd.DataFrame())),
        lambda: labs.trajectory(pd.DataFrame(columns=TRAJECTORY_COLUMNS), "upcr"),
    ],
)
def test_empty_tables_give_a_figure_with_a_sentence(builder):
    fig = builder()
    assert isinstance(fig, go.Figure) and fig.layout.annotations[0].text


# --- privacy and legibility --------------------------------------------------------------


def _ids_in(fig: go.Figure, ids: set[str]) -> set[str]:
    """Patient IDs found anywhere in the figure's JSON (hover text, text, custom data)."""
    text = fig.to_json()
    return {i for i in ids if f'"{i}"' in text}


def test_figures_carry_no_patient_id_unless_asked(ref_cohort, ref_run):
    """Default: no figure names a patient; ``show_ids=True`` puts the IDs into the hover of
    the per-patient charts (before/after lines, swimmer) and nowhere else."""
    ids = set(ref_cohort.patients["patient_id"])
    figs = {k.stem: f for k, f in build_figures(ref_run).items()}
    assert {"swimmer", "paired_upcr"} <= set(figs)
    assert {n: _ids_in(f, ids) for n, f in figs.items() if _ids_in(f, ids)} == {}
    shown = {k.stem: f for k, f in build_figures(ref_run, show_ids=True).items()}
    named = {n for n, f in shown.items() if _ids_in(f, ids)}
    assert {"swimmer", "paired_upcr"} <= named
    assert all(n == "swimmer" or n.startswith("paired_") for n in named)
    assert _ids_in(shown["swimmer"], ids) == ids  # every patient has a lane
    lines = shown["paired_upcr"].data[0]
    assert "%{customdata}" in lines.hovertemplate and lines.hoverinfo != "skip"
    assert _ids_in(shown["paired_upcr"], ids) == set(upcr_values(ref_run)["patient_id"])


@pytest.mark.parametrize(
    "low, high, expected",
    [
        (0.2, 5.0, [0.3, 1.0, 3.0]),
        (0.05, 8.0, [0.1, 0.3, 1.0, 3.0]),
        (10.0, 500.0, [10.0, 30.0, 100.0, 300.0]),
        (1.0, 2.0, [1.0, 2.0]),
        (0.01, 1000.0, [0.01, 0.1, 1.0, 10.0, 100.0, 1000.0]),
        (0.5, 0.9, []),
    ],
)
def test_log_ticks_are_readable(low, high, expected):
    assert labs.log_ticks(low, high) == expected


def test_paired_plot_log_axis_has_more_than_the_one_tick(ref_run):
    values = upcr_values(ref_run)
    fig = labs.paired_plot(values, "upcr")
    axis = fig.layout.yaxis
    assert axis.type == "log"
    lo, hi = values["value"].min(), values["value"].max()
    assert list(axis.tickvals) == labs.log_ticks(lo, hi) and len(axis.tickvals) >= 3
    assert all(lo / 1.05 <= t <= hi * 1.05 for t in axis.tickvals)
    assert "1" in axis.ticktext and all("e" not in t for t in axis.ticktext)


def _luminance(hex_color: str) -> float:
    rgb = [int(hex_color.lstrip("#")[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def _contrast(a: str, b: str) -> float:
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def test_all_colour_reads_on_light_and_dark_backgrounds():
    """WCAG 3:1 for graphics on white and on Streamlit's dark background (#0E1117)."""
    assert _contrast(theme.ALL_COLOR, "#FFFFFF") >= 3
    assert _contrast(theme.ALL_COLOR, "#0E1117") >= 3


def test_dark_screen_lightens_black_marks_but_keeps_the_orr_whisker_over_bars(ref_cohort):
    forest = response.response_forest(
        subgroup_rates(_responses(ref_cohort), ref_cohort.patients, 6)
    )
    dark = theme.for_app(forest, dark=True)
    assert dark.data[0].error_x.color == theme.DARK_SCREEN_INK
    assert _contrast(theme.DARK_SCREEN_INK, "#0E1117") >= 3
    assert forest.data[0].error_x.color == "black"  # the export keeps black on white
    assert theme.for_app(forest).data[0].error_x.color == "black"
    rates = response.response_rates(result("response_rates"))
    orr = trace(theme.for_app(rates, dark=True), "ORR (95% CI)")
    assert orr.error_y.color == theme.ON_BAR_INK  # drawn over the bars: stays dark
    assert orr.marker.line.color == "white"  # the legend diamond shows on a dark page


def _responses(ref_cohort) -> pd.DataFrame:
    lv = table("landmark_visits").dropna(subset=["visit_month"])
    v = ref_cohort.visits[["patient_id", "month", "response"]]
    v = v.rename(columns={"month": "visit_month"})
    return lv.merge(v, on=["patient_id", "visit_month"], how="inner")
