"""Every number of every contract table against the R reference, from all four file forms.

The reference is ``Rscript tests/reference/reference.R cohort_long.csv expected`` (R 4.2.2,
survival 3.5.3; each table's R call is named in tests/reference/README.md and in the
docstring of the test that compares it). Each file form is run through the report command
in-process (``python -m core report FILE [--mapping MAP] [--class IV IV+V] [--criteria
kdigo2024] --tables-only --out DIR``) once per module; the CSVs it writes are compared on
the README's keys: counts exactly, every other number within 1e-5 relative (1e-12
absolute where R gives 0), contract columns only.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from core.__main__ import main

REF = Path(__file__).parent / "reference"
EXPECTED = REF / "expected"

FORMS = {
    "long": ["cohort_long.csv"],
    "wide": ["cohort_wide.xlsx", "--mapping", str(REF / "cohort_wide.mapping.json")],
    "korean": ["cohort_korean_cp949.csv", "--mapping", str(REF / "cohort_korean.mapping.json")],
    "workbook": ["cohort_workbook.xlsx"],
}
SUBSETS = {
    "whole": ([], EXPECTED),
    "class_IV_IVV": (["--class", "IV", "IV+V"], EXPECTED / "class_IV_IVV"),
}

# Contract columns (data-contract §6) and the README's row keys.
CONTRACT: dict[str, tuple[list[str], list[str]]] = {
    "landmark_visits": (["patient_id", "landmark"], ["group", "visit_month"]),
    "response_rates": (
        ["month", "group"],
        [
            "n_evaluable",
            "cr_n",
            "cr_pct",
            "pr_n",
            "pr_pct",
            "orr_n",
            "orr_pct",
            "orr_ci_low",
            "orr_ci_high",
            "cr_ci_low",
            "cr_ci_high",
            "n_off_landmark",
        ],
    ),
    "response_tests": (["month", "outcome"], ["p_value"]),
    "response_difference": (
        ["month", "outcome", "group"],
        ["reference", "diff_pct", "ci_low", "ci_high"],
    ),
    "response_transitions": (["from_month", "to_month", "group", "from_state", "to_state"], ["n"]),
    "criteria_sensitivity": (
        ["criteria", "month", "group"],
        [
            "n_evaluable",
            "cr_n",
            "pr_n",
            "orr_n",
            "orr_pct",
            "n_patients",
            "n_no_visit",
            "n_on_boundary",
        ],
    ),
    "paired_changes": (
        ["measure", "month", "group"],
        [
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
        ],
    ),
    "repeated_measures": (["measure", "group"], ["n_complete", "friedman_p", "friedman_chisq"]),
    "repeated_pairwise": (
        ["measure", "group", "month_a", "month_b"],
        ["n_pairs", "wilcoxon_p", "p_holm", "wilcoxon_V", "n_zero_diff", "tied_abs_diff"],
    ),
    "change_between_groups": (
        ["measure", "month"],
        ["group_a", "group_b", "n_a", "n_b", "p_value", "W", "tied"],
    ),
    "dsdna_shift": (
        ["month", "group"],
        ["n_pairs", "pos_to_neg", "neg_to_pos", "test", "p_value", "pos_baseline", "pos_followup"],
    ),
    "ttr_patients": (["patient_id"], ["group", "time", "event"]),
    "ttr_curve": (
        ["group", "time"],
        [
            "n_risk",
            "n_event",
            "n_censor",
            "cum_incidence",
            "ci_low",
            "ci_high",
            "surv",
            "std_err_log_surv",
        ],
    ),
    "ttr_risk": (["group", "time"], ["n_risk", "cum_events", "cum_censored"]),
    "ttr_summary": (["group"], ["n", "n_events", "median_time", "median_ci_low", "median_ci_high"]),
    "ttr_tests": (["test"], ["statistic", "df", "p_value"]),
    "cox": ([], ["hr", "ci_low", "ci_high", "p_value", "coef", "se", "n", "n_events"]),
    "table1": (["variable", "level"], ["p_value", "smd", "n_missing"]),
}
COUNTS = {
    "n_evaluable",
    "cr_n",
    "pr_n",
    "orr_n",
    "n_off_landmark",
    "n",
    "n_patients",
    "n_no_visit",
    "n_on_boundary",
    "n_pairs",
    "n_zero_diff",
    "n_complete",
    "n_a",
    "n_b",
    "pos_to_neg",
    "neg_to_pos",
    "pos_baseline",
    "pos_followup",
    "n_risk",
    "n_event",
    "n_censor",
    "cum_events",
    "cum_censored",
    "n_events",
    "n_missing",
    "event",
    "df",
    "visit_month",
    "time",
    "landmark",
    "wilcoxon_V",
    "W",
    "tied_abs_diff",
    "tied",
}
TEXT_KEYS = {
    "patient_id",
    "group",
    "outcome",
    "from_state",
    "to_state",
    "criteria",
    "measure",
    "test",
    "variable",
    "level",
}
RUNS = [
    (form, subset, crit)
    for form in FORMS
    for subset in SUBSETS
    for crit in ("recorded", "kdigo2024")
]


@pytest.fixture(scope="module")
def outputs(tmp_path_factory) -> dict[tuple[str, str, str], Path]:
    """Run the report command once per form × subset × criteria (module scope), reading
    each file once: ``core.ingest.load.load_path`` is memoised for the four runs of a form."""
    import core.ingest.load

    real = core.ingest.load.load_path
    cache: dict[tuple, object] = {}

    def once(path, mapping_path=None, **kw):
        key = (str(path), str(mapping_path), tuple(sorted(kw.items())))
        if key not in cache:
            cache[key] = real(path, mapping_path, **kw)
        return cache[key]

    out = {}
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(core.ingest.load, "load_path", once)
        for form, subset, crit in RUNS:
            d = tmp_path_factory.mktemp(f"{form}_{subset}_{crit}")
            args = [str(REF / FORMS[form][0]), *FORMS[form][1:], *SUBSETS[subset][0]]
            if crit != "recorded":
                args += ["--criteria", crit]
            assert main(["report", *args, "--tables-only", "--out", str(d)]) == 0
            out[(form, subset, crit)] = d
    assert len(cache) == len(FORMS)
    return out


def _keyed(df: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    df = df.copy()
    for k in keys:
        if k in TEXT_KEYS:
            df[k] = df[k].fillna("").astype(str)
        else:
            df[k] = pd.to_numeric(df[k]).astype(float)
    return df


def compare_table(name: str, expected: pd.DataFrame, got: pd.DataFrame) -> list[str]:
    """Differences between R's table and ours on the contract columns (empty: agree)."""
    keys, cols = CONTRACT[name]
    missing = [c for c in keys + cols if c not in got.columns]
    if missing:
        return [f"{name}: columns missing {missing}"]
    e, g = _keyed(expected, keys), _keyed(got, keys)
    if keys:
        if g.duplicated(keys).any():
            return [f"{name}: duplicate keys"]
        m = e.merge(g, on=keys, how="left", suffixes=("_r", ""), indicator=True)
        if (m["_merge"] != "both").any():
            return [f"{name}: {int((m['_merge'] != 'both').sum())} R rows not found"]
    else:
        m = e.add_suffix("_r").join(g)
    problems = []
    for c in cols:
        r, x = m[f"{c}_r"], m[c]
        if c in ("test", "group", "reference", "group_a", "group_b") or r.dtype == object:
            if not (r.fillna("").astype(str) == x.fillna("").astype(str)).all() and c != "test":
                problems.append(f"{name}.{c}: labels differ")
            continue
        r, x = r.astype(float).to_numpy(), pd.to_numeric(x).astype(float).to_numpy()
        both_nan = np.isnan(r) & np.isnan(x)
        if c in COUNTS:
            ok = both_nan | (r == x)
        else:
            ok = both_nan | (np.abs(x - r) <= np.where(r == 0, 1e-12, 1e-5 * np.abs(r)))
        if not ok.all():
            i = int(np.flatnonzero(~ok)[0])
            at = m.loc[m.index[i], keys].tolist() if keys else i
            problems.append(f"{name}.{c} at {at}: R {r[i]!r}, ours {x[i]!r}")
    if name != "criteria_sensitivity" and len(g) != len(e):  # extra rule sets are extra rows
        problems.append(f"{name}: {len(g)} rows, R has {len(e)}")
    return problems


