"""Paired lab changes from baseline to each landmark, repeated measures, anti-dsDNA shift.

Values are read from the landmark visits of :class:`core.outcomes.derive.Outcomes` only (nothing
is borrowed from other visits in the window); labs are never carried forward. Pairs are
the patients with a value at both visits. Loops run over measures, months and groups,
never over patients.
"""

from __future__ import annotations

from collections.abc import Callable
from itertools import combinations

import numpy as np
import pandas as pd

from core.analyses.context import RunContext
from core.analyses.labs_values import landmark_values, measures_of
from core.analyses.response import ALL, group_levels
from core.analyses.spec import AnalysisSpec, FigureRef, TableSpec
from core.model.i18n import gettext as _
from core.model.results import AnalysisRun, Result
from core.model.schema import Cohort, label_with_unit, measure_units
from core.model.vocabulary import test_text
from core.outcomes.derive import Outcomes
from core.stats.ranks import friedman, holm, paired_t, rank_sum, signed_rank

_SKIP = {"patient_id", "month", "visit_month", "landmark", "group"}


def _safe(fn: Callable, *args):
    """A statistic, or None when the sample cannot support it (too few / all equal)."""
    try:
        return fn(*args)
    except (ValueError, ZeroDivisionError, FloatingPointError, IndexError):
        return None


class _Wide:
    """patient × landmark matrix of one measure (``x``, columns ``marks``) and each
    patient's ``group``: plain arrays, so subsets are boolean masks, not frame copies."""

    def __init__(self, x: np.ndarray, marks: np.ndarray, group: np.ndarray) -> None:
        self.x, self.marks, self.group = x, marks, group

    def at(self, month: float) -> np.ndarray:
        """The column of ``month`` (KeyError when it is not a landmark of the table)."""
        i = np.flatnonzero(self.marks == month)
        if not len(i):
            raise KeyError(month)
        return self.x[:, i[0]]


def _wide(values: pd.DataFrame, measure: str) -> _Wide:
    """patient × landmark matrix of one measure, with the patient's group."""
    marks = np.sort(values["landmark"].unique())
    k, n = len(marks), len(values) // max(len(marks), 1)
    lm = values["landmark"].to_numpy(float)
    if n * k == len(values) and (lm == np.tile(marks, n)).all():  # the landmark grid order
        x = pd.to_numeric(values[measure], errors="coerce").to_numpy(float).reshape(n, k)
        return _Wide(x, marks, values["group"].to_numpy()[::k])
    w = values.set_index(["patient_id", "landmark"])[measure].unstack("landmark")
    w = w.reindex(columns=marks).astype(float)
    grp = values.drop_duplicates("patient_id").set_index("patient_id")["group"]
    return _Wide(w.to_numpy(float), marks, grp.reindex(w.index).to_numpy())


def _subsets(group: np.ndarray, levels: list[str]) -> list[tuple[str, np.ndarray]]:
    """(label, row mask) of each group level, then All."""
    return [(g, group == g) for g in levels] + [(ALL, np.ones(len(group), dtype=bool))]


def _q(x: np.ndarray, q: float) -> float:
    return float(np.quantile(x, q)) if len(x) else np.nan


def _quartiles(x: np.ndarray) -> tuple[float, float, float]:
    """Median, first and third quartile (numpy linear = R type 7) in one partition."""
    if not len(x):
        return np.nan, np.nan, np.nan
    med, q1, q3 = np.quantile(x, [0.5, 0.25, 0.75])
    return float(med), float(q1), float(q3)


_PAIRED_COLS = (
    "measure month group n_pairs baseline_median baseline_q1 baseline_q3 "
    "followup_median followup_q1 followup_q3 median_change mean_change "
    "mean_change_ci_low mean_change_ci_high sd_change wilcoxon_p ttest_p "
    "wilcoxon_V wilcoxon_method n_zero_diff tied_abs_diff"
).split()


def _signed_rank_cols(d: np.ndarray) -> dict:
    sr = _safe(signed_rank, d) if len(d) else None
    if sr is None:
        return {
            "wilcoxon_p": np.nan,
            "wilcoxon_V": np.nan,
            "wilcoxon_method": "",
            "n_zero_diff": int((d == 0).sum()),
            "tied_abs_diff": False,
        }
    return {
        "wilcoxon_p": sr.p,
        "wilcoxon_V": sr.V,
        "wilcoxon_method": sr.method,
        "n_zero_diff": sr.n_zero,
        "tied_abs_diff": sr.tied,
    }


