"""Long-term outcome rules at their edges, and the tables on cohorts without the inputs."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from core.analyses.flares import FlareDefinition, aurora2_threshold, patient_flares
from core.analyses.kidney_outcomes import sustained_month
from core.analyses.long_term import LONG_TERM_TABLES, long_term_results
from core.analyses.steroid_exposure import DAYS_PER_MONTH
from core.ingest.load import load_path
from core.model.schema import Cohort
from core.model.settings import Settings
from core.outcomes.derive import derive_outcomes
from core.stats.poisson import poisson_rate, poisson_ratio

REF = Path(__file__).parent / "reference"
AURORA = FlareDefinition("aurora2", "aurora2")
AURORA_CONFIRMED = FlareDefinition("aurora2", "aurora2", confirmation="next-visit")
CUSTOM = FlareDefinition("custom", "custom", fold=2.0, floor_upcr=1.0)


def flare_months(defn, upcr, responded=None, creatinine=None):
    """Months of the flares for visits at months 3, 6, 9, …, response at the first."""
    n = len(upcr)
    month = 3.0 * np.arange(1, n + 1)
    resp = np.zeros(n, bool) if responded is None else np.asarray(responded, bool)
    if responded is None:
        resp[0] = True
    c = np.full(n, np.nan) if creatinine is None else np.asarray(creatinine, float)
    return [f["month"] for f in patient_flares(defn, month, np.asarray(upcr, float), c, resp)]


def test_aurora2_threshold_edges() -> None:
    # nadir < 0.2 → > 1 g/g; 0.2 ≤ nadir ≤ 1.0 → > 2 g/g; above 1.0 → none
    got = aurora2_threshold([0.0, 0.19, 0.2, 0.5, 1.0, 1.01])
    assert got[:5].tolist() == [1.0, 1.0, 2.0, 2.0, 2.0] and math.isnan(got[5])


@pytest.mark.parametrize(
    ("nadir", "value", "flare"),
    [
        (0.19, 1.01, True),  # below 0.2, above 1
        (0.19, 1.0, False),  # exactly 1 is not > 1
        (0.2, 1.5, False),  # 0.2 sits in the 0.2–1.0 band: needs > 2
        (0.2, 2.01, True),
        (1.0, 2.0, False),  # exactly 2 is not > 2
        (1.0, 2.01, True),  # 1.0 is the band's upper edge, included
        (1.01, 9.0, False),  # nadir above 1.0: no AURORA 2 flare
    ],
)
def test_aurora2_nadir_edges(nadir: float, value: float, flare: bool) -> None:
    assert flare_months(AURORA, [nadir + 0.05, nadir, value]) == ([9.0] if flare else [])


def test_custom_fold_and_floor_hold_on_paper() -> None:
    assert flare_months(CUSTOM, [1.1, 1.0, 2.0]) == [9.0]  # 2.0 ≥ 2 × 1.0
    assert flare_months(CUSTOM, [0.3, 0.1, 1.0]) == [9.0]  # 1.0 ≥ floor 1.0
    assert flare_months(CUSTOM, [0.3, 0.1, 0.99]) == []  # below the floor
    assert flare_months(CUSTOM, [0.9, 0.6, 1.19]) == []  # 1.19 < 2 × 0.6
    creat = FlareDefinition("c", "custom", fold=2.0, floor_upcr=1.0, creatinine_rise_pct=30.0)
    # creatinine 1.3 = 1.3 × the nadir 1.0: a flare by creatinine alone
    assert flare_months(creat, [0.3, 0.3, 0.3], creatinine=[1.0, 1.1, 1.3]) == [9.0]
    assert flare_months(creat, [0.3, 0.3, 0.3], creatinine=[1.0, 1.1, 1.29]) == []


def test_confirmation_at_the_next_visit() -> None:
    assert flare_months(AURORA_CONFIRMED, [0.1, 1.5, 1.2]) == [6.0]  # dated at onset
    assert flare_months(AURORA_CONFIRMED, [0.1, 1.5, 0.8]) == []  # not confirmed
    assert flare_months(AURORA_CONFIRMED, [0.1, 0.1, 1.5]) == []  # last visit: unconfirmed
    assert flare_months(AURORA, [0.1, 0.1, 1.5]) == [9.0]


def test_second_flare_needs_a_new_response() -> None:
    upcr = [0.1, 3.0, 2.5, 0.3, 2.5]
    assert flare_months(AURORA, upcr, [True, False, False, False, False]) == [6.0]
    # new response at month 12 restarts the nadir (0.3): 2.5 > 2 is a second flare
    assert flare_months(AURORA, upcr, [True, False, False, True, False]) == [6.0, 15.0]


def test_sustained_decline_and_the_last_visit_choice() -> None:
    m = np.array([3.0, 6.0, 9.0, 12.0])
    hit = lambda y: y <= 0.7 * 100  # noqa: E731
    assert sustained_month(m, np.array([90, 60, 65, 90.0]), hit) == 6.0
    assert np.isnan(sustained_month(m, np.array([90, 60, 80, 90.0]), hit))  # transient
    # the next visit with a value confirms (a missing value is skipped)
    assert sustained_month(m, np.array([90, 60, np.nan, 65.0]), hit) == 6.0
    assert sustained_month(m, np.array([90, 90, 90, 60.0]), hit) == 12.0
    assert np.isnan(sustained_month(m, np.array([90, 90, 90, 60.0]), hit, False))


def test_poisson_rate_and_ratio_agree_with_r() -> None:
    # poisson.test(7, 33.25)$conf.int; poisson.test(0, 12.5)$conf.int
    r = poisson_rate(7, 33.25)
    assert r.ci_low == pytest.approx(0.0846424977900712, rel=1e-12)
    assert r.ci_high == pytest.approx(0.4337646725324024, rel=1e-12)
    assert poisson_rate(0, 12.5).ci_low == 0.0
    assert poisson_rate(0, 12.5).ci_high == pytest.approx(0.2951103563291148, rel=1e-10)
    assert math.isnan(poisson_rate(3, 0).rate)
    # poisson.test(c(5, 2), c(10.5, 14.25)): 3.392857142857143 [0.555459681160211,
    # 35.629718476839791], p 0.142613311290610
    q = poisson_ratio(5, 10.5, 2, 14.25)
    assert (q.ratio, q.ci_low, q.ci_high, q.p_value) == pytest.approx(
        (3.392857142857143, 0.555459681160211, 35.629718476839791, 0.142613311290610), rel=1e-10
    )
    assert math.isnan(poisson_ratio(0, 1.0, 0, 2.0).p_value)


def _cohort(rows: list[dict], patients: dict | None = None) -> Cohort:
    v = pd.DataFrame(rows)
    p = pd.DataFrame({"patient_id": v["patient_id"].unique()})
    p["group"] = "refractory"
    for k, vals in (patients or {}).items():
        p[k] = vals
    return Cohort(p, v)


def test_trapezoid_dose_and_pulses() -> None:
    c = _cohort(
        [
            {"patient_id": "A", "month": 0.0, "steroid_mg": 20.0, "steroid_pulse_mg": 500.0,
             "steroid_pulse_days": 3.0, "upcr": 3.0},
            {"patient_id": "A", "month": 3.0, "steroid_mg": 10.0, "steroid_pulse_mg": np.nan,
             "steroid_pulse_days": np.nan, "upcr": 1.0},
            {"patient_id": "A", "month": 6.0, "steroid_mg": 5.0, "steroid_pulse_mg": 250.0,
             "steroid_pulse_days": np.nan, "upcr": 0.4},
        ]
    )  # fmt: skip
    o = derive_outcomes(c, Settings(criteria="kdigo2024"))
    res = long_term_results(c, o, o.settings)
    exp = res["steroid_exposure"].table
    oral = (15 * 3 + 7.5 * 3) * DAYS_PER_MONTH / 1000
    assert exp["cumulative_oral_g"].iloc[-1] == pytest.approx(oral, rel=1e-12)
    assert exp["cumulative_g"].iloc[-1] == pytest.approx(oral + 1.5, rel=1e-12)  # 250 mg not added
    assert exp["pulse_unquantified"].iloc[-1] == 1
    assert any("without the number of pulse days" in n for n in res["steroid_exposure"].notes)
    taper = res["steroid_target_curve"].table
    # 10 mg at month 3 is not ≤ 7.5; 5 at month 6 is: one event at month 6
    assert taper.loc[taper["group"] == "All", ["time", "n_event"]].values.tolist() == [[6.0, 1]]
    assert res["steroid_target_time"].table.loc[lambda t: t["group"] == "All", "n_events"].item() == 1


def test_death_without_month_is_a_note_not_a_number() -> None:
    c = _cohort(
        [
            {"patient_id": p, "month": m, "creatinine": 1.0, "egfr": 80.0, "upcr": 2.0}
            for p in ("A", "B") for m in (0.0, 3.0, 6.0)
        ],
        {"death": ["yes", "no"], "death_month": [np.nan, np.nan]},
    )  # fmt: skip
    o = derive_outcomes(c, Settings(criteria="kdigo2024"))
    res = long_term_results(c, o, o.settings)
    pats = res["kidney_patients"].table
    assert pats.loc[(pats["outcome"] == "death") & (pats["patient_id"] == "A"), "time"].isna().all()
    assert any("unknown month" in n for n in res["kidney_outcomes"].notes)


def test_validation_cohort_without_long_term_columns_gives_notes() -> None:
    cohort = load_path(REF / "cohort_long.csv")
    o = derive_outcomes(cohort, Settings())
    res = long_term_results(cohort, o, o.settings)
    assert set(res) == set(LONG_TERM_TABLES)
    assert "death" not in set(res["kidney_outcomes"].table["outcome"])
    assert any("No death column" in n for n in res["kidney_outcomes"].notes)
    assert res["steroid_exposure"].table["pulse_g"].eq(0).all()
    assert (res["flares"].table["n_responders"] > 0).all()
