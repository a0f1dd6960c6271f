"""Groups in the user's order, any number of them (issue 11, point 3).

The order of the mapping's ``values.group`` entries is the display order and its first label
the default reference; three and four groups are checked against R
(tests/reference/groups/groups.R) and every table, figure and export is built.
"""

from __future__ import annotations

import io
import json
import zipfile

import numpy as np
import pandas as pd
import pytest
from groups_cohort import GROUPS_DIR, ORDERS, groups_cohort, groups_csv, groups_mapping

from core.analyses.registry import ANALYSES
from core.analyses.run import run_analyses
from core.ingest.load import load_cohort
from core.ingest.mapping import mapping_to_json, parse_mapping_json
from core.model.settings import Settings
from core.model.vocabulary import ALL, default_reference, group_order, groups_with_reference
from core.report.export import bundle_zip
from core.report.figures import build_figures, group_colors

PATIENT_LEVEL = {t.name for a in ANALYSES for t in a.tables if t.patient_level}


@pytest.fixture(scope="module", params=[3, 4], ids=["3 groups", "4 groups"])
def run_k(request):
    k = request.param
    return k, run_analyses(groups_cohort(k))


# --- the one place: vocabulary ----------------------------------------------------------


def test_group_order_follows_the_given_order_unnamed_groups_after_alphabetically():
    seen = ["b", "All", "z", "c", "a"]
    assert group_order(seen, order=("c", "a")) == ["c", "a", "b", "z", ALL]
    assert group_order(seen, "z", order=("c", "a")) == ["z", "c", "a", "b", ALL]
    assert group_order(seen, sort=True) == ["a", "b", "c", "z", ALL]
    assert group_order(seen) == ["b", "z", "c", "a", ALL]  # first appearance without an order


def test_default_reference_is_the_first_of_the_order_else_refractory_else_first():
    assert default_reference(["refractory", "relapse"], ("relapse", "refractory")) == "relapse"
    assert default_reference(["refractory", "relapse"], ("x", "refractory")) == "refractory"
    assert default_reference(["a", "refractory"]) == "refractory"
    assert default_reference(["b", "a"]) == "b"
    assert default_reference([], ("a",)) is None


def test_groups_with_reference_user_choice_first_then_the_order():
    order = ("relapse", "new-onset", "refractory")
    present = ["refractory", "new-onset", "relapse"]
    assert groups_with_reference(present, None, order) == (list(order), "relapse")
    assert groups_with_reference(present, "refractory", order) == (
        ["refractory", "relapse", "new-onset"], "refractory")
    assert groups_with_reference(present, None) == (
        ["refractory", "new-onset", "relapse"], "refractory")


# --- carried on the cohort and the settings -----------------------------------------------


def test_cohort_carries_the_mapping_order_of_the_recoded_labels():
    d = pd.DataFrame({"patient_id": ["1", "2", "3", "4"], "arm": ["Z", "D", "ZD", "Z2"],
                      "month": [0, 0, 0, 0], "upcr": [1.0, 2.0, 3.0, 4.0]})
    mapping = {"columns": {"arm": "group"},
               "values": {"group": {"ZD": "ZDV+ddI", "Z": "ZDV", "Z2": "ZDV", "D": "ddI"}}}
    c = load_cohort(d.to_csv(index=False).encode(), "arms.csv", mapping)
    assert c.ok
    assert c.group_levels == ("ZDV+ddI", "ZDV", "ddI")
    assert c.groups == ["ZDV+ddI", "ZDV", "ddI"]
    assert run_analyses(c, only=["table1"]).settings.reference == "ZDV+ddI"


def test_without_an_order_the_rule_is_refractory_first_then_alphabetical():
    c = groups_cohort(3, ordered=False)
    assert c.group_levels == ()
    assert c.groups == ["new-onset", "refractory", "relapse"]
    run = run_analyses(c, only=["response", "time_to_response"])
    assert run.settings.reference == "refractory"
    assert list(run.table("response_rates")["group"].unique()) == [
        "refractory", "new-onset", "relapse", ALL]
    assert run.table("cox")["term"].tolist() == [
        "new-onset vs refractory", "relapse vs refractory"]


def test_the_order_survives_the_mapping_file_round_trip():
    text = mapping_to_json(groups_mapping(4))
    back, err = parse_mapping_json(text.encode())
    assert err is None
    assert list(back["values"]["group"]) == list(ORDERS[4])
    assert list(json.loads(text)["values"]["group"].values()) == list(ORDERS[4])


def test_resolved_settings_take_the_cohort_order_and_keep_a_chosen_reference():
    s = Settings().resolved(True, ["a", "b", "c"], ("c", "a"))
    assert s.group_order == ("c", "a") and s.reference == "c"
    s = Settings(reference="b").resolved(True, ["a", "b", "c"], ("c", "a"))
    assert s.reference == "b"
    s = Settings(reference="gone").resolved(True, ["a", "b", "c"], ("c", "a"))
    assert s.reference == "c"


