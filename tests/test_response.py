"""Response rates, tests, differences, transitions and rule-set sensitivity."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from test_outcomes import cohort, long_cohort

from core.analyses.criteria_sensitivity import criteria_sensitivity
from core.analyses.response import (
    response_difference,
    response_rates,
    response_tests,
    response_transitions,
)
from core.model.settings import Settings
from core.outcomes.derive import derive_outcomes


@pytest.fixture(scope="module")
def whole():
    c = long_cohort()
    return c, derive_outcomes(c, Settings())


def test_headline_rates_against_R(whole) -> None:
    """6-month ORR, All: 45/83, ``binom.test(45, 83)$conf.int`` = [42.916083467787,
    65.2079350066922] % (tests/reference/expected/response_rates.csv)."""
    _, o = whole
    t = response_rates(o).table.set_index(["month", "group"])
    row = t.loc[(6.0, "All")]
    assert (row["n_evaluable"], row["cr_n"], row["orr_n"], row["n_off_landmark"]) == (
        83,
        19,
        45,
        14,
    )
    assert row["orr_pct"] == pytest.approx(100 * 45 / 83, rel=1e-12)
    assert row["orr_ci_low"] == pytest.approx(42.916083467787, rel=1e-9)
    assert row["orr_ci_high"] == pytest.approx(65.2079350066922, rel=1e-9)


def test_wilson_interval_against_R(whole) -> None:
    """``prop.test(45, 83, correct = FALSE)$conf.int`` = 0.435500430453311 0.645106230179294
    (R 4.2.2, options(digits = 15))."""
    c, _ = whole
    o = derive_outcomes(c, Settings(ci="wilson"))
    row = response_rates(o).table.set_index(["month", "group"]).loc[(6.0, "All")]
    assert row["orr_ci_low"] == pytest.approx(43.5500430453311, rel=1e-9)
    assert row["orr_ci_high"] == pytest.approx(64.5106230179294, rel=1e-9)


def test_fisher_and_newcombe_against_R(whole) -> None:
    """``fisher.test(matrix(c(17, 29, 28, 9), 2, byrow = TRUE))$p.value`` = 0.000775116633188193;
    Newcombe difference 38.7191539365452 [17.3175392604499, 55.2950532925443]."""
    _, o = whole
    t = response_tests(o).table.set_index(["month", "outcome"])
    assert t.loc[(6.0, "ORR"), "test"] == "fisher_exact"
    assert t.loc[(6.0, "ORR"), "p_value"] == pytest.approx(0.000775116633188193, rel=1e-7)
    assert (t.loc[(6.0, "ORR"), "relapse_yes"], t.loc[(6.0, "ORR"), "relapse_n"]) == (28, 37)
    d = response_difference(o).table.set_index(["month", "outcome"]).loc[(6.0, "ORR")]
    assert (d["group"], d["reference"]) == ("relapse", "refractory")
    assert [d["diff_pct"], d["ci_low"], d["ci_high"]] == pytest.approx(
        [38.7191539365452, 17.3175392604499, 55.2950532925443], rel=1e-9
    )


def test_transitions_cover_every_patient(whole) -> None:
    _, o = whole
    t = response_transitions(o).table
    assert len(t) == 3 * 16
    sums = t.groupby("group")["n"].sum()
    assert sums.to_dict() == {"All": 90, "refractory": 49, "relapse": 41}
    cell = t.set_index(["group", "from_state", "to_state"]).loc[("refractory", "NR", "NR"), "n"]
    assert cell == 20  # expected/response_transitions.csv


def test_sensitivity_rows_and_extras(whole) -> None:
    c, o = whole
    t = criteria_sensitivity(c, o.settings, o).table
    assert list(dict.fromkeys(t["criteria"])) == [
        "recorded",
        "kdigo2024",
        "eular2019",
        "creatinine15",
        "lunar",
        "aurora",
        "multitarget_cn",
        "bliss_ln",
    ]
    k = t.set_index(["criteria", "month", "group"]).loc[("kdigo2024", 12.0, "All")]
    # expected/criteria_sensitivity.csv: 74 evaluable, CR 25, PR 17, 2 on a boundary.
    assert (k["n_evaluable"], k["cr_n"], k["pr_n"], k["n_on_boundary"]) == (74, 25, 17, 2)
    rec = t[t["criteria"] == "recorded"].set_index(["month", "group"])["orr_n"]
    rates = response_rates(o).table.set_index(["month", "group"])["orr_n"]
    assert rec.equals(rates)


def test_more_than_two_groups_uses_2xk_test() -> None:
    """2×3 Fisher by full enumeration, R 4.2.2:
    ``fisher.test(matrix(c(5, 5, 2, 8, 7, 3), 3, byrow = TRUE))$p.value`` = 0.106120005012973
    (CR yes/no in b, a, c); ORR ``matrix(c(7, 3, 5, 5, 8, 2), 3, byrow = TRUE)`` =
    0.499900399450637."""
    rows, groups = [], {}
    for i in range(30):
        pid = f"p{i}"
        groups[pid] = ["a", "b", "c"][i % 3]
        rows += [(pid, 0, "NR", 3, 90), (pid, 6, ["CR", "PR", "NR"][(i * i // 7) % 3], 1, 90)]
    o = derive_outcomes(cohort(rows, groups), Settings(reference="b"))
    t = response_tests(o).table.set_index(["month", "outcome"])
    assert (t.loc[(6.0, "CR"), "test"], t.loc[(6.0, "ORR"), "test"]) == ("fisher_exact",) * 2
    assert t.loc[(6.0, "CR"), "p_value"] == pytest.approx(0.106120005012973, rel=1e-9)
    assert t.loc[(6.0, "ORR"), "p_value"] == pytest.approx(0.499900399450637, rel=1e-9)
    assert [t.loc[(6.0, "CR"), f"{g}_yes"] for g in "bac"] == [5, 2, 7]
    assert t.loc[12.0, "p_value"].isna().all()  # nobody evaluable at 12 months
    d = response_difference(o).table
    assert set(d["group"]) == {"a", "c"} and set(d["reference"]) == {"b"}


def test_one_group_gives_notes_not_errors() -> None:
    rows = [
        ("a", 0, "NR", 3, 90),
        ("a", 6, "CR", 1, 90),
        ("b", 0, "NR", 3, 90),
        ("b", 6, "CR", 1, 90),
    ]
    o = derive_outcomes(cohort(rows), Settings())
    assert response_tests(o).table.empty and "one group" in " ".join(response_tests(o).notes)
    assert response_difference(o).table.empty
    r = response_rates(o).table.set_index(["month", "group"])
    # all responders: CR 2/2 = 100 %, Clopper-Pearson upper limit 100.
    assert r.loc[(6.0, "All"), "cr_pct"] == 100 and r.loc[(6.0, "All"), "cr_ci_high"] == 100
    assert np.isnan(r.loc[(12.0, "All"), "orr_pct"])  # nobody evaluable at 12 months


def test_locf_and_non_responder_denominators(whole) -> None:
    c, _ = whole
    nr = response_rates(derive_outcomes(c, Settings(missing="non-responder"))).table
    assert nr.set_index(["month", "group"]).loc[(6.0, "All"), "n_evaluable"] == 90
    cc = response_rates(derive_outcomes(c, Settings())).table.set_index(["month", "group"])
    lo = response_rates(derive_outcomes(c, Settings(missing="locf"))).table
    lo = lo.set_index(["month", "group"])
    assert (lo["n_evaluable"] >= cc["n_evaluable"]).all()
    assert (lo["n_evaluable"] <= 90).all()


def test_sensitivity_skips_rule_sets_without_inputs() -> None:
    rows = [("a", 0, "NR", 3, 90), ("a", 6, "CR", 1, 90)]
    c = cohort(rows)
    c = type(c)(c.patients, c.visits.drop(columns=["egfr"]))
    o = derive_outcomes(c, Settings())
    r = criteria_sensitivity(c, o.settings, o)
    assert set(r.table["criteria"]) == {"recorded"}
    assert "kdigo2024" in " ".join(r.notes)
    assert isinstance(r.table, pd.DataFrame)
