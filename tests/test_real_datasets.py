"""Two real public clinical data sets, exported as a hospital would, against R (issue 11).

- ACTG 175 (R speff2trial / Python lifelines), wide: one row per patient, CD4 and CD8 at
  weeks 0, 20 and 96 in non-canonical headers (``cd420`` = CD4 at week 20), four arms given
  as codes recoded by the mapping (ZDV first = reference), time to event in days.
- survival::pbcseq (Mayo PBC), long: one row per visit at irregular visit days, seven labs
  (albumin canonical, the others user-named), two arms (placebo first = reference), time to
  death in days.

The files, their mapping files and the expected tables are in tests/reference/real_datasets/
(README there: source, licence, the reshaping, each table's R call). The expected tables are
``Rscript reference_real.R`` (R 4.2.2, survival 3.5.3, lme4 1.1.31, nlme 3.1.162), computed
from the exported files and the mapping files alone. Each file runs through the report
command in-process (``python -m core report FILE --mapping MAP ... --tables-only --out
DIR``) once per module; every expected CSV is compared on its keys: counts exactly, other
numbers within 1e-6 relative (1e-12 absolute where R gives 0; lab_mixed and lab_slopes 1e-5,
their p-values 1e-4, as tests/test_lab_mixed.py against lme4), contract columns only, the same rows.
"""

from __future__ import annotations

import contextlib
import io
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from core.__main__ import main

REF = Path(__file__).parent / "reference" / "real_datasets"
EXPECTED = REF / "expected"

DATASETS = {
    "actg175": [
        str(REF / "actg175_wide.csv"),
        "--mapping",
        str(REF / "actg175_wide.mapping.json"),
        "--landmarks",
        "20w",
        "96w",
        "--mixed-measures",
        "cd4",
    ],
    "pbcseq": [
        str(REF / "pbcseq_long.csv"),
        "--mapping",
        str(REF / "pbcseq_long.mapping.json"),
        "--landmarks",
        "6",
        "12",
        "--mixed-measures",
        "albumin",
        "bilirubin",
    ],
}

