"""Response rates, tests between groups, rate differences, transitions, rule-set sensitivity.

Each function takes :class:`core.outcomes.derive.Outcomes` and returns a contract table
(data-contract §6) in a :class:`core.model.results.Result`.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from core.model.results import Result
from core.model.schema import Cohort
from core.model.settings import Settings
from core.outcomes.criteria import derivable
from core.outcomes.derive import Outcomes, derive_outcomes
from core.stats.binomial import clopper_pearson, newcombe_difference, wilson
from core.stats.contingency import group_outcome_test

ALL = "All"
STATES = ("CR", "PR", "NR", "not evaluable")
SENSITIVITY_CORE = ("recorded", "kdigo2024", "eular2019", "creatinine15")
SENSITIVITY_EXTRA = ("lunar", "aurora", "multitarget_cn", "bliss_ln")


def group_levels(groups: pd.Series | Outcomes, reference: str | None) -> list[str]:
    """Group labels present, the reference first, the others alphabetically.

    ``groups``: the group column, or outcomes (their patients' groups, found once).
    """
    if isinstance(groups, Outcomes):
        names = groups.group_names
        names = names if names is not None else pd.unique(groups.landmarks["group"].dropna())
    else:
        names = pd.unique(groups.dropna())
    levels = sorted(str(g) for g in names)
    if reference in levels:
        levels.remove(reference)
        levels.insert(0, reference)
    return levels


def _meta(o: Outcomes) -> dict:
    return {"settings": o.settings}


_COUNTS = (
    "n_evaluable",
    "cr_n",
    "pr_n",
    "n_off_landmark",
    "n_patients",
    "n_no_visit",
    "n_on_boundary",
)


def response_counts(o: Outcomes) -> pd.DataFrame:
    """month, group (each and All), n_evaluable, cr_n, pr_n, orr_n, n_off_landmark,
    n_patients, n_no_visit, n_on_boundary: counts only, vectorised."""
    r = o.responses
    levels = group_levels(o, o.settings.reference)
    months = list(o.settings.landmarks)
    ev = r["evaluable"].to_numpy(dtype=bool)
    resp = r["response"].to_numpy(dtype=object)
    visit = r["visit_month"].to_numpy(dtype=float)
    landmark = r["landmark"].to_numpy(dtype=float)
    flags = {
        "n_evaluable": ev,
        "cr_n": ev & (resp == "CR"),
        "pr_n": ev & (resp == "PR"),
        "n_off_landmark": ev & ~np.isnan(visit) & (visit != landmark),
        "n_patients": np.ones(len(r), dtype=bool),
        "n_no_visit": np.isnan(visit),
        "n_on_boundary": ev & r["on_boundary"].to_numpy(dtype=bool),
    }
    # cell = month × (group levels, All): one bincount per count instead of a groupby
    k = len(levels) + 1
    m = pd.Index(months).get_indexer(landmark)
    g = pd.Index(levels, dtype=object).get_indexer(r["group"].to_numpy(dtype=object))
    inside = m >= 0
    per_group = (m * k + g)[inside & (g >= 0)]
    overall = (m * k + k - 1)[inside]
    n = len(months) * k
    out = pd.DataFrame(
        {"month": np.repeat(np.asarray(months, dtype=float), k), "group": [*levels, ALL] * len(months)}
    )
    for name in _COUNTS:
        f = flags[name]
        cells = np.bincount(per_group, weights=f[inside & (g >= 0)], minlength=n) + np.bincount(
            overall, weights=f[inside], minlength=n
        )
        out[name] = cells.astype(np.int64)
    out["orr_n"] = out["cr_n"] + out["pr_n"]
    return out


def _pct(x: pd.Series, n: pd.Series) -> pd.Series:
    return 100.0 * x / n.where(n > 0)


def response_rates(o: Outcomes, conf: float = 0.95) -> Result:
    """CR, PR and overall response (CR or PR) rates at each landmark, per group and All.

    Intervals for ORR and CR: Clopper–Pearson (``binom.test(x, n)$conf.int``) or Wilson
    (``prop.test(x, n, correct = FALSE)$conf.int``) as ``settings.ci``; percent.

    Returns
    -------
    Result ``response_rates``: month, group, n_evaluable, cr_n, cr_pct, pr_n, pr_pct,
    orr_n, orr_pct, orr_ci_low, orr_ci_high, cr_ci_low, cr_ci_high, n_off_landmark.
    """
    c = response_counts(o)
    n = c["n_evaluable"]
    ci = wilson if o.settings.ci == "wilson" else clopper_pearson
    t = c[["month", "group", "n_evaluable"]].copy()
    for k in ("cr", "pr", "orr"):
        t[f"{k}_n"] = c[f"{k}_n"]
        t[f"{k}_pct"] = _pct(c[f"{k}_n"], n)
    for k in ("orr", "cr"):
        low, high = ci(c[f"{k}_n"].to_numpy(float), n.to_numpy(float), conf)
        t[f"{k}_ci_low"], t[f"{k}_ci_high"] = 100 * np.asarray(low), 100 * np.asarray(high)
    t["n_off_landmark"] = c["n_off_landmark"]
    method = "Wilson score" if o.settings.ci == "wilson" else "Clopper–Pearson exact"
    notes = [
        f"Response under '{o.settings.criteria}' criteria, {o.settings.missing} at each "
        f"landmark (± {o.settings.window:g} month(s)); {method} 95% intervals.",
        *o.notes,
    ]
    if (n == 0).any():
        notes.append("No evaluable patient in some group at some landmark: rates left empty.")
    return Result("response_rates", t, tuple(notes), _meta(o))


def _yes(r: pd.DataFrame, outcome: str) -> pd.Series:
    return r["response"].eq("CR") if outcome == "CR" else r["response"].isin(["CR", "PR"])


def response_tests(o: Outcomes, max_exact_n: int = 1000) -> Result:
    """CR and ORR compared between groups at each landmark (evaluable patients).

    Fisher's exact test (``fisher.test``): 2×2 at any size, 2×k exact up to
    ``max_exact_n`` patients, ``chisq.test(correct = FALSE)`` above; ``test`` names it.

    Returns
    -------
    Result ``response_tests``: month, outcome, test, p_value, and ``<group>_yes``,
    ``<group>_n`` for every group.
    """
    r = o.responses[o.responses["evaluable"]].dropna(subset=["group"])
    levels = group_levels(o, o.settings.reference)
    rows, notes = [], []
    if len(levels) < 2:
        notes.append("Only one group: no test between groups.")
    for month in o.settings.landmarks if len(levels) >= 2 else ():
        at = r[r["landmark"] == month]
        for outcome in ("CR", "ORR"):
            yes = pd.crosstab(at["group"], _yes(at, outcome)).reindex(
                index=levels, columns=[True, False], fill_value=0
            )
            table = yes[yes.sum(axis=1) > 0]
            row = {"month": month, "outcome": outcome, "test": "", "p_value": np.nan}
            if len(table) >= 2:
                row["test"], row["p_value"] = group_outcome_test(table.to_numpy(), max_exact_n)
            else:
                notes.append(
                    f"Month {month:g}: fewer than two groups evaluable, no {outcome} test."
                )
            for g in levels:
                row[f"{g}_yes"], row[f"{g}_n"] = int(yes.loc[g, True]), int(yes.loc[g].sum())
            rows.append(row)
    cols = ["month", "outcome", "test", "p_value"]
    t = pd.DataFrame(rows, columns=cols + [f"{g}_{k}" for g in levels for k in ("yes", "n")])
    notes.append(
        "Fisher's exact test (2×k by full enumeration up to 1,000 patients, "
        "chi-square without correction above); unadjusted, exploratory p-values."
    )
    return Result("response_tests", t, tuple(notes), _meta(o))


def response_difference(o: Outcomes, conf: float = 0.95) -> Result:
    """Difference in CR and ORR rates, each group minus the reference, in percentage points.

    Newcombe's hybrid score interval (method 10) from the two Wilson intervals
    (``prop.test(x, n, correct = FALSE)$conf.int``).

    Returns
    -------
    Result ``response_difference``: month, outcome, group, reference, diff_pct, ci_low,
    ci_high, method, x_group, n_group, x_reference, n_reference.
    """
    ref = o.settings.reference
    c = response_counts(o)
    levels = [g for g in group_levels(o, ref) if g != ref]
    rows, notes = [], []
    if ref is None or not levels:
        notes.append("Fewer than two groups: no difference between groups.")
    for month in o.settings.landmarks if levels and ref is not None else ():
        at = c[c["month"] == month].set_index("group")
        for outcome, col in (("CR", "cr_n"), ("ORR", "orr_n")):
            x2, n2 = int(at.loc[ref, col]), int(at.loc[ref, "n_evaluable"])
            for g in levels:
                x1, n1 = int(at.loc[g, col]), int(at.loc[g, "n_evaluable"])
                d, low, high = newcombe_difference(x1, n1, x2, n2, conf)
                rows.append(
                    [
                        month,
                        outcome,
                        g,
                        ref,
                        100 * d,
                        100 * low,
                        100 * high,
                        "newcombe",
                        x1,
                        n1,
                        x2,
                        n2,
                    ]
                )
                if n1 == 0 or n2 == 0:
                    notes.append(f"Month {month:g}: no evaluable patient in {g} or {ref}.")
    cols = (
        "month outcome group reference diff_pct ci_low ci_high method x_group "
        "n_group x_reference n_reference"
    ).split()
    notes.append("Newcombe hybrid score interval (method 10); group minus reference.")
    return Result("response_difference", pd.DataFrame(rows, columns=cols), tuple(notes), _meta(o))


def response_transitions(o: Outcomes) -> Result:
    """State at the first landmark against the second, every patient of the cohort.

    States CR, PR, NR as observed at the landmark visit, ``not evaluable`` when there is no
    landmark visit or no response there (no imputation). All 16 combinations, zeros
    included, per group and All; the n of a group add up to its patients.
    """
    cols = ["from_month", "to_month", "group", "from_state", "to_state", "n"]
    marks = list(o.settings.landmarks)
    if len(marks) < 2:
        return Result(
            "response_transitions",
            pd.DataFrame(columns=cols),
            ("Transitions need two landmarks.",),
            _meta(o),
        )
    r = o.responses
    # patients and states as numbers: one hashing pass over the IDs, then counting
    patient, ids = pd.factorize(r["patient_id"])
    state = pd.Index(STATES[:3]).get_indexer(r["observed"].to_numpy(dtype=object))
    state[state < 0] = len(STATES) - 1  # not evaluable
    landmark = r["landmark"].to_numpy(dtype=float)
    first = np.full(len(ids), len(r))
    rows = np.flatnonzero(patient >= 0)
    np.minimum.at(first, patient[rows], rows)  # each patient's first row
    pair = []
    for mark in marks[:2]:
        at = np.flatnonzero((landmark == mark) & (patient >= 0))
        if not len(at):
            raise KeyError(mark)
        s = np.full(len(ids), len(STATES) - 1)
        s[patient[at[::-1]]] = state[at[::-1]]  # one row per patient and landmark
        pair.append(s)
    levels = group_levels(o, o.settings.reference)
    k = len(STATES) ** 2
    g = pd.Index(levels, dtype=object).get_indexer(r["group"].to_numpy(dtype=object)[first])
    cell = pair[0] * len(STATES) + pair[1]
    n = np.bincount(g[g >= 0] * k + cell[g >= 0], minlength=(len(levels) + 1) * k)
    n[len(levels) * k :] += np.bincount(cell, minlength=k)
    t = pd.DataFrame(
        {
            "from_month": marks[0],
            "to_month": marks[1],
            "group": np.repeat([*levels, ALL], k),
            "from_state": np.tile(np.repeat(STATES, len(STATES)), len(levels) + 1),
            "to_state": np.tile(STATES, k // len(STATES) * (len(levels) + 1)),
            "n": n.astype(np.int64),
        }
    )
    note = f"Observed states at {marks[0]:g} and {marks[1]:g} months (no imputation)."
    return Result("response_transitions", t[cols], (note,), _meta(o))


def criteria_sensitivity(
    cohort: Cohort, settings: Settings, base: Outcomes | None = None
) -> Result:
    """Response counts under every rule set the data can support, on the same patients.

    ``recorded`` (when present), ``kdigo2024``, ``eular2019``, ``creatinine15``, then
    ``lunar``, ``aurora``, ``multitarget_cn``, ``bliss_ln`` (and ``custom`` when chosen) as extra rows
    when the file holds their inputs; same landmarks, window and missing strategy.

    Returns
    -------
    Result ``criteria_sensitivity``: criteria, month, group, n_evaluable, cr_n, pr_n,
    orr_n, orr_pct, n_patients, n_no_visit, n_on_boundary.
    """
    available = {c for c in cohort.visits if cohort.visits[c].notna().any()}
    if "creatinine" in available and {"age", "sex"} <= set(cohort.patients):
        available.add("egfr")
    if "proteinuria_24h" in available:
        available.add("upcr")
    names = [n for n in (*SENSITIVITY_CORE, *SENSITIVITY_EXTRA) if derivable(n, available)]
    if settings.criteria == "custom" and derivable("custom", available, settings.custom):
        names.append("custom")
    parts, notes = [], []
    for name in names:
        same = base is not None and name == base.settings.criteria
        o = (
            base
            if same
            else derive_outcomes(
                cohort, replace(settings, criteria=name), reuse=base, with_ttr=False
            )
        )
        c = response_counts(o)
        c["orr_pct"] = _pct(c["orr_n"], c["n_evaluable"])
        parts.append(c.assign(criteria=name))
    cols = (
        "criteria month group n_evaluable cr_n pr_n orr_n orr_pct n_patients "
        "n_no_visit n_on_boundary"
    ).split()
    t = pd.concat(parts)[cols].reset_index(drop=True) if parts else pd.DataFrame(columns=cols)
    skipped = [n for n in (*SENSITIVITY_CORE, *SENSITIVITY_EXTRA) if n not in names]
    if skipped:
        notes.append("Not computable from this file (inputs missing): " + ", ".join(skipped) + ".")
    notes.append("Values exactly on a ≤/≥ threshold meet it (relative tolerance 1e-9).")
    return Result("criteria_sensitivity", t, tuple(notes), {"settings": settings})
