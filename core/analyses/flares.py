"""Renal flares after response: events, rates per 100 patient-years, time to first flare.

Definitions (docs: methods text and ``FLARE_TEXT``; *choice* marks our reading):

- **Response** is a visit after month 0 whose response (recorded, or derived under the
  run's criteria: ``Outcomes.visit_responses``) is CR or PR. The **nadir** is the lowest
  UPCR (g/g) from that response visit up to the visit before the one examined.
- ``aurora2`` (AURORA 2 proteinuric flare, voclosporin extension study): UPCR > 1 g/g after
  a nadir < 0.2 g/g, or UPCR > 2 g/g after a nadir 0.2–1.0 g/g (both edges in that band,
  *choice*); a nadir above 1.0 g/g allows no flare under this definition.
- ``custom``: UPCR ≥ ``fold`` × nadir and UPCR ≥ ``floor_upcr`` (g/g), or, when
  ``creatinine_rise_pct`` is set, creatinine ≥ (1 + pct/100) × the lowest creatinine since
  the response; ``≥`` holds on paper (relative tolerance 1e-9, as the response rules).
- **Confirmation** (a setting): ``none``, or ``next-visit``: the next visit with a UPCR
  (with a creatinine, for a creatinine flare) must meet the same threshold; the flare is
  dated at its first visit; a candidate at the last such visit is not a flare (*choice*).
- After a flare the patient can flare again only after a new response at a later visit
  (after the confirming visit), which restarts the nadir (*choice*).
- **Follow-up** runs from the first response to the patient's last visit (months; years =
  months / 12); the time in flare is included (*choice*). Time to first flare starts at the
  first response; patients without a visit after it are left out of the curve.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from core.analyses.event_times import ALL, event_time_tables, group_order
from core.model.results import Result
from core.model.schema import Cohort
from core.model.settings import Settings
from core.model.vocabulary import left_out_note
from core.outcomes.criteria import geq
from core.outcomes.derive import Outcomes
from core.stats.poisson import poisson_rate, poisson_ratio

MONTHS_PER_YEAR = 12.0
RESPONDED = ("CR", "PR")

Confirmation = Literal["none", "next-visit"]


@dataclass(frozen=True)
class FlareDefinition:
    """One renal-flare definition: ``kind`` ``aurora2`` or ``custom`` (fold, floor in g/g,
    creatinine rise in %, custom only) and the confirmation rule."""

    name: str = "aurora2"
    kind: Literal["aurora2", "custom"] = "aurora2"
    confirmation: Confirmation = "none"
    fold: float = 2.0
    floor_upcr: float = 1.0
    creatinine_rise_pct: float | None = None

    def label(self) -> str:
        if self.kind == "aurora2":
            core = "AURORA 2: UPCR > 1 g/g after a nadir < 0.2, or > 2 g/g after a nadir 0.2–1.0"
        else:
            core = f"UPCR ≥ {self.fold:g} × nadir and ≥ {self.floor_upcr:g} g/g"
            if self.creatinine_rise_pct is not None:
                core += f", or creatinine ≥ {100 + self.creatinine_rise_pct:g} % of its nadir"
        conf = "confirmed at the next visit" if self.confirmation == "next-visit" else "unconfirmed"
        return f"{core} ({conf})"


DEFAULT_DEFINITIONS: tuple[FlareDefinition, ...] = (
    FlareDefinition("aurora2", "aurora2"),
    FlareDefinition("custom", "custom", fold=2.0, floor_upcr=1.0),
)


def definitions_of(settings: Settings) -> tuple[FlareDefinition, ...]:
    """The run's two flare definitions: AURORA 2 and the custom one, under the settings'
    confirmation rule, fold, floor and creatinine rise."""
    conf = settings.flare_confirmation
    return (
        FlareDefinition("aurora2", "aurora2", confirmation=conf),
        FlareDefinition(
            "custom", "custom", confirmation=conf, fold=settings.flare_fold,
            floor_upcr=settings.flare_floor_upcr,
            creatinine_rise_pct=settings.flare_creatinine_rise_pct,
        ),
    )  # fmt: skip


EVENT_COLUMNS = [
    "definition", "patient_id", "group", "response_month", "month", "upcr", "nadir_upcr",
    "threshold_upcr", "creatinine", "nadir_creatinine", "by_creatinine", "confirmed_month",
]  # fmt: skip
PATIENT_COLUMNS = [
    "definition", "patient_id", "group", "first_response_month", "last_visit_month",
    "followup_years", "n_flares", "time", "event",
]  # fmt: skip
RATE_COLUMNS = [
    "definition", "group", "n_responders", "n_patients_flare", "n_flares", "patient_years",
    "rate_per_100py", "rate_ci_low", "rate_ci_high", "median_time", "median_ci_low",
    "median_ci_high",
]  # fmt: skip


def aurora2_threshold(nadir: np.ndarray) -> np.ndarray:
    """AURORA 2 flare threshold (g/g; a flare is UPCR > it) for a post-response nadir:
    1.0 when nadir < 0.2, 2.0 when 0.2 ≤ nadir ≤ 1.0, NaN (no flare possible) above 1.0."""
    nadir = np.asarray(nadir, float)
    return np.where(nadir < 0.2, 1.0, np.where(nadir <= 1.0, 2.0, np.nan))


def _meets(defn: FlareDefinition, p, nadir, c, c_nadir) -> tuple[bool, bool, float]:
    """(flare by UPCR or creatinine, by creatinine, UPCR threshold) at one visit."""
    if defn.kind == "aurora2":  # scalar form of aurora2_threshold (one visit at a time)
        thr = np.nan if np.isnan(nadir) else 1.0 if nadir < 0.2 else 2.0 if nadir <= 1.0 else np.nan
        return bool(p > thr), False, thr  # NaN compares False
    thr = max(defn.fold * nadir, defn.floor_upcr) if not np.isnan(nadir) else np.nan
    by_p = bool(
        not np.isnan(p) and not np.isnan(nadir)
        and geq(p, defn.fold * nadir) and geq(p, defn.floor_upcr)
    )  # fmt: skip
    by_c = False
    if defn.creatinine_rise_pct is not None and not (np.isnan(c) or np.isnan(c_nadir)):
        by_c = bool(geq(c, (1 + defn.creatinine_rise_pct / 100) * c_nadir))
    return by_p or by_c, by_c and not by_p, thr


def _confirming(defn, month, p, c, i, nadir, c_nadir, by_c) -> float:
    """Month of the visit confirming a candidate at row i (NaN: none)."""
    col = c if by_c else p
    nxt = np.flatnonzero(~np.isnan(col[i + 1 :]))
    if not len(nxt):
        return np.nan
    j = i + 1 + nxt[0]
    ok, _, _ = _meets(defn, p[j], nadir, c[j], c_nadir)
    return float(month[j]) if ok else np.nan


def patient_flares(defn: FlareDefinition, month, p, c, responded) -> list[dict]:
    """The flares of one patient (visits sorted by month, after month 0).

    Returns one dict per flare: response_month, month, upcr, nadir_upcr, threshold_upcr,
    creatinine, nadir_creatinine, by_creatinine, confirmed_month.
    """
    out: list[dict] = []
    nadir = c_nadir = np.nan
    since = None  # month of the response the patient is followed from (None: not in response)
    i, resume = 0, -1
    while i < len(month):
        if since is None:
            if i > resume and responded[i]:
                since, nadir, c_nadir = float(month[i]), p[i], c[i]
            i += 1
            continue
        hit, by_c, thr = _meets(defn, p[i], nadir, c[i], c_nadir)
        confirmed = float(month[i])
        if hit and defn.confirmation == "next-visit":
            confirmed = _confirming(defn, month, p, c, i, nadir, c_nadir, by_c)
            hit = not np.isnan(confirmed)
        if hit:
            out.append(
                {
                    "response_month": since, "month": float(month[i]), "upcr": p[i],
                    "nadir_upcr": nadir, "threshold_upcr": thr, "creatinine": c[i],
                    "nadir_creatinine": c_nadir, "by_creatinine": by_c,
                    "confirmed_month": confirmed,
                }
            )  # fmt: skip
            since, nadir, c_nadir = None, np.nan, np.nan
            resume = int(np.searchsorted(month, confirmed))  # re-response after confirmation
            i += 1
            continue
        nadir = np.fmin(nadir, p[i])
        c_nadir = np.fmin(c_nadir, c[i])
        i += 1
    return out


def _visits(o: Outcomes) -> pd.DataFrame:
    """patient_id, group, month, upcr, creatinine, responded (CR/PR) for every visit."""
    v = o.visits if o.visits is not None else pd.DataFrame(columns=["patient_id", "month"])
    cols = {"patient_id": v["patient_id"], "month": v["month"].astype(float)}
    for name in ("upcr", "creatinine"):
        cols[name] = v[name].astype(float) if name in v else np.nan
    if "upcr" not in v and "proteinuria_24h" in v:
        cols["upcr"] = v["proteinuria_24h"].astype(float)
    x = pd.DataFrame(cols)
    vr = o.visit_responses[["patient_id", "month", "response"]]
    x = x.merge(vr, on=["patient_id", "month"], how="left")
    x["responded"] = x["response"].isin(RESPONDED) & (x["month"] > 0)
    grp = o.landmarks.drop_duplicates("patient_id").set_index("patient_id")["group"]
    x["group"] = x["patient_id"].map(grp)
    return x.sort_values(["patient_id", "month"], kind="stable")


def flare_tables(
    o: Outcomes, definitions: tuple[FlareDefinition, ...] = DEFAULT_DEFINITIONS
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(flare_events, flare_patients) of every patient under every definition."""
    x = _visits(o)
    ids = x["patient_id"].to_numpy()
    month = x["month"].to_numpy(float)
    upcr, creat = x["upcr"].to_numpy(float), x["creatinine"].to_numpy(float)
    resp, groups = x["responded"].to_numpy(bool), x["group"].to_numpy(dtype=object)
    starts = np.flatnonzero(np.r_[True, ids[1:] != ids[:-1]]) if len(ids) else np.array([], int)
    ends = np.r_[starts[1:], len(ids)].astype(int)
    responders = np.add.reduceat(resp.astype(int), starts) > 0 if len(ids) else starts > 0
    events, pats = [], []
    for a, b in zip(starts[responders], ends[responders], strict=True):
        after = slice(a, b)
        keep = month[after] > 0  # visits are sorted: month 0 (and earlier) first
        m, p, c = month[after][keep], upcr[after][keep], creat[after][keep]
        r = resp[after][keep]
        pid, group = ids[a], groups[a]
        first, last = float(m[r][0]), float(month[b - 1])
        for defn in definitions:
            fl = patient_flares(defn, m, p, c, r)
            events += [
                {"definition": defn.name, "patient_id": pid, "group": group, **f} for f in fl
            ]
            pats.append(
                {
                    "definition": defn.name, "patient_id": pid, "group": group,
                    "first_response_month": first, "last_visit_month": last,
                    "followup_years": (last - first) / MONTHS_PER_YEAR, "n_flares": len(fl),
                    "time": (fl[0]["month"] if fl else last) - first if last > first else np.nan,
                    "event": int(bool(fl)),
                }
            )  # fmt: skip
    return pd.DataFrame(events, columns=EVENT_COLUMNS), pd.DataFrame(pats, columns=PATIENT_COLUMNS)


