"""Time-to-event tables shared by the long-term analyses (flares, kidney outcomes, taper).

One call turns a tidy per-patient table (one or more outcomes, each patient with a time in
months and an event flag) into the curve, the numbers at risk, the per-group summary and
the group tests, exactly as ``core.analyses.time_to_response`` does for time to response
and with the same R calls (``survfit(conf.type = "log-log")``, ``summary(fit, times,
extend = TRUE)``, ``summary(fit)$table``, ``survdiff``, ``coxph(ties = "efron")``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from core.analyses.time_to_response import _curve, default_risk_times
from core.model.i18n import gettext as _
from core.model.vocabulary import ALL, groups_with_reference
from core.stats.survival import cox_efron, kaplan_meier, km_median, logrank, risk_counts

CURVE_COLUMNS = [
    "outcome", "group", "time", "n_risk", "n_event", "n_censor", "cum_incidence", "ci_low",
    "ci_high", "surv", "std_err_log_surv",
]  # fmt: skip
RISK_COLUMNS = ["outcome", "group", "time", "n_risk", "cum_events", "cum_censored"]
SUMMARY_COLUMNS = [
    "outcome", "group", "n", "n_events", "events_pct", "median_time", "median_ci_low",
    "median_ci_high", "median_rule",
]  # fmt: skip
TEST_COLUMNS = [
    "outcome", "test", "term", "statistic", "df", "hr", "ci_low", "ci_high", "p_value",
    "n", "n_events", "reference", "converged",
]  # fmt: skip


@dataclass(frozen=True)
class EventTables:
    """The four tables of :func:`event_time_tables` and the notes on them."""

    curve: pd.DataFrame
    risk: pd.DataFrame
    summary: pd.DataFrame
    tests: pd.DataFrame
    notes: tuple[str, ...]


def group_order(
    groups: pd.Series, reference: str | None, order: tuple[str, ...] = ()
) -> tuple[list[str], str | None]:
    """Groups present in display order, reference first (``vocabulary.groups_with_reference``)."""
    return groups_with_reference(groups.dropna(), reference, order)


def event_time_tables(
    patients: pd.DataFrame,
    reference: str | None,
    what: dict[str, str],
    risk_step: float = 3.0,
    order: tuple[str, ...] = (),
) -> EventTables:
    """Kaplan–Meier, numbers at risk, medians, log-rank and Cox per outcome and group.

    Parameters
    ----------
    patients
        outcome, patient_id, group, time (months ≥ 0), event (1 = event, 0 = censored).
    reference
        Reference group of the Cox model (settings); resolved as in time to response.
    what
        outcome → words for the notes (``"renal flare (AURORA 2)"``), in table order.
    risk_step
        Months between rows of the numbers-at-risk table: 0, step, … up to the outcome's
        last time (R's ``seq(0, max(time), by = step)``).

    Returns
    -------
    EventTables with
    ``curve``: outcome, group, time, n_risk, n_event, n_censor, cum_incidence (100(1 − S)),
    ci_low, ci_high (100(1 − upper/lower) of the log-log band), surv, std_err_log_surv;
    ``risk``: outcome, group, time, n_risk (time ≥ t), cum_events, cum_censored (time ≤ t);
    ``summary``: outcome, group, n, n_events, events_pct (100·events/n, crude), median_time,
    median_ci_low, median_ci_high (NaN = not reached), median_rule;
    ``tests``: outcome, test (``log-rank`` | ``cox``), term, statistic (log-rank χ²), df,
    hr, ci_low, ci_high (Cox, Wald), p_value, n, n_events, reference, converged.
    Groups are each group and ``All``.
    """
    curves, risks, rows, tests, notes = [], [], [], [], []
    for outcome, words in what.items():
        d = patients[(patients["outcome"] == outcome) & patients["time"].notna()]
        groups, ref = group_order(d["group"], reference, order)
        times = default_risk_times(float(d["time"].max()) if len(d) else 0.0, risk_step)
        for name in [*groups, ALL]:
            s = d if name == ALL else d[d["group"].astype(str) == name]
            km = kaplan_meier(s["time"], s["event"])
            curves.append(_curve(km, name).assign(outcome=outcome))
            r = risk_counts(s["time"], s["event"], times)
            risks.append(r.assign(outcome=outcome, group=name))
            med = km_median(km)
            n_ev = int((s["event"] > 0).sum())
            rows.append(
                {
                    "outcome": outcome,
                    "group": name,
                    "n": len(s),
                    "n_events": n_ev,
                    "events_pct": 100 * n_ev / len(s) if len(s) else float("nan"),
                    "median_time": med.median,
                    "median_ci_low": med.low,
                    "median_ci_high": med.high,
                    "median_rule": med.rule,
                }
            )
        t, n = _tests(d, outcome, groups, ref, words)
        tests += t
        notes += n
    return EventTables(
        _frame(curves, CURVE_COLUMNS),
        _frame(risks, RISK_COLUMNS),
        pd.DataFrame(rows, columns=SUMMARY_COLUMNS),
        pd.DataFrame(tests, columns=TEST_COLUMNS),
        tuple(notes),
    )


def _frame(parts: list[pd.DataFrame], columns: list[str]) -> pd.DataFrame:
    if not parts:
        return pd.DataFrame(columns=columns)
    return pd.concat(parts, ignore_index=True)[columns]


def _tests(d: pd.DataFrame, outcome: str, groups: list[str], ref: str | None, words: str):
    """Log-rank and Cox rows for one outcome, or none with a note saying why."""
    g = d[d["group"].notna()]
    if len(groups) < 2:
        return [], [_('{words}: one group only, log-rank and Cox skipped.').format(words=words)]
    if (g["event"] > 0).sum() == 0:  # a row saying no test was possible, statistic empty
        row = {
            "outcome": outcome, "test": "log-rank", "term": "", "statistic": np.nan, "df": 0,
            "p_value": np.nan, "n": len(g), "n_events": 0, "reference": ref, "converged": True,
        }  # fmt: skip
        return [row], [_('{words}: no events, log-rank and Cox not possible.').format(words=words)]
    grp = g["group"].astype(str)
    lr = logrank(g["time"], g["event"], grp)
    chisq, df, p = lr.statistic, lr.df, lr.p
    rows = [
        {
            "outcome": outcome, "test": "log-rank", "term": "", "statistic": chisq, "df": df,
            "p_value": p, "n": len(g), "n_events": int((g["event"] > 0).sum()),
            "reference": ref, "converged": True,
        }
    ]  # fmt: skip
    fit = cox_efron(g["time"], g["event"], grp, ref, levels=groups)
    for rec in fit.to_dict("records"):
        rows.append(
            {
                "outcome": outcome, "test": "cox", "term": rec["term"], "statistic": np.nan,
                "df": np.nan, "hr": rec["hr"], "ci_low": rec["ci_low"],
                "ci_high": rec["ci_high"], "p_value": rec["p_value"], "n": rec["n"],
                "n_events": rec["n_events"], "reference": ref, "converged": rec["converged"],
            }
        )  # fmt: skip
    notes = []
    if not fit["converged"].all():
        notes.append(
            _('{words}: Cox model not estimable (a group without events, or every event in one group before any in another): hazard ratios left empty.').format(words=words)
        )
    return rows, notes
