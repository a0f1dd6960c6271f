"""Issue 13 tables against R: confirmed/sustained response, duration of response, BLISS-LN.

The reference is ``tests/reference/ln_response/ln_response.R`` (R stats + survival,
written independently of the Python code) run on the validation cohort extended with
``prior_egfr`` and ``treatment_failure`` by ``make_extended.py`` (criteria recorded,
kdigo2024, bliss_ln) and on the demo cohort (recorded). Each run goes through the report
command in-process (``--tables-only``); counts must agree exactly, every other number
within 1e-5 relative (1e-12 absolute where R gives 0).
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from core.__main__ import main

HERE = Path(__file__).parent
REF = HERE / "reference" / "ln_response"
EXPECTED = REF / "expected"
COHORT = REF / "cohort_long_bliss.csv"
DEMO = HERE.parent / "data" / "demo" / "demo_cohort_long.csv"

RUNS = {
    ("cohort", "recorded"): (COHORT, EXPECTED / "recorded"),
    ("cohort", "kdigo2024"): (COHORT, EXPECTED / "kdigo2024"),
    ("cohort", "bliss_ln"): (COHORT, EXPECTED / "bliss_ln"),
    ("demo", "recorded"): (DEMO, EXPECTED / "demo" / "recorded"),
}
COUNTS = {"n_patients", "n_evaluable", "n_yes", "n_not_evaluable", "refractory_yes",
          "refractory_n", "relapse_yes", "relapse_n", "n_risk", "n_event", "n_censor", "n",
          "n_events", "cr_n", "pr_n", "orr_n", "n_no_visit", "n_on_boundary"}
TABLES: dict[str, tuple[list[str], list[str]]] = {
    "sustained_response": (
        ["kind", "month", "outcome", "group"],
        ["n_patients", "n_evaluable", "n_yes", "pct", "ci_low", "ci_high", "n_not_evaluable"],
    ),
    "sustained_tests": (
        ["kind", "month", "outcome"],
        ["p_value", "refractory_yes", "refractory_n", "relapse_yes", "relapse_n"],
    ),
    "response_duration": (
        ["outcome", "group", "time"],
        ["n_risk", "n_event", "n_censor", "pct_in_response", "ci_low", "ci_high", "surv",
         "std_err_log_surv"],
    ),
    "response_duration_summary": (
        ["outcome", "group"],
        ["n", "n_events", "median_time", "median_ci_low", "median_ci_high"],
    ),
}
TEXT = {"kind", "outcome", "group", "criteria", "patient_id"}


@pytest.fixture(scope="module")
def outputs(tmp_path_factory) -> dict[tuple[str, str], Path]:
    out = {}
    for (what, crit), (path, _) in RUNS.items():
        d = tmp_path_factory.mktemp(f"{what}_{crit}")
        args = ["report", str(path), "--tables-only", "--out", str(d)]
        if crit != "recorded":
            args += ["--criteria", crit]
        assert main(args) == 0
        for name in ("sustained_response", "sustained_tests", "sustained_patients",
                     "response_duration", "response_duration_summary",
                     "response_duration_patients", "response_audit"):
            assert (d / f"{name}.csv").is_file(), name  # the CLI writes every new table
        out[(what, crit)] = d
    return out


def _keyed(df: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    df = df.copy()
    for k in keys:
        df[k] = df[k].fillna("").astype(str) if k in TEXT else pd.to_numeric(df[k]).astype(float)
    return df


def compare(expected: pd.DataFrame, got: pd.DataFrame, keys: list[str], cols: list[str],
            exact_rows: bool = True) -> list[str]:
    """Differences between R's table and ours (empty: agree)."""
    e, g = _keyed(expected, keys), _keyed(got, keys)
    if g.duplicated(keys).any():
        return ["duplicate keys"]
    m = e.merge(g, on=keys, how="left", suffixes=("_r", ""), indicator=True)
    problems = []
    if (m["_merge"] != "both").any():
        problems.append(f"{int((m['_merge'] != 'both').sum())} R rows not found")
    if exact_rows and len(g) != len(e):
        problems.append(f"{len(g)} rows, R has {len(e)}")
    for c in cols:
        r = pd.to_numeric(m[f"{c}_r"]).astype(float).to_numpy()
        x = pd.to_numeric(m[c]).astype(float).to_numpy()
        same = (np.isnan(r) & np.isnan(x)) | (r == x)  # NaN and Inf (S = 0) as in R
        if c in COUNTS:
            ok = same
        else:
            with np.errstate(invalid="ignore"):
                ok = same | (np.abs(x - r) <= np.where(r == 0, 1e-12, 1e-5 * np.abs(r)))
        if not ok.all():
            i = int(np.flatnonzero(~ok)[0])
            problems.append(f"{c} at {m.loc[m.index[i], keys].tolist()}: R {r[i]!r}, ours {x[i]!r}")
    return problems


