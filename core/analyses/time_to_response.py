"""Time to response: cumulative incidence curves, numbers at risk, medians, log-rank, Cox.

Takes the ``ttr_patients`` table (patient_id, group, time, event) built by
``core.outcomes.time_to_event`` and returns the contract tables ``ttr_curve``, ``ttr_risk``,
``ttr_summary``, ``ttr_tests`` and ``cox`` (data-contract §6), each agreeing with the R
``survival`` call named in its notes. Problems the data cause (one group, no events) are
notes and empty tables, never exceptions.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from core.analyses.context import RunContext
from core.analyses.spec import AnalysisSpec, FigureRef, TableSpec
from core.model.i18n import N_
from core.model.i18n import gettext as _
from core.model.results import AnalysisRun, Result
from core.model.settings import Settings
from core.model.vocabulary import (
    ALL,
    EVENT_SHORT,
    event_words,
    groups_with_reference,
    test_text,
)
from core.stats.survival import cox_efron, kaplan_meier, km_median, logrank, risk_counts

RISK_STEP = 3.0  # months between rows of the numbers-at-risk table

CURVE_COLUMNS = [
    "group",
    "time",
    "n_risk",
    "n_event",
    "n_censor",
    "cum_incidence",
    "ci_low",
    "ci_high",
    "surv",
    "std_err_log_surv",
]
RISK_COLUMNS = ["group", "time", "n_risk", "cum_events", "cum_censored"]
SUMMARY_COLUMNS = [
    "group",
    "n",
    "n_events",
    "median_time",
    "median_ci_low",
    "median_ci_high",
    "median_rule",
]
TEST_COLUMNS = ["test", "statistic", "df", "p_value"]
COX_COLUMNS = [
    "term",
    "hr",
    "ci_low",
    "ci_high",
    "p_value",
    "coef",
    "se",
    "n",
    "n_events",
    "group",
    "reference",
    "converged",
]

CAVEAT = N_(
    "Responses are seen only at visits, so times are interval-censored and often tied; "
    "the curves use the visit month (a choice)."
)


def _event_label(settings: Settings) -> str:
    return event_words(settings.event, settings.event_name)


def default_risk_times(max_time: float, step: float = RISK_STEP) -> np.ndarray:
    """0, 3, 6, … up to the last observed time (R's ``seq(0, max(time), by = 3)``)."""
    if not np.isfinite(max_time) or max_time < 0:
        return np.array([0.0])
    return step * np.arange(int(np.floor(max_time / step + 1e-9)) + 1)


def _curve(km: pd.DataFrame, label: str) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "group": label,
            "time": km["time"],
            "n_risk": km["n_risk"],
            "n_event": km["n_event"],
            "n_censor": km["n_censor"],
            "cum_incidence": 100 * (1 - km["surv"]),
            "ci_low": 100 * (1 - km["upper"]),
            "ci_high": 100 * (1 - km["lower"]),
            "surv": km["surv"],
            "std_err_log_surv": km["std_err_log_surv"],
        },
        columns=CURVE_COLUMNS,
    )


