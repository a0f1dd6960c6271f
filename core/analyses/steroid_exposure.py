"""Glucocorticoid exposure: cumulative prednisolone-equivalent dose, low-dose targets, taper.

Definitions (docs: methods text; *choice* marks ours):

- Oral dose ``steroid_mg`` (prednisolone-equivalent mg/day) is read at the visits that
  record it. Between two such visits the daily dose is taken to change linearly: the
  interval's mean daily dose is the mean of the two visit doses and its amount the
  trapezoid (d₁ + d₂)/2 × days, with 30.4375 days per month (*choice*: no dosing diary).
- IV pulses: ``steroid_pulse_mg`` is mg per pulse day; with ``steroid_pulse_days`` (number
  of pulse days at that visit) the pulses (mg × days) are added to the cumulative dose at
  that visit's month; without the number of days they are counted apart, never added.
- Low-dose targets ≤ 7.5 and ≤ 5 mg/day (EULAR 2019 / KDIGO 2024 maintenance targets) at
  the baseline and landmark visits: share with its exact (or Wilson) CI, and the change
  against baseline on patients with both doses (McNemar when ≥ 25 discordant pairs, else
  exact binomial on the discordant pairs, as the anti-dsDNA shift).
- Time to ≤ 7.5 mg/day: from month 0 to the first visit after it with a dose ≤ 7.5;
  censored at the last visit with a dose; patients already ≤ 7.5 at baseline, or without a
  baseline dose, are left out (*choice*).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from core.analyses.event_times import ALL, event_time_tables, group_order
from core.analyses.patient_order import by_patient_month, patient_codes
from core.model.i18n import gettext as _
from core.model.results import Result
from core.model.schema import Cohort
from core.model.settings import Settings
from core.model.vocabulary import left_out_note
from core.outcomes.criteria import leq
from core.outcomes.derive import Outcomes
from core.stats.binomial import clopper_pearson, wilson
from core.stats.contingency import mcnemar_or_binomial

DAYS_PER_MONTH = 30.4375
TARGETS_MG: tuple[float, ...] = (7.5, 5.0)
TAPER_TARGET_MG = 7.5

EXPOSURE_COLUMNS = [
    "patient_id", "group", "month", "steroid_mg", "interval_months", "interval_mean_mg_day",
    "interval_g", "cumulative_oral_g", "pulse_g", "cumulative_pulse_g", "cumulative_g",
    "pulse_unquantified",
]  # fmt: skip
CUMULATIVE_COLUMNS = ["measure", "landmark", "group", "n", "mean", "sd", "median", "q1", "q3"]
THRESHOLD_COLUMNS = [
    "threshold_mg", "landmark", "group", "n", "n_at_or_below", "pct", "ci_low", "ci_high",
    "n_pairs", "newly_at_or_below", "no_longer_at_or_below", "test", "p_value",
]  # fmt: skip


def _groups(o: Outcomes) -> pd.Series:
    return o.landmarks.drop_duplicates("patient_id").set_index("patient_id")["group"]


def exposure_table(cohort: Cohort, o: Outcomes) -> pd.DataFrame:
    """One row per patient and visit with an oral dose (``EXPOSURE_COLUMNS``): dose,
    interval since the previous dose visit (months, mean mg/day, grams), cumulative oral
    grams from the first dose visit, pulse grams at the visit and cumulated (pulses at any
    visit up to this month), total cumulative grams, unquantified pulse visits so far."""
    v = cohort.visits
    if "steroid_mg" not in v:
        return pd.DataFrame(columns=EXPOSURE_COLUMNS)
    cols = ["patient_id", "month", "steroid_mg"]
    pulse = v["steroid_pulse_mg"] if "steroid_pulse_mg" in v else pd.Series(np.nan, index=v.index)
    days = (
        v["steroid_pulse_days"] if "steroid_pulse_days" in v else pd.Series(np.nan, index=v.index)
    )
    x = v[cols].assign(pulse_mg=pulse.astype(float), pulse_days=days.astype(float))
    x = by_patient_month(x.dropna(subset=["month"]))
    code, _ids = patient_codes(x["patient_id"])  # numbers group faster than ID texts
    key = code if (code >= 0).all() else x["patient_id"].to_numpy()  # -1: no ID, not grouped
    given = x["pulse_mg"].fillna(0) > 0
    x["pulse_g"] = np.where(given & x["pulse_days"].notna(), x["pulse_mg"] * x["pulse_days"] / 1000,
                            0.0)  # fmt: skip
    x["unq"] = (given & x["pulse_days"].isna()).astype(int)
    by = x.groupby(key, sort=False, dropna=True)
    x["cumulative_pulse_g"] = by["pulse_g"].cumsum()
    x["pulse_unquantified"] = by["unq"].cumsum()
    dosed = x["steroid_mg"].notna().to_numpy()
    d = x[dosed].copy()
    by = d.groupby(key[dosed], sort=False, dropna=True)
    prev_m, prev_d = by["month"].shift(), by["steroid_mg"].shift()
    d["interval_months"] = d["month"] - prev_m
    d["interval_mean_mg_day"] = (d["steroid_mg"] + prev_d) / 2
    d["interval_g"] = d["interval_mean_mg_day"] * d["interval_months"] * DAYS_PER_MONTH / 1000
    d["cumulative_oral_g"] = d["interval_g"].fillna(0).groupby(key[dosed], sort=False).cumsum()
    d["pulse_g"] = d["pulse_g"]
    d["cumulative_g"] = d["cumulative_oral_g"] + d["cumulative_pulse_g"]
    d["group"] = d["patient_id"].map(_groups(o))
    return d[EXPOSURE_COLUMNS].reset_index(drop=True)


def _landmark_doses(exp: pd.DataFrame, o: Outcomes) -> pd.DataFrame:
    """The exposure row of each patient's baseline and landmark visit (inner join)."""
    lv = o.landmarks.dropna(subset=["visit_month"])[["patient_id", "landmark", "visit_month"]]
    return lv.merge(exp, left_on=["patient_id", "visit_month"], right_on=["patient_id", "month"])


