"""The new registry entries through ``run_analyses``: the tables the run returns are the
R reference tables (tests/reference/competing/expected, see reference.R there), data
conditions are notes, and the figure builders draw from the run."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from core.analyses.registry import ANALYSES
from core.analyses.run import run_analyses
from core.ingest.load import load_path
from core.model.settings import Filters
from tests.test_competing_risks import assert_matches

REF = Path(__file__).parent / "reference"
EXP = REF / "competing" / "expected"
NEW = ("competing_risks", "restricted_mean", "ph_check", "pairwise_logrank")


def expected(name: str) -> pd.DataFrame:
    return pd.read_csv(EXP / f"{name}.csv", dtype={"patient_id": str})


@pytest.fixture(scope="module")
def competing_run():
    return run_analyses(load_path(REF / "competing" / "cohort_competing.csv"), only=NEW)


@pytest.fixture(scope="module")
def plain_run():
    return run_analyses(load_path(REF / "cohort_long.csv"), only=NEW)


def test_competing_tables_through_the_run(competing_run):
    r = competing_run.results
    assert_matches(expected("competing_patients"), r["competing_patients"].table, ["patient_id"])
    keys = {
        "cif_curve": ["group", "estimator", "cause", "time"],
        "cif_risk": ["group", "time"],
        "cif_tests": ["cause"],
        "cif_regression": ["term"],
        "milestones": ["group", "estimator", "cause", "month"],
    }
    for name, k in keys.items():
        assert_matches(expected(name), r[name].table, k)


def test_rmst_and_ph_tables_through_the_run(plain_run):
    r = plain_run.results
    assert_matches(expected("rmst"), r["rmst"].table, ["group"])
    assert_matches(expected("rmst_difference"), r["rmst_difference"].table, ["group"])
    assert_matches(expected("ph_test"), r["ph_test"].table, ["term"])


def test_without_competing_events_the_tables_are_the_response_alone(plain_run):
    r = plain_run.results
    assert set(r["competing_patients"].table["status"]) == {0, 1}
    assert any("No competing event" in n for n in r["competing_patients"].notes)
    # Gray's test and crr of the response alone (reference.R, cif_*_no_competing.csv)
    assert_matches(expected("cif_tests_no_competing"), r["cif_tests"].table, ["cause"])
    exp = expected("cif_regression_no_competing")
    assert_matches(exp.drop(columns="coef_cox_breslow"), r["cif_regression"].table, ["term"])
    # Fine–Gray without competing events is the Cox model with Breslow ties
    assert r["cif_regression"].table["coef"].iloc[0] == pytest.approx(
        exp["coef_cox_breslow"].iloc[0], rel=1e-9
    )
    c = r["cif_curve"].table
    aj = c[c["estimator"] == "aalen_johansen"].reset_index(drop=True)
    km = c[c["estimator"] == "one_minus_km"].reset_index(drop=True)
    np.testing.assert_allclose(aj["cum_incidence"], km["cum_incidence"], rtol=1e-12)
    m = r["milestones"].table
    assert set(m["estimator"]) == {"one_minus_km"} and len(m) == 6
    pw = r["pairwise_logrank"].table
    lr = pd.read_csv(REF / "expected" / "ttr_tests.csv")
    assert len(pw) == 1 and pw["p_value"].iloc[0] == pytest.approx(lr["p_value"].iloc[0])
    assert any("Aalen–Johansen" in s for s in _spec("competing_risks").methods(plain_run))


def _spec(name):
    return next(a for a in ANALYSES if a.name == name)


def test_one_group_skips_the_comparisons(competing_run):
    cohort = load_path(REF / "competing" / "cohort_competing.csv")
    run = run_analyses(cohort, filters=Filters(groups=("relapse",)), only=NEW)
    for name in ("cif_tests", "cif_regression", "rmst_difference", "ph_test"):
        assert run.results[name].table.empty, name
    assert not run.results["cif_curve"].table.empty


def test_registry_entries_are_complete_and_draw(competing_run):
    specs = {a.name: a for a in ANALYSES if a.name in NEW}
    assert set(specs) == set(NEW)
    for a in specs.values():
        assert a.r_call and a.methods(competing_run) is not None
        for t in a.tables:
            assert (Path(__file__).parent.parent / t.reference).is_file(), t.reference
            assert set(t.columns) <= set(competing_run.results[t.name].table.columns) or (
                competing_run.results[t.name].table.empty
            ), t.name
    stems = [k.stem for a in specs.values() for f in a.figures for k in f.load()(competing_run)]
    assert stems == ["cif_curve", "rmst", "schoenfeld"]
    assert any("Aalen–Johansen" in s for s in specs["competing_risks"].methods(competing_run))
