"""Duration of renal response (issue 13, point 3): Kaplan–Meier of remaining in response.

From the first visit after month 0 meeting the response (CR; or CR or PR) to the first later
visit with an evaluable response not meeting it (event), censored at the last visit with an
evaluable response (*choice*); patients who never respond are not in it. Responses are the
observed ones at the visits under ``settings.criteria`` (:mod:`core.analyses.sustained_response`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from core.analyses.context import RunContext
from core.analyses.response import group_levels
from core.analyses.spec import AnalysisSpec, FigureRef, TableSpec
from core.analyses.sustained_response import OUTCOMES, evaluable_visits, every_visit_outcomes
from core.model.i18n import N_
from core.model.i18n import gettext as _
from core.model.results import AnalysisRun, Result
from core.model.vocabulary import ALL
from core.outcomes.derive import Outcomes
from core.stats.survival import kaplan_meier, km_median

DURATION_PATIENT_COLUMNS = ["patient_id", "group", "outcome", "onset_month", "time", "event"]
CURVE_COLUMNS = ["outcome", "group", "time", "n_risk", "n_event", "n_censor",
                 "pct_in_response", "ci_low", "ci_high", "surv", "std_err_log_surv"]
SUMMARY_COLUMNS = ["outcome", "group", "n", "n_events", "median_time", "median_ci_low",
                   "median_ci_high", "median_rule"]


def duration_patients(o: Outcomes) -> pd.DataFrame:
    """Per responding patient and outcome: onset_month (first visit after month 0 meeting
    it), time (months from onset to loss, or to the last evaluable visit), event (1 = lost
    at the first later evaluable visit not meeting it, 0 = censored). Patient-level;
    vectorised over patients."""
    seen = evaluable_visits(o)
    first = o.responses.drop_duplicates("patient_id")
    ids = pd.Index(first["patient_id"])
    p = ids.get_indexer(seen["patient_id"])
    keep = p >= 0
    p, month = p[keep], seen["month"].to_numpy(float)[keep]
    resp = seen["response"].to_numpy(object)[keep]
    last = pd.Series(month).groupby(p).max()
    parts = []
    for outcome, states in OUTCOMES.items():
        met = np.isin(resp, states)
        onset = pd.Series(month[met]).groupby(p[met]).min()
        after = ~met & (month > pd.Series(p).map(onset).to_numpy(float))
        loss = pd.Series(month[after]).groupby(p[after]).min().reindex(onset.index)
        who = onset.index.to_numpy()
        lost = loss.notna().to_numpy()
        end = np.where(lost, loss.to_numpy(float), last.reindex(onset.index).to_numpy(float))
        parts.append(pd.DataFrame({
            "patient_id": ids.to_numpy(object)[who],
            "group": first["group"].to_numpy(object)[who],
            "outcome": outcome, "onset_month": onset.to_numpy(float),
            "time": end - onset.to_numpy(float), "event": lost.astype(int),
        }))
    return pd.concat(parts, ignore_index=True)[DURATION_PATIENT_COLUMNS]


def response_duration(o: Outcomes, patients: pd.DataFrame | None = None) -> dict[str, Result]:
    """Duration of response (CR; CR or PR), Kaplan–Meier per group and All.

    As ``survfit(Surv(time, event) ~ 1, conf.type = "log-log")``: ``pct_in_response`` =
    100·S, ci_low/ci_high = 100·lower/upper; the median and its CI as
    ``summary(fit)$table`` (midpoint rule; NaN = not reached).

    Returns
    -------
    dict with Results ``response_duration`` (outcome, group, time, n_risk, n_event,
    n_censor, pct_in_response, ci_low, ci_high, surv, std_err_log_surv) and
    ``response_duration_summary`` (outcome, group, n, n_events, median_time,
    median_ci_low, median_ci_high, median_rule).
    """
    d = duration_patients(o) if patients is None else patients
    levels = group_levels(o, o.settings.reference)
    curves, summary = [], []
    for outcome in OUTCOMES:
        od = d[d["outcome"] == outcome]
        for g in [*levels, ALL]:
            s = od if g == ALL else od[od["group"].astype(str) == g]
            km = kaplan_meier(s["time"], s["event"])
            curves.append(pd.DataFrame({
                "outcome": outcome, "group": g, "time": km["time"], "n_risk": km["n_risk"],
                "n_event": km["n_event"], "n_censor": km["n_censor"],
                "pct_in_response": 100 * km["surv"], "ci_low": 100 * km["lower"],
                "ci_high": 100 * km["upper"], "surv": km["surv"],
                "std_err_log_surv": km["std_err_log_surv"],
            }, columns=CURVE_COLUMNS))
            med = km_median(km)
            summary.append([outcome, g, len(s), int(s["event"].sum()), med.median,
                            med.low, med.high, med.rule])
    curve = pd.concat(curves, ignore_index=True) if curves else pd.DataFrame(columns=CURVE_COLUMNS)
    notes = (
        _("Duration of response: from the first visit after month 0 with the response to the "
        "first later evaluable visit without it; censored at the last visit with an evaluable "
        "response (a choice). Kaplan–Meier with log-log 95% CI, as R survfit(conf.type = "
        "'log-log'); median as summary(fit)$table."),
        _("Responses are seen only at visits: durations are interval-censored and tied; the "
        "visit months are used (a choice)."),
    )
    meta = {"settings": o.settings}
    return {
        "response_duration": Result("response_duration", curve, notes, meta),
        "response_duration_summary": Result(
            "response_duration_summary", pd.DataFrame(summary, columns=SUMMARY_COLUMNS), notes, meta
        ),
    }


def _compute_duration(ctx: RunContext) -> dict:
    o = every_visit_outcomes(ctx)
    dp = duration_patients(o)
    note = (_("Patient-level: one row per responder and outcome (CR; ORR = CR or PR)."),)
    return {
        **response_duration(o, dp),
        "response_duration_patients": Result("response_duration_patients", dp, note,
                                             {"settings": o.settings}),
    }


DURATION_TEXT = N_(
    "Duration of response: months from the first visit after month 0 with the response (CR; "
    "or CR or PR) to the first later visit with an evaluable response without it (event), "
    "censored at the last visit with an evaluable response (an analysis choice); patients who "
    "never responded were not included. Kaplan–Meier estimate of remaining in response with "
    'log-log 95% intervals and the median as R survfit(conf.type = "log-log") and '
    "summary(fit)$table; responses are seen only at visits, so durations are interval-censored "
    "and tied and the visit months were used (an analysis choice)."
)


def _duration_methods(run: AnalysisRun) -> list[str]:
    return [] if run.table("response_duration_summary") is None else [_(DURATION_TEXT)]



_REF = "tests/test_ln_response_reference.py"  # R: tests/reference/ln_response/
_FIG = "core.report.figures.sustained"
SPECS = (
    AnalysisSpec(
        name="response_duration", page="response", section="Duration of response",
        tables=(
            TableSpec("response_duration", "Duration of response", tuple(CURVE_COLUMNS),
                      _REF,
                      counts=("n_risk", "n_event", "n_censor"),
                      percents=("pct_in_response", "ci_low", "ci_high"),
                      estimates={"time": "months"}),
            TableSpec("response_duration_summary", "Median duration of response",
                      tuple(SUMMARY_COLUMNS), _REF,
                      counts=("n", "n_events"),
                      estimates={"median_time": "months", "median_ci_low": "months",
                                 "median_ci_high": "months"},
                      not_reached=("median_time", "median_ci_low", "median_ci_high")),
            TableSpec("response_duration_patients", "Duration of response per patient",
                      tuple(DURATION_PATIENT_COLUMNS), "tests/test_ln_response.py",
                      patient_level=True,
                      estimates={"onset_month": "months", "time": "months"}),
        ),
        compute=_compute_duration,
        figures=(FigureRef(_FIG, "plot_response_duration", "response_duration",
                           "Duration of response"),),
        methods=_duration_methods,
        r_call='survfit(Surv(time, event) ~ 1, conf.type = "log-log"); summary(fit)$table',
    ),
)