def _describe(values: pd.Series) -> dict:
    x = values.dropna().to_numpy(float)
    if not len(x):
        return {"n": 0, "mean": np.nan, "sd": np.nan, "median": np.nan, "q1": np.nan, "q3": np.nan}
    q1, med, q3 = np.quantile(x, [0.25, 0.5, 0.75])  # R quantile type 7
    sd = float(np.std(x, ddof=1)) if len(x) > 1 else np.nan
    return {"n": len(x), "mean": float(x.mean()), "sd": sd, "median": med, "q1": q1, "q3": q3}


def steroid_exposure(cohort: Cohort, o: Outcomes, settings: Settings) -> dict[str, Result]:
    """Cumulative dose, low-dose targets at the landmarks and time to ≤ 7.5 mg/day.

    Returns
    -------
    dict of Results:
    ``steroid_exposure``: ``EXPOSURE_COLUMNS`` (one row per patient and dose visit);
    ``steroid_cumulative``: measure (``cumulative_g``, ``cumulative_oral_g``,
    ``mean_daily_mg`` = oral grams × 1000 / days from the first dose visit), landmark (the
    landmark visits after month 0), group, n, mean, sd (n − 1), median, q1, q3 (R type 7);
    ``steroid_thresholds``: threshold_mg, landmark (0 and each landmark), group, n,
    n_at_or_below, pct, ci_low, ci_high (0–100; ``binom.test`` or ``prop.test(correct =
    FALSE)`` as the CI setting), n_pairs, newly_at_or_below (b: above at baseline, at or
    below at the landmark), no_longer_at_or_below (c), test and p_value (``mcnemar.test``
    when b + c ≥ 25, else ``binom.test(b, b + c)``);
    ``steroid_target_time``, ``steroid_target_curve``, ``steroid_target_risk``,
    ``steroid_target_tests``: time to ≤ 7.5 mg/day, ``event_time_tables`` (survfit log-log,
    survdiff, coxph Efron).
    """
    exp = exposure_table(cohort, o)
    at = _landmark_doses(exp, o)
    groups, _ref = group_order(exp["group"], settings.reference, settings.group_order)
    ci = clopper_pearson if settings.ci == "clopper-pearson" else wilson
    cum, thr = [], []
    for g in [*groups, ALL]:
        s = at if g == ALL else at[at["group"].astype(str) == g]
        base = s[s["landmark"] == 0].set_index("patient_id")["steroid_mg"]
        for mark in sorted(s["landmark"].unique()) if len(s) else []:
            m = s[s["landmark"] == mark]
            if mark > 0:
                oral_days = m["month"] * DAYS_PER_MONTH
                series = {
                    "cumulative_g": m["cumulative_g"],
                    "cumulative_oral_g": m["cumulative_oral_g"],
                    "mean_daily_mg": m["cumulative_oral_g"] * 1000 / oral_days,
                }
                for name, vals in series.items():
                    cum.append({"measure": name, "landmark": mark, "group": g, **_describe(vals)})
            dose = m.set_index("patient_id")["steroid_mg"]
            for t in TARGETS_MG:
                low = leq(dose.to_numpy(float), t)
                k, n = int(low.sum()), len(dose)
                lim = ci(k, n) if n else None
                lo, hi = (float(lim.low), float(lim.high)) if lim else (np.nan, np.nan)
                row = {"threshold_mg": t, "landmark": mark, "group": g, "n": n,
                       "n_at_or_below": k, "pct": 100 * k / n if n else np.nan,
                       "ci_low": 100 * lo, "ci_high": 100 * hi}  # fmt: skip
                if mark > 0:
                    both = base.index.intersection(dose.index)
                    b0 = leq(base[both].to_numpy(float), t)
                    b1 = leq(dose[both].to_numpy(float), t)
                    b, c = int((~b0 & b1).sum()), int((b0 & ~b1).sum())
                    chosen = mcnemar_or_binomial(b, c)
                    test, p = chosen.test, chosen.p
                    row |= {"n_pairs": len(both), "newly_at_or_below": b,
                            "no_longer_at_or_below": c, "test": test, "p_value": p}  # fmt: skip
                thr.append(row)
    taper, taper_notes = taper_patients(exp, o)
    et = event_time_tables(taper, settings.reference, {"steroid_le_7_5": "Time to ≤ 7.5 mg/day"},
                          order=settings.group_order)
    defs = (
        _("Cumulative prednisolone-equivalent dose by the trapezoid rule between visit doses "
        "(30.4375 days per month); IV pulses added when the number of pulse days is given, "
        "else counted apart."),
    )
    unq = int(exp.groupby("patient_id")["pulse_unquantified"].max().gt(0).sum()) if len(exp) else 0
    if unq:
        defs += (_('{n} patient(s) had IV pulses without the number of pulse days: not added.').format(n=unq),)
    meta = {"settings": settings, "targets_mg": list(TARGETS_MG)}
    if exp.empty:
        defs += (_("No steroid dose in the file: steroid exposure not computed."),)
    tnotes = (_("Time from month 0 to the first visit with ≤ 7.5 mg/day; patients ≤ 7.5 at "
              "baseline or without a baseline dose left out."), *taper_notes, *et.notes)  # fmt: skip
    return {
        "steroid_exposure": Result("steroid_exposure", exp, defs, meta),
        "steroid_cumulative": Result(
            "steroid_cumulative", pd.DataFrame(cum, columns=CUMULATIVE_COLUMNS),
            (*defs, _("At each landmark visit with a dose; quartiles as R quantile(type = 7).")),
            meta,
        ),
        "steroid_thresholds": Result(
            "steroid_thresholds", pd.DataFrame(thr, columns=THRESHOLD_COLUMNS),
            (_("Share at or below 7.5 and 5 mg/day at the baseline and landmark visits; "
             "against baseline: McNemar (≥ 25 discordant pairs) or exact binomial."),),
            meta,
        ),
        "steroid_target_time": Result("steroid_target_time", et.summary, tnotes, meta),
        "steroid_target_curve": Result("steroid_target_curve", et.curve, tnotes, meta),
        "steroid_target_risk": Result("steroid_target_risk", et.risk, tnotes[:1], meta),
        "steroid_target_tests": Result("steroid_target_tests", et.tests, tnotes, meta),
    }  # fmt: skip


