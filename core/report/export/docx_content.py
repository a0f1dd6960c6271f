"""What goes into each journal table: header, formatted rows and footnotes.

Kept apart from python-docx so the HTML report and tests can reuse the same rows. Numbers are
formatted with :mod:`core.report.export.display` using the typographic minus.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import pandas as pd

from core.model.filters import MISSING_WORDS
from core.model.i18n import N_
from core.model.i18n import gettext as _
from core.model.results import Result
from core.model.schema import label_of, label_with_unit
from core.model.settings import Filters, Settings
from core.model.vocabulary import CI_TEXT, TEST_SHORT, TEST_TEXT
from core.report.export.common import TableContent, group_order, group_sizes, header_with_n, table
from core.report.export.display import (
    MINUS,
    count_text,
    format_ci,
    format_num,
    format_p,
    format_pct,
    format_ratio,
    level_word,
    n_pct,
    n_pct_ci,
)
from core.report.export.followup_content import labs_content, ttr_content  # Tables 3 and 4
from core.report.export.wording import criteria_name, landmarks_text, months, settings_footnote

_NON_GROUP = {"variable", "level", "p_value", "test", "smd", "n_missing", "p_method"}


def _num(x: object) -> str:
    return format_num(x, minus=MINUS)


def _pct_ci(low: object, high: object) -> str:
    return format_ci(low, high, fmt=format_pct, minus=MINUS)


def _tests_named(df: pd.DataFrame | None, column: str = "test") -> list[str]:
    if df is None or column not in df:
        return []
    names = [str(t) for t in pd.unique(df[column].dropna())]
    return [TEST_TEXT.get(t, t) for t in names]


def baseline_content(
    results: Mapping[str, Result], settings: Settings, filters: Filters
) -> TableContent | None:
    """Table 1: one row per continuous variable, a labelled block per categorical one."""
    df = table(results, "table1")
    if df is None:
        return None
    units = results["table1"].meta.get("units")
    cols = list(df.columns)
    start, stop = cols.index("level") + 1, cols.index("p_value") if "p_value" in cols else len(cols)
    names = [c for c in cols[start:stop] if c not in _NON_GROUP]
    groups = group_order(names, settings.reference, order=settings.group_order)
    sizes = group_sizes(results)
    header = [_("Characteristic"), *[header_with_n(g, sizes) for g in groups], "p", "SMD"]
    rows: list[list[str]] = []
    for variable, block in df.groupby("variable", sort=False):
        first = block.iloc[0]
        p, smd = format_p(first.get("p_value")), format_ratio(first.get("smd"), minus=MINUS)
        label = label_with_unit(str(variable), units)
        level = block["level"].fillna("").astype(str)
        if (level == "").all():
            summary = _("mean (SD)") if variable in settings.normal_vars else _("median (IQR)")
            rows.append([f"{label}, {summary}", *[str(first.get(g, "")) for g in groups], p, smd])
            continue
        rows.append(
            [f"{label_of(str(variable), units)}, n (%)", *[""] * len(groups), p, smd]
        )
        for (_row, r), lev in zip(block.iterrows(), level, strict=True):
            rows.append([f"  {level_word(lev)}", *[str(r.get(g, "")) for g in groups], "", ""])
    notes = [
        _(
            "Laboratory values at the baseline visit (nearest month 0 within ± 1 month). "
            "Continuous variables: median (IQR, R quantile type 7) compared by {rank_sum} or "
            "{kruskal} for more than two groups; variables marked normal: mean (SD) with "
            "{welch}. Categorical variables: n (%) of the non-missing, {fisher} when any "
            "expected count is below 5, else {chi_square}. SMD: standardised mean difference "
            "(categorical: Yang & Dalton; more than two groups: the largest pairwise). "
            "p-values unadjusted."
        ).format(
            rank_sum=TEST_TEXT["wilcoxon_rank_sum"], kruskal=TEST_TEXT["kruskal_wallis"],
            welch=TEST_TEXT["welch"], fisher=TEST_TEXT["fisher_exact"],
            chi_square=TEST_TEXT["chi_square"],
        ),  # fmt: skip
        used_tests_note(df.get("test", pd.Series(dtype=str))),
        settings_footnote(settings, filters),
    ]
    notes = [n for n in notes if n]
    return TableContent(header, rows, [False] * len(rows), notes)


TESTS_USED = N_("Tests used: {tests}.")


def used_tests_note(tests: pd.Series) -> str:
    """``'Tests used: Fisher's exact test; Wilcoxon rank-sum test.'``: the distinct tests of a
    table, blanks (variables without a test) left out; empty when no test was run."""
    names = {TEST_SHORT.get(str(t), str(t)) for t in tests.dropna() if str(t).strip()}
    return _(TESTS_USED).format(tests="; ".join(sorted(names))) if names else ""


def response_content(
    results: Mapping[str, Result], settings: Settings, filters: Filters
) -> TableContent | None:
    """Table 2: per landmark, evaluable n, CR, PR and ORR per group, the group test p and the
    difference in rates against the reference group."""
    rates = table(results, "response_rates")
    if rates is None:
        return None
    tests = table(results, "response_tests")
    diffs = table(results, "response_difference")
    groups = group_order(rates["group"], settings.reference, order=settings.group_order)
    sizes = group_sizes(results)
    header = [_("Landmark / outcome"), *[header_with_n(g, sizes) for g in groups], "p"]
    rows: list[list[str]] = []
    spans: list[bool] = []

    def p_for(month: float, outcome: str) -> str:
        if tests is None:
            return ""
        hit = tests[(tests["month"] == month) & (tests["outcome"] == outcome)]
        return format_p(hit["p_value"].iloc[0]) if len(hit) else ""

    for month, block in rates.groupby("month", sort=True):
        by_group = {
            str(g): r for g, r in zip(block["group"], block.to_dict("records"), strict=True)
        }
        cell = {g: by_group.get(g) for g in groups}
        rows.append(
            [_("{m} months").format(m=months(float(month)))] + [""] * (len(groups) + 1)
        )
        spans.append(True)

        def line(label: str, make: Callable[[dict], str], p: str = "", cell: dict = cell) -> None:
            rows.append([label, *[make(r) if r else "" for r in cell.values()], p])
            spans.append(False)

        line(_("Evaluable, n"), lambda r: count_text(r["n_evaluable"]))
        line(
            _("CR, n (%; 95% CI)"),
            lambda r: (
                n_pct_ci(r["cr_n"], r["cr_pct"], r["cr_ci_low"], r["cr_ci_high"])
            ),
            p_for(month, "CR"),
        )
        line(_("PR, n (%)"), lambda r: n_pct(r["pr_n"], r["pr_pct"]))
        line(
            _("CR or PR (ORR), n (%; 95% CI)"),
            lambda r: (
                n_pct_ci(r["orr_n"], r["orr_pct"], r["orr_ci_low"], r["orr_ci_high"])
            ),
            p_for(month, "ORR"),
        )
        if diffs is not None:
            for outcome in ("CR", "ORR"):
                hit = diffs[(diffs["month"] == month) & (diffs["outcome"] == outcome)]
                if hit.empty:
                    continue
                ref = str(hit["reference"].iloc[0])
                vals = {
                    str(
                        r["group"]
                    ): f"{format_pct(r['diff_pct'], minus=MINUS)} {_pct_ci(r['ci_low'], r['ci_high'])}"
                    for r in hit.to_dict("records")
                }
                rows.append(
                    [
                        _("{outcome} difference vs {reference}, points (95% CI)").format(
                            outcome=outcome, reference=ref
                        ),
                        *[vals.get(g, "") for g in groups],
                        "",
                    ]
                )
                spans.append(False)
    test_names = _tests_named(tests) or [TEST_TEXT["fisher_exact"]]
    notes = [
        _(
            "Response criteria: {criteria}. Landmark visit: the visit nearest each landmark "
            "within the window ({landmarks}). Percentages of the evaluable patients "
            "({missing}). ORR: overall response (CR or PR)."
        ).format(
            criteria=criteria_name(settings.criteria), landmarks=landmarks_text(settings),
            missing=_(MISSING_WORDS.get(settings.missing, settings.missing)),
        ),  # fmt: skip
        _(
            "95% CI: {ci}. p: {tests}; two-sided, unadjusted. Difference: group − reference "
            "in percentage points, {newcombe}."
        ).format(
            ci=CI_TEXT.get(settings.ci, settings.ci), tests="; ".join(test_names),
            newcombe=TEST_TEXT["newcombe"],
        ),  # fmt: skip
        settings_footnote(settings, filters),
    ]
    return TableContent(header, rows, spans, notes)


__all__ = ["TableContent", "baseline_content", "labs_content", "response_content", "ttr_content"]