def _pair_row(base: np.ndarray, fu: np.ndarray) -> dict:
    d = fu - base
    row = {"n_pairs": len(d)}
    for name, x in (("baseline", base), ("followup", fu)):
        med, q1, q3 = _quartiles(x)
        row |= {f"{name}_median": med, f"{name}_q1": q1, f"{name}_q3": q3}
    row["median_change"] = _q(d, 0.5)
    row["mean_change"] = float(d.mean()) if len(d) else np.nan
    t = _safe(paired_t, d) if len(d) >= 2 else None
    row |= {
        "mean_change_ci_low": t.low if t else np.nan,
        "mean_change_ci_high": t.high if t else np.nan,
        "sd_change": float(d.std(ddof=1)) if len(d) >= 2 else np.nan,
        "ttest_p": t.p if t else np.nan,
    }
    return row | _signed_rank_cols(d)


def paired_changes(cohort: Cohort, o: Outcomes, values: pd.DataFrame | None = None) -> Result:
    """Change from baseline to each landmark, per measure, landmark and group (and All).

    Change = follow-up − baseline over the patients with both values; quartiles R type 7
    over those pairs. ``wilcoxon_p``: ``wilcox.test(paired = TRUE, digits.rank = 7)``
    (differences rounded to 7 significant digits; exact only with < 50 non-zero
    differences, no ties and no zero dropped). ``ttest_p`` and the CI of the mean change:
    ``t.test(paired = TRUE)``.

    Returns
    -------
    Result ``paired_changes`` with the contract columns plus wilcoxon_V, wilcoxon_method,
    n_zero_diff, tied_abs_diff.
    """
    values = landmark_values(cohort, o) if values is None else values
    levels = group_levels(o, o.settings.reference)
    rows, short = [], []
    subsets = None
    for m in measures_of(cohort.visits):
        w = _wide(values, m)
        subsets = subsets or _subsets(w.group, levels)  # the same patients for every measure
        for month in o.settings.landmarks:
            b0, b1 = w.at(0.0), w.at(month)
            both = ~np.isnan(b0) & ~np.isnan(b1)
            for g, mask in subsets:
                ok = both & mask
                base, fu = b0[ok], b1[ok]
                rows.append({"measure": m, "month": month, "group": g} | _pair_row(base, fu))
                if len(base) < 2:
                    short.append(f"{m} {month:g} mo {g}")
    notes = [
        _("Wilcoxon signed-rank (differences rounded to 7 significant digits; exact "
        "only with < 50 non-zero differences, no ties and no zero dropped) and paired "
        "t-test; unadjusted, exploratory p-values.")
    ]
    if short:
        notes.append(_("Fewer than 2 pairs, no test: ") + "; ".join(short) + ".")
    return Result(
        "paired_changes",
        pd.DataFrame(rows, columns=_PAIRED_COLS),
        tuple(notes),
        {"settings": o.settings, "units": measure_units(cohort)},
    )


def _months_label(months: list[float]) -> str:
    return ",".join(f"{m:g}" for m in months)


