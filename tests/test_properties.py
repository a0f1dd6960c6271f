"""Property tests on random cohorts: invariants that hold whatever the data."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.analyses.response import response_rates, response_transitions
from core.analyses.run import run_analyses
from core.model.filters import filter_cohort
from core.model.schema import Cohort
from core.model.settings import Filters, Settings
from core.outcomes.derive import derive_outcomes

MONTHS = np.array([0, 0, 0.5, 1, 3, 4, 5, 5.5, 6, 6.5, 7, 8, 9, 11, 12, 12.5, 13, 14, 26 * 12 / 52])


def random_cohort(seed: int, n: int, n_groups: int, missing: float) -> Cohort:
    """n patients, 1–6 visits each at assorted months, labs and responses with gaps."""
    rng = np.random.default_rng(seed)
    ids = [f"P{i:03d}" for i in range(n)]
    labels = ["refractory", "relapse", "other"][:n_groups]
    group = rng.choice(np.array([*labels, None], dtype=object), n, p=None)
    patients = pd.DataFrame(
        {
            "patient_id": ids,
            "group": group,
            "isn_class": rng.choice(["III", "IV", "V", "IV+V"], n),
            "sex": rng.choice(["F", "M"], n),
            "age": rng.integers(18, 70, n).astype(float),
        }
    )
    k = rng.integers(1, 7, n)
    pid = np.repeat(ids, k)
    month = rng.choice(MONTHS, len(pid))
    visits = pd.DataFrame({"patient_id": pid, "month": month}).drop_duplicates()
    m = len(visits)

    def gaps(x: np.ndarray) -> np.ndarray:
        return np.where(rng.random(m) < missing, np.nan, x)

    visits["upcr"] = gaps(np.round(rng.gamma(1.5, 1.0, m), 2))
    visits["creatinine"] = gaps(np.round(rng.uniform(0.4, 2.5, m), 2))
    visits["egfr"] = gaps(np.round(rng.uniform(20, 130, m), 1))
    visits["albumin"] = gaps(np.round(rng.uniform(2, 4.5, m), 1))
    visits["steroid_mg"] = gaps(rng.choice([0, 5, 7.5, 10, 20, 40], m).astype(float))
    visits["anti_dsdna_pos"] = pd.array(
        np.where(rng.random(m) < missing, None, rng.random(m) < 0.5), dtype="boolean"
    )
    resp = rng.choice(np.array(["CR", "PR", "NR", None], dtype=object), m)
    visits["response"] = resp
    return Cohort(patients, visits.reset_index(drop=True))


cohorts = st.builds(
    random_cohort,
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(1, 40),
    n_groups=st.integers(1, 3),
    missing=st.sampled_from([0.0, 0.1, 0.5, 1.0]),
)
chosen = st.builds(
    Settings,
    criteria=st.sampled_from([None, "recorded", "kdigo2024", "creatinine15", "aurora"]),
    missing=st.sampled_from(["complete-case", "non-responder", "locf"]),
    ci=st.sampled_from(["clopper-pearson", "wilson"]),
    window=st.sampled_from([0.0, 1.0, 2.5]),
)
FAST = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(cohorts, chosen)
def test_rates_add_up_and_intervals_hold_the_estimate(c: Cohort, s: Settings) -> None:
    t = response_rates(derive_outcomes(c, s)).table
    assert (t["cr_n"] + t["pr_n"] == t["orr_n"]).all()
    assert (t["orr_n"] <= t["n_evaluable"]).all()
    has = t["n_evaluable"] > 0
    for k in ("cr", "orr"):
        low, pct, high = t[f"{k}_ci_low"][has], t[f"{k}_pct"][has], t[f"{k}_ci_high"][has]
        assert ((low <= pct + 1e-9) & (pct <= high + 1e-9)).all()
        assert ((low >= 0) & (high <= 100 + 1e-9)).all()
    if s.missing == "non-responder":
        allrow = t[t["group"] == "All"]
        assert (allrow["n_evaluable"] == len(c.patients)).all()


@FAST
@given(cohorts, chosen)
def test_transitions_count_every_patient_once(c: Cohort, s: Settings) -> None:
    o = derive_outcomes(c, s)
    t = response_transitions(o).table
    sums = t.groupby("group")["n"].sum()
    assert sums["All"] == len(c.patients)
    sizes = c.patients["group"].value_counts()
    for g, n in sizes.items():
        assert sums[g] == n
    assert len(t) == 16 * (len(sizes) + 1)


@FAST
@given(
    cohorts,
    st.lists(st.sampled_from(["IV", "V", "VII", "", "IV+V"]), max_size=3),
    st.lists(st.sampled_from(["refractory", "relapse", "nope"]), max_size=2),
    st.one_of(st.none(), st.floats(-10, 100)),
    st.one_of(st.none(), st.floats(-10, 100)),
)
def test_filters_never_raise_and_only_narrow(c, classes, groups, lo, hi) -> None:
    f = Filters(
        classes=tuple(classes),
        groups=tuple(groups),
        age_min=lo,
        age_max=hi,
        extra=(("missing_column", ("x",)),),
    )
    out = filter_cohort(c, f)
    assert set(out.patients["patient_id"]) <= set(c.patients["patient_id"])
    assert set(out.visits["patient_id"]) <= set(out.patients["patient_id"])


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cohorts, chosen)
def test_every_analysis_runs_or_explains(c: Cohort, s: Settings) -> None:
    results = run_analyses(c, s, Filters()).results
    for name, r in results.items():
        if name == "table1" and len(c.patients) < 2:
            continue  # core.analyses.table1 fails on a one-patient cohort: see test below
        assert not any("could not be computed" in n for n in r.notes), (name, r.notes)
    curve = results["ttr_curve"].table
    if not curve.empty:
        for _, g in curve.groupby("group"):
            ci = g.sort_values("time")["cum_incidence"].to_numpy()
            assert (np.diff(ci) >= -1e-9).all()


def _degenerate(kind: str) -> Cohort:
    c = random_cohort(7, 20, 2, 0.0)
    v = c.visits.copy()
    p = c.patients.copy()
    if kind == "one group":
        p["group"] = "relapse"
    elif kind == "no events":
        v["response"] = "NR"
    elif kind == "all responders":
        v["response"] = np.where(v["month"] > 0, "CR", "NR")
    elif kind == "lab with < 2 pairs":
        v["albumin"] = np.where(v.index == v.index[0], 3.0, np.nan)
    return Cohort(p, v)


def test_degenerate_cohorts_give_notes_not_errors() -> None:
    for kind in ("one group", "no events", "all responders", "lab with < 2 pairs"):
        results = run_analyses(_degenerate(kind), Settings(), Filters()).results
        for name, r in results.items():
            assert not any("could not be computed" in n for n in r.notes), (kind, name, r.notes)
        notes = " ".join(n for r in results.values() for n in r.notes)
        if kind == "one group":
            assert "Only one group" in notes
            assert results["response_tests"].table.empty
        if kind == "no events":
            s = results["ttr_summary"].table
            assert s.empty or s["median_time"].isna().all()  # median not reached
            assert (results["response_rates"].table["orr_n"] == 0).all()
        if kind == "all responders":
            r = results["response_rates"].table
            r = r[r["n_evaluable"] > 0]
            assert (r["cr_pct"] == 100).all() and (r["cr_ci_high"] == 100).all()
        if kind == "lab with < 2 pairs":
            pc = results["paired_changes"].table
            assert pc.loc[pc["measure"] == "albumin", "wilcoxon_p"].isna().all()
            assert "Fewer than 2 pairs" in notes


def test_table1_on_a_single_patient() -> None:
    r = run_analyses(random_cohort(0, 1, 1, 0.0), Settings(), Filters()).results["table1"]
    assert not any("could not be computed" in n for n in r.notes), r.notes


def test_filters_keep_the_file_default_criteria_and_empty_subsets_explain() -> None:
    c = random_cohort(3, 30, 2, 0.0)
    v = c.visits.copy()
    keep = c.patients["patient_id"].iloc[0]
    v.loc[v["patient_id"] != keep, "response"] = None  # only one patient has responses
    c = Cohort(c.patients, v)
    others = Filters(extra=(("patient_id", tuple(c.patients["patient_id"].iloc[1:])),))
    r = run_analyses(c, Settings(), others).results
    assert r["flow"].meta["settings"]["criteria"] == "recorded"
    empty = run_analyses(c, Settings(), Filters(classes=("VI",))).results
    assert empty["flow"].table["n"].tolist()[:2] == [30, 0]
    assert all("No patient matches" in " ".join(x.notes) for n, x in empty.items() if n != "flow")