def time_to_response(
    ttr_patients: pd.DataFrame, settings: Settings, risk_times=None, *, from_file: bool = False
) -> dict[str, Result]:
    """Kaplan–Meier cumulative incidence of response per group and overall, with tests.

    Parameters
    ----------
    ttr_patients
        patient_id, group, time (months), event (1 = responded, 0 = censored).
    settings
        Analysis settings: ``reference`` (Cox reference group) and ``event`` (for notes).
    risk_times
        Times of the numbers-at-risk table; default every 3 months from 0 to the last
        observed time.

    Returns
    -------
    dict with Results ``ttr_curve`` (R: ``survfit(Surv(time, event) ~ 1, conf.type =
    "log-log")``, cum_incidence = 100(1 − S), ci_low = 100(1 − upper), ci_high = 100(1 −
    lower)), ``ttr_risk`` (``summary(fit, times, extend = TRUE)``, cumulated),
    ``ttr_summary`` (``summary(fit)$table`` median and CI, midpoint rule; NaN = not
    reached), ``ttr_tests`` (``survdiff``) and ``cox`` (``coxph(ties = "efron")``, Wald p).
    """
    d = ttr_patients.loc[ttr_patients["time"].notna() & ttr_patients["event"].notna()]
    groups, ref = groups_with_reference(d["group"], settings.reference, settings.group_order)
    label = settings.event_name or _(_event_label(settings))
    subsets = [(g, d[d["group"].astype(str) == g]) for g in groups] + [(ALL, d)]
    times = (
        np.asarray(risk_times, float)
        if risk_times is not None
        else default_risk_times(float(d["time"].max()) if len(d) else 0.0)
    )
    curves, risks, summaries, notes = [], [], [], [] if from_file else [_(CAVEAT)]
    for name, s in subsets:
        km = kaplan_meier(s["time"], s["event"])
        curves.append(_curve(km, name))
        r = risk_counts(s["time"], s["event"], times)
        risks.append(r.assign(group=name)[RISK_COLUMNS])
        med = km_median(km)
        n_events = int((s["event"] > 0).sum())
        summaries.append(
            {
                "group": name,
                "n": len(s),
                "n_events": n_events,
                "median_time": med.median,
                "median_ci_low": med.low,
                "median_ci_high": med.high,
                "median_rule": med.rule,
            }
        )
        if len(s) and n_events == 0:
            notes.append(_("No {event} observed in {group}: the curve stays at 0 %.").format(
                event=label, group=_(name) if name == ALL else name))
        elif len(s) and med.rule == "not_reached":
            notes.append(_("Median time to {event} not reached in {group}.").format(
                event=label, group=_(name) if name == ALL else name))
        if med.rule == "midpoint":
            notes.append(
                _("In {group} the curve sits exactly on 50 %, so the median ({months} "
                  "months) is the midpoint between that time and the next step, as R.").format(
                    group=_(name) if name == ALL else name, months=f"{med.median:g}")
            )
    curve = pd.concat(curves, ignore_index=True) if curves else pd.DataFrame(columns=CURVE_COLUMNS)
    summary = pd.DataFrame(summaries, columns=SUMMARY_COLUMNS)
    risk = pd.concat(risks, ignore_index=True)
    tests, cox, test_notes = _group_tests(d, groups, ref, label)
    notes += test_notes
    meta = {
        "event": settings.event, "event_name": _event_label(settings), "reference": ref,
        "risk_times": times.tolist(),
    }  # fmt: skip
    method = _(
        "Cumulative incidence of {event} = 1 − Kaplan–Meier, 95 % log-log CI "
        "(Greenwood), as R survfit(conf.type = 'log-log')."
    ).format(event=label)
    return {
        "ttr_curve": Result("ttr_curve", curve, (method, *notes), meta),
        "ttr_risk": Result(
            "ttr_risk", risk, (_("At risk: time ≥ t; events and censorings: time ≤ t."),), meta
        ),
        "ttr_summary": Result(
            "ttr_summary",
            summary,
            (_("Median and 95 % CI as R summary(survfit)$table; empty when not reached."), *notes),
            meta,
        ),
        "ttr_tests": Result(
            "ttr_tests", tests, (_("Log-rank test, as R survdiff."), *test_notes), meta
        ),
        "cox": Result(
            "cox",
            cox,
            (
                _("Cox proportional hazards, Efron ties, Wald p, as R coxph(ties = 'efron')."),
                *test_notes,
            ),
            meta,
        ),
    }


def _group_tests(d: pd.DataFrame, groups: list[str], ref: str | None, label: str):
    """Log-rank and Cox across groups, or empty tables with a note saying why."""
    tests = pd.DataFrame(columns=TEST_COLUMNS)
    cox = pd.DataFrame(columns=COX_COLUMNS)
    g = d[d["group"].notna()]
    if len(d) == 0:
        return tests, cox, [_("No patients with follow-up after month 0: nothing to analyse.")]
    if len(groups) < 2:
        return tests, cox, [_("One group only: log-rank and Cox skipped.")]
    if (g["event"] > 0).sum() == 0:
        return tests, cox, [_("No events: log-rank and Cox skipped.")]
    grp = g["group"].astype(str)
    lr = logrank(g["time"], g["event"], grp)
    tests = pd.DataFrame(
        [{"test": "log-rank", "statistic": lr.statistic, "df": lr.df, "p_value": lr.p}],
        columns=TEST_COLUMNS,
    )
    fit = cox_efron(g["time"], g["event"], grp, ref, levels=groups)
    fit["reference"] = ref
    cox = fit[COX_COLUMNS]
    notes = []
    if not fit["converged"].all():
        notes.append(
            _("Cox model not estimable (a group without {event}, or every {event} in one "
              "group before any in another): hazard ratios left empty.").format(event=label)
        )

    return tests, cox, notes


# --- registry entry ----------------------------------------------------------------------


def time_source(run: AnalysisRun) -> str:
    """Where the times of the time-to-event tables come from (empty when not computed)."""
    res = run.results.get("ttr_patients") or run.results.get("ttr_curve")
    return str(res.meta.get("time_source", "")) if res is not None else ""


