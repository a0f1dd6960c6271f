"""core.analyses.table1.baseline_table against expected/table1.csv (reference.R table1_table:
wilcox.test(relapse, refractory, digits.rank = 7), fisher.test / chisq.test(correct =
FALSE) by the expected-count rule, SMD as Yang & Dalton)."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from core.analyses.table1 import baseline_table, smd_categorical
from core.model.schema import Cohort
from core.model.settings import Settings
from core.stats.ranks import welch_anova

ROOT = Path(__file__).parent / "reference"


def load_cohort(classes: tuple[str, ...] = ()) -> Cohort:
    """The canonical cohort straight from cohort_long.csv (no dependency on the loader)."""
    d = pd.read_csv(ROOT / "cohort_long.csv", dtype={"patient_id": str})
    if classes:
        d = d[d["isn_class"].isin(classes)]
    patients = d.drop_duplicates("patient_id")[
        ["patient_id", "group", "isn_class", "sex", "age"]
    ].reset_index(drop=True)
    visits = d.drop(columns=["group", "isn_class", "sex", "age"]).reset_index(drop=True)
    visits["anti_dsdna_pos"] = visits["anti_dsdna_pos"].astype("boolean")
    return Cohort(patients, visits)


@pytest.mark.parametrize(("sub", "classes"), [("", ()), ("class_IV_IVV/", ("IV", "IV+V"))])
def test_table1_matches_reference(sub, classes):
    """p_value, smd (1e-5 relative), n_missing (exact), test and p_method per row."""
    expected = pd.read_csv(
        ROOT / "expected" / sub / "table1.csv", keep_default_na=False, na_values=["NA"]
    )
    res = baseline_table(load_cohort(classes), Settings())
    got = res.table
    assert res.name == "table1"
    assert list(got.columns[:5]) == ["variable", "level", "refractory", "relapse", "All"]
    assert len(got) == len(expected)
    m = expected.merge(got, on=["variable", "level"], suffixes=("_r", ""), how="left")
    np.testing.assert_allclose(m["p_value"], m["p_value_r"], rtol=1e-5, atol=1e-12)
    np.testing.assert_allclose(m["smd"], m["smd_r"], rtol=1e-5, atol=1e-12)
    np.testing.assert_array_equal(m["n_missing"], m["n_missing_r"])
    assert (m["test"] == m["test_r"]).all() and (m["p_method"] == m["p_method_r"]).all()
    # the text cells are in journal style (decimals per row, en dash: clinical-rules, issue 12);
    # R prints 4 significant digits: every number agrees within the two roundings
    for col in ("refractory", "relapse", "All"):
        for ours, ref in zip(m[col], m[f"{col}_r"], strict=True):
            assert _same_numbers(ours, ref), (col, ours, ref)


_NUMBER = re.compile(r"-?\d+(?:\.(\d+))?")


def _same_numbers(ours: str, ref: str) -> bool:
    """The numbers of two cells equal up to the rounding each shows (0.5 in its last digit)."""
    def numbers(text: str) -> list[re.Match]:  # a hyphen between two numbers is a range
        return list(_NUMBER.finditer(re.sub(r"(?<=\d)-(?=\d)", " ", str(text))))

    a, b = numbers(ours), numbers(ref)
    if len(a) != len(b):
        return False
    half = lambda m: 0.5 * 10.0 ** -len(m.group(1) or "")  # noqa: E731
    return all(abs(float(x.group()) - float(y.group())) <= half(x) + half(y) + 1e-9
               for x, y in zip(a, b, strict=True))


def test_yang_dalton_does_not_depend_on_the_level_left_out():
    p1 = np.array([0.2, 0.5, 0.3])
    p2 = np.array([0.4, 0.4, 0.2])
    values = [smd_categorical(p1[o], p2[o]) for o in ([0, 1, 2], [1, 0, 2], [2, 1, 0])]
    assert values == pytest.approx([values[0]] * 3, rel=1e-12)
    two = smd_categorical(np.array([0.3, 0.7]), np.array([0.5, 0.5]))
    assert two == pytest.approx(0.2 / np.sqrt((0.21 + 0.25) / 2), rel=1e-12)


def test_normal_vars_use_mean_sd_and_welch():
    """age marked normal: mean (SD) text, Welch t p as t.test(relapse, refractory)."""
    cohort = load_cohort()
    res = baseline_table(cohort, Settings(normal_vars=("age",)))
    row = res.table.set_index("variable").loc["age"]
    pts = cohort.patients
    p = welch_anova([pts.loc[pts["group"] == g, "age"] for g in ("refractory", "relapse")]).p
    assert row["test"] == "welch_t" and row["p_value"] == pytest.approx(p, rel=1e-9)
    assert "-" not in row["All"] and "(" in row["All"]


def test_three_groups_use_kruskal_and_largest_pairwise_smd():
    cohort = load_cohort()
    pts = cohort.patients.copy()
    pts.loc[pts["patient_id"].isin([f"PT{i:03d}" for i in range(1, 31)]), "group"] = "other"
    res = baseline_table(Cohort(pts, cohort.visits), Settings())
    t = res.table
    assert {"refractory", "relapse", "other", "All"} <= set(t.columns)
    age = t.set_index("variable").loc["age"]
    assert age["test"] == "kruskal_wallis" and 0 < age["p_value"] < 1
    sex = t[t["variable"] == "sex"]
    assert sex["test"].iloc[0] in {"fisher_exact", "chi_square"}
    assert sex["p_value"].nunique() == 1 and 0 < sex["p_value"].iloc[0] <= 1


def test_pass_through_columns_and_one_group():
    cohort = load_cohort()
    pts = cohort.patients.assign(
        hospital=np.where(np.arange(len(cohort.patients)) % 3 == 0, "A", "B"),
        bmi=np.linspace(18, 32, len(cohort.patients)),
    )
    t = baseline_table(Cohort(pts, cohort.visits), Settings()).table
    assert set(t.loc[t["variable"] == "hospital", "level"]) == {"A", "B"}
    assert t.loc[t["variable"] == "bmi", "test"].item() == "wilcoxon_rank_sum"
    one = pts[pts["group"] == "relapse"]
    res = baseline_table(Cohort(one, cohort.visits), Settings())
    assert res.table["p_value"].isna().all() and any("One group" in n for n in res.notes)
