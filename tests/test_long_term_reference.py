"""Every number of every long-term table against R, on the extended validation cohort.

The reference is ``Rscript tests/reference/long_term/long_term.R cohort_long_term.csv
expected`` and the same on the demo into ``expected_demo`` (R 4.2.2, survival 3.5.3; ``survfit``/``survdiff``/``coxph``, ``poisson.test``,
``binom.test``, ``mcnemar.test``, ``quantile(type = 7)``), written from the definitions
alone. The cohort is ``make_long_term.py``'s extension of the validation cohort. Rows are
matched on their keys; counts exactly, every other number within 1e-5 relative (1e-12
absolute where R gives 0); Cox rows R cannot fit (a group without events) are the rows the
Python side marks ``converged = False``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from core.analyses.flares import FlareDefinition
from core.analyses.long_term import long_term_results
from core.ingest.load import load_path
from core.model.settings import Settings
from core.outcomes.derive import derive_outcomes

HERE = Path(__file__).parent / "reference" / "long_term"
DEFINITIONS = (
    FlareDefinition("aurora2", "aurora2"),
    FlareDefinition("aurora2_confirmed", "aurora2", confirmation="next-visit"),
    FlareDefinition("custom", "custom", fold=2.0, floor_upcr=1.0),
    FlareDefinition(
        "custom_creatinine", "custom", confirmation="next-visit", fold=2.0, floor_upcr=1.0,
        creatinine_rise_pct=30.0,
    ),
)  # fmt: skip
COUNTS = {
    "n", "n_risk", "n_event", "n_censor", "cum_events", "cum_censored", "n_events",
    "n_responders", "n_patients_flare", "n_flares", "event", "n_at_or_below", "n_pairs",
    "newly_at_or_below", "no_longer_at_or_below", "df",
}  # fmt: skip
KM = ["n_risk", "n_event", "n_censor", "cum_incidence", "ci_low", "ci_high", "surv"]
RISK = ["n_risk", "cum_events", "cum_censored"]
SUMMARY = ["n", "n_events", "events_pct", "median_time", "median_ci_low", "median_ci_high"]
TESTS = ["statistic", "df", "hr", "ci_low", "ci_high", "p_value"]
# table -> (keys, compared columns)
TABLES: dict[str, tuple[list[str], list[str]]] = {
    "flare_events": (
        ["definition", "patient_id", "month"],
        ["response_month", "upcr", "nadir_upcr", "confirmed_month"],
    ),
    "flare_patients": (
        ["definition", "patient_id"],
        ["first_response_month", "followup_years", "n_flares", "time", "event"],
    ),
    "flares": (
        ["definition", "group"],
        [
            "n_responders", "n_patients_flare", "n_flares", "patient_years", "rate_per_100py",
            "rate_ci_low", "rate_ci_high", "median_time", "median_ci_low", "median_ci_high",
        ],
    ),
    "flare_curve": (["definition", "group", "time"], KM),
    "flare_risk": (["definition", "group", "time"], RISK),
    "flare_tests": (["definition", "test", "term"], TESTS),
    "kidney_patients": (["outcome", "patient_id"], ["time", "event"]),
    "kidney_outcomes": (["outcome", "group"], SUMMARY),
    "kidney_curve": (["outcome", "group", "time"], KM),
    "kidney_risk": (["outcome", "group", "time"], RISK),
    "kidney_tests": (["outcome", "test", "term"], TESTS),
    "steroid_exposure": (
        ["patient_id", "month"],
        [
            "steroid_mg", "interval_months", "interval_mean_mg_day", "interval_g",
            "cumulative_oral_g", "cumulative_pulse_g", "cumulative_g",
        ],
    ),
    "steroid_cumulative": (
        ["measure", "landmark", "group"], ["n", "mean", "sd", "median", "q1", "q3"]
    ),
    "steroid_thresholds": (
        ["threshold_mg", "landmark", "group"],
        [
            "n", "n_at_or_below", "pct", "ci_low", "ci_high", "n_pairs", "newly_at_or_below",
            "no_longer_at_or_below", "p_value",
        ],
    ),
    "steroid_target_time": (["outcome", "group"], SUMMARY),
    "steroid_target_curve": (["outcome", "group", "time"], KM),
    "steroid_target_risk": (["outcome", "group", "time"], RISK),
    "steroid_target_tests": (["outcome", "test", "term"], TESTS),
}  # fmt: skip


def run(path: Path) -> dict:
    cohort = load_path(path)
    assert cohort.report.errors == ()
    o = derive_outcomes(cohort, Settings())
    return long_term_results(cohort, o, o.settings, DEFINITIONS)


DEMO = Path(__file__).parents[1] / "data" / "demo" / "demo_cohort_long.csv"
COHORTS = {"validation": (HERE / "cohort_long_term.csv", HERE / "expected"),
           "demo": (DEMO, HERE / "expected_demo")}  # fmt: skip


@pytest.fixture(scope="module", params=list(COHORTS))
def cohort_results(request) -> tuple[dict, Path]:
    path, expected = COHORTS[request.param]
    return run(path), expected


def compare(ours: pd.DataFrame, ref: pd.DataFrame, keys: list[str], cols: list[str]) -> None:
    """Same rows on ``keys``; ``cols`` equal (counts exactly, numbers to 1e-5 relative)."""
    if "converged" in ours:  # Cox fits R cannot make (a group without events)
        ours = ours[~((ours["test"] == "cox") & ~ours["converged"].astype(bool))]
    ours, ref = ours.copy(), ref.copy()
    for k in keys:  # names as text (R writes an empty term as NA), numbers as floats
        text = not (
            pd.api.types.is_numeric_dtype(ours[k]) and pd.api.types.is_numeric_dtype(ref[k])
        )
        for f in (ours, ref):
            f[k] = f[k].fillna("").astype(str) if text else f[k].astype(float)
    m = ours[keys + cols].merge(ref[keys + cols], on=keys, how="outer", suffixes=("", "_r"),
                                indicator=True)  # fmt: skip
    assert (m["_merge"] == "both").all(), m.loc[m["_merge"] != "both", keys + ["_merge"]]
    for c in cols:
        a = pd.to_numeric(m[c], errors="coerce").to_numpy(float)
        b = pd.to_numeric(m[c + "_r"], errors="coerce").to_numpy(float)
        assert np.array_equal(np.isnan(a), np.isnan(b)), (c, m.loc[np.isnan(a) != np.isnan(b)])
        ok = ~np.isnan(a)
        if c in COUNTS:
            assert np.array_equal(a[ok], b[ok]), c
        else:
            np.testing.assert_allclose(a[ok], b[ok], rtol=1e-5, atol=1e-12, err_msg=c)


@pytest.mark.parametrize("name", list(TABLES))
def test_every_long_term_table_agrees_with_r(cohort_results, name: str) -> None:
    results, expected = cohort_results
    keys, cols = TABLES[name]
    ref = pd.read_csv(expected / f"{name}.csv", dtype={"patient_id": str})
    compare(results[name].table, ref, keys, cols)


def test_generator_is_reproducible(tmp_path: Path) -> None:
    import importlib.util

    spec = importlib.util.spec_from_file_location("make_lt", HERE / "make_long_term.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    d = pd.read_csv(HERE.parent / "cohort_long.csv", dtype={"patient_id": str},
                    float_precision="round_trip")  # fmt: skip
    text = mod.csv_text(mod.extend(d))
    assert text == (HERE / "cohort_long_term.csv").read_text(encoding="utf-8")
