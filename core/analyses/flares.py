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

import numpy as np
import pandas as pd

from core.analyses.event_times import ALL, event_time_tables, group_order
from core.analyses.flare_detection import (  # noqa: F401 (re-exported)
    Confirmation,
    FlareDefinition,
    _next_at_or_after,
    aurora2_threshold,
    flare_rows,
    patient_flares,
)
from core.model.i18n import gettext as _
from core.model.results import Result
from core.model.schema import Cohort
from core.model.settings import Settings
from core.model.vocabulary import left_out_note
from core.outcomes.derive import Outcomes
from core.stats.poisson import poisson_rate, poisson_ratio

MONTHS_PER_YEAR = 12.0
RESPONDED = ("CR", "PR")

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
    resp, groups = x["responded"].to_numpy(bool), x["group"].to_numpy(dtype=object)
    starts = np.flatnonzero(np.r_[True, ids[1:] != ids[:-1]]) if len(ids) else np.array([], int)
    ends = np.r_[starts[1:], len(ids)].astype(int)
    responders = np.add.reduceat(resp.astype(int), starts) > 0 if len(ids) else starts > 0
    if not responders.any():
        return pd.DataFrame([], columns=EVENT_COLUMNS), pd.DataFrame([], columns=PATIENT_COLUMNS)
    a, b = starts[responders], ends[responders]
    # the visits after month 0 of the responders (visits are sorted: month 0 and earlier first)
    rows = np.flatnonzero(np.repeat(responders, ends - starts) & (month > 0))
    m, r = month[rows], resp[rows]
    p = x["upcr"].to_numpy(float)[rows]
    c = x["creatinine"].to_numpy(float)[rows]
    # each responder's rows are together; last_of: the row after each responder's last
    pk = np.repeat(np.arange(len(starts)), ends - starts)[rows]
    last_of = np.r_[np.flatnonzero(pk[1:] != pk[:-1]) + 1, len(rows)]
    end = np.repeat(last_of, np.diff(np.r_[0, last_of]))
    first = m[_first_true(r, last_of)]  # the first response of each responder
    last = month[b - 1]
    pid, group = ids[a], groups[a]
    ev_parts, pat_parts = [], []
    for d_i, defn in enumerate(definitions):
        f = flare_rows(defn, end, m, p, c, r)
        k = f["row"]
        who = np.searchsorted(last_of, k, side="right")  # responder index of each flare
        n_fl = np.bincount(who, minlength=len(a))
        first_fl = np.full(len(a), np.nan)
        once = np.r_[True, who[1:] != who[:-1]] if len(who) else np.array([], bool)
        first_fl[who[once]] = m[k[once]]
        ev_parts.append(
            pd.DataFrame(
                {
                    "definition": defn.name, "patient_id": pid[who], "group": group[who],
                    "response_month": m[f["response_row"]], "month": m[k], "upcr": p[k],
                    "nadir_upcr": f["nadir_upcr"], "threshold_upcr": f["threshold_upcr"],
                    "creatinine": c[k], "nadir_creatinine": f["nadir_creatinine"],
                    "by_creatinine": f["by_creatinine"], "confirmed_month": f["confirmed_month"],
                    "_p": who, "_d": d_i,
                }
            )
        )  # fmt: skip
        time = np.where(n_fl > 0, first_fl, last) - first
        pat_parts.append(
            pd.DataFrame(
                {
                    "definition": defn.name, "patient_id": pid, "group": group,
                    "first_response_month": first, "last_visit_month": last,
                    "followup_years": (last - first) / MONTHS_PER_YEAR, "n_flares": n_fl,
                    "time": np.where(last > first, time, np.nan),
                    "event": (n_fl > 0).astype(np.int64), "_p": np.arange(len(a)), "_d": d_i,
                }
            )
        )  # fmt: skip
    # rows as the per-patient loop wrote them: patient, then definition, then flare
    ev = pd.concat(ev_parts, ignore_index=True).sort_values(["_p", "_d"], kind="stable")
    pats = pd.concat(pat_parts, ignore_index=True).sort_values(["_p", "_d"], kind="stable")
    events = ev[EVENT_COLUMNS].reset_index(drop=True)
    if events.empty:
        events = pd.DataFrame([], columns=EVENT_COLUMNS)
    return events, pats[PATIENT_COLUMNS].reset_index(drop=True)


def _first_true(flags: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """Row of the first True of each run of rows ending before ``ends`` (each run has one)."""
    nxt = _next_at_or_after(flags)
    return nxt[np.r_[0, ends[:-1]]]


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
    words = {d.name: _("Renal flare ({name})").format(name=d.name) for d in definitions}

    ref = settings.reference
    et = event_time_tables(pats.rename(columns={"definition": "outcome"}), ref, words,
                          order=settings.group_order)
    rates, ratios = [], []
    for d in definitions:
        pd_ = pats[pats["definition"] == d.name]
        groups, gref = group_order(pd_["group"], ref, settings.group_order)
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
        _("Renal flare after a response (CR or PR at a visit after month 0); ") + defs,
        _("Flares per 100 patient-years from the first response to the last visit, exact "
        "Poisson CI as R poisson.test."),
        *et.notes,
        *(
            left_out_note(g["patient_id"], _("no visit after their first response"),
                          f"time to first flare ({name})")
            for name, g in pats[pats["time"].isna()].groupby("definition", sort=False)
        ),
    )  # fmt: skip
    if pats.empty:
        notes = (*notes, _("No patient responded with a visit after the response: no flare analysis."))
    meta = {"definitions": [d.__dict__ for d in definitions], "reference": ref}
    rn = {"outcome": "definition"}
    return {
        "flares": Result("flares", pd.DataFrame(rates, columns=RATE_COLUMNS), notes, meta),
        "flare_events": Result("flare_events", events, notes[:1], meta),
        "flare_patients": Result("flare_patients", pats, notes[:1], meta),
        "flare_curve": Result(
            "flare_curve", et.curve.rename(columns=rn),
            (_("Cumulative incidence of a first flare = 1 − Kaplan–Meier from the first "
             "response, 95 % log-log CI, as R survfit(conf.type = 'log-log')."), *et.notes),
            meta,
        ),
        "flare_risk": Result(
            "flare_risk", et.risk.rename(columns=rn),
            (_("At risk: time ≥ t; events and censorings: time ≤ t."),), meta,
        ),
        "flare_tests": Result(
            "flare_tests", tests,
            (_("Log-rank (R survdiff), Cox Efron ties with Wald p (R coxph), rate ratio with "
             "exact conditional CI and p (R poisson.test with two counts)."), *et.notes),
            meta,
        ),
    }  # fmt: skip