def taper_patients(exp: pd.DataFrame, o: Outcomes) -> tuple[pd.DataFrame, list[str]]:
    """outcome (``steroid_le_7_5``), patient_id, group, time, event for time to ≤ 7.5."""
    cols = ["outcome", "patient_id", "group", "time", "event"]
    base = o.landmarks[o.landmarks["landmark"] == 0][["patient_id", "visit_month"]]
    b = base.merge(exp, left_on=["patient_id", "visit_month"], right_on=["patient_id", "month"])
    b = b.drop_duplicates("patient_id").set_index("patient_id")["steroid_mg"]
    ids = pd.unique(exp["patient_id"])
    base = b.reindex(ids).to_numpy(float)
    none0 = int(np.isnan(base).sum())
    low = leq(base, TAPER_TARGET_MG) & ~np.isnan(base)
    low0 = int(low.sum())
    keep_ids = ids[~np.isnan(base) & ~low]
    after = exp[(exp["month"] > 0) & exp["patient_id"].isin(keep_ids)]
    hit = leq(after["steroid_mg"].to_numpy(float), TAPER_TARGET_MG)
    by = after.groupby("patient_id", sort=True)
    last = by["month"].max()
    first = after[hit].groupby("patient_id")["month"].min().reindex(last.index)
    rows = pd.DataFrame(
        {
            "outcome": "steroid_le_7_5",
            "patient_id": last.index,
            "group": by["group"].first().to_numpy(),
            "time": first.fillna(last).to_numpy(float),
            "event": first.notna().astype(int).to_numpy(),
        }
    )
    notes = []
    what = _("time to ≤ 7.5 mg/day")
    if low0:
        notes.append(left_out_note(ids[low], _("already at ≤ 7.5 mg/day at the baseline visit"), what))
    if none0:
        notes.append(left_out_note(ids[np.isnan(base)], _("no steroid dose at the baseline visit"),
                                   what))  # fmt: skip
    gone = sorted(set(keep_ids) - set(last.index))
    if gone:
        notes.append(left_out_note(gone, _("no visit with a steroid dose after month 0"), what))
    return rows[cols], notes
