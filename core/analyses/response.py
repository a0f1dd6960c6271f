"""Response rates, tests between groups, rate differences, transitions, rule-set sensitivity.

Each function takes :class:`core.outcomes.derive.Outcomes` and returns a contract table
(data-contract §6) in a :class:`core.model.results.Result`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from core.analyses.context import RunContext
from core.analyses.spec import AnalysisSkipped, AnalysisSpec, FigureRef, TableSpec
from core.model.i18n import gettext as _
from core.model.results import AnalysisRun, Result
from core.model.vocabulary import ALL, MISSING_WORDS, TEST_TEXT, group_order, test_text
from core.outcomes.derive import Outcomes
from core.stats.binomial import clopper_pearson, newcombe_difference, wilson
from core.stats.contingency import group_outcome_test

STATES = ("CR", "PR", "NR", "not evaluable")


def group_levels(
    groups: pd.Series | Outcomes, reference: str | None, order: tuple[str, ...] = ()
) -> list[str]:
    """Group labels present, the reference first, the others in the display order
    (``order``, or the outcomes' ``settings.group_order``; else alphabetically).

    ``groups``: the group column, or outcomes (their patients' groups, found once).
    """
    if isinstance(groups, Outcomes):
        names = groups.group_names
        names = names if names is not None else pd.unique(groups.landmarks["group"].dropna())
        order = order or groups.settings.group_order
    else:
        names = pd.unique(groups.dropna())
    return group_order(names, reference, sort=True, order=order)


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
        iv = ci(c[f"{k}_n"].to_numpy(float), n.to_numpy(float), conf)
        t[f"{k}_ci_low"], t[f"{k}_ci_high"] = 100 * np.asarray(iv.low), 100 * np.asarray(iv.high)
    t["n_off_landmark"] = c["n_off_landmark"]
    method = _("Wilson score") if o.settings.ci == "wilson" else _("Clopper–Pearson exact")
    missing = _(MISSING_WORDS[o.settings.missing]) if o.settings.missing in MISSING_WORDS else o.settings.missing
    notes = [
        _("Response under '{criteria}' criteria, {missing} at each landmark (± {window} month(s)); {method} 95% intervals.").format(criteria=o.settings.criteria, missing=missing, window=
f"{o.settings.window:g}", method=method),
        *o.notes,
    ]
    if (n == 0).any():
        notes.append(_("No evaluable patient in some group at some landmark: rates left empty."))
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
        notes.append(_("Only one group: no test between groups."))
    for month in o.settings.landmarks if len(levels) >= 2 else ():
        at = r[r["landmark"] == month]
        for outcome in ("CR", "ORR"):
            yes = pd.crosstab(at["group"], _yes(at, outcome)).reindex(
                index=levels, columns=[True, False], fill_value=0
            )
            table = yes[yes.sum(axis=1) > 0]
            row = {"month": month, "outcome": outcome, "test": "", "p_value": np.nan}
            if len(table) >= 2:
                chosen = group_outcome_test(table.to_numpy(), max_exact_n)
                row["test"], row["p_value"] = chosen.test, chosen.p
            else:
                notes.append(
                    _('Month {month}: fewer than two groups evaluable, no {outcome} test.').format(month=f"{month:g}", outcome=outcome)
                )
            for g in levels:
                row[f"{g}_yes"], row[f"{g}_n"] = int(yes.loc[g, True]), int(yes.loc[g].sum())
            rows.append(row)
    cols = ["month", "outcome", "test", "p_value"]
    t = pd.DataFrame(rows, columns=cols + [f"{g}_{k}" for g in levels for k in ("yes", "n")])
    notes.append(
        _("Fisher's exact test (2×k by full enumeration up to 1,000 patients, "
        "chi-square without correction above); unadjusted, exploratory p-values.")
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
        notes.append(_("Fewer than two groups: no difference between groups."))
    for month in o.settings.landmarks if levels and ref is not None else ():
        at = c[c["month"] == month].set_index("group")
        for outcome, col in (("CR", "cr_n"), ("ORR", "orr_n")):
            x2, n2 = int(at.loc[ref, col]), int(at.loc[ref, "n_evaluable"])
            for g in levels:
                x1, n1 = int(at.loc[g, col]), int(at.loc[g, "n_evaluable"])
                dif = newcombe_difference(x1, n1, x2, n2, conf)
                rows.append(
                    [
                        month,
                        outcome,
                        g,
                        ref,
                        100 * dif.diff,
                        100 * dif.low,
                        100 * dif.high,
                        "newcombe",
                        x1,
                        n1,
                        x2,
                        n2,
                    ]
                )
                if n1 == 0 or n2 == 0:
                    notes.append(_('Month {month}: no evaluable patient in {group} or {reference}.').format(month=f"{month:g}", group=g, reference=ref))
    cols = (
        "month outcome group reference diff_pct ci_low ci_high method x_group "
        "n_group x_reference n_reference"
    ).split()
    notes.append(_("Newcombe hybrid score interval (method 10); group minus reference."))
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
            (_("Transitions need two landmarks."),),
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
    note = _('Observed states at {first} and {second} months (no imputation).').format(first=f"{marks[0]:g}", second=f"{marks[1]:g}")
    return Result("response_transitions", t[cols], (note,), _meta(o))


# --- registry entries -------------------------------------------------------------------


def _no_response_note(o: Outcomes) -> str:
    return (
        _("No patient has a response under '{criteria}' at any landmark (no response recorded, or its inputs missing): response analyses skipped.").format(criteria=o.settings.criteria)
    )


def _response(ctx: RunContext) -> dict:
    o = ctx.outcomes
    if not o.responses["evaluable"].any():
        raise AnalysisSkipped(_no_response_note(o))
    return {
        "response_rates": lambda: response_rates(o),
        "response_tests": lambda: response_tests(o),
        "response_difference": lambda: response_difference(o),
        "response_transitions": lambda: response_transitions(o),
    }


def _response_methods(run: AnalysisRun) -> list[str]:
    out = []
    tests = run.table("response_tests")
    if tests is not None:
        used = sorted(set(tests["test"].dropna().astype(str))) if "test" in tests else []
        used = used or ["fisher_exact"]
        out.append(_("Response rates were compared between groups by {tests}.").format(
            tests="; ".join(_(TEST_TEXT[t]) if t in TEST_TEXT else t for t in used)
        ))
    if run.table("response_difference") is not None:
        out.append(_("Differences in rates (group − {reference}) with {method}.").format(
            reference=run.settings.reference, method=test_text("newcombe")
        ))

    return out


_PCT = ("cr_pct", "pr_pct", "orr_pct")
_RATE_CI = ("orr_ci_low", "orr_ci_high", "cr_ci_low", "cr_ci_high")
RATE_COUNTS = ("n_evaluable", "cr_n", "pr_n", "orr_n")
_FIG = "core.report.figures.response"
_REF = "tests/reference/expected/"
SPECS = (
    AnalysisSpec(
        name="response", page="response", section="Response rates",
        tables=(
            TableSpec("response_rates", "Response rates", ("month", "group", "n_evaluable", "cr_n", "cr_pct", "pr_n", "pr_pct", "orr_n",
                       "orr_pct", "orr_ci_low", "orr_ci_high", "cr_ci_low", "cr_ci_high",
                       "n_off_landmark"), _REF + "response_rates.csv",
                      counts=(*RATE_COUNTS, "n_off_landmark"), percents=(*_PCT, *_RATE_CI),
                      estimates={"month": "months"}),
            TableSpec("response_tests", "Tests between groups",
                      ("month", "outcome", "test", "p_value"), _REF + "response_tests.csv",
                      p_values=("p_value",), estimates={"month": "months"}),
            TableSpec("response_difference", "Differences in response",
                      ("month", "outcome", "group", "reference", "diff_pct", "ci_low", "ci_high",
                       "method", "x_group", "n_group", "x_reference", "n_reference"),
                      _REF + "response_difference.csv",
                      counts=("x_group", "n_group", "x_reference", "n_reference"),
                      percents=("diff_pct", "ci_low", "ci_high"), estimates={"month": "months"}),
            TableSpec("response_transitions", "Response transitions",
                      ("from_month", "to_month", "group", "from_state", "to_state", "n"),
                      _REF + "response_transitions.csv", counts=("n",)),
        ),
        compute=_response,
        figures=(FigureRef(_FIG, "plot_response_rates", "response_rates", "Response rates"), FigureRef(_FIG, "plot_response_sankeys", "response_sankey", "Response transitions")),
        methods=_response_methods,
        r_call="binom.test / prop.test(correct = FALSE); fisher.test; table()",
        needs_groups=("response_tests", "response_difference"),
    ),
)
