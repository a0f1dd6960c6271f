"""The tables the charts draw agree with R (tests/reference/figure_tables/, made by
reference_figure_tables.R from the validation cohort): values at the landmark visits,
trajectories by scheduled month, data completeness, steroid taper."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from core.analyses.run import run_analyses
from core.ingest.load import load_path

REF = Path(__file__).parent / "reference"
FIG = REF / "figure_tables"
KEYS = {
    "lab_landmark_values": ["measure", "patient_id", "landmark"],
    "lab_trajectories": ["measure", "month", "group"],
    "data_completeness": ["measure", "month"],
    "steroid_trajectory": ["month", "group"],
}


@pytest.fixture(scope="module")
def run():
    return run_analyses(load_path(REF / "cohort_long.csv"))


@pytest.mark.parametrize("name", list(KEYS))
def test_table_agrees_with_R(run, name: str) -> None:
    keys = KEYS[name]
    r = pd.read_csv(FIG / f"{name}.csv", dtype={"patient_id": str})
    py = run.results[name].table
    r = r[r["measure"].isin(py["measure"])] if "measure" in r and name != "lab_landmark_values" else r
    if name == "lab_landmark_values":
        r = r[r["measure"].isin(py["measure"])]
    assert len(py) == len(r) and len(py) > 0
    merged = py.merge(r, on=keys, suffixes=("", "_r"), validate="one_to_one")
    assert len(merged) == len(r)
    for col in (c for c in r.columns if c not in keys and c in py.columns):
        a, b = merged[col], merged[f"{col}_r"]
        if pd.api.types.is_numeric_dtype(b):
            np.testing.assert_allclose(a.astype(float), b.astype(float), rtol=1e-12, err_msg=col)
        else:
            assert (a.astype(str) == b.astype(str)).all(), col


def test_flow_counts_agree_with_R_response_rates(run) -> None:
    """flow: 90 patients in the file; evaluable at each landmark = R's n_evaluable (All)."""
    flow = run.results["flow"].table
    rates = pd.read_csv(REF / "expected" / "response_rates.csv")
    assert flow.loc[flow["step"] == "in file", "n"].item() == 90
    ev = flow[flow["step"] == "evaluable"].set_index("month")["n"]
    r = rates[rates["group"] == "All"].set_index("month")["n_evaluable"]
    assert ev.to_dict() == r.to_dict()


def test_follow_up_has_every_visit_with_its_response(run) -> None:
    d = pd.read_csv(REF / "cohort_long.csv", dtype={"patient_id": str})
    f = run.results["follow_up"].table
    assert len(f) == len(d) == 427
    m = f.merge(d, on=["patient_id", "month"], suffixes=("", "_file"), validate="one_to_one")
    assert (m["response"] == m["response_file"]).all() and (m["group"] == m["group_file"]).all()
