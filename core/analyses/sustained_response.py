"""Confirmed and sustained renal response (issue 13, point 3); duration of response is in
:mod:`core.analyses.response_duration`.

Definitions (docs: clinical-rules §1b; *choice* marks ours):

- **confirmed** response at landmark L: the response (CR; or CR or PR for ``ORR``) is met
  at the landmark visit and again at the next visit with an evaluable response at least
  ``settings.confirm_weeks`` weeks later (default 4; weeks → months as 7/30.4375,
  *choice*). A responder with no such later visit is not evaluable for confirmation.
- **sustained** response up to L: met at every landmark up to L (at 6 *and* 12 months);
  not met as soon as one evaluable landmark misses it; not evaluable when a landmark is
  not evaluable and none misses it.
- Denominators: complete-case (patients evaluable for the statement); under the
  ``non-responder`` setting every patient is counted and not evaluable counts as not met;
  ``locf`` is not applied here (complete-case, with a note). Responses are the observed
  ones at the visits under ``settings.criteria``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from core.analyses.context import RunContext
from core.analyses.patient_order import by_patient_month, patient_codes
from core.analyses.response import group_levels
from core.analyses.spec import AnalysisSpec, FigureRef, TableSpec
from core.model.i18n import gettext as _
from core.model.results import AnalysisRun, Result
from core.model.vocabulary import ALL
from core.outcomes.derive import Outcomes, derive_outcomes
from core.stats.binomial import clopper_pearson
from core.stats.contingency import group_outcome_test

DAYS_PER_MONTH = 30.4375
OUTCOMES = {"CR": ("CR",), "ORR": ("CR", "PR")}
KINDS = ("confirmed", "sustained")
_TOL = 1e-9

STATUS_COLUMNS = ["patient_id", "group", "kind", "month", "outcome", "status", "reason",
                  "visit_month", "confirm_month"]
RATE_COLUMNS = ["kind", "month", "outcome", "group", "n_patients", "n_evaluable", "n_yes",
                "pct", "ci_low", "ci_high", "n_not_evaluable"]


def confirm_gap_months(weeks: float) -> float:
    """Weeks as months (1 month = 30.4375 days, 365.25 / 12)."""
    return weeks * 7.0 / DAYS_PER_MONTH


def evaluable_visits(o: Outcomes) -> pd.DataFrame:
    vr = o.visit_responses
    v = vr.loc[vr["response"].notna() & (vr["month"] > 0), ["patient_id", "month", "response"]]
    return by_patient_month(v)


def sustained_patients(o: Outcomes) -> pd.DataFrame:
    """One row per patient × kind × landmark × outcome: ``status`` 'yes', 'no' or None (not
    evaluable) with its ``reason``; ``visit_month`` the landmark visit, ``confirm_month``
    the confirming visit (confirmed only). Patient-level; vectorised over patients."""
    r = o.responses
    marks = sorted(o.settings.landmarks)
    code, ids = patient_codes(r["patient_id"])
    n, k = len(ids), len(marks)
    group = np.full(n, None, dtype=object)
    group[code[::-1]] = r["group"].to_numpy(object)[::-1]  # each patient's first row
    col = pd.Index(marks).get_indexer(r["landmark"].to_numpy(float))
    at = col >= 0
    obs = np.full((n, k), None, dtype=object)
    vm = np.full((n, k), np.nan)
    obs[code[at], col[at]] = r["observed"].to_numpy(object)[at]
    vm[code[at], col[at]] = r["visit_month"].to_numpy(float)[at]
    known = pd.notna(obs)
    conf_month, conf_resp = _confirming_visits(o, ids, vm, known)
    blocks = []
    for outcome, states in OUTCOMES.items():
        met = np.isin(obs, states) & known
        failed = np.logical_or.accumulate(known & ~met, axis=1)
        complete = np.logical_and.accumulate(known, axis=1)
        conf_met = np.isin(conf_resp, states)
        has_conf = ~np.isnan(conf_month)
        for j, mark in enumerate(marks):
            status = np.select(
                [~known[:, j], ~met[:, j], ~has_conf[:, j], conf_met[:, j]],
                [None, "no", None, "yes"], "no").astype(object)
            reason = np.select(
                [~known[:, j], ~met[:, j], ~has_conf[:, j], conf_met[:, j]],
                ["not evaluable at the landmark", "not met at the landmark",
                 "no evaluable visit to confirm", ""], "not met at the confirming visit")
            cm = np.where(met[:, j] & has_conf[:, j], conf_month[:, j], np.nan)
            blocks.append(_block(ids, group, "confirmed", mark, outcome, status, reason,
                                 vm[:, j], cm))
            status = np.select([failed[:, j], complete[:, j]], ["no", "yes"], None)
            reason = np.select([failed[:, j], complete[:, j]],
                               ["not met at a landmark", ""], "not evaluable at a landmark")
            blocks.append(_block(ids, group, "sustained", mark, outcome, status.astype(object),
                                 reason, vm[:, j], np.full(n, np.nan)))
    if not blocks:
        return pd.DataFrame(columns=STATUS_COLUMNS)
    return pd.concat(blocks, ignore_index=True)[STATUS_COLUMNS]


def _block(ids, group, kind, mark, outcome, status, reason, vm, cm) -> pd.DataFrame:
    return pd.DataFrame({
        "patient_id": np.asarray(ids, dtype=object), "group": group, "kind": kind,
        "month": float(mark), "outcome": outcome, "status": status, "reason": reason,
        "visit_month": vm, "confirm_month": cm,
    })


def _confirming_visits(
    o: Outcomes, ids: pd.Index, vm: np.ndarray, known: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Month and response of the first evaluable visit at least the confirmation gap after
    each (patient, landmark) visit (NaN / None: none), by one ``merge_asof``."""
    n, k = vm.shape
    month = np.full((n, k), np.nan)
    resp = np.full((n, k), None, dtype=object)
    seen = evaluable_visits(o)
    p = pd.Index(ids).get_indexer(seen["patient_id"])
    right = pd.DataFrame({"p": p, "month": seen["month"].to_numpy(float),
                          "response": seen["response"].to_numpy(object)})
    right = right[right["p"] >= 0].sort_values("month", kind="stable")
    pi, ji = np.nonzero(known)
    gap = confirm_gap_months(o.settings.confirm_weeks)
    left = pd.DataFrame({"p": pi, "j": ji, "t": vm[pi, ji] + gap - _TOL})
    if left.empty or right.empty:
        return month, resp
    hit = pd.merge_asof(left.sort_values("t", kind="stable"), right, left_on="t",
                        right_on="month", by="p", direction="forward")
    month[hit["p"].to_numpy(), hit["j"].to_numpy()] = hit["month"].to_numpy(float)
    resp[hit["p"].to_numpy(), hit["j"].to_numpy()] = hit["response"].to_numpy(object)
    return month, resp