_PAIRED = [
    "n_pairs",
    "baseline_median",
    "baseline_q1",
    "baseline_q3",
    "followup_median",
    "followup_q1",
    "followup_q3",
    "median_change",
    "mean_change",
    "mean_change_ci_low",
    "mean_change_ci_high",
    "sd_change",
    "wilcoxon_p",
    "ttest_p",
    "wilcoxon_V",
    "n_zero_diff",
    "tied_abs_diff",
]
_CURVE = [
    "n_risk",
    "n_event",
    "n_censor",
    "cum_incidence",
    "ci_low",
    "ci_high",
    "surv",
    "std_err_log_surv",
]
# table: (row keys, compared columns), data-contract §6 names
CONTRACT: dict[str, tuple[list[str], list[str]]] = {
    "landmark_visits": (["patient_id", "landmark"], ["group", "visit_month"]),
    "paired_changes": (["measure", "month", "group"], _PAIRED),
    "change_between_groups": (
        ["measure", "month", "group_a"],
        ["group_b", "n_a", "n_b", "test", "p_value", "W", "tied"],
    ),
    "repeated_measures": (["measure", "group"], ["n_complete", "friedman_p", "friedman_chisq"]),
    "repeated_pairwise": (
        ["measure", "group", "month_a", "month_b"],
        ["n_pairs", "wilcoxon_p", "p_holm", "wilcoxon_V", "n_zero_diff", "tied_abs_diff"],
    ),
    "ttr_patients": (["patient_id"], ["group", "time", "event"]),
    "ttr_curve": (["group", "time"], _CURVE),
    "ttr_risk": (["group", "time"], ["n_risk", "cum_events", "cum_censored"]),
    "ttr_summary": (
        ["group"],
        ["n", "n_events", "median_time", "median_ci_low", "median_ci_high", "median_rule"],
    ),
    "ttr_tests": (["test"], ["statistic", "df", "p_value"]),
    "cox": (
        ["term"],
        ["hr", "ci_low", "ci_high", "p_value", "coef", "se", "n", "n_events", "group", "reference"],
    ),
    "pairwise_logrank": (
        ["group_a", "group_b"],
        ["n_a", "n_b", "statistic", "df", "p_value", "p_holm"],
    ),
    "rmst": (["group"], ["tau", "rmst", "se", "ci_low", "ci_high", "n", "n_events"]),
    "rmst_difference": (
        ["group"],
        [
            "reference",
            "tau",
            "diff",
            "diff_ci_low",
            "diff_ci_high",
            "diff_p",
            "ratio",
            "ratio_ci_low",
            "ratio_ci_high",
            "ratio_p",
        ],
    ),
    "ph_test": (["term"], ["chisq", "df", "p_value"]),
    "milestones": (
        ["group", "estimator", "month"],
        ["cum_incidence", "ci_low", "ci_high", "std_err", "n_risk"],
    ),
    "table1": (["variable", "level"], ["test", "p_value", "smd", "n_missing"]),
    "lab_mixed": (
        ["measure", "effect", "term"],
        [
            "scale",
            "model",
            "estimate",
            "se",
            "df",
            "t_value",
            "p_value",
            "ci_low",
            "ci_high",
            "n_patients",
            "n_obs",
            "reml_loglik",
        ],
    ),
    "lab_slopes": (
        ["measure", "kind", "group"],
        [
            "scale",
            "model",
            "reference",
            "estimate",
            "se",
            "df",
            "ci_low",
            "ci_high",
            "p_value",
            "n_patients",
            "n_obs",
        ],
    ),
}
MIXED = {"lab_mixed", "lab_slopes"}
TABLES = {name: sorted(p.stem for p in (EXPECTED / name).glob("*.csv")) for name in DATASETS}
COUNTS = {
    "n",
    "n_a",
    "n_b",
    "n_pairs",
    "n_zero_diff",
    "n_complete",
    "n_risk",
    "n_event",
    "n_censor",
    "cum_events",
    "cum_censored",
    "n_events",
    "n_missing",
    "n_patients",
    "n_obs",
    "event",
    "df",
    "wilcoxon_V",
    "W",
}
BOOLS = {"tied", "tied_abs_diff"}
TEXT_KEYS = {
    "patient_id",
    "group",
    "group_a",
    "group_b",
    "measure",
    "test",
    "variable",
    "level",
    "term",
    "effect",
    "kind",
    "estimator",
}
RTOL = 1e-6
RTOL_MIXED, PTOL_MIXED = 1e-5, 1e-4


@pytest.fixture(scope="module")
def outputs(tmp_path_factory) -> dict[str, tuple[int, Path, str]]:
    """Each data set through the report command once: (exit code, output dir, stderr)."""
    out = {}
    for name, args in DATASETS.items():
        d = tmp_path_factory.mktemp(name)
        err = io.StringIO()
        with contextlib.redirect_stderr(err):
            try:
                rc = main(["report", *args, "--tables-only", "--out", str(d)])
            except SystemExit as e:  # argparse refuses an option it does not know
                rc = e.code if isinstance(e.code, int) else 2
        out[name] = (rc, d, err.getvalue())
    return out


def _key(s: pd.Series, name: str) -> pd.Series:
    if name in TEXT_KEYS:
        return s.fillna("").astype(str)
    x = pd.to_numeric(s).astype(float)
    # months derived from weeks and days: R writes 20·12/52 and Python may compute
    # 20·(12/52); keys agree to 9 significant digits, values are compared with tolerance
    return x.map(lambda v: float(f"{v:.9g}") if np.isfinite(v) else v)


def _bool_text(s: pd.Series) -> pd.Series:
    return s.map(lambda v: "" if pd.isna(v) else str(v).strip().lower())


