"""cif_curve_figure and schoenfeld_figure draw the numbers of their tables.

Inputs: the competing-risk tables computed from the R reference files in
tests/reference/competing/expected and tests/reference/expected (each table itself is
checked against R in test_competing_risks.py and test_survival_checks.py).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from core.analyses.competing_risks import competing_risks
from core.analyses.survival_checks import ph_test
from core.model.results import Result
from core.model.settings import Settings
from core.report.figures.competing import cif_curve_figure
from core.report.figures.ph_check import schoenfeld_figure

REF = Path(__file__).parent / "reference"


def tables(no_competing: bool = False) -> dict[str, Result]:
    cr = pd.read_csv(REF / "competing" / "expected" / "competing_patients.csv")
    if no_competing:
        cr = cr.assign(status=np.where(cr["status"] > 1, 0, cr["status"]))
        cr["cause"] = np.where(cr["status"] == 1, "response (CR or PR)", "censored")
    return competing_risks(cr, Settings(reference="refractory"))


def test_cif_curve_has_both_panels_and_steps_equal_the_table():
    res = tables()
    fig = cif_curve_figure(
        res["cif_curve"], res["cif_risk"], res["cif_tests"], res["cif_regression"]
    )
    curves = [tr for tr in fig.data if tr.mode == "lines" and tr.line.width == 2.6]
    assert len(curves) == 4  # two groups × (Aalen–Johansen, 1 − KM)
    c = res["cif_curve"].table
    for tr in curves:
        est = "aalen_johansen" if tr.xaxis == "x" else "one_minus_km"
        d = c[
            (c["group"] == tr.name)
            & (c["estimator"] == est)
            & (c["cause"] == "response (CR or PR)")
        ].sort_values("time")
        np.testing.assert_allclose(tr.y[1:], d["cum_incidence"])
        assert tr.y[0] == 0 and tr.x[0] == 0
    note = fig.layout.annotations[-1].text
    assert "Gray's test" in note and "Fine–Gray SHR relapse vs refractory" in note
    assert "refractory: 49" in note
    titles = [a.text for a in fig.layout.annotations[:2]]
    assert titles[0].startswith("Competing risks") and titles[1].startswith("1 − Kaplan")


def test_cif_curve_without_competing_events_is_one_panel():
    res = tables(no_competing=True)
    fig = cif_curve_figure(res["cif_curve"])
    assert {tr.xaxis for tr in fig.data} == {"x"}
    assert not fig.layout.annotations


def test_schoenfeld_plot_draws_the_residuals_and_trend():
    ttr = pd.read_csv(REF / "expected" / "ttr_patients.csv", dtype={"patient_id": str})
    res = ph_test(ttr, Settings())
    fig = schoenfeld_figure(res["ph_residuals"], res["ph_test"])
    pts = [tr for tr in fig.data if tr.mode == "markers"][0]
    np.testing.assert_allclose(
        pts.y, res["ph_residuals"].table.sort_values("time", kind="stable")["scaled_residual"]
    )
    assert any(tr.name == "linear trend in g(t)" for tr in fig.data)
    assert "p" in fig.layout.annotations[0].text


def test_empty_tables_give_a_message_figure():
    empty = Result("cif_curve", pd.DataFrame(columns=["group", "time"]))
    assert cif_curve_figure(empty).layout.annotations
    assert schoenfeld_figure(
        Result("ph_residuals", pd.DataFrame(columns=["term"]))
    ).layout.annotations