# --- every table in the display order -----------------------------------------------------


def _check_order(run, expect: list[str]) -> list[str]:
    bad = []
    for name, res in run.results.items():
        t = res.table
        if t is None or t.empty or name in PATIENT_LEVEL:
            continue
        if "group" in t.columns:
            seen = [g for g in pd.unique(t["group"].dropna().astype(str)) if g != ALL]
            if seen != [g for g in expect if g in seen]:
                bad.append(f"{name} rows {seen}")
        wide = [g for g in expect if g in t.columns or f"{g}_n" in t.columns]
        pos = [list(t.columns).index(g if g in t.columns else f"{g}_n") for g in wide]
        if pos != sorted(pos):
            bad.append(f"{name} columns")
        for col in ("reference", "group_b"):
            if col in t.columns and name != "pairwise_logrank":
                if set(t[col].dropna().astype(str)) - {expect[0]}:
                    bad.append(f"{name} {col}")
    return bad


@pytest.mark.parametrize("k", [3, 4])
@pytest.mark.parametrize("reference", [None, "refractory"])
def test_every_table_lists_groups_reference_first_then_in_the_mapping_order(k, reference):
    run = run_analyses(groups_cohort(k), Settings(reference=reference))
    ref = reference or ORDERS[k][0]
    expect = [ref, *[g for g in ORDERS[k] if g != ref]]
    assert run.settings.reference == ref
    assert _check_order(run, expect) == []
    others = expect[1:]
    assert run.table("cox")["term"].tolist() == [f"{g} vs {ref}" for g in others]
    assert run.table("cif_regression")["group"].tolist() == others
    pairs = run.table("pairwise_logrank")[["group_a", "group_b"]].apply(tuple, axis=1).tolist()
    assert pairs == [(a, b) for i, a in enumerate(expect) for b in expect[i + 1:]]
    t1 = run.table("table1")
    assert [c for c in t1.columns if c in expect] == expect


# --- numbers against R ----------------------------------------------------------------


def _r(k: int, name: str) -> pd.DataFrame:
    return pd.read_csv(GROUPS_DIR / f"k{k}" / f"{name}.csv")


def _close(py: pd.Series, r: pd.Series, rtol: float = 1e-6) -> None:
    np.testing.assert_allclose(py.to_numpy(float), r.to_numpy(float), rtol=rtol, atol=1e-10)


def test_rates_between_groups_fisher_rxc_and_newcombe_per_group_against_r(run_k):
    k, run = run_k
    r, py = _r(k, "response_tests"), run.table("response_tests")
    assert py[["month", "outcome"]].values.tolist() == r[["month", "outcome"]].values.tolist()
    assert (py["test"] == "fisher_exact").all()
    _close(py["p_value"], r["p_value"])
    for g in ORDERS[k]:
        assert py[f"{g}_yes"].tolist() == r[f"{g}_yes"].tolist()
        assert py[f"{g}_n"].tolist() == r[f"{g}_n"].tolist()
    r, py = _r(k, "response_difference"), run.table("response_difference")
    keys = ["month", "outcome", "group", "reference"]
    assert py[keys].values.tolist() == r[keys].values.tolist()  # one row per non-reference
    for col in ("diff_pct", "ci_low", "ci_high"):
        _close(py[col], r[col])


def test_change_between_groups_each_group_against_the_reference_matches_r(run_k):
    k, run = run_k
    r, py = _r(k, "change_between_groups"), run.table("change_between_groups")
    keys = ["measure", "month", "group_a", "group_b"]
    m = r.merge(py, on=keys, suffixes=("_r", ""), validate="one_to_one")
    assert len(m) == len(r) == len(py)
    assert (m["n_a"] == m["n_a_r"]).all() and (m["n_b"] == m["n_b_r"]).all()
    _close(m["p_value"], m["p_value_r"])
    _close(m["W"], m["W_r"])


def test_logrank_k_minus_1_df_pairwise_holm_and_cox_k_minus_1_hazard_ratios_match_r(run_k):
    k, run = run_k
    r, py = _r(k, "ttr_tests"), run.table("ttr_tests")
    assert int(py["df"].iloc[0]) == k - 1 == int(r["df"].iloc[0])
    _close(py["statistic"], r["statistic"])
    _close(py["p_value"], r["p_value"])
    r, py = _r(k, "pairwise_logrank"), run.table("pairwise_logrank")
    assert py[["group_a", "group_b"]].values.tolist() == r[["group_a", "group_b"]].values.tolist()
    assert py["n_a"].tolist() == r["n_a"].tolist() and py["n_b"].tolist() == r["n_b"].tolist()
    for col in ("statistic", "p_value", "p_holm"):
        _close(py[col], r[col])
    r, py = _r(k, "cox"), run.table("cox")
    assert len(py) == k - 1
    assert py[["term", "group", "reference"]].values.tolist() == \
        r[["term", "group", "reference"]].values.tolist()
    for col in ("hr", "ci_low", "ci_high", "p_value", "coef", "se"):
        _close(py[col], r[col], rtol=1e-5)