def _ordered_pairs(got: pd.DataFrame, expected: pd.DataFrame) -> pd.DataFrame:
    """pairwise_logrank rows as R orders each pair (the groups' order in the mapping):
    a pair written the other way round has its group and count columns swapped."""
    want = set(zip(expected["group_a"].astype(str), expected["group_b"].astype(str), strict=True))
    g = got.copy()
    flip = [
        (b, a) in want and (a, b) not in want
        for a, b in zip(g["group_a"].astype(str), g["group_b"].astype(str), strict=True)
    ]
    flip = np.array(flip, dtype=bool)
    g.loc[flip, ["group_a", "group_b"]] = g.loc[flip, ["group_b", "group_a"]].to_numpy()
    g.loc[flip, ["n_a", "n_b"]] = g.loc[flip, ["n_b", "n_a"]].to_numpy()
    return g


def compare_table(name: str, expected: pd.DataFrame, got: pd.DataFrame) -> list[str]:
    """Differences between R's table and ours on the contract columns (empty: agree)."""
    keys, cols = CONTRACT[name]
    missing = [c for c in keys + cols if c not in got.columns]
    if missing:
        return [f"{name}: columns missing {missing}"]
    if name == "pairwise_logrank":
        got = _ordered_pairs(got, expected)
    e, g = expected.copy(), got.copy()
    for k in keys:
        e[k], g[k] = _key(e[k], k), _key(g[k], k)
    if g.duplicated(keys).any():
        return [f"{name}: duplicate keys {keys}"]
    m = e.merge(g, on=keys, how="left", suffixes=("_r", ""), indicator=True)
    lost = m["_merge"] != "both"
    if lost.any():
        first = m.loc[lost, keys].iloc[0].tolist()
        return [f"{name}: {int(lost.sum())} of R's {len(e)} rows not found (first {first})"]
    problems = []
    rtol = RTOL_MIXED if name in MIXED else RTOL
    for c in cols:
        r, x = m[f"{c}_r"], m[c]
        if c in BOOLS:
            ok = _bool_text(r) == _bool_text(x)
        elif r.dtype == object or c in TEXT_KEYS or c in ("reference", "model", "scale"):
            ok = r.fillna("").astype(str) == x.fillna("").astype(str)
        else:
            rv = r.astype(float).to_numpy()
            xv = pd.to_numeric(x, errors="coerce").astype(float).to_numpy()
            both_nan = np.isnan(rv) & np.isnan(xv)
            if c in COUNTS:
                ok = both_nan | (rv == xv)
            else:
                tol = PTOL_MIXED if name in MIXED and c == "p_value" else rtol
                ok = both_nan | (np.abs(xv - rv) <= np.where(rv == 0, 1e-12, tol * np.abs(rv)))
            ok = pd.Series(ok, index=m.index)
        if not ok.all():
            i = m.index[np.flatnonzero(~ok.to_numpy())[0]]
            problems.append(
                f"{name}.{c} at {m.loc[i, keys].tolist()}: R {r[i]!r}, ours {x[i]!r} "
                f"({int((~ok).sum())} of {len(m)} rows differ)"
            )
    if len(g) != len(e):
        problems.append(f"{name}: {len(g)} rows, R has {len(e)}")
    return problems


CASES = [(ds, t) for ds in DATASETS for t in TABLES[ds]]


@pytest.mark.parametrize(("dataset", "table"), CASES, ids=[f"{d}-{t}" for d, t in CASES])
def test_table_against_R(outputs, dataset: str, table: str) -> None:
    """One contract table of one real data set against tests/reference/real_datasets/
    expected/<dataset>/<table>.csv (R calls: README there)."""
    rc, out, err = outputs[dataset]
    assert rc == 0, f"report exited with {rc}: {err.strip()[-500:]}"
    path = out / f"{table}.csv"
    assert path.exists(), f"{table}.csv not written"
    exp = pd.read_csv(EXPECTED / dataset / f"{table}.csv", keep_default_na=True)
    got = pd.read_csv(path, keep_default_na=True)
    problems = compare_table(table, exp, got)
    assert not problems, "\n".join(problems)