def flares(
    cohort: Cohort,
    o: Outcomes,
    settings: Settings,
    definitions: tuple[FlareDefinition, ...] = DEFAULT_DEFINITIONS,
) -> dict[str, Result]:
    """Renal flares after response under each definition, per group and All.

    Returns
    -------
    dict of Results:
    ``flare_events``: one row per flare (definition, patient_id, group, response_month,
    month, upcr, nadir_upcr, threshold_upcr, creatinine, nadir_creatinine, by_creatinine,
    confirmed_month);
    ``flare_patients``: one row per responder and definition (first_response_month,
    last_visit_month, followup_years, n_flares, time = months from first response to first
    flare or last visit, event);
    ``flares``: definition, group, n_responders, n_patients_flare, n_flares, patient_years,
    rate_per_100py with its exact Poisson CI (``poisson.test(n_flares, patient_years)``,
    × 100), median time to first flare and CI (``summary(survfit)$table``);
    ``flare_curve``, ``flare_risk``, ``flare_tests`` (outcome = definition): see
    ``core.analyses.event_times.event_time_tables`` (survfit log-log, survdiff, coxph
    Efron); ``flare_tests`` adds a ``rate ratio`` row per non-reference group,
    ``poisson.test(c(x1, x0), c(T1, T0))`` (exact conditional binomial p and CI).
    """
    events, pats = flare_tables(o, definitions)
    words = {d.name: f"Renal flare ({d.name})" for d in definitions}
    ref = settings.reference
    et = event_time_tables(pats.rename(columns={"definition": "outcome"}), ref, words)
    rates, ratios = [], []
    for d in definitions:
        pd_ = pats[pats["definition"] == d.name]
        groups, gref = group_order(pd_["group"], ref)
        per = {}
        for g in [*groups, ALL]:
            s = pd_ if g == ALL else pd_[pd_["group"].astype(str) == g]
            n_fl = int(s["n_flares"].sum())
            py = float(s["followup_years"].sum())
            r = poisson_rate(n_fl, py)
            per[g] = (n_fl, py)
            med = et.summary[(et.summary["outcome"] == d.name) & (et.summary["group"] == g)]
            rates.append(
                {
                    "definition": d.name, "group": g, "n_responders": len(s),
                    "n_patients_flare": int((s["n_flares"] > 0).sum()), "n_flares": n_fl,
                    "patient_years": py, "rate_per_100py": 100 * r.rate,
                    "rate_ci_low": 100 * r.ci_low, "rate_ci_high": 100 * r.ci_high,
                    **{k: (med[k].iloc[0] if len(med) else np.nan)
                       for k in ("median_time", "median_ci_low", "median_ci_high")},
                }
            )  # fmt: skip
        for g in groups[1:]:
            if per[g][0] + per[gref][0] == 0:  # no flare in either group: nothing to compare
                continue
            rr = poisson_ratio(*per[g], *per[gref])
            ratios.append(
                {
                    "outcome": d.name, "test": "rate ratio", "term": f"{g} vs {gref}",
                    "hr": rr.ratio, "ci_low": rr.ci_low, "ci_high": rr.ci_high,
                    "p_value": rr.p_value, "n": len(pd_), "n_events": per[g][0] + per[gref][0],
                    "reference": gref, "converged": True,
                }
            )  # fmt: skip
    tests = pd.concat([et.tests, pd.DataFrame(ratios, columns=et.tests.columns)], ignore_index=True)
    tests = tests.rename(columns={"outcome": "definition"})
    defs = " ".join(f"{d.name}: {d.label()}." for d in definitions)
    notes = (
        "Renal flare after a response (CR or PR at a visit after month 0); " + defs,
        "Flares per 100 patient-years from the first response to the last visit, exact "
        "Poisson CI as R poisson.test.",
        *et.notes,
        *(
            left_out_note(g["patient_id"], "no visit after their first response",
                          f"time to first flare ({name})")
            for name, g in pats[pats["time"].isna()].groupby("definition", sort=False)
        ),
    )  # fmt: skip
    if pats.empty:
        notes = (*notes, "No patient responded with a visit after the response: no flare analysis.")
    meta = {"definitions": [d.__dict__ for d in definitions], "reference": ref}
    rn = {"outcome": "definition"}
    return {
        "flares": Result("flares", pd.DataFrame(rates, columns=RATE_COLUMNS), notes, meta),
        "flare_events": Result("flare_events", events, notes[:1], meta),
        "flare_patients": Result("flare_patients", pats, notes[:1], meta),
        "flare_curve": Result(
            "flare_curve", et.curve.rename(columns=rn),
            ("Cumulative incidence of a first flare = 1 − Kaplan–Meier from the first "
             "response, 95 % log-log CI, as R survfit(conf.type = 'log-log').", *et.notes),
            meta,
        ),
        "flare_risk": Result(
            "flare_risk", et.risk.rename(columns=rn),
            ("At risk: time ≥ t; events and censorings: time ≤ t.",), meta,
        ),
        "flare_tests": Result(
            "flare_tests", tests,
            ("Log-rank (R survdiff), Cox Efron ties with Wald p (R coxph), rate ratio with "
             "exact conditional CI and p (R poisson.test with two counts).", *et.notes),
            meta,
        ),
    }  # fmt: skip