def repeated_measures(
    cohort: Cohort, o: Outcomes, values: pd.DataFrame | None = None
) -> tuple[Result, Result]:
    """Friedman over baseline and every landmark (complete cases per measure and group),
    and pairwise signed-rank tests on the same cases with Holm's adjustment.

    Agrees with ``friedman.test`` and ``pairwise.wilcox.test(paired = TRUE,
    p.adjust.method = "holm", digits.rank = 7)``.

    Returns
    -------
    (Result ``repeated_measures``: measure, group, n_complete, months, friedman_p,
    friedman_chisq; Result ``repeated_pairwise``: measure, group, month_a, month_b,
    n_pairs, wilcoxon_p, p_holm, wilcoxon_V, wilcoxon_method, n_zero_diff, tied_abs_diff)
    """
    values = landmark_values(cohort, o) if values is None else values
    months = [0.0, *o.settings.landmarks]
    levels = group_levels(o, o.settings.reference)
    rm, pw, short = [], [], []
    subsets = None
    for m in measures_of(cohort.visits):
        w = _wide(values, m)
        subsets = subsets or _subsets(w.group, levels)
        cols = np.column_stack([w.at(month) for month in months])
        complete = ~np.isnan(cols).any(axis=1)
        for g, mask in subsets:
            x = cols[complete & mask]
            fr = _safe(friedman, x) if len(x) >= 2 and len(months) >= 2 else None
            rm.append(
                {
                    "measure": m,
                    "group": g,
                    "n_complete": len(x),
                    "months": _months_label(months),
                    "friedman_p": fr.p if fr is not None else np.nan,
                    "friedman_chisq": fr.statistic if fr is not None else np.nan,
                }
            )
            if fr is None:
                short.append(f"{m} {g}")
            block = []
            for (i, a), (j, b) in combinations(enumerate(months), 2):
                d = x[:, j] - x[:, i] if len(x) else np.array([])
                block.append(
                    {"measure": m, "group": g, "month_a": a, "month_b": b, "n_pairs": len(x)}
                    | _signed_rank_cols(d)
                )
            p = np.array([r["wilcoxon_p"] for r in block], float)
            adj = np.full(len(p), np.nan)
            fin = np.isfinite(p)
            if fin.any():
                adj[fin] = holm(p[fin])
            pw += [r | {"p_holm": q} for r, q in zip(block, adj, strict=True)]
    notes = [
        _('Friedman test over months {months} on complete cases; pairwise Wilcoxon signed-rank with Holm adjustment on the same cases.').format(months=_months_label(months))
    ]
    if short:
        notes.append(_("Fewer than 2 complete cases, no test: ") + "; ".join(short) + ".")
    pw_cols = (
        "measure group month_a month_b n_pairs wilcoxon_p p_holm wilcoxon_V "
        "wilcoxon_method n_zero_diff tied_abs_diff"
    ).split()
    meta = {"settings": o.settings}
    return (
        Result(
            "repeated_measures",
            pd.DataFrame(
                rm,
                columns="measure group n_complete months friedman_p friedman_chisq".split(),
            ),
            tuple(notes),
            meta,
        ),
        Result("repeated_pairwise", pd.DataFrame(pw, columns=pw_cols), tuple(notes), meta),
    )


def change_between_groups(
    cohort: Cohort, o: Outcomes, values: pd.DataFrame | None = None
) -> Result:
    """Paired changes of each non-reference group against the reference group.

    Wilcoxon rank-sum, ``wilcox.test(change_a, change_b, digits.rank = 7)`` (exact only
    when both groups have < 50 and no ties). Returns Result ``change_between_groups``:
    measure, month, group_a, group_b, n_a, n_b, test, p_value, W, wilcoxon_method, tied.
    """
    values = landmark_values(cohort, o) if values is None else values
    ref = o.settings.reference
    others = [g for g in group_levels(o, ref) if g != ref]
    cols = ("measure month group_a group_b n_a n_b test p_value W wilcoxon_method tied").split()
    if ref is None or not others:
        return Result(
            "change_between_groups",
            pd.DataFrame(columns=cols),
            (_("Fewer than two groups: no comparison between groups."),),
            {"settings": o.settings},
        )
    rows, short = [], []
    for m in measures_of(cohort.visits):
        w = _wide(values, m)
        for month in o.settings.landmarks:
            change = w.at(month) - w.at(0.0)
            ok = ~np.isnan(change)
            b = change[ok & (w.group == ref)]
            for g in others:
                a = change[ok & (w.group == g)]
                rs = _safe(rank_sum, a, b) if len(a) and len(b) else None
                rows.append(
                    {
                        "measure": m,
                        "month": month,
                        "group_a": g,
                        "group_b": ref,
                        "n_a": len(a),
                        "n_b": len(b),
                        "test": "wilcoxon_rank_sum",
                        "p_value": rs.p if rs else np.nan,
                        "W": rs.W if rs else np.nan,
                        "wilcoxon_method": rs.method if rs else "",
                        "tied": rs.tied if rs else False,
                    }
                )
                if rs is None:
                    short.append(f"{m} {month:g} mo {g}")
    notes = [
        _("Wilcoxon rank-sum test of the paired changes (rounded to 7 significant "
        "digits); unadjusted, exploratory p-values.")
    ]
    if short:
        notes.append(_("A group without pairs, no test: ") + "; ".join(short) + ".")
    return Result(
        "change_between_groups",
        pd.DataFrame(rows, columns=cols),
        tuple(notes),
        {"settings": o.settings},
    )


