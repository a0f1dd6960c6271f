"""The Time to response and Labs pages run with the sidebar's *Time to response and lab
trajectories* settings, and the tables on screen follow them (to R's RMST at τ = 9:
tests/reference/competing/expected/rmst_tau9.csv, settings_reference.R)."""

from __future__ import annotations

import pandas as pd
import pytest

from tests.test_app_pages import REF, assert_clean, new_app, shown_table, upload
from ui.sidebar import ZPH_LABELS
from ui.state import Key


@pytest.fixture(scope="module")
def app():
    return upload(new_app(), "cohort_long.csv")


def test_ttr_page_follows_tau_milestones_and_transform(app) -> None:
    app.switch_page("app_pages/ttr.py").run()
    assert_clean(app)
    assert shown_table(app, "tau", "rmst")["tau"].astype(float).eq(12).all()  # the default
    app.sidebar.number_input(key=Key.RMST_TAU).set_value(9.0).run()
    app.sidebar.multiselect(key=Key.MILESTONES).set_value([3, 9, 18]).run()
    app.sidebar.selectbox(key=Key.ZPH_TRANSFORM).set_value("rank").run()
    assert_clean(app)
    shown = shown_table(app, "tau", "rmst").set_index("group")
    exp = pd.read_csv(REF / "competing" / "expected" / "rmst_tau9.csv").set_index("group")
    for g, row in exp.iterrows():
        assert float(shown.at[g, "tau"]) == 9
        assert float(shown.at[g, "rmst"]) == pytest.approx(row["rmst"], rel=5e-3)
        assert int(shown.at[g, "n_events"]) == row["n_events"]
    months = shown_table(app, "estimator", "month", "cum_incidence")["month"].astype(float)
    assert sorted(set(months)) == [3.0, 9.0, 18.0]
    assert set(shown_table(app, "chisq", "transform")["transform"]) == {"rank"}


def test_labs_page_shows_the_chosen_mixed_models(app) -> None:
    app.switch_page("app_pages/labs.py").run()
    assert_clean(app)
    assert "Trajectories over all visits (mixed model)" in [e.label for e in app.expander]
    # measures read as clinical labels on screen
    egfr, upcr = "eGFR (mL/min/1.73 m²)", "UPCR (g/g)"
    assert set(shown_table(app, "kind", "pct_per_year")["measure"]) == {egfr}
    app.sidebar.multiselect(key=Key.MIXED_MEASURES).set_value(["egfr", "upcr"]).run()
    assert_clean(app)
    slopes = shown_table(app, "kind", "pct_per_year")
    assert list(dict.fromkeys(slopes["measure"])) == [egfr, upcr]
    assert upcr in set(shown_table(app, "effect", "term")["measure"])



def test_a_shared_link_restores_the_settings() -> None:
    # A bound selectbox carries its shown label in the URL (as the other sidebar settings).
    query = {Key.RMST_TAU: "9", Key.ZPH_TRANSFORM: ZPH_LABELS["rank"], Key.MILESTONES: ["3", "9"]}
    at = new_app(query)
    at = upload(at, "cohort_long.csv")
    at.switch_page("app_pages/ttr.py").run()
    assert_clean(at)
    assert shown_table(at, "tau", "rmst")["tau"].astype(float).eq(9).all()
    assert set(shown_table(at, "chisq", "transform")["transform"]) == {"rank"}
    months = shown_table(at, "estimator", "month", "cum_incidence")["month"].astype(float)
    assert sorted(set(months)) == [3.0, 9.0]