def test_rmst_difference_one_row_per_group_against_the_reference_matches_r(run_k):
    k, run = run_k
    r, py = _r(k, "rmst_difference"), run.table("rmst_difference")
    assert py[["group", "reference"]].values.tolist() == r[["group", "reference"]].values.tolist()
    for col in ("tau", "diff", "diff_ci_low", "diff_ci_high", "diff_p"):
        _close(py[col], r[col])


def test_table1_kruskal_wallis_and_fisher_rxc_match_r(run_k):
    k, run = run_k
    r = _r(k, "table1")
    t1 = run.table("table1").drop_duplicates("variable").set_index("variable")
    for rec in r.to_dict("records"):
        row = t1.loc[rec["variable"]]
        if row["p_method"] == "asymptotic (table too large for the exact test)":
            # beyond the exact budget (core.stats.contingency.MAX_CELLS): chi-square, named
            assert (rec["test"], row["test"]) == ("fisher_exact", "chi_square")
            _close(pd.Series([row["p_value"]]), pd.Series([rec["p_chisq"]]))
            continue
        assert row["test"] == rec["test"], rec["variable"]
        _close(pd.Series([row["p_value"]]), pd.Series([rec["p_value"]]))


# --- figures and exports --------------------------------------------------------------


def test_eight_groups_get_eight_distinct_colours_keyed_in_the_given_order():
    labels = ["h", "g", "f", "e", "d", "c", "b", "a"]
    colors = group_colors([*labels, ALL])
    assert list(colors) == [*labels, ALL]
    assert len(set(colors.values())) == 9
    with_fixed = group_colors(["relapse", "refractory", *labels[:6], ALL])
    assert len(set(with_fixed.values())) == 9


def _legend(fig) -> list[str]:
    names = []
    for tr in fig.data:
        name = getattr(tr, "name", None)
        if getattr(tr, "showlegend", None) is not False and name and name not in names:
            names.append(name)
    return names


def test_every_figure_builds_and_legends_follow_the_group_order(run_k):
    k, run = run_k
    figures = build_figures(run)
    assert figures
    order = list(ORDERS[k])
    checked = 0
    for key, fig in figures.items():
        named = [n for n in _legend(fig) if n in order]
        if len(named) >= 2:
            assert named == [g for g in order if g in named], key
            checked += 1
    assert checked >= 5


def test_the_report_bundle_builds_with_every_group(run_k):
    k, run = run_k
    data = bundle_zip(run, build_figures(run, pages=["ttr"]), images=False)
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        names = zf.namelist()
        cox = pd.read_csv(io.BytesIO(zf.read(next(n for n in names if n.endswith("cox.csv")))))
    assert len(cox) == k - 1
    assert any(n.endswith(".docx") for n in names) and any(n.endswith(".xlsx") for n in names)


def test_csv_of_the_split_cohort_has_the_groups_r_uses():
    d = pd.read_csv(io.BytesIO(groups_csv(4)))
    sizes = d.drop_duplicates("patient_id")["group"].value_counts().to_dict()
    assert sizes == {"refractory": 33, "relapse": 22, "new-onset": 19, "partial": 16}


# --- the Data page's order into the mapping ------------------------------------------------


def test_with_group_order_sorts_recodes_by_label_and_adds_identity_entries():
    from core.ingest.mapping import with_group_order

    mapping = {"columns": {"arm": "group"},
               "values": {"group": {"불응": "refractory", "재발": "relapse"}, "sex": {"여": "F"}}}
    out = with_group_order(mapping, ["relapse", "new-onset", "refractory"])
    assert list(out["values"]["group"].items()) == [
        ("재발", "relapse"), ("new-onset", "new-onset"), ("불응", "refractory")]
    assert out["values"]["sex"] == {"여": "F"} and out["columns"] == mapping["columns"]
    assert list(mapping["values"]["group"]) == ["불응", "재발"]  # the input is not changed
    assert with_group_order(None, ["b", "a"]) == {"values": {"group": {"b": "b", "a": "a"}}}


def test_picked_order_and_the_order_kept_through_the_mapping_step():
    from ui.group_order import carried, picked_order
    from ui.state import make_source

    assert picked_order(["a", "b", "c"], ["c"]) == ["c", "a", "b"]
    assert picked_order(["a", "b", "c"], []) == ["a", "b", "c"]
    active = make_source(b"x", "f.csv", mapping={"values": {"group": {"c": "c", "a": "a"}}})
    kept = carried(None, active)
    assert list(kept["values"]["group"].values()) == ["c", "a"]
    other = {"values": {"group": {"x": "a"}}}  # a new mapping file with its own recodes
    assert carried(other, active) == other
    assert carried(other, None) == other
