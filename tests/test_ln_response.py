"""Issue 13 by hand: BLISS-LN boundaries, named conditions, the response audit, confirmed
and sustained response and duration of response on tiny cohorts checked on paper."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from core.analyses.response_audit import response_audit
from core.analyses.response_duration import duration_patients
from core.analyses.sustained_response import (
    confirm_gap_months,
    sustained_patients,
    sustained_rates,
)
from core.model.schema import Cohort
from core.model.settings import Settings
from core.outcomes.criteria import (
    TREATMENT_FAILURE,
    add_rule_context,
    condition_table,
    derivable,
    evaluate,
    rule_set,
)
from core.outcomes.derive import derive_outcomes


def frame(**cols) -> pd.DataFrame:
    n = max(len(v) if isinstance(v, list) else 1 for v in cols.values())
    return pd.DataFrame(
        {k: v if isinstance(v, list) else [v] * n for k, v in cols.items()}, dtype=float
    )


def bliss(**cols) -> list:
    return evaluate(rule_set("bliss_ln"), frame(**cols))["response"].tolist()


def test_perr_upcr_07_meets_and_just_above_does_not() -> None:
    # eGFR 70 of 70: kidney fine; UPCR 0.7 ≤ 0.7 (PERR, not CRR) vs 0.70000001 (NR).
    assert bliss(upcr=[0.7, 0.70000001, 0.5, 0.49], egfr=70.0, egfr_0=70.0) == [
        "PR", "NR", "PR", "CR"
    ]


def test_perr_egfr_20_percent_below_reference_meets_201_does_not() -> None:
    # Reference 50.1 (Gt < 60, so only the relative condition can hold). −20 %: 40.08 vs
    # 0.8 · 50.1 = 40.080000000000005 in doubles, equal on paper: meets; −20.1 % fails.
    assert 0.8 * 50.1 > 40.08
    got = bliss(upcr=0.6, egfr=[40.08, 50.1 * (1 - 0.201)], egfr_0=50.1)
    assert got == ["PR", "NR"]


def test_crr_egfr_10_percent_below_reference_meets_101_does_not() -> None:
    # Reference 60.2: −10 % = 54.18 < 0.9 · 60.2 = 54.18000000000001 in doubles, meets on
    # paper (CR); −10.1 % fails it (PR: still within −20 %).
    assert 0.9 * 60.2 > 54.18
    got = bliss(upcr=0.3, egfr=[54.18, 60.2 * (1 - 0.101)], egfr_0=60.2)
    assert got == ["CR", "PR"]


def test_absolute_60_and_90_rescue_a_large_relative_fall() -> None:
    # eGFR 60 after 120 (−50 %): PERR by ≥ 60, no CRR; 90 after 140: CRR by ≥ 90.
    assert bliss(upcr=0.3, egfr=[60.0, 59.99, 90.0], egfr_0=[120.0, 120.0, 140.0]) == [
        "PR", "NR", "CR"
    ]


def test_prior_egfr_is_the_reference_when_given_else_month_0() -> None:
    # Gt 50: against prior 60 (−16.7 %) PERR; against month-0 70 (−28.6 %) not.
    got = bliss(upcr=0.6, egfr=50.0, egfr_0=70.0, prior_egfr=[60.0, np.nan])
    assert got == ["PR", "NR"]
    # no month-0 eGFR but a prior one: evaluable; neither: baseline missing
    out = evaluate(rule_set("bliss_ln"), frame(upcr=0.6, egfr=50.0, egfr_0=np.nan,
                                               prior_egfr=[60.0, np.nan]))
    assert out["response"].tolist() == ["PR", None]
    assert out["reason"].tolist() == [None, "baseline missing"]


def test_treatment_failure_makes_a_non_responder_and_is_optional() -> None:
    got = bliss(upcr=0.3, egfr=95.0, egfr_0=95.0, **{TREATMENT_FAILURE: [1.0, 0.0, np.nan]})
    assert got == ["NR", "CR", "CR"]
    assert derivable("bliss_ln", {"upcr", "egfr"})  # neither optional column needed


def test_treatment_failure_holds_from_the_flagged_visit_on() -> None:
    visits = pd.DataFrame({
        "patient_id": ["a", "a", "a", "a", "b", "b"],
        "month": [9.0, 0.0, 6.0, 12.0, 0.0, 6.0],
        "treatment_failure": pd.array([True, False, None, None, None, None], dtype="boolean"),
    })
    patients = pd.DataFrame({"patient_id": ["a", "b"], "prior_egfr": [80.0, np.nan]})
    v = add_rule_context(visits, patients)
    assert v[TREATMENT_FAILURE].tolist() == [1.0, 0.0, 0.0, 1.0, 0.0, 0.0]
    assert v["prior_egfr"].tolist()[:4] == [80.0] * 4 and np.isnan(v["prior_egfr"].iloc[4])


def test_conditions_are_named_with_states() -> None:
    x = frame(upcr=[0.3, 0.3], upcr_0=2.0, egfr=[np.nan, 80.0], egfr_0=100.0)
    t = condition_table(rule_set("kdigo2024"), x)
    first = t[t["row"] == 0].set_index(["part", "condition"])["state"]
    assert first[("CR", "cr_upcr")] == "true"
    assert first[("CR", "kidney_stable")] == "missing"
    second = t[t["row"] == 1].set_index(["part", "condition"])["state"]
    assert second[("CR", "kidney_stable")] == "false"  # 80 < 85
    assert t["rule"].iloc[0] == "Pt < 0.5"
    # LUNAR's urine RBC and BLISS-LN's treatment failure are "not assessed" when absent
    lunar = condition_table(rule_set("lunar"), frame(upcr=0.3, upcr_0=2.0, creatinine=1.0,
                                                     creatinine_0=1.0))
    assert lunar.set_index("condition").loc["cr_urine_rbc", "state"] == "not assessed"


def visits_cohort(rows: dict[str, list[tuple[float, str | None]]], groups: dict) -> Cohort:
    """Recorded responses only: {patient: [(month, response), ...]}."""
    v = pd.DataFrame(
        [(p, m, r) for p, xs in rows.items() for m, r in xs],
        columns=["patient_id", "month", "response"],
    )
    p = pd.DataFrame({"patient_id": list(rows), "group": [groups[k] for k in rows]})
    return Cohort(p, v)


HAND = {
    # confirmed at 6 (CR at 6 and 7.0 > 6 + 0.92): yes; sustained CR to 12: yes
    "a": [(0, "NR"), (6, "CR"), (7, "CR"), (12, "CR")],
    # PR at 6; next visit only 0.5 months later is skipped, 9 is NR: ORR not confirmed
    "b": [(0, "NR"), (6, "PR"), (6.5, "PR"), (9, "NR"), (12, "PR")],
    # CR at 6, nothing later: confirmation not evaluable; no 12-month visit
    "c": [(0, "NR"), (6, "CR")],
    # NR at 6, not evaluable at 12: sustained "no" anyway
    "d": [(0, "NR"), (6, "NR"), (12, None)],
}
GROUPS = {"a": "refractory", "b": "refractory", "c": "relapse", "d": "relapse"}


@pytest.fixture()
def hand_outcomes():
    return derive_outcomes(visits_cohort(HAND, GROUPS), Settings(criteria="recorded"))


def test_confirmed_and_sustained_statuses_by_hand(hand_outcomes) -> None:
    st = sustained_patients(hand_outcomes).set_index(["patient_id", "kind", "month", "outcome"])
    s = st["status"]
    assert s[("a", "confirmed", 6.0, "CR")] == "yes"
    assert st.loc[("a", "confirmed", 6.0, "CR"), "confirm_month"] == 7.0
    assert s[("b", "confirmed", 6.0, "ORR")] == "no"  # 6.5 is too early, 9 is NR
    assert st.loc[("b", "confirmed", 6.0, "ORR"), "confirm_month"] == 9.0
    assert s[("c", "confirmed", 6.0, "CR")] is None
    assert s[("a", "sustained", 12.0, "CR")] == "yes"
    assert s[("b", "sustained", 12.0, "ORR")] == "yes"  # PR at both landmarks
    assert s[("c", "sustained", 12.0, "CR")] is None
    assert s[("d", "sustained", 12.0, "ORR")] == "no"


def test_rates_complete_case_and_non_responder(hand_outcomes) -> None:
    t = sustained_rates(hand_outcomes).table.set_index(["kind", "month", "outcome", "group"])
    row = t.loc[("confirmed", 6.0, "CR", "All")]
    assert (row["n_evaluable"], row["n_yes"], row["n_not_evaluable"]) == (3, 1, 1)
    assert row["ci_low"] == pytest.approx(100 * 0.00840375866, rel=1e-9)  # binom.test(1, 3)
    assert row["ci_high"] == pytest.approx(100 * 0.90570067595, rel=1e-9)
    o = derive_outcomes(visits_cohort(HAND, GROUPS),
                        Settings(criteria="recorded", missing="non-responder"))
    t = sustained_rates(o).table.set_index(["kind", "month", "outcome", "group"])
    assert t.loc[("confirmed", 6.0, "CR", "All"), "n_evaluable"] == 4


def test_confirmation_gap_is_four_weeks_in_months() -> None:
    assert confirm_gap_months(4) == pytest.approx(28 / 30.4375)


def test_duration_of_response_by_hand(hand_outcomes) -> None:
    d = duration_patients(hand_outcomes).set_index(["patient_id", "outcome"])
    assert tuple(d.loc[("a", "CR"), ["onset_month", "time", "event"]]) == (6.0, 6.0, 0)
    assert tuple(d.loc[("b", "ORR"), ["onset_month", "time", "event"]]) == (6.0, 3.0, 1)
    assert tuple(d.loc[("c", "CR"), ["onset_month", "time", "event"]]) == (6.0, 0.0, 0)
    assert ("d", "ORR") not in d.index


def test_audit_lists_every_condition_and_agrees_with_the_rates() -> None:
    v = pd.DataFrame({
        "patient_id": ["p", "p", "p", "q", "q"],
        "month": [0.0, 6.0, 12.0, 0.0, 12.0],
        "upcr": [2.0, 0.7, 0.70000001, 3.0, 0.4],
        "egfr": [70.0, 56.0, 80.0, 95.0, 85.5],
    })
    pats = pd.DataFrame({"patient_id": ["p", "q"], "group": ["refractory", "relapse"]})
    c = Cohort(pats, v)
    o = derive_outcomes(c, Settings(criteria="bliss_ln"))
    a = response_audit(c, o).table
    b = a[a["criteria"] == "bliss_ln"]
    calls = b.drop_duplicates(["patient_id", "landmark"]).set_index(["patient_id", "landmark"])
    assert calls.loc[("p", 6.0), "response"] == "PR"   # UPCR 0.7, eGFR −20 %
    assert calls.loc[("p", 12.0), "response"] == "NR"  # UPCR 0.70000001
    assert calls.loc[("q", 12.0), "response"] == "CR"  # eGFR −10 %
    assert calls.loc[("q", 6.0), "reason"] == "no visit in window"
    assert calls.loc[("p", 6.0), "egfr_ref"] == 70.0 and calls.loc[("p", 6.0), "on_boundary"]
    p6 = b[(b["patient_id"] == "p") & (b["landmark"] == 6.0)].set_index(["part", "condition"])
    assert p6.loc[("PR", "pr_upcr"), "state"] == "true"
    assert p6.loc[("CR", "no_treatment_failure"), "state"] == "not assessed"
    got = o.responses.set_index(["patient_id", "landmark"])["observed"]
    assert got[("p", 6.0)] == "PR" and got[("p", 12.0)] == "NR" and got[("q", 12.0)] == "CR"


def test_new_fields_are_read_from_files_and_headers() -> None:
    from pathlib import Path

    from core.ingest.load import load_path
    from core.ingest.synonyms import parse_header

    c = load_path(Path(__file__).parent / "reference" / "ln_response" / "cohort_long_bliss.csv")
    assert c.ok
    assert c.patients["prior_egfr"].dtype == float and c.patients["prior_egfr"].notna().sum() == 60
    assert str(c.visits["treatment_failure"].dtype) == "boolean"
    assert int(c.visits["treatment_failure"].sum()) == 6  # PT005, 027, 038, 049, 071, 082
    assert parse_header("Pre-flare eGFR").field == "prior_egfr"
    assert parse_header("재발 전 eGFR").field == "prior_egfr"
    h = parse_header("치료실패_6개월")
    assert (h.field, h.month) == ("treatment_failure", 6.0)
    assert parse_header("Rescue therapy (month 12)").field == "treatment_failure"


def test_audit_screen_helpers_summarise_one_patient() -> None:
    from ui.audit import call_summary, condition_view

    v = pd.DataFrame({
        "patient_id": ["p"] * 3, "month": [0.0, 6.0, 12.0],
        "upcr": [2.0, 0.7, 0.3], "egfr": [70.0, 40.0, np.nan],
    })
    c = Cohort(pd.DataFrame({"patient_id": ["p"], "group": ["refractory"]}), v)
    a = response_audit(c, derive_outcomes(c, Settings(criteria="kdigo2024"))).table
    a = a[a["criteria"] == "kdigo2024"]
    s = call_summary(a)
    assert s["response"].tolist() == ["NR", "not evaluable"]
    assert "CR Gt ≥ 0.85·G0 (false)" in s["conditions not met or missing"].iloc[0]
    assert s["why not evaluable"].iloc[1] == "lab needed missing"
    states, inputs = condition_view(a, "kdigo2024")
    assert states.loc["CR: Pt < 0.5", "month 12"] == "✓ met"
    assert states.loc["CR: Gt ≥ 0.85·G0", "month 12"] == "? missing"
    assert inputs.loc["Gt (eGFR)", "month 6"] == 40.0


def test_audit_of_one_patient_equals_its_rows_of_the_whole_audit() -> None:
    from pathlib import Path

    from core.ingest.load import load_path

    c = load_path(Path(__file__).parent / "reference" / "ln_response" / "cohort_long_bliss.csv")
    o = derive_outcomes(c, Settings(criteria="bliss_ln"))
    whole = response_audit(c, o).table
    one = response_audit(c, o, patient_ids=["PT052"]).table
    expected = whole[whole["patient_id"] == "PT052"].reset_index(drop=True)
    pd.testing.assert_frame_equal(one, expected)
    every = response_audit(c, o, every_visit=True, patient_ids=["PT052"]).table
    assert every["landmark"].isna().all()
    assert sorted(every["visit_month"].unique()) == [3.0, 6.0, 9.0, 12.0]