def _counts(st: pd.DataFrame, levels: list[str], missing: str) -> tuple[pd.DataFrame, np.ndarray]:
    """Statements (kind, month, outcome, in order) and counts per statement × (levels, All):
    array [statement, level, (patients, evaluable, yes)], one bincount each."""
    keys = st[["kind", "month", "outcome"]]
    code = keys.groupby(list(keys), sort=False).ngroup().to_numpy()
    what = keys.drop_duplicates().reset_index(drop=True)  # the same first-seen order
    g = pd.Index(levels, dtype=object).get_indexer(st["group"].to_numpy(dtype=object))
    ev = st["status"].notna().to_numpy() | (missing == "non-responder")
    yes = st["status"].eq("yes").to_numpy() & ev
    k = len(levels) + 1
    out = np.zeros((len(what), k, 3), dtype=np.int64)
    for i, flag in enumerate((np.ones(len(st), dtype=bool), ev, yes)):
        w = flag.astype(float)
        own = g >= 0
        out[:, :, i] = (np.bincount(code[own] * k + g[own], weights=w[own], minlength=len(what) * k)
                        .reshape(len(what), k)).astype(np.int64)
        out[:, k - 1, i] = np.bincount(code, weights=w, minlength=len(what)).astype(np.int64)
    return what, out


