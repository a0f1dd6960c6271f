"""Response audit: every call of every rule set, condition by condition (patient-level).

For every patient × landmark × rule set the file can support (and, when asked, every visit
after month 0): the visit chosen, each input value, each condition of the rule as true /
false / missing / not assessed, the response and the reason when not evaluable. The calls
are made by the same code as the response tables (``core.outcomes.criteria``), on the same
landmark visits (``core.outcomes.derive``), so the audit and the rates cannot disagree.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from core.analyses.context import RunContext
from core.analyses.criteria_sensitivity import supported_criteria
from core.analyses.spec import NO_FIGURE, AnalysisSpec, TableSpec
from core.model.i18n import gettext as _
from core.model.results import AnalysisRun, Result
from core.model.schema import RESPONSE_STATES, Cohort
from core.model.settings import Settings
from core.outcomes.criteria import (
    TREATMENT_FAILURE,
    condition_table,
    evaluate,
    proteinuria_column,
    rule_set,
)
from core.outcomes.derive import NO_VISIT, RESPONSE_MISSING, Outcomes, take_rows

# Input values shown, in this order: (column in the audit, field read, at baseline?)
INPUTS: tuple[tuple[str, str, bool], ...] = (
    ("upcr_0", "upcr", True),
    ("upcr_t", "upcr", False),
    ("egfr_0", "egfr", True),
    ("egfr_t", "egfr", False),
    ("prior_egfr", "prior_egfr", False),
    ("egfr_ref", "egfr_ref", False),
    ("creatinine_0", "creatinine", True),
    ("creatinine_t", "creatinine", False),
    ("albumin_t", "albumin", False),
    ("steroid_mg_t", "steroid_mg", False),
    ("urine_rbc_t", "urine_rbc", False),
    ("treatment_failure_t", TREATMENT_FAILURE, False),
)
INPUT_COLUMNS = tuple(c for c, _, _ in INPUTS)
COLUMNS = [
    "patient_id",
    "group",
    "criteria",
    "landmark",
    "visit_month",
    "baseline_month",
    "response",
    "reason",
    "on_boundary",
    "part",
    "condition",
    "rule",
    "state",
    "on_edge",
    *INPUT_COLUMNS,
]


def _judged_rows(o: Outcomes, every_visit: bool) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """The rows judged (patient_id, group, landmark, visit_month, baseline_month), the visit
    row of each (-1: none) and its baseline visit row (-1: none)."""
    lv = o.landmarks
    rows = o.landmark_rows
    marks = lv["landmark"].to_numpy(float)
    base_of_patient = rows[marks == 0]  # one per patient, patient order
    month = o.visits["month"].to_numpy(float)
    pats = lv.loc[marks == 0, ["patient_id", "group"]].reset_index(drop=True)
    if every_visit:
        at = np.flatnonzero((o.visit_patient >= 0) & (month > 0))
        who = o.visit_patient[at]
        frame = pd.DataFrame({
            "patient_id": pats["patient_id"].to_numpy()[who],
            "group": pats["group"].to_numpy()[who],
            "landmark": np.nan,
        })
        base = base_of_patient[who]
    else:
        later = marks > 0
        at = rows[later]
        frame = lv.loc[later, ["patient_id", "group", "landmark"]].reset_index(drop=True)
        base = np.repeat(base_of_patient, len(np.unique(marks)) - 1)
    frame["visit_month"] = np.append(month, np.nan)[at]
    frame["baseline_month"] = np.append(month, np.nan)[base]
    return frame, at, base


def _inputs(visits: pd.DataFrame, fields: set[str], at: np.ndarray, base: np.ndarray) -> dict:
    x = {}
    for f in fields & set(visits):
        x[f] = np.asarray(take_rows(visits[f], at), dtype=float)
        x[f"{f}_0"] = np.asarray(take_rows(visits[f], base), dtype=float)
    return x


def _one_rule_set(name: str, settings: Settings, visits: pd.DataFrame, frame: pd.DataFrame,
                  at: np.ndarray, base: np.ndarray) -> pd.DataFrame:
    n = len(frame)
    cols = {c: frame[c].to_numpy() for c in frame.columns}
    cols["criteria"] = np.full(n, name, dtype=object)
    if name == "recorded":
        raw = take_rows(visits["response"], at) if "response" in visits else np.full(n, None)
        raw = np.asarray(raw, dtype=object)
        ok = np.isin(raw, RESPONSE_STATES)
        cols |= {
            "response": np.where(ok, raw, None),
            "reason": np.where(at < 0, NO_VISIT, np.where(ok, None, RESPONSE_MISSING)),
            "on_boundary": np.zeros(n, dtype=bool),
            "part": np.full(n, "", dtype=object),
            "condition": np.full(n, "recorded", dtype=object),
            "rule": np.full(n, "response recorded at the visit", dtype=object),
            "state": np.where(ok, "true", "missing").astype(object),
            "on_edge": np.zeros(n, dtype=bool),
        }
        cols |= {c: np.full(n, np.nan) for c in INPUT_COLUMNS}
        return pd.DataFrame(cols, columns=COLUMNS)
    rules = rule_set(name, settings.custom)
    used = {*rules.landmark_inputs, *rules.baseline_inputs, *rules.optional_inputs}
    x = pd.DataFrame(_inputs(visits, used, at, base), index=pd.RangeIndex(n))
    verdict = evaluate(rules, x)
    v = rules.values(x)
    cols["response"] = verdict["response"].to_numpy(object)
    cols["reason"] = np.where(at < 0, NO_VISIT, verdict["reason"].to_numpy(object))
    cols["on_boundary"] = verdict["on_boundary"].to_numpy(bool)
    shown_base = set(rules.baseline_inputs)
    for col, field, at_base in INPUTS:
        wanted = (field in shown_base) if at_base else (
            field in used or (field == "egfr_ref" and "egfr_ref" in rules.required_baseline)
        )
        cols[col] = v[f"{field}_0" if at_base else field] if wanted else np.full(n, np.nan)
    conds = condition_table(rules, x)
    rows = conds["row"].to_numpy()
    out = {c: np.asarray(a)[rows] for c, a in cols.items()}
    out |= {c: conds[c].to_numpy() for c in ("part", "condition", "rule", "state", "on_edge")}
    return pd.DataFrame(out, columns=COLUMNS)


def response_audit(
    cohort: Cohort, o: Outcomes, every_visit: bool = False, patient_ids=None
) -> Result:
    """Every response call of every supported rule set, condition by condition.

    Parameters
    ----------
    cohort
        The analysed (filtered) cohort: which rule sets its columns support.
    o
        Its outcomes (landmark visits, eGFR-filled visits with ``prior_egfr`` and
        ``treatment_failure_so_far``).
    every_visit
        Audit every visit after month 0 instead of the landmark visits (``landmark`` NaN).
    patient_ids
        Only these patients (e.g. the one picked on screen); default every patient. The
        whole audit has about 40 rows per patient and landmark.

    Returns
    -------
    Result ``response_audit`` (patient-level): one row per patient × landmark (or visit) ×
    rule set × condition: patient_id, group, criteria, landmark, visit_month (the visit
    judged, NaN: none in the window), baseline_month, response ('CR', 'PR', 'NR', None:
    not evaluable), reason (why not evaluable), on_boundary, part ('CR', 'PR'; '' for
    recorded), condition (name), rule (text), state ('true', 'false', 'missing', 'not
    assessed'), on_edge (a value exactly on the condition's threshold), and the inputs
    upcr_0, upcr_t, egfr_0, egfr_t, prior_egfr, egfr_ref, creatinine_0, creatinine_t,
    albumin_t, steroid_mg_t, urine_rbc_t, treatment_failure_t (the rule set's own inputs
    only; units of data-contract §2; treatment_failure_t 1 = failure at or before the
    visit). No statistics: the calls behind response_rates and criteria_sensitivity.
    """
    settings = o.settings
    visits, _column = proteinuria_column(o.visits)
    frame, at, base = _judged_rows(o, every_visit)
    if patient_ids is not None:
        pick = frame["patient_id"].isin(list(patient_ids)).to_numpy()
        frame, at, base = frame[pick].reset_index(drop=True), at[pick], base[pick]
    names = supported_criteria(cohort, settings)
    parts = [_one_rule_set(n, settings, visits, frame, at, base) for n in names]
    t = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=COLUMNS)
    notes = [
        _("Patient-level: every call of every rule set the file supports, condition by "
        "condition (true / false / missing / not assessed); not evaluable is not NR."),
        _("Values exactly on a ≤/≥ threshold meet it (relative tolerance 1e-9); on_edge flags "
        "them."),
    ]
    if not names:
        notes.append(_("No rule set can be applied to this file (no response and no UPCR)."))
    meta = {"settings": settings, "patient_level": True, "every_visit": every_visit}
    return Result("response_audit", t, tuple(notes), meta)


AUDIT_MAX_PATIENTS = 5_000  # ~40 rows per patient and landmark: beyond, a registry-size table


def _audit(ctx: RunContext) -> dict:
    n = len(ctx.filtered.patients)
    if n > AUDIT_MAX_PATIENTS:
        return {"response_audit": Result("response_audit", pd.DataFrame(columns=COLUMNS), (
            _('Response audit not listed for {n} patients (limit {audit_max_patients}: about 40 rows per patient and landmark). Filter to fewer patients, or call core.analyses.response_audit.response_audit(cohort, outcomes, patient_ids=[…]) for the patients to check.').format(n=f"{n:,}", audit_max_patients=f"{AUDIT_MAX_PATIENTS:,}"),))}  # fmt: skip
    every = ctx.settings.audit_every_visit
    return {"response_audit": response_audit(ctx.filtered, ctx.outcomes, every_visit=every)}


def _methods(run: AnalysisRun) -> list[str]:
    if run.table("response_audit") is None:
        return []
    return [_(
        "Every response call is listed per patient, landmark and rule set with the visit "
        "used, each input value and each condition of the rule (true, false, missing or not "
        "assessed) in the patient-level table response_audit."
    )]



SPECS = (
    AnalysisSpec(
        name="response_audit", page="response", section="Response audit",
        tables=(
            TableSpec("response_audit", "Response audit", tuple(COLUMNS),
                      "tests/test_ln_response_reference.py", patient_level=True,
                      estimates={"landmark": "months", "visit_month": "months",
                                 "baseline_month": "months"}),
        ),
        compute=_audit,
        figures=NO_FIGURE,
        methods=_methods,
        r_call="none (no statistics); the landmark calls equal ln_response.R's",
    ),
)
