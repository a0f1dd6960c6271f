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
from core.model.results import Result
from core.model.schema import Cohort
from core.model.settings import Settings
from core.outcomes.criteria import geq, leq
from core.outcomes.derive import Outcomes

OUTCOMES: dict[str, str] = {
    "egfr_decline_30": "Sustained eGFR decline ≥ 30 %",
    "egfr_decline_40": "Sustained eGFR decline ≥ 40 %",
    "creatinine_doubling": "Doubling of serum creatinine",
    "eskd": "ESKD (sustained eGFR < 15, dialysis or transplant)",
    "death": "Death",
    "composite": "Composite: eGFR decline ≥ 40 %, creatinine doubling, ESKD or death",
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


def _flag(series: pd.Series) -> pd.Series:
    """A death flag as written in files (1/0, TRUE/FALSE, yes/no, 사망) → bool."""
    text = series.astype(str).str.strip().str.lower()
    return text.isin(_TRUE)


def kidney_patients(
    cohort: Cohort, o: Outcomes, rules: KidneyRules = DEFAULT_RULES
) -> tuple[pd.DataFrame, list[str]]:
    """One row per patient and outcome (``PATIENT_COLUMNS``) and notes."""
    v = o.visits.sort_values(["patient_id", "month"], kind="stable")
    p = cohort.patients.set_index("patient_id")
    grp = o.landmarks.drop_duplicates("patient_id").set_index("patient_id")["group"]
    base = o.landmarks[o.landmarks["landmark"] == 0].set_index("patient_id")["visit_month"]
    num = {c: pd.to_numeric(p[c], errors="coerce") if c in p else None
           for c in ("dialysis_month", "transplant_month", "death_month")}  # fmt: skip
    died = _flag(p["death"]) if "death" in p else pd.Series(False, index=p.index)
    if num["death_month"] is not None:
        died |= num["death_month"].notna()
    rows, untimed = [], 0
    for pid, x in v.groupby("patient_id", sort=True):
        m = x["month"].to_numpy(float)
        g0 = c0 = np.nan
        bm = base.get(pid, np.nan)
        at0 = x[x["month"] == bm] if not np.isnan(bm) else x.iloc[:0]
        eg = x["egfr"].to_numpy(float) if "egfr" in x else np.full(len(x), np.nan)
        cr = x["creatinine"].to_numpy(float) if "creatinine" in x else np.full(len(x), np.nan)
        if len(at0):
            g0 = float(at0["egfr"].iloc[0]) if "egfr" in at0 else np.nan
            c0 = float(at0["creatinine"].iloc[0]) if "creatinine" in at0 else np.nan
        after = m > 0
        last = float(m.max())
        lv = rules.last_visit_counts
        ev = {
            "egfr_decline_30": sustained_month(
                m[after], eg[after], lambda y, g=g0: leq(y, 0.7 * g), lv
            ),
            "egfr_decline_40": sustained_month(
                m[after], eg[after], lambda y, g=g0: leq(y, 0.6 * g), lv
            ),
            "creatinine_doubling": sustained_month(
                m[after], cr[after], lambda y, c=c0: geq(y, 2 * c), lv
            ),
        }
        eskd = [sustained_month(m[after], eg[after], lambda y: y < ESKD_EGFR, lv)]
        for c in ("dialysis_month", "transplant_month"):
            if num[c] is not None:
                eskd.append(float(num[c].get(pid, np.nan)))
        ev["eskd"] = float(np.nanmin(eskd)) if not np.all(np.isnan(eskd)) else np.nan
        dm = (
            float(num["death_month"].get(pid, np.nan)) if num["death_month"] is not None else np.nan
        )
        dead = bool(died.get(pid, False))
        untimed += dead and np.isnan(dm)
        ev["death"] = dm
        parts = [ev["egfr_decline_40"], ev["creatinine_doubling"], ev["eskd"], dm]
        ev["composite"] = float(np.nanmin(parts)) if not np.all(np.isnan(parts)) else np.nan
        baseline = {"egfr_decline_30": g0, "egfr_decline_40": g0, "creatinine_doubling": c0}
        for name in OUTCOMES:
            t, e = (ev[name], 1) if not np.isnan(ev[name]) else (last, 0)
            if name in baseline and np.isnan(baseline[name]):
                t, e = np.nan, 0  # no baseline value: not at risk of a relative decline
            if dead and np.isnan(dm) and name in ("death", "composite") and e == 0:
                t = np.nan  # died at an unknown month: cannot be timed
            if not t > 0:
                t = np.nan
            rows.append({"outcome": name, "patient_id": pid, "group": grp.get(pid),
                         "baseline": baseline.get(name, np.nan), "time": t, "event": e})  # fmt: skip
    notes = []
    if untimed:
        notes.append(f"{untimed} patient(s) died at an unknown month: left out of death and "
                     "the composite.")  # fmt: skip
    out = pd.DataFrame(rows, columns=PATIENT_COLUMNS)
    gone = out[out["time"].isna()].groupby("outcome").size()
    for name, n in gone.items():
        notes.append(f"{OUTCOMES[name]}: {n} patient(s) without baseline value or follow-up "
                     "after month 0 left out.")  # fmt: skip
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
        notes.append("No death column: death and the composite's death component not assessed.")
    pats = pats[pats["outcome"].isin(present)].reset_index(drop=True)
    et = event_time_tables(pats, settings.reference, {k: OUTCOMES[k] for k in present})
    conf = (
        "a decline at the last visit counts unconfirmed"
        if rules.last_visit_counts
        else "a decline at the last visit does not count"
    )
    defs = (
        "Kidney outcomes from month 0: sustained = met again at the next visit with a value "
        f"({conf}, an analysis choice); eGFR decline ≤ 70 % / ≤ 60 % of baseline; creatinine "
        "≥ 2 × baseline; ESKD eGFR < 15 sustained, dialysis or transplant; composite of "
        "decline ≥ 40 %, doubling, ESKD or death; death not a competing risk.",
    )
    summary = et.summary.assign(label=et.summary["outcome"].map(OUTCOMES))
    meta = {"rules": rules.__dict__, "reference": settings.reference}
    all_notes = (*defs, *notes, *et.notes)
    return {
        "kidney_patients": Result("kidney_patients", pats, all_notes, meta),
        "kidney_outcomes": Result("kidney_outcomes", summary, all_notes, meta),
        "kidney_curve": Result(
            "kidney_curve", et.curve,
            ("Cumulative incidence = 1 − Kaplan–Meier, 95 % log-log CI (R survfit).", *defs),
            meta,
        ),
        "kidney_risk": Result(
            "kidney_risk", et.risk, ("At risk: time ≥ t; events and censorings: time ≤ t.",), meta
        ),
        "kidney_tests": Result(
            "kidney_tests", et.tests,
            ("Log-rank (R survdiff); Cox Efron ties, Wald p (R coxph).", *et.notes), meta,
        ),
    }  # fmt: skip


def _has_death(cohort: Cohort) -> bool:
    p = cohort.patients
    return any(c in p and p[c].notna().any() for c in ("death", "death_month"))