def sustained_rates(o: Outcomes, statuses: pd.DataFrame | None = None) -> Result:
    """Confirmed and sustained CR and ORR rates per landmark, per group and All.

    Clopper–Pearson exact 95 % interval, as ``binom.test(n_yes, n_evaluable)$conf.int``,
    percent.

    Returns
    -------
    Result ``sustained_response``: kind, month, outcome, group, n_patients, n_evaluable,
    n_yes, pct, ci_low, ci_high, n_not_evaluable.
    """
    st = sustained_patients(o) if statuses is None else statuses
    levels = group_levels(o, o.settings.reference)
    what, c = _counts(st, levels, o.settings.missing)
    k = len(levels) + 1
    t = what.loc[what.index.repeat(k)].reset_index(drop=True)
    t["group"] = [*levels, ALL] * len(what)
    t["n_patients"], t["n_evaluable"], t["n_yes"] = (c[:, :, i].ravel() for i in range(3))
    n = t["n_evaluable"].to_numpy(float)
    ci = clopper_pearson(t["n_yes"].to_numpy(float), n)
    t["pct"] = np.where(n > 0, 100 * t["n_yes"] / np.where(n > 0, n, 1), np.nan)
    t["ci_low"], t["ci_high"] = 100 * np.asarray(ci.low), 100 * np.asarray(ci.high)
    t["n_not_evaluable"] = t["n_patients"] - t["n_evaluable"]
    return Result("sustained_response", t[RATE_COLUMNS], tuple(_notes(o)),
                  {"settings": o.settings})


def _notes(o: Outcomes) -> list[str]:
    s = o.settings
    notes = [
        _("Confirmed: met at the landmark visit and at the next evaluable visit at least {confirm_weeks} weeks later; sustained: met at every landmark up to the month shown; responses under '{criteria}'; Clopper–Pearson exact 95% intervals.").format(confirm_weeks=f"{s.confirm_weeks:g}", criteria=s.criteria),
    ]
    if s.missing == "non-responder":
        notes.append(_("Non-responder imputation: not evaluable counts as not met."))
    else:
        notes.append(_("Complete-case denominators (patients evaluable for each statement)."))
    if s.missing == "locf":
        notes.append(_("Last observation carried forward is not applied to confirmed/sustained "
                     "response: complete-case."))
    return notes


def sustained_tests(o: Outcomes, statuses: pd.DataFrame | None = None) -> Result:
    """Confirmed and sustained CR and ORR compared between groups (evaluable patients).

    Fisher's exact test (R ``fisher.test``; 2×k by full enumeration up to 1,000 patients,
    ``chisq.test(correct = FALSE)`` above), two-sided.

    Returns
    -------
    Result ``sustained_tests``: kind, month, outcome, test, p_value, and ``<group>_yes``,
    ``<group>_n`` for every group.
    """
    st = sustained_patients(o) if statuses is None else statuses
    levels = group_levels(o, o.settings.reference)
    cols = ["kind", "month", "outcome", "test", "p_value"] + [
        f"{g}_{k}" for g in levels for k in ("yes", "n")
    ]
    rows, notes = [], []
    if len(levels) < 2:
        notes.append(_("Only one group: no test between groups."))
    what, c = _counts(st, levels, o.settings.missing)
    for i, (kind, month, outcome) in enumerate(what.itertuples(index=False)):
        if len(levels) < 2:
            break
        n, yes = c[i, :-1, 1], c[i, :-1, 2]
        row = {"kind": kind, "month": month, "outcome": outcome, "test": "", "p_value": np.nan}
        table = np.column_stack([yes, n - yes])[n > 0]
        if len(table) >= 2:
            chosen = group_outcome_test(table)
            row["test"], row["p_value"] = chosen.test, chosen.p
        else:
            notes.append(_('{kind} {outcome} at {month} months: fewer than two groups evaluable, no test.').format(kind=kind, outcome=outcome, month=f"{month:g}"))
        for j, g in enumerate(levels):
            row[f"{g}_yes"], row[f"{g}_n"] = int(yes[j]), int(n[j])
        rows.append(row)
    notes.append(_("Fisher's exact test; unadjusted, exploratory p-values."))

    return Result("sustained_tests", pd.DataFrame(rows, columns=cols), tuple(notes),
                  {"settings": o.settings})