def _check(outputs, form: str, subset: str, crit: str, names: list[str]) -> None:
    exp_dir = SUBSETS[subset][1] / ("kdigo2024" if crit != "recorded" else "")
    out = outputs[(form, subset, crit)]
    problems = []
    for name in names:
        exp = pd.read_csv(exp_dir / f"{name}.csv", keep_default_na=True)
        got = pd.read_csv(out / f"{name}.csv", keep_default_na=True)
        problems += compare_table(name, exp, got)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("subset", list(SUBSETS))
@pytest.mark.parametrize("form", list(FORMS))
def test_response_tables_against_R(outputs, form: str, subset: str) -> None:
    """landmark_visits; response_rates (``binom.test``); response_tests (``fisher.test``);
    response_difference (Newcombe from ``prop.test(correct = FALSE)``); transitions;
    criteria_sensitivity (reference.R ``derive_response``)."""
    _check(
        outputs,
        form,
        subset,
        "recorded",
        [
            "landmark_visits",
            "response_rates",
            "response_tests",
            "response_difference",
            "response_transitions",
            "criteria_sensitivity",
        ],
    )


@pytest.mark.parametrize("subset", list(SUBSETS))
@pytest.mark.parametrize("form", list(FORMS))
def test_lab_tables_against_R(outputs, form: str, subset: str) -> None:
    """paired_changes (``wilcox.test(paired = TRUE, digits.rank = 7)``, ``t.test(paired =
    TRUE)``); repeated_measures (``friedman.test``); repeated_pairwise
    (``pairwise.wilcox.test(paired = TRUE, p.adjust.method = "holm", digits.rank = 7)``);
    change_between_groups (``wilcox.test(a, b, digits.rank = 7)``); dsdna_shift
    (``binom.test(b, b + c)`` / ``mcnemar.test``)."""
    _check(
        outputs,
        form,
        subset,
        "recorded",
        [
            "paired_changes",
            "repeated_measures",
            "repeated_pairwise",
            "change_between_groups",
            "dsdna_shift",
        ],
    )


