"""Hard kidney outcomes: sustained eGFR decline, doubling of creatinine, ESKD, death.

Definitions (docs: methods text; *choice* marks ours where published texts leave it open):

- Baseline eGFR (mL/min/1.73 m², filled from creatinine by CKD-EPI 2021 when missing) and
  creatinine (mg/dL) are the baseline visit's (data-contract §5).
- ``egfr_decline_30`` / ``egfr_decline_40``: eGFR ≤ 70 % / 60 % of baseline at a visit after
  month 0, **sustained**: the next visit with an eGFR meets it too; a decline at the
  patient's last eGFR visit counts unconfirmed when ``last_visit_counts`` (default,
  *choice*, stated in the notes); dated at the first visit of the decline.
- ``creatinine_doubling``: creatinine ≥ 2 × baseline, sustained the same way.
- ``eskd``: eGFR < 15 sustained the same way, or the patient's ``dialysis_month`` or
  ``transplant_month`` (optional patient columns), whichever is first.
- ``death``: ``death_month`` (optional; a ``death`` flag without a month cannot be timed and
  is counted in a note).
- ``composite``: the first of eGFR decline ≥ 40 %, creatinine doubling, ESKD or death
  (*choice*: the 40 % decline is the kidney component).
- Time from month 0; without the event, censored at the patient's last visit. Death is not
  treated as a competing risk (*choice*). ``≤``/``≥`` hold on paper (tolerance 1e-9).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from core.analyses.event_times import event_time_tables
from core.analyses.patient_order import by_patient_month, patient_codes
from core.model.i18n import N_
from core.model.i18n import gettext as _
from core.model.results import Result
from core.model.schema import Cohort
from core.model.settings import Settings
from core.model.vocabulary import left_out_note
from core.outcomes.criteria import geq, leq
from core.outcomes.derive import Outcomes

OUTCOMES: dict[str, str] = {
    "egfr_decline_30": N_("Sustained eGFR decline ≥ 30 %"),
    "egfr_decline_40": N_("Sustained eGFR decline ≥ 40 %"),
    "creatinine_doubling": N_("Doubling of serum creatinine"),
    "eskd": N_("ESKD (sustained eGFR < 15, dialysis or transplant)"),
    "death": N_("Death"),
    "composite": N_("Composite: eGFR decline ≥ 40 %, creatinine doubling, ESKD or death"),
}
ESKD_EGFR = 15.0
PATIENT_COLUMNS = ["outcome", "patient_id", "group", "baseline", "time", "event"]

_TRUE = {"1", "1.0", "true", "yes", "y", "dead", "died", "deceased", "사망", "예"}


@dataclass(frozen=True)
class KidneyRules:
    """Settings of the kidney outcomes: an unconfirmed decline at the last visit counts."""

    last_visit_counts: bool = True


DEFAULT_RULES = KidneyRules()


def sustained_month(month, value, hit_of, last_visit_counts: bool = True) -> float:
    """First month at which ``hit_of(value)`` holds and holds again at the next visit with a
    value (or at the last such visit, when ``last_visit_counts``); NaN when never."""
    keep = ~np.isnan(value)
    m, x = np.asarray(month, float)[keep], np.asarray(value, float)[keep]
    hit = hit_of(x)
    for i in np.flatnonzero(hit):
        if i + 1 < len(x) and hit[i + 1]:
            return float(m[i])
        if i + 1 == len(x) and last_visit_counts:
            return float(m[i])
    return float("nan")


def _nanmin(stack: np.ndarray) -> np.ndarray:
    """Column-wise minimum ignoring NaN (NaN where a column is all NaN), without warnings."""
    filled = np.where(np.isnan(stack), np.inf, stack).min(axis=0)
    return np.where(np.isinf(filled), np.nan, filled)


def _flag(series: pd.Series) -> pd.Series:
    """A death flag as written in files (1/0, TRUE/FALSE, yes/no, 사망) → bool."""
    text = series.astype(str).str.strip().str.lower()
    return text.isin(_TRUE)


def first_sustained(code, month, hit, n: int, last_visit_counts: bool = True) -> np.ndarray:
    """Per patient (``code`` 0 … n − 1, rows sorted by patient then month, only rows with a
    value): the first month where ``hit`` holds and holds again at the patient's next row
    (or at the patient's last row, when ``last_visit_counts``); NaN when never. The
    vectorised :func:`sustained_month`."""
    same_next = np.r_[code[1:] == code[:-1], False]
    hit_next = np.r_[hit[1:], False]
    ok = hit & ((same_next & hit_next) | (~same_next & last_visit_counts))
    out = np.full(n, np.nan)
    if ok.any():
        firsts = pd.Series(month[ok]).groupby(code[ok]).min()
        out[firsts.index.to_numpy(dtype=np.int64)] = firsts.to_numpy(dtype=float)
    return out


def kidney_patients(
    cohort: Cohort, o: Outcomes, rules: KidneyRules = DEFAULT_RULES
) -> tuple[pd.DataFrame, list[str]]:
    """One row per patient and outcome (``PATIENT_COLUMNS``) and notes; vectorised over
    patients (one sort of the visits)."""
    v = by_patient_month(o.visits)
    code, ids = patient_codes(v["patient_id"])  # sorted rows: codes in sorted-ID order
    n = len(ids)
    month = v["month"].to_numpy(float)
    eg = v["egfr"].to_numpy(float) if "egfr" in v else np.full(len(v), np.nan)
    cr = v["creatinine"].to_numpy(float) if "creatinine" in v else np.full(len(v), np.nan)
    base = o.landmarks[o.landmarks["landmark"] == 0].set_index("patient_id")["visit_month"]
    base_month = base.reindex(ids).to_numpy(float)
    at0 = month == base_month[code]  # the baseline visit row of each patient
    g0, c0 = np.full(n, np.nan), np.full(n, np.nan)
    g0[code[at0]], c0[code[at0]] = eg[at0], cr[at0]
    last = pd.Series(month).groupby(code).max().reindex(range(n)).to_numpy(float)
    lv = rules.last_visit_counts

    def first(value: np.ndarray, hit_of) -> np.ndarray:
        keep = (month > 0) & ~np.isnan(value)
        c = code[keep]
        with np.errstate(invalid="ignore"):
            hit = hit_of(value[keep], c)
        return first_sustained(c, month[keep], hit, n, lv)

    ev = {
        "egfr_decline_30": first(eg, lambda y, c: leq(y, 0.7 * g0[c])),
        "egfr_decline_40": first(eg, lambda y, c: leq(y, 0.6 * g0[c])),
        "creatinine_doubling": first(cr, lambda y, c: geq(y, 2 * c0[c])),
    }
    p = cohort.patients.drop_duplicates("patient_id").set_index("patient_id")
    col = {c: (pd.to_numeric(p[c], errors="coerce").reindex(ids).to_numpy(float) if c in p
               else np.full(n, np.nan))
           for c in ("dialysis_month", "transplant_month", "death_month")}  # fmt: skip
    with np.errstate(invalid="ignore"):
        eskd = np.vstack([first(eg, lambda y, c: y < ESKD_EGFR), col["dialysis_month"],
                          col["transplant_month"]])  # fmt: skip
    ev["eskd"] = _nanmin(eskd)
    dm = col["death_month"]
    ev["death"] = dm
    ev["composite"] = _nanmin(
        np.vstack([ev["egfr_decline_40"], ev["creatinine_doubling"], ev["eskd"], dm])
    )
    died = _flag(p["death"]).reindex(ids, fill_value=False).to_numpy(bool) if "death" in p else (
        np.zeros(n, bool))  # fmt: skip
    died |= ~np.isnan(dm)
    untimed = int((died & np.isnan(dm)).sum())
    grp = o.landmarks.drop_duplicates("patient_id").set_index("patient_id")["group"]
    groups = grp.reindex(ids).to_numpy(dtype=object)
    baseline = {"egfr_decline_30": g0, "egfr_decline_40": g0, "creatinine_doubling": c0}
    parts = []
    for k, name in enumerate(OUTCOMES):
        e = ~np.isnan(ev[name])
        t = np.where(e, ev[name], last)
        if name in baseline:  # no baseline value: not at risk of a relative decline
            gone = np.isnan(baseline[name])
            t, e = np.where(gone, np.nan, t), e & ~gone
        if name in ("death", "composite"):  # died at an unknown month: cannot be timed
            t = np.where(died & np.isnan(dm) & ~e, np.nan, t)
        with np.errstate(invalid="ignore"):
            t = np.where(t > 0, t, np.nan)
        parts.append(pd.DataFrame({
            "outcome": name, "patient_id": ids, "group": groups,
            "baseline": baseline.get(name, np.full(n, np.nan)), "time": t,
            "event": e.astype(int), "_k": k, "_p": np.arange(n),
        }))  # fmt: skip
    out = pd.concat(parts, ignore_index=True).sort_values(["_p", "_k"], kind="stable")
    out = out[PATIENT_COLUMNS].reset_index(drop=True)
    notes = []
    if untimed:
        notes.append(left_out_note(ids[died & np.isnan(dm)], _("died at an unknown month (a death "
                                   "flag without death_month)"), _("death and the composite")))  # fmt: skip
    base_of = {"egfr_decline_30": (N_("eGFR"), g0), "egfr_decline_40": (N_("eGFR"), g0),
               "creatinine_doubling": (N_("creatinine"), c0)}  # fmt: skip

    no_follow = ~(last > 0)
    for name in OUTCOMES:
        label = _(OUTCOMES[name])
        words = label[0].lower() + label[1:] if label[1:2].islower() else label
        rows = out[(out["outcome"] == name) & out["time"].isna()]
        if rows.empty:
            continue
        gone = set(rows["patient_id"])
        if name in base_of:
            lab, b0 = base_of[name]
            no_base = set(ids[np.isnan(b0)]) & gone
            if no_base:
                notes.append(left_out_note(
                    no_base, _("no {lab} at the baseline visit").format(lab=_(lab)), words
                ))
            gone -= no_base
        late = set(ids[no_follow]) & gone
        if late:
            notes.append(left_out_note(late, _("no visit after month 0"), words))
        rest = gone - late - (set(ids[died & np.isnan(dm)]) if name in ("death", "composite")
                              else set())  # fmt: skip
        if rest:
            notes.append(left_out_note(rest, _("the event time is at or before month 0"), words))
    return out, notes


def kidney_outcomes(
    cohort: Cohort, o: Outcomes, settings: Settings, rules: KidneyRules = DEFAULT_RULES
) -> dict[str, Result]:
    """Counts and time to each kidney outcome, per group and All.

    Returns
    -------
    dict of Results:
    ``kidney_patients``: outcome, patient_id, group, baseline (eGFR or creatinine), time
    (months from month 0 to the event or last visit; NaN: left out), event;
    ``kidney_outcomes``: outcome, group, n, n_events, events_pct, median_time and CI
    (``summary(survfit)$table``), plus ``label``;
    ``kidney_curve``, ``kidney_risk``, ``kidney_tests``: ``event_time_tables`` (survfit
    log-log; numbers at risk every 3 months, ``summary(fit, times, extend = TRUE)``;
    survdiff; coxph Efron with Wald p).
    """
    pats, notes = kidney_patients(cohort, o, rules)
    present = [k for k in OUTCOMES if not (k == "death" and not _has_death(cohort))]
    if not _has_death(cohort):
        notes.append(_("No death column: death and the composite's death component not assessed."))
    pats = pats[pats["outcome"].isin(present)].reset_index(drop=True)
    et = event_time_tables(pats, settings.reference, {k: _(OUTCOMES[k]) for k in present},

                          order=settings.group_order)
    conf = (
        _("a decline at the last visit counts unconfirmed")
        if rules.last_visit_counts
        else _("a decline at the last visit does not count")
    )
    defs = (
        _("Kidney outcomes from month 0: sustained = met again at the next visit with a value "
          "({rule}, an analysis choice); eGFR decline ≤ 70 % / ≤ 60 % of baseline; creatinine "
          "≥ 2 × baseline; ESKD eGFR < 15 sustained, dialysis or transplant; composite of "
          "decline ≥ 40 %, doubling, ESKD or death; death not a competing risk.").format(rule=conf),
    )
    summary = et.summary.assign(label=et.summary["outcome"].map(OUTCOMES))
    meta = {"rules": rules.__dict__, "reference": settings.reference}
    all_notes = (*defs, *notes, *et.notes)
    return {
        "kidney_patients": Result("kidney_patients", pats, all_notes, meta),
        "kidney_outcomes": Result("kidney_outcomes", summary, all_notes, meta),
        "kidney_curve": Result(
            "kidney_curve", et.curve,
            (_("Cumulative incidence = 1 − Kaplan–Meier, 95 % log-log CI (R survfit)."), *defs),
            meta,
        ),
        "kidney_risk": Result(
            "kidney_risk", et.risk, (_("At risk: time ≥ t; events and censorings: time ≤ t."),), meta
        ),
        "kidney_tests": Result(
            "kidney_tests", et.tests,
            (_("Log-rank (R survdiff); Cox Efron ties, Wald p (R coxph)."), *et.notes), meta,
        ),
    }  # fmt: skip


def _has_death(cohort: Cohort) -> bool:
    p = cohort.patients
    return any(c in p and p[c].notna().any() for c in ("death", "death_month"))