def test_every_expected_table_is_checked() -> None:
    """Both data sets have R tables, each of them with a comparison rule; the contract
    tables the brief asks for are all there."""
    wanted = {
        "table1",
        "paired_changes",
        "change_between_groups",
        "repeated_measures",
        "repeated_pairwise",
        "ttr_curve",
        "ttr_risk",
        "ttr_summary",
        "ttr_tests",
        "pairwise_logrank",
        "cox",
        "rmst",
        "rmst_difference",
    }
    for ds in DATASETS:
        assert wanted <= set(TABLES[ds]), (ds, wanted - set(TABLES[ds]))
        assert set(TABLES[ds]) <= set(CONTRACT), (ds, set(TABLES[ds]) - set(CONTRACT))


def test_reference_shape() -> None:
    """The R tables describe the files as the README says: four arms ZDV first with three
    hazard ratios and a 3-df log-rank (ACTG 175), two arms placebo first (PBC); free text
    never a Table 1 variable; CD4/CD8 and the PBC labs at baseline are."""
    a = EXPECTED / "actg175"
    cox = pd.read_csv(a / "cox.csv")
    assert list(cox["reference"].unique()) == ["ZDV"]
    assert list(cox["group"]) == ["ZDV+ddI", "ZDV+ddC", "ddI"]
    assert pd.read_csv(a / "ttr_tests.csv")["df"].tolist() == [3]
    assert len(pd.read_csv(a / "pairwise_logrank.csv")) == 6
    t1 = pd.read_csv(a / "table1.csv")
    assert {"cd4", "cd8", "wtkg", "karnof", "race"} <= set(t1["variable"])
    assert "notes" not in set(t1["variable"])
    assert set(t1["test"]) == {"kruskal_wallis", "chi_square"}
    p = EXPECTED / "pbcseq"
    assert pd.read_csv(p / "cox.csv")["term"].tolist() == ["D-penicillamine vs Placebo"]
    t1 = pd.read_csv(p / "table1.csv")
    assert {"albumin", "bilirubin", "cholesterol"} <= set(t1["variable"])
    pts = pd.read_csv(p / "ttr_patients.csv")
    assert len(pts) == 312 and pts["event"].sum() == 140  # deaths; 29 transplants censored


def test_comparison_detects_a_wrong_number() -> None:
    """The comparison fails on a count off by one, on a p-value off by 1e-5 relative, on a
    Table 1 test name and on a missing row; a pair written the other way round agrees."""
    a = EXPECTED / "actg175"
    exp = pd.read_csv(a / "paired_changes.csv")
    assert not compare_table("paired_changes", exp, exp)
    bad = exp.copy()
    bad.loc[0, "n_pairs"] += 1
    assert compare_table("paired_changes", exp, bad)
    bad = exp.copy()
    bad.loc[0, "wilcoxon_p"] *= 1 + 1e-5
    assert compare_table("paired_changes", exp, bad)
    assert compare_table("paired_changes", exp, exp.iloc[1:])
    t1 = pd.read_csv(a / "table1.csv")
    bad = t1.copy()
    bad.loc[0, "test"] = "wilcoxon_rank_sum"
    assert compare_table("table1", t1, bad)
    pw = pd.read_csv(a / "pairwise_logrank.csv")
    swapped = pw.rename(
        columns={"group_a": "group_b", "group_b": "group_a", "n_a": "n_b", "n_b": "n_a"}
    )
    assert not compare_table("pairwise_logrank", pw, swapped)


def test_actg175_file_is_the_published_data_reshaped() -> None:
    """actg175_wide.csv is byte for byte what make_actg175.py writes from lifelines' copy of
    ACTG175 (speff2trial), and its CD4/CD8 counts, days and events are the source's."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("make_actg175", REF / "make_actg175.py")
    make = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(make)
    built = make.build()
    text = built.to_csv(index=False, lineterminator="\n")
    assert (REF / "actg175_wide.csv").read_text(encoding="utf-8") == text
    src = pd.read_csv(make.SRC, index_col=0).set_index("pidnum")
    ours = pd.read_csv(REF / "actg175_wide.csv").set_index("pidnum").loc[src.index]
    for col in ("cd40", "cd420", "cd496", "cd80", "cd820", "days", "cens", "arms", "age"):
        pd.testing.assert_series_equal(ours[col], src[col], check_dtype=False)
    assert (ours["gender"] == src["gender"].map({0: "female", 1: "male"})).all()