def _read(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype={"patient_id": str})


@pytest.mark.parametrize("run", list(RUNS), ids=lambda r: "-".join(r))
@pytest.mark.parametrize("name", list(TABLES))
def test_table_matches_r(outputs, run, name) -> None:
    """sustained_response: binom.test; sustained_tests: fisher.test; response_duration and
    its summary: survfit(Surv(time, event) ~ 1, conf.type = "log-log"), summary(fit)$table."""
    keys, cols = TABLES[name]
    expected = _read(RUNS[run][1] / f"{name}.csv")
    got = _read(outputs[run] / f"{name}.csv")
    assert compare(expected, got, keys, cols) == []


@pytest.mark.parametrize("crit", ["kdigo2024", "bliss_ln"])
def test_criteria_sensitivity_rows_match_r(outputs, crit) -> None:
    """The rule set's rows of criteria_sensitivity (counts, orr_pct, n_on_boundary)."""
    expected = _read(EXPECTED / crit / "criteria_sensitivity.csv")
    got = _read(outputs[("cohort", crit)] / "criteria_sensitivity.csv")
    cols = ["n_evaluable", "cr_n", "pr_n", "orr_n", "orr_pct", "n_patients", "n_no_visit",
            "n_on_boundary"]
    assert compare(expected, got, ["criteria", "month", "group"], cols, exact_rows=False) == []


@pytest.mark.parametrize("run", list(RUNS), ids=lambda r: "-".join(r))
def test_audit_calls_match_r(outputs, run) -> None:
    """Every landmark call of the audit (one per patient × landmark) equals R's."""
    expected = _read(RUNS[run][1] / "landmark_responses.csv")
    audit = _read(outputs[run] / "response_audit.csv")
    got = audit[audit["criteria"] == run[1]].drop_duplicates(["patient_id", "landmark"])
    m = expected.merge(got, on=["patient_id", "landmark"], suffixes=("_r", ""))
    assert len(m) == len(expected) == len(got)
    assert (m["response_r"].fillna("") == m["response"].fillna("")).all()
    assert np.allclose(m["visit_month_r"], m["visit_month"], equal_nan=True)


def test_bliss_boundaries_built_in_are_called_as_on_paper(outputs) -> None:
    """make_extended.py's edge patients at 12 months: −20 % meets PERR (PT052, PR), −20.1 %
    does not (PT076, NR), −10 % meets CRR (PT009, CR), −10.1 % does not (PT040, PR)."""
    audit = _read(outputs[("cohort", "bliss_ln")] / "response_audit.csv")
    at = audit[(audit["criteria"] == "bliss_ln") & (audit["landmark"] == 12)]
    calls = at.drop_duplicates("patient_id").set_index("patient_id")["response"]
    assert calls[["PT052", "PT076", "PT009", "PT040"]].tolist() == ["PR", "NR", "CR", "PR"]


def test_extended_cohort_regenerates_byte_for_byte(tmp_path) -> None:
    before = COHORT.read_bytes()
    subprocess.run(["python3", str(REF / "make_extended.py")], check=True, capture_output=True)
    assert COHORT.read_bytes() == before
