"""Baseline characteristics table (``table1``, data-contract §6, clinical-rules §3).

Rows: age, sex, ISN/RPS class, each canonical lab and each extra numeric visit measure at the
baseline visit (the visit nearest month 0 within ± 1 month, earlier on a tie), then
pass-through patient columns that are not free text (``core.model.variables``); the user
adds or leaves out any of them (``Settings.baseline_include`` / ``baseline_exclude``,
:func:`baseline_variables`). Columns:
one text column per group and ``All``, p_value, test, smd, n_missing, p_method. Every
p-value comes from ``core.stats``, each agreeing with the R call named there.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from core.analyses.context import RunContext
from core.analyses.spec import NO_FIGURE, AnalysisSpec, TableSpec
from core.model.i18n import gettext as _
from core.model.precision import mean_sd_text, median_q1_q3, row_decimals
from core.model.results import AnalysisRun, Result
from core.model.schema import (
    ISN_CLASSES,
    PATIENT_FIELDS,
    VISIT_FIELDS,
    VISIT_LABS,
    Cohort,
    measure_units,
)
from core.model.settings import Settings
from core.model.variables import is_free_text
from core.model.vocabulary import ALL, groups_with_reference
from core.stats.contingency import fisher_or_chisq_expected
from core.stats.ranks import kruskal, rank_sum, welch_anova, welch_t

CLASS_ORDER = ("I", "II", "III", "III+V", "IV", "IV+V", "V", "VI")
MAX_LEVELS = 20  # a pass-through text column with more levels is not tabulated
_SKIP = set(PATIENT_FIELDS) | {"patient_id", "group"}
_NEVER = {"patient_id", "group", "start_date"}  # identifiers, the grouping, dates


@dataclass(frozen=True)
class BaselineVariable:
    """One candidate row of ``table1``.

    ``source`` is ``patient`` (a patient column) or ``baseline visit`` (a visit measure at
    the baseline visit); ``default`` whether it is a row unless the user leaves it out;
    ``reason`` why it is not a default row (``free text``, ``more than 20 levels``,
    ``not a baseline characteristic``); ``includable`` False when it cannot be a row at all.
    """

    name: str
    kind: str  # "continuous" or "categorical"
    source: str
    default: bool
    reason: str = ""
    includable: bool = True


def _numeric(s: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s)


def visit_measures(visits: pd.DataFrame) -> list[str]:
    """Numeric visit measures with a value: the canonical labs, then every extra numeric
    visit column (a measure the file or the mapping names)."""
    labs = [lab for lab in VISIT_LABS if lab in visits and visits[lab].notna().any()]
    extra = [c for c in visits.columns
             if c not in VISIT_FIELDS and not str(c).startswith("_") and c not in _NEVER
             and _numeric(visits[c]) and visits[c].notna().any()]
    return labs + extra


def baseline_variables(cohort: Cohort) -> list[BaselineVariable]:
    """Every variable ``table1`` can show for this cohort, in table order, with whether it is
    a row by default (data-contract §6 ``table1``; the Cohort page offers these)."""
    pts = cohort.patients
    out: list[BaselineVariable] = []
    if "age" in pts and pts["age"].notna().any():
        out.append(BaselineVariable("age", "continuous", "patient", True))
    for name in ("sex", "isn_class"):
        if name in pts and pts[name].notna().any():
            out.append(BaselineVariable(name, "categorical", "patient", True))
    for m in visit_measures(cohort.visits):
        out.append(BaselineVariable(m, "continuous", "baseline visit", True))
    taken = {v.name for v in out}
    for col in pts.columns:
        if col in taken or col in _NEVER or str(col).startswith("_"):
            continue
        s = pts[col]
        if s.notna().sum() == 0 or pd.api.types.is_datetime64_any_dtype(s):
            continue
        canonical = col in _SKIP
        reason = "not a baseline characteristic" if canonical else ""
        if _numeric(s):
            out.append(BaselineVariable(col, "continuous", "patient", not canonical, reason))
        elif s.dropna().astype(str).nunique() > MAX_LEVELS:
            out.append(BaselineVariable(col, "categorical", "patient", False,
                                        f"more than {MAX_LEVELS} levels", includable=False))
        elif is_free_text(col, s):
            out.append(BaselineVariable(col, "categorical", "patient", False, "free text"))
        else:
            out.append(BaselineVariable(col, "categorical", "patient", not canonical, reason))
    return out


def chosen_variables(
    candidates: list[BaselineVariable], settings: Settings
) -> tuple[list[BaselineVariable], list[str]]:
    """The rows ``table1`` shows under the user's include/exclude lists, and notes saying
    what was left out and why."""
    include, exclude = set(settings.baseline_include), set(settings.baseline_exclude)
    chosen = [v for v in candidates if v.includable and v.name not in exclude
              and (v.default or v.name in include)]
    notes = []
    free = [v.name for v in candidates if v.reason == "free text" and v.name not in include]
    if free:
        notes.append(
            _("Free text is not tabulated: ") + ", ".join(f"'{c}'" for c in free) + _(" (a header "
            "naming notes or comments, mostly distinct texts, or long texts); a column can be "
            "included on the Cohort page.")
        )
    for v in candidates:
        if not v.includable:
            notes.append(_("Column '{name}' has more than {max_levels} distinct values and is not tabulated.").format(name=v.name, max_levels=MAX_LEVELS))
    left = [v.name for v in candidates if v.name in exclude]
    if left:
        notes.append(_("Left out of the table by choice: ") + ", ".join(left) + ".")
    known = {v.name for v in candidates}
    absent = sorted((include | exclude) - known)
    if absent:
        notes.append(_("Chosen for the baseline table but not in the analysed data: ")
                     + ", ".join(absent) + ".")
    return chosen, notes


def baseline_values(visits: pd.DataFrame, labs: list[str]) -> pd.DataFrame:
    """Lab values at each patient's baseline visit (nearest month 0 within ± 1 month,
    the earlier on a tie; of two rows for one month the first): patient_id plus one
    column per lab.

    The landmark rule of ``core.outcomes.derive.landmark_visits`` for landmark 0 alone, on integer
    patient codes: only visits inside the baseline window are sorted, not every visit by
    text ID (about 0.3 s saved at 100,000 patients).
    """
    month = visits["month"].to_numpy(dtype=float)
    near = np.abs(month) <= 1.0 + 1e-9  # NaN months are never inside
    v = visits.loc[near, ["patient_id", *labs]]
    m = month[near]
    pid = pd.factorize(v["patient_id"])[0]
    order = np.lexsort((m, np.abs(m), pid))  # stable: the first row of a repeated month
    first = np.ones(len(order), dtype=bool)
    first[1:] = pid[order][1:] != pid[order][:-1]
    return v.iloc[order[first]].reset_index(drop=True)


def quantile7(x: np.ndarray, probs) -> np.ndarray:
    """R's ``quantile(x, probs, type = 7)`` with R's arithmetic, (1 − h)·x[lo] + h·x[hi]
    (numpy's interpolation can differ in the last bit, which shows after rounding)."""
    xs = np.sort(np.asarray(x, dtype=float))
    index = (len(xs) - 1) * np.asarray(probs, dtype=float)
    lo = np.floor(index).astype(int)
    hi = np.ceil(index).astype(int)
    h = index - lo
    q = xs[lo].copy()
    mix = (index > lo) & (xs[hi] != q)
    q[mix] = (1 - h[mix]) * q[mix] + h[mix] * xs[hi[mix]]
    return q


def _median_iqr(x: np.ndarray, name: str = "") -> str:
    """``'2.42 (1.38–3.25)'``: the journal style (core.model.precision; R quantile type 7)."""
    if len(x) == 0:
        return "–"
    q1, med, q3 = quantile7(x, [0.25, 0.5, 0.75])
    return median_q1_q3(med, q1, q3, row_decimals(name, float(med)))


def _mean_sd(x: np.ndarray, name: str = "") -> str:
    """``'63.2 (12.1)'``: mean (SD) with one number of decimals."""
    if len(x) == 0:
        return "–"
    sd = x.std(ddof=1) if len(x) > 1 else None
    return mean_sd_text(float(x.mean()), sd, row_decimals(name, float(x.mean())))


def smd_continuous(a: np.ndarray, b: np.ndarray) -> float:
    """|m1 − m2| / sqrt((s1² + s2²) / 2), SDs with n − 1."""
    if len(a) < 2 or len(b) < 2:
        return float("nan")
    with np.errstate(over="ignore", invalid="ignore"):  # extreme values give no SMD, no warning
        pooled = np.sqrt((a.var(ddof=1) + b.var(ddof=1)) / 2)
        smd = abs(a.mean() - b.mean()) / pooled if pooled > 0 else float("nan")
    return float(smd) if np.isfinite(smd) else float("nan")


def smd_categorical(p1: np.ndarray, p2: np.ndarray) -> float:
    """Yang & Dalton (2012): sqrt(dᵀ S⁻¹ d) over the levels but the first, S = (S1 + S2)/2,
    Sg = diag(pg) − pg pgᵀ."""
    t1, t2 = np.asarray(p1, float)[1:], np.asarray(p2, float)[1:]
    if len(t1) == 0:
        return 0.0
    s = (np.diag(t1) - np.outer(t1, t1) + np.diag(t2) - np.outer(t2, t2)) / 2
    d = t1 - t2
    return float(np.sqrt(max(0.0, d @ np.linalg.pinv(s) @ d)))


def _pairwise_max(items: list, fn) -> float:
    vals = [fn(items[i], items[j]) for i in range(len(items)) for j in range(i + 1, len(items))]
    vals = [v for v in vals if np.isfinite(v)]
    return max(vals) if vals else float("nan")


def _continuous_row(name, x, grp, groups, normal) -> dict:
    per = [x[(grp == g) & ~np.isnan(x)] for g in groups]
    fmt = _mean_sd if normal else _median_iqr
    row = {
        "variable": name,
        "level": "",
        **{g: fmt(v, name) for g, v in zip(groups, per, strict=True)},
        ALL: fmt(x[~np.isnan(x)], name),
    }
    present = [v for v in per if len(v)]
    test, p, method = "", float("nan"), ""
    if len(present) == 2:
        if normal:
            test, p, method = "welch_t", welch_t(present[1], present[0]).p, "asymptotic"
        else:
            rs = rank_sum(present[1], present[0])
            test, p, method = "wilcoxon_rank_sum", rs.p, rs.method
    elif len(present) > 2:
        if normal:
            test, p, method = "welch_anova", welch_anova(present).p, "asymptotic"
        else:
            test, p, method = "kruskal_wallis", kruskal(present).p, "asymptotic"
    smd = _pairwise_max(present, lambda a, b: smd_continuous(b, a))
    return {
        **row,
        "p_value": p,
        "test": test,
        "smd": smd,
        "n_missing": int(np.isnan(x).sum()),
        "p_method": method,
    }


def _categorical_rows(name, x: pd.Series, grp, groups, levels) -> list[dict]:
    ok = x.notna().to_numpy()
    # texts hashed once; each level is then an integer comparison, not a text one
    codes, distinct = pd.factorize(x.astype(str).to_numpy())
    where = {v: i for i, v in enumerate(distinct)}
    is_lev = [ok & (codes == where.get(lev, -2)) for lev in levels]
    tab = np.array(
        [[np.sum(m & in_g) for m in is_lev] for in_g in [grp == g for g in groups]], dtype=int
    ).reshape(len(groups), len(levels))  # keeps 2-D when there are no groups or levels
    all_n = np.array([np.sum(m) for m in is_lev])
    rows_present = tab.sum(axis=1) > 0
    test, p, method = "", float("nan"), ""
    if rows_present.sum() >= 2 and len(levels) >= 1:
        chosen = fisher_or_chisq_expected(tab[rows_present])
        test, p = chosen.test, chosen.p
        method = "exact" if test == "fisher_exact" else "asymptotic"
        sub = tab[rows_present]
        if test == "chi_square" and np.any(np.outer(sub.sum(1), sub.sum(0)) / sub.sum() < 5):
            method = "asymptotic (table too large for the exact test)"
    props = [t / t.sum() for t in tab[rows_present]]
    smd = _pairwise_max(props, lambda a, b: smd_categorical(b, a))
    out = []
    for j, lev in enumerate(levels):
        cells = {g: _count_pct(tab[i, j], tab[i].sum()) for i, g in enumerate(groups)}
        out.append(
            {
                "variable": name,
                "level": lev,
                **cells,
                ALL: _count_pct(all_n[j], all_n.sum()),
                "p_value": p,
                "test": test,
                "smd": smd,
                "n_missing": int((~ok).sum()),
                "p_method": method,
            }
        )
    return out


def _count_pct(k: int, n: int) -> str:
    return f"{int(k)} ({100 * k / n:.1f}%)" if n else "–"


def _levels(x: pd.Series, order: tuple[str, ...] = ()) -> list[str]:
    present = set(x.dropna().astype(str))
    return [lv for lv in order if lv in present] + sorted(present - set(order))


def baseline_table(cohort: Cohort, settings: Settings) -> Result:
    """Baseline characteristics by group (``table1``).

    Continuous variables: median (Q1-Q3), ``quantile(type = 7)``, with the rank-sum test
    ``wilcox.test(b, a, digits.rank = 7)`` (``kruskal.test`` for > 2 groups); variables in
    ``settings.normal_vars``: mean (SD) with Welch's t (``oneway.test(var.equal = FALSE)``
    for > 2 groups). Categorical: n (%) of the non-missing, ``fisher.test`` when any
    expected count < 5 else ``chisq.test(correct = FALSE)``. SMD: continuous |Δmean| /
    pooled SD; categorical Yang & Dalton; > 2 groups the largest pairwise. ``n_missing``
    counts patients without a value (labs: missing at the baseline visit).

    Returns
    -------
    Result ``table1`` with columns variable, level, one per group, All, p_value, test,
    smd, n_missing, p_method.
    """
    pts = cohort.patients.drop_duplicates("patient_id").reset_index(drop=True)
    present = pts["group"].dropna() if "group" in pts else ()
    groups, ref = groups_with_reference(present, settings.reference, settings.group_order)
    grp = (
        pts["group"].astype(str).where(pts["group"].notna(), None).to_numpy()
        if "group" in pts
        else np.full(len(pts), None)
    )
    normal = set(settings.normal_vars)
    rows: list[dict] = []
    chosen, notes = chosen_variables(baseline_variables(cohort), settings)
    measures = [v.name for v in chosen if v.source == "baseline visit"]
    base = (baseline_values(cohort.visits, measures) if measures
            else pd.DataFrame(columns=["patient_id"]))
    base = pts[["patient_id"]].merge(base, on="patient_id", how="left")
    orders = {"sex": ("F", "M"), "isn_class": tuple(dict.fromkeys(CLASS_ORDER + ISN_CLASSES))}
    for v in chosen:
        s = base[v.name] if v.source == "baseline visit" else pts[v.name]
        if v.kind == "continuous":
            rows.append(_continuous_row(v.name, s.to_numpy(float), grp, groups, v.name in normal))
        else:
            rows += _categorical_rows(v.name, s, grp, groups, _levels(s, orders.get(v.name, ())))
    cols = ["variable", "level", *groups, ALL, "p_value", "test", "smd", "n_missing", "p_method"]
    table = pd.DataFrame(rows, columns=cols)
    notes = [
        _("Continuous: median (Q1-Q3) with Wilcoxon rank-sum (Kruskal-Wallis for more than two "
        "groups), or mean (SD) with Welch's test for variables marked normal; categorical: "
        "n (%) of the non-missing with Fisher's exact test when any expected count is below "
        "5, else chi-square without continuity correction. Labs at the baseline visit "
        "(nearest month 0 within ± 1 month), extra numeric measures included. p-values "
        "unadjusted."),
        *notes,
    ]
    if len(groups) < 2:
        notes.append(_("One group only: no between-group tests."))
    if table["p_method"].astype(str).str.contains("too large").any():
        notes.append(
            _("Some categorical tables had expected counts below 5 but were too large for "
            "the exact test: chi-square used instead (named in the test column).")
        )
    return Result("table1", table, tuple(notes), {"groups": groups, "reference": ref,
                                                  "units": measure_units(cohort)})


def _table1(ctx: RunContext) -> dict:
    return {"table1": baseline_table(ctx.filtered, ctx.settings)}


def _methods(run: AnalysisRun) -> list[str]:
    if run.table("table1") is None:
        return []
    normal = run.settings.normal_vars
    s = run.settings
    return [
        _("Baseline characteristics: median (IQR) with the Wilcoxon rank-sum test (Kruskal–Wallis "
          "for more than two groups), mean (SD) with Welch's test for variables marked "
          "normal{normal}; n (%) with Fisher's exact test when any expected count is below 5, else "
          "chi-square without continuity correction; standardised mean differences (Yang & "
          "Dalton for categorical variables). Laboratory values, including extra measures of the "
          "file, were those of the baseline visit; free-text columns were not tabulated").format(
            normal=f" ({', '.join(normal)})" if normal else "")
        + (_("; added by choice: {columns}").format(columns=", ".join(s.baseline_include))
           if s.baseline_include else "")
        + (_("; left out by choice: {columns}").format(columns=", ".join(s.baseline_exclude))
           if s.baseline_exclude else "")
        + "."
    ]



SPECS = (
    AnalysisSpec(
        name="table1", page="cohort", section="Baseline characteristics",
        tables=(
            TableSpec("table1", "Baseline characteristics",
                      ("variable", "level", ALL, "p_value", "test", "smd", "n_missing", "p_method"),
                      "tests/reference/expected/table1.csv", counts=("n_missing",),
                      p_values=("p_value",), estimates={"smd": "standardised difference"}),
        ),
        compute=_table1,
        figures=NO_FIGURE,
        methods=_methods,
        r_call="wilcox.test / kruskal.test / oneway.test; fisher.test / chisq.test(correct = FALSE)",
    ),
)
