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

from core.analyses.response import ALL, group_levels
from core.model.results import Result
from core.model.schema import PAIRED_MEASURES, VISIT_FIELDS, Cohort
from core.outcomes.criteria import add_egfr
from core.outcomes.derive import Outcomes, take_rows
from core.stats.contingency import mcnemar_or_binomial
from core.stats.ranks import friedman, holm, paired_t, rank_sum, signed_rank

_SKIP = {"patient_id", "month", "visit_month", "landmark", "group"}


def measures_of(visits: pd.DataFrame) -> list[str]:
    """PAIRED_MEASURES present (any value), then every extra numeric visit column."""
    has = [m for m in PAIRED_MEASURES if m in visits and visits[m].notna().any()]
    extra = [
        c
        for c in visits.columns
        if c not in VISIT_FIELDS
        and c not in _SKIP
        and pd.api.types.is_numeric_dtype(visits[c])
        and not pd.api.types.is_bool_dtype(visits[c])
        and visits[c].notna().any()
    ]
    return has + extra


def landmark_values(cohort: Cohort, o: Outcomes) -> pd.DataFrame:
    """Every visit field at each patient's landmark visit: one row per patient × landmark."""
    fields = [] if o.visits is None else [c for c in o.visits if c not in ("patient_id", "month")]
    rows = o.landmark_rows
    if rows is not None and len(rows) == len(o.landmarks) and not set(fields) & set(o.landmarks):
        # the rows behind o.landmarks: positions, not a merge on patient IDs
        taken = {c: take_rows(o.visits[c], rows) for c in fields}
        return pd.concat([o.landmarks, pd.DataFrame(taken, index=o.landmarks.index)], axis=1)
    v = cohort.visits.dropna(subset=["month"]).drop_duplicates(["patient_id", "month"])
    visits, _ = add_egfr(v, cohort.patients)
    return o.landmarks.merge(
        visits.rename(columns={"month": "visit_month"}),
        on=["patient_id", "visit_month"],
        how="left",
    )


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
        "Wilcoxon signed-rank (differences rounded to 7 significant digits; exact "
        "only with < 50 non-zero differences, no ties and no zero dropped) and paired "
        "t-test; unadjusted, exploratory p-values."
    ]
    if short:
        notes.append("Fewer than 2 pairs, no test: " + "; ".join(short) + ".")
    return Result(
        "paired_changes",
        pd.DataFrame(rows, columns=_PAIRED_COLS),
        tuple(notes),
        {"settings": o.settings},
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
        f"Friedman test over months {_months_label(months)} on complete cases; "
        "pairwise Wilcoxon signed-rank with Holm adjustment on the same cases."
    ]
    if short:
        notes.append("Fewer than 2 complete cases, no test: " + "; ".join(short) + ".")
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
            ("Fewer than two groups: no comparison between groups.",),
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
        "Wilcoxon rank-sum test of the paired changes (rounded to 7 significant "
        "digits); unadjusted, exploratory p-values."
    ]
    if short:
        notes.append("A group without pairs, no test: " + "; ".join(short) + ".")
    return Result(
        "change_between_groups",
        pd.DataFrame(rows, columns=cols),
        tuple(notes),
        {"settings": o.settings},
    )


def dsdna_shift(cohort: Cohort, o: Outcomes, values: pd.DataFrame | None = None) -> Result:
    """Anti-dsDNA positivity at baseline against each landmark (patients with both).

    ``mcnemar.test(correct = TRUE)`` with ≥ 25 discordant pairs, else ``binom.test(b, b +
    c)``. Returns Result ``dsdna_shift``: month, group, n_pairs, pos_to_neg, neg_to_pos,
    test, p_value, pos_baseline, pos_followup.
    """
    cols = (
        "month group n_pairs pos_to_neg neg_to_pos test p_value pos_baseline pos_followup"
    ).split()
    if "anti_dsdna_pos" not in cohort.visits or cohort.visits["anti_dsdna_pos"].isna().all():
        return Result(
            "dsdna_shift",
            pd.DataFrame(columns=cols),
            ("No anti-dsDNA positivity in the file.",),
            {"settings": o.settings},
        )
    values = landmark_values(cohort, o) if values is None else values
    v = values.assign(anti_dsdna_pos=values["anti_dsdna_pos"].astype("float"))
    w = _wide(v, "anti_dsdna_pos")
    levels = group_levels(o, o.settings.reference)
    rows, notes = [], []
    for month in o.settings.landmarks:
        x0, x1 = w.at(0.0), w.at(month)
        both = ~np.isnan(x0) & ~np.isnan(x1)
        for g, mask in _subsets(w.group, levels):
            ok = both & mask
            b0, b1 = x0[ok] == 1, x1[ok] == 1
            b, c = int((b0 & ~b1).sum()), int((~b0 & b1).sum())
            shift = mcnemar_or_binomial(b, c)  # no discordant pair: exact binomial, p NaN
            test, p = shift.test, shift.p
            if b + c == 0:
                notes.append(f"Month {month:g} {g}: no discordant pair, no test.")
            rows.append([month, g, int(ok.sum()), b, c, test, p, int(b0.sum()), int(b1.sum())])
    notes.insert(
        0,
        "McNemar with continuity correction when discordant pairs ≥ 25, else "
        "exact binomial test on the discordant pairs.",
    )
    return Result(
        "dsdna_shift", pd.DataFrame(rows, columns=cols), tuple(notes), {"settings": o.settings}
    )


def _dose_summary(gb) -> pd.DataFrame:
    """n, median, q1, q3 (R type 7) of each group of a grouped dose column."""
    return pd.DataFrame(
        {"n": gb.size(), "median": gb.median(), "q1": gb.quantile(0.25), "q3": gb.quantile(0.75)}
    )


def steroid_trajectory(cohort: Cohort, o: Outcomes) -> Result:
    """Prednisolone-equivalent dose over all visits by visit month, per group and All.

    Returns Result ``steroid_trajectory``: month, group, n, median, q1, q3 (R type 7).
    """
    cols = ["month", "group", "n", "median", "q1", "q3"]
    v = cohort.visits
    if "steroid_mg" not in v or v["steroid_mg"].isna().all():
        return Result(
            "steroid_trajectory",
            pd.DataFrame(columns=cols),
            ("No steroid dose in the file.",),
            {"settings": o.settings},
        )
    grp = o.landmarks.drop_duplicates("patient_id").set_index("patient_id")["group"]
    x = v.loc[v["steroid_mg"].notna(), ["patient_id", "month", "steroid_mg"]]
    x = x.assign(group=x["patient_id"].map(grp))
    if (x["group"] == ALL).any():  # a group named like the total: pooled with it, as before
        both = pd.concat([x.dropna(subset=["group"]), x.assign(group=ALL)])
        t = _dose_summary(both.groupby(["month", "group"])["steroid_mg"]).reset_index()
    else:  # per group and All grouped apart (no doubled frame), then in the same order
        per = _dose_summary(x.groupby(["month", "group"])["steroid_mg"]).reset_index()
        total = _dose_summary(x.groupby("month")["steroid_mg"]).reset_index()
        total.insert(1, "group", ALL)
        t = pd.concat([per, total], ignore_index=True)
        t = t.sort_values(["month", "group"], kind="stable").reset_index(drop=True)
    return Result(
        "steroid_trajectory",
        t[cols],
        ("Median (IQR) dose at the visits of each month.",),
        {"settings": o.settings},
    )
