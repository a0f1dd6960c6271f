"""core.stats.survival against lifelines, an independent implementation (a test-only package).

R (``survival``) is the reference the app agrees with (tests/test_ttr.py,
tests/test_stats_survival.py); lifelines is a second, independently written check on the
same data, so a slip shared by our code and our reading of R would still show. Compared
like with like:

- Kaplan–Meier: ``KaplanMeierFitter`` survival, numbers at risk / events / censorings, and
  its confidence interval, which is the exponential Greenwood formula, i.e. R's
  ``conf.type = "log-log"`` (ours). lifelines fills the limits that are undefined (S = 0
  or 1) with 1.0 where R and we leave them empty: there only S is compared.
- Log-rank: ``multivariate_logrank_test`` (chi-square, df, p), as ``survdiff``.
- Cox: ``CoxPHFitter`` (Efron ties, its only method for right-censored data) on one dummy
  per non-reference group; HR, its 95 % CI, coefficient, SE and Wald p. lifelines stops
  when the step norm or the Newton decrement (about half the squared step) falls below
  ``precision`` (default 1e-7: coefficients ~1e-8 relative short of the maximum on the
  validation cohort), so it is run with ``precision`` 1e-20 to reach the maximum ours
  reaches (step < 1e-12).

Data: the validation cohort's time to response (R's ``ttr_patients`` for the whole cohort
and the class IV / IV+V subset, tests/reference/expected), lifelines' ``load_waltons``
(two groups, heavily tied) and ``load_rossi`` (weeks to re-arrest, grouped by prior
convictions 0 / 1–3 / 4+: three groups, 49 distinct times for 432 people).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from lifelines import CoxPHFitter, KaplanMeierFitter
from lifelines.datasets import load_rossi, load_waltons
from lifelines.statistics import multivariate_logrank_test

from core.stats.survival import cox_efron, kaplan_meier, logrank

EXPECTED = Path(__file__).parent / "reference" / "expected"
COX_FIT = {"precision": 1e-20, "r_precision": 0.0, "max_steps": 500}


def _validation(sub: str) -> pd.DataFrame:
    d = pd.read_csv(EXPECTED / sub / "ttr_patients.csv", dtype={"patient_id": str})
    return pd.DataFrame({"time": d["time"], "event": d["event"], "group": d["group"]})


def _waltons() -> pd.DataFrame:
    w = load_waltons()
    return pd.DataFrame({"time": w["T"], "event": w["E"], "group": w["group"]})


def _rossi() -> pd.DataFrame:
    r = load_rossi()
    band = np.select([r["prio"] == 0, r["prio"] <= 3], ["0", "1-3"], "4+")
    return pd.DataFrame({"time": r["week"], "event": r["arrest"], "group": band})


# name: (data, reference group)
DATASETS = {
    "validation cohort": (lambda: _validation(""), "refractory"),
    "validation class IV/IV+V": (lambda: _validation("class_IV_IVV"), "refractory"),
    "waltons": (_waltons, "control"),
    "rossi by prior convictions": (_rossi, "0"),
}


@pytest.fixture(scope="module", params=list(DATASETS))
def data(request) -> tuple[pd.DataFrame, str]:
    make, reference = DATASETS[request.param]
    return make(), reference


def _subsets(d: pd.DataFrame):
    yield "All", d
    for g in sorted(d["group"].unique()):
        yield g, d[d["group"] == g]


def test_kaplan_meier_and_log_log_interval_match_lifelines(data) -> None:
    d, _ = data
    for label, s in _subsets(d):
        ours = kaplan_meier(s["time"], s["event"])
        fit = KaplanMeierFitter().fit(s["time"], s["event"])
        times = ours["time"].to_numpy()
        table = fit.event_table.reindex(times)
        np.testing.assert_array_equal(ours["n_risk"], table["at_risk"], err_msg=label)
        np.testing.assert_array_equal(ours["n_event"], table["observed"], err_msg=label)
        np.testing.assert_array_equal(ours["n_censor"], table["censored"], err_msg=label)
        surv = fit.survival_function_["KM_estimate"].reindex(times).to_numpy()
        np.testing.assert_allclose(ours["surv"], surv, rtol=1e-12, atol=1e-15, err_msg=label)
        ci = fit.confidence_interval_survival_function_.reindex(times)
        inside = (ours["surv"] > 0) & (ours["surv"] < 1)
        assert inside.any(), label
        for col, theirs in (("lower", ci.iloc[:, 0]), ("upper", ci.iloc[:, 1])):
            np.testing.assert_allclose(
                ours.loc[inside, col], theirs[inside.to_numpy()], rtol=1e-10, err_msg=label
            )
        assert ours.loc[~inside, ["lower", "upper"]].isna().all().all(), label


def test_logrank_matches_lifelines(data) -> None:
    d, _ = data
    ours = logrank(d["time"], d["event"], d["group"])
    theirs = multivariate_logrank_test(d["time"], d["group"], d["event"])
    assert ours.df == theirs.degrees_of_freedom
    np.testing.assert_allclose(ours.statistic, theirs.test_statistic, rtol=1e-10)
    np.testing.assert_allclose(ours.p, theirs.p_value, rtol=1e-8)


def test_cox_efron_matches_lifelines(data) -> None:
    d, reference = data
    ours = cox_efron(d["time"], d["event"], d["group"], reference).set_index("group")
    assert ours["converged"].all()
    others = [g for g in sorted(d["group"].unique()) if g != reference]
    x = pd.DataFrame({g: (d["group"] == g).astype(float) for g in others})
    frame = x.assign(time=d["time"].to_numpy(float), event=d["event"].to_numpy(float))
    fit = CoxPHFitter().fit(frame, "time", "event", fit_options=COX_FIT)
    theirs = fit.summary.loc[others]
    for col, their_col, rtol in (
        ("coef", "coef", 1e-10),
        ("se", "se(coef)", 1e-10),
        ("hr", "exp(coef)", 1e-10),
        ("ci_low", "exp(coef) lower 95%", 1e-10),
        ("ci_high", "exp(coef) upper 95%", 1e-10),
        ("p_value", "p", 1e-10),
    ):
        np.testing.assert_allclose(
            ours.loc[others, col].to_numpy(float),
            theirs[their_col].to_numpy(float),
            rtol=rtol,
            err_msg=col,
        )
    assert (ours["n_events"] == int(d["event"].sum())).all()