@pytest.mark.parametrize("subset", list(SUBSETS))
@pytest.mark.parametrize("form", list(FORMS))
def test_time_to_response_and_table1_against_R(outputs, form: str, subset: str) -> None:
    """ttr_* (``survfit(conf.type = "log-log")``, ``summary(fit, times, extend = TRUE)``,
    ``summary(fit)$table``, ``survdiff``), cox (``coxph(ties = "efron")``, Wald p), table1
    (``wilcox.test``, ``fisher.test`` / ``chisq.test(correct = FALSE)``)."""
    _check(
        outputs,
        form,
        subset,
        "recorded",
        ["ttr_patients", "ttr_curve", "ttr_risk", "ttr_summary", "ttr_tests", "cox", "table1"],
    )


@pytest.mark.parametrize("subset", list(SUBSETS))
@pytest.mark.parametrize("form", list(FORMS))
def test_kdigo2024_rates_against_R(outputs, form: str, subset: str) -> None:
    """``--criteria kdigo2024``: response_rates and response_tests of expected/kdigo2024/."""
    _check(outputs, form, subset, "kdigo2024", ["response_rates", "response_tests"])


def test_comparison_detects_a_wrong_number() -> None:
    """The comparison itself fails on a count off by one and on a p-value off by 1e-4."""
    exp = pd.read_csv(EXPECTED / "response_rates.csv")
    bad = exp.copy()
    bad.loc[0, "cr_n"] += 1
    assert compare_table("response_rates", exp, bad)
    bad = exp.copy()
    bad.loc[0, "orr_ci_low"] *= 1 + 1e-4
    assert compare_table("response_rates", exp, bad)
    assert not compare_table("response_rates", exp, exp)