# --- registry entry ----------------------------------------------------------------------


def _paired(ctx: RunContext) -> dict:
    values = ctx.landmark_values()
    c, o = ctx.filtered, ctx.outcomes
    pair: dict = {}

    def repeated() -> Result:
        pair["rm"], pair["pw"] = repeated_measures(c, o, values)
        return pair["rm"]

    return {
        "paired_changes": lambda: paired_changes(c, o, values),
        "repeated_measures": repeated,
        "repeated_pairwise": lambda: pair["pw"] if "pw" in pair else repeated_measures(c, o, values)[1],
        "change_between_groups": lambda: change_between_groups(c, o, values),
    }


def _methods(run: AnalysisRun) -> list[str]:
    out = []
    if run.table("paired_changes") is not None:
        out.append(_("Changes from baseline (follow-up − baseline, paired patients only): "
                     "{wilcoxon}, and {t_test}.").format(
            wilcoxon=test_text("wilcoxon_signed_rank"), t_test=test_text("paired_t")))
    if run.table("repeated_measures") is not None:
        out.append(_("Values at months 0 and the landmarks: {test}.").format(
            test=test_text("friedman")))
    if run.table("change_between_groups") is not None:
        out.append(_("Changes were compared between groups by the {test}.").format(
            test=test_text("wilcoxon_rank_sum")))
    named = {m: u for m, u in measure_units(run.cohort).items()
             if run.table("paired_changes") is not None
             and m in set(run.table("paired_changes")["measure"])}
    if named:
        out.append(_("Measures named in the mapping file are analysed in the units given, "
                     "without conversion: {measures}.").format(
            measures=", ".join(label_with_unit(m, named) for m in named)))

    return out


_REF = "tests/reference/expected/"
_Q = {c: "unit of the measure" for c in (
    "baseline_median", "baseline_q1", "baseline_q3", "followup_median", "followup_q1",
    "followup_q3", "median_change", "mean_change", "mean_change_ci_low", "mean_change_ci_high",
    "sd_change")}
SPECS = (
    AnalysisSpec(
        name="paired_labs", page="labs", section="Paired changes",
        tables=(
            TableSpec("paired_changes", "Paired changes", ("measure", "month", "group", "n_pairs", *_Q,
                      "wilcoxon_p", "ttest_p", "wilcoxon_V", "wilcoxon_method", "n_zero_diff",
                      "tied_abs_diff"), _REF + "paired_changes.csv",
                      counts=("n_pairs", "n_zero_diff"), p_values=("wilcoxon_p", "ttest_p"),
                      estimates=_Q),
            TableSpec("repeated_measures", "Friedman test", ("measure", "group", "n_complete",
                      "months", "friedman_p", "friedman_chisq"), _REF + "repeated_measures.csv",
                      counts=("n_complete",), p_values=("friedman_p",)),
            TableSpec("repeated_pairwise", "Pairwise comparisons", ("measure", "group", "month_a",
                      "month_b", "n_pairs", "wilcoxon_p", "p_holm", "wilcoxon_V", "wilcoxon_method",
                      "n_zero_diff", "tied_abs_diff"), _REF + "repeated_pairwise.csv",
                      counts=("n_pairs", "n_zero_diff"), p_values=("wilcoxon_p", "p_holm")),
            TableSpec("change_between_groups", "Change between groups", ("measure", "month",
                      "group_a", "group_b", "n_a", "n_b", "test", "p_value", "W",
                      "wilcoxon_method", "tied"), _REF + "change_between_groups.csv",
                      counts=("n_a", "n_b"), p_values=("p_value",)),
        ),
        compute=_paired,
        figures=(FigureRef("core.report.figures.lab_summary", "plot_paired_changes", "paired_changes", "Change from baseline, all measures"),),
        methods=_methods,
        r_call="wilcox.test(paired = TRUE, digits.rank = 7); t.test(paired = TRUE); "
        "friedman.test; pairwise.wilcox.test(p.adjust.method = \"holm\"); wilcox.test(a, b)",
        needs_groups=("change_between_groups",),
    ),
)