def times_from_file(meta: dict) -> bool:
    """Whether the time-to-event tables (``meta`` of one of them) used the file's own times."""
    return bool(meta.get("time_from_file", False))


def _ttr(ctx: RunContext) -> dict:
    o = ctx.outcomes
    t = o.ttr_patients
    src = {"time_source": o.ttr_source.text if o.ttr_source else "",
           "time_from_file": bool(o.ttr_source and o.ttr_source.from_file)}  # fmt: skip
    out: dict = {"ttr_patients": Result("ttr_patients", t, o.ttr_notes, src)}
    if t.empty:
        note = _("No patient with a time to {event}: time to event skipped ({source}).").format(
            event=o.settings.event_name or _(_event_label(o.settings)), source=src["time_source"]
        )
        return out | {n: Result(n, pd.DataFrame(), (note,), src) for n in TTR_TABLES}
    res = time_to_response(t, o.settings, from_file=bool(o.ttr_source and o.ttr_source.from_file))
    return out | {
        n: replace(r, meta={**r.meta, **src})
        for n, r in ((n, res.get(n, Result(n, pd.DataFrame(), (_("{table} not computed.").format(table=n),))))
                     for n in TTR_TABLES)
    }  # fmt: skip


def _methods(run: AnalysisRun) -> list[str]:
    if run.table("ttr_summary") is None:
        return []
    s = run.settings
    tests = _("{km}; groups compared by the {logrank} and a {cox}, reference group {reference}.").format(
        km=test_text("kaplan_meier"), logrank=test_text("log-rank"), cox=test_text("cox"),
        reference=s.reference,
    )
    source = time_source(run)
    res = run.results.get("ttr_summary")
    if res is not None and times_from_file(res.meta):
        words = s.event_name or _(_event_label(s))
        return [
            _("Time to {event}: months from the start of therapy to {event} (event) or "
              "censoring, {source} (event 1 = {event}, 0 = censored), used as recorded.").format(
                event=words, source=source) + " " + tests
        ]
    event = _(EVENT_SHORT[s.event]) if s.event in EVENT_SHORT else s.event
    return [
        _("Time to response: months from the start of therapy to the first visit after month 0 "
          "with {event} (event), otherwise censored at the last visit after month 0 (times "
          "{source}). Events are seen only at visits, so times are interval-censored and "
          "heavily tied; the visit month was used (an analysis choice).").format(
            event=event, source=source or _("derived from the visits")) + " " + tests
    ]



TTR_TABLES = ("ttr_curve", "ttr_risk", "ttr_summary", "ttr_tests", "cox")
_REF = "tests/reference/expected/"
SPECS = (
    AnalysisSpec(
        name="time_to_response", page="ttr", section="Time to response",
        tables=(
            TableSpec("ttr_patients", "Time to response per patient",
                      ("patient_id", "group", "time", "event"), _REF + "ttr_patients.csv",
                      patient_level=True, estimates={"time": "months"}),
            TableSpec("ttr_curve", "Time to response", tuple(CURVE_COLUMNS), _REF + "ttr_curve.csv",
                      counts=("n_risk", "n_event", "n_censor"),
                      percents=("cum_incidence", "ci_low", "ci_high"), estimates={"time": "months"}),
            TableSpec("ttr_risk", "Number at risk", tuple(RISK_COLUMNS), _REF + "ttr_risk.csv",
                      counts=("n_risk", "cum_events", "cum_censored"), estimates={"time": "months"}),
            TableSpec("ttr_summary", "Median time to response", tuple(SUMMARY_COLUMNS),
                      _REF + "ttr_summary.csv", counts=("n", "n_events"),
                      estimates={"median_time": "months", "median_ci_low": "months",
                                 "median_ci_high": "months"},
                      not_reached=("median_time", "median_ci_low", "median_ci_high")),
            TableSpec("ttr_tests", "Log-rank test", tuple(TEST_COLUMNS), _REF + "ttr_tests.csv",
                      p_values=("p_value",)),
            TableSpec("cox", "Hazard ratio (Cox)", tuple(COX_COLUMNS), _REF + "cox.csv",
                      counts=("n", "n_events"), p_values=("p_value",),
                      estimates={"hr": "ratio", "ci_low": "ratio", "ci_high": "ratio"}),
        ),
        compute=_ttr,
        figures=(FigureRef("core.report.figures.ttr", "plot_ttr_curve", "ttr_curve", "Time to response"),),
        methods=_methods,
        r_call='survfit(Surv(time, event) ~ group, conf.type = "log-log"); survdiff; '
        'coxph(ties = "efron")',
        needs_groups=("ttr_tests", "cox"),
    ),
)