def every_visit_outcomes(ctx: RunContext) -> Outcomes:
    """The run's outcomes, re-derived with every visit judged if it judged landmarks only."""
    o = ctx.outcomes
    if o.visits is not None and len(o.visit_responses) != len(o.visits):
        o = derive_outcomes(ctx.filtered, o.settings, reuse=o)
    return o


def _compute_sustained(ctx: RunContext) -> dict:
    o = every_visit_outcomes(ctx)
    st = sustained_patients(o)
    meta = {"settings": o.settings}
    return {
        "sustained_response": lambda: sustained_rates(o, st),
        "sustained_tests": lambda: sustained_tests(o, st),
        "sustained_patients": Result("sustained_patients", st, tuple(_notes(o)), meta),
    }


def confirmed_text(confirm_weeks: float, missing: str) -> str:
    """Definition of confirmed and sustained response for the methods text."""
    return (
        _("Confirmed response at a landmark: the response (CR; or CR or PR) was met at the "
          "landmark visit and again at the next visit with an evaluable response at least "
          "{weeks} weeks later (weeks converted to months as 7/30.4375; a responder "
          "without such a visit was not evaluable for confirmation, an analysis choice). "
          "Sustained response up to a landmark: met at every landmark up to it (e.g. CR at 6 and "
          "at 12 months); not met once an evaluable landmark missed it, not evaluable when a "
          "landmark was not evaluable and none missed it.").format(weeks=f"{confirm_weeks:g}")
        + " "
        + (
            _("Non-responder imputation: patients not evaluable counted as not met.")
            if missing == "non-responder"
            else _("Denominators were the patients evaluable for each statement (complete-case).")
        )
        + " "
        + _("Rates with Clopper–Pearson exact 95% intervals (R binom.test), compared between "
            "groups by Fisher's exact test (R fisher.test).")
    )



def _sustained_methods(run: AnalysisRun) -> list[str]:
    if run.table("sustained_response") is None:
        return []
    return [confirmed_text(run.settings.confirm_weeks, run.settings.missing)]


_REF = "tests/test_ln_response_reference.py"  # R: tests/reference/ln_response/
_FIG = "core.report.figures.sustained"
_MONTHS = {"month": "months"}
SPECS = (
    AnalysisSpec(
        name="sustained_response", page="response", section="Confirmed and sustained response",
        tables=(
            TableSpec("sustained_response", "Confirmed and sustained response",
                      tuple(RATE_COLUMNS), _REF,
                      counts=("n_patients", "n_evaluable", "n_yes", "n_not_evaluable"),
                      percents=("pct", "ci_low", "ci_high"), estimates=_MONTHS),
            TableSpec("sustained_tests", "Confirmed and sustained response between groups",
                      ("kind", "month", "outcome", "test", "p_value"),
                      _REF, p_values=("p_value",),
                      estimates=_MONTHS),
            TableSpec("sustained_patients", "Confirmed and sustained response per patient",
                      tuple(STATUS_COLUMNS), "tests/test_ln_response.py",
                      patient_level=True,
                      estimates={"month": "months", "visit_month": "months",
                                 "confirm_month": "months"}),
        ),
        compute=_compute_sustained,
        figures=(FigureRef(_FIG, "plot_sustained_response", "response_sustained",
                           "Confirmed and sustained response"),),
        methods=_sustained_methods,
        r_call="binom.test(n_yes, n_evaluable); fisher.test(group × met)",
        needs_groups=("sustained_tests",),
    ),
)
