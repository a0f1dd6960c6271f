"""Time to response with competing events: cumulative incidence (Aalen–Johansen) next to
1 − Kaplan–Meier, numbers at risk, Gray's test, Fine–Gray regression and milestones.

A competing event is one after which a response can no longer happen or no longer
counts: death, ESKD, treatment discontinuation (patient fields ``death_month``,
``eskd_month``, ``discontinued_month`` of core.model.schema, or a ``ttr_status`` column
with codes 0/1/2 beside ``ttr_months``). :func:`competing_patients` combines them with
the ``ttr_patients`` table; :func:`competing_risks` and :func:`milestones` return the
contract tables. Each agrees with the R call named in its notes.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from core.analyses.time_to_response import ALL, _event_label, _group_order, default_risk_times
from core.model.results import Result
from core.model.schema import COMPETING_LABELS, COMPETING_MONTH_FIELDS
from core.model.settings import Settings
from core.stats.competing import aalen_johansen, gray_test, step_at
from core.stats.finegray import fine_gray
from core.stats.survival import kaplan_meier

RESPONSE = 1  # status code of the event of interest; 0 = censored, 2… = competing events
CODES = {f: i + 2 for i, f in enumerate(COMPETING_MONTH_FIELDS)}  # death 2, ESKD 3, stop 4
AJ, KM = "aalen_johansen", "one_minus_km"

PATIENT_COLUMNS = ["patient_id", "group", "time", "status", "cause"]
CURVE_COLUMNS = [
    "group",
    "estimator",
    "cause",
    "time",
    "n_risk",
    "n_event",
    "n_censor",
    "cum_incidence",
    "ci_low",
    "ci_high",
    "std_err",
]
RISK_COLUMNS = ["group", "time", "n_risk", "cum_events", "cum_competing", "cum_censored"]
TEST_COLUMNS = ["cause", "test", "statistic", "df", "p_value"]
REGRESSION_COLUMNS = [
    "term",
    "shr",
    "ci_low",
    "ci_high",
    "p_value",
    "coef",
    "se",
    "n",
    "n_events",
    "n_competing",
    "group",
    "reference",
    "converged",
]
MILESTONE_COLUMNS = [
    "group",
    "estimator",
    "cause",
    "month",
    "cum_incidence",
    "ci_low",
    "ci_high",
    "std_err",
    "n_risk",
]


def has_competing(patients: pd.DataFrame) -> bool:
    """Whether the cohort records any competing event."""
    months = [f for f in COMPETING_MONTH_FIELDS if f in patients]
    coded = "ttr_status" in patients and (patients["ttr_status"] >= 2).any()
    return bool(coded or (months and patients[months].notna().any().any()))


def competing_patients(
    ttr_patients: pd.DataFrame, patients: pd.DataFrame, settings: Settings
) -> tuple[pd.DataFrame, list[str]]:
    """Time and status per patient: 1 response, 2 death, 3 ESKD, 4 discontinuation, 0
    censored.

    Rules (clinical, stated in the notes): a response at a visit up to and including the
    month of the competing event counts (a response seen at that visit was observed); a
    competing event before the response ends follow-up with that status at its month,
    also when it comes after the patient's last assessment (follow-up runs to the event;
    no response was seen before it); when several
    competing months are given the earliest counts (ties: death, ESKD, discontinuation).
    A given ``ttr_status`` (2 = competing) with ``ttr_months`` is used as it is under
    the default event and recorded criteria, as ``ttr_event``.

    Returns
    -------
    (DataFrame with patient_id, group, time (months), status (code), cause (label:
    'censored', the response label, 'death', 'ESKD', 'treatment discontinuation' or
    'competing event'), notes).
    """
    label = _event_label(settings)
    t = ttr_patients[["patient_id", "group", "time", "event"]].copy()
    t["status"] = t["event"].astype(int)
    p = patients.set_index("patient_id")
    fields = [f for f in COMPETING_MONTH_FIELDS if f in p]
    notes: list[str] = []
    if fields:
        months = p[fields].reindex(t["patient_id"]).to_numpy(float)
        with np.errstate(invalid="ignore"):
            first = np.where(
                np.isnan(months).all(axis=1),
                np.nan,
                np.nanmin(np.where(np.isnan(months), np.inf, months), axis=1),
            )
        which = (
            np.array(
                [
                    CODES[fields[i]]
                    for i in np.argmin(np.where(np.isnan(months), np.inf, months), axis=1)
                ]
            )
            if len(t)
            else np.array([])
        )
        time = t["time"].to_numpy(float)
        resp = t["event"].to_numpy(int) == 1
        given = ~np.isnan(first) & (first > 0)
        ends = given & ((first < time) | ~resp)
        late = ends & ~resp & (first > time)
        t.loc[ends, "time"] = first[ends]
        t.loc[ends, "status"] = which[ends]
        if ends.any():
            notes.append(
                f"{int(ends.sum())} patient(s) had a competing event before any "
                f"{label}: follow-up ends there with that event."
            )
        if late.any():
            notes.append(
                f"{int(late.sum())} of them after their last assessment: followed "
                "until the competing event without a response seen."
            )
        early = ~np.isnan(first) & (first <= 0)
        if early.any():
            notes.append(
                f"{int(early.sum())} competing event month(s) at or before month 0 ignored."
            )
    if "ttr_status" in p and settings.event == "cr-or-pr" and settings.criteria == "recorded":
        given = p[["ttr_months", "ttr_status"]].dropna() if "ttr_months" in p else p.iloc[:0]
        use = t["patient_id"].isin(given.index)
        if use.any():
            t.loc[use, "time"] = t.loc[use, "patient_id"].map(given["ttr_months"]).astype(float)
            code = t.loc[use, "patient_id"].map(given["ttr_status"]).astype(int)
            t.loc[use, "status"] = np.where(code >= 2, 5, code)
            notes.append(f"The file's ttr_months/ttr_status used for {int(use.sum())} patient(s).")
    names = {0: "censored", RESPONSE: label, 5: COMPETING_LABELS["ttr_status"]}
    names |= {CODES[f]: COMPETING_LABELS[f] for f in COMPETING_MONTH_FIELDS}
    t["cause"] = t["status"].map(names)
    return t[PATIENT_COLUMNS].reset_index(drop=True), notes


def _aj_rows(s: pd.DataFrame, group: str, names: dict) -> pd.DataFrame:
    aj = aalen_johansen(s["time"], s["status"], causes=sorted(names))
    return pd.DataFrame(
        {
            "group": group,
            "estimator": AJ,
            "cause": aj["cause"].map(names),
            "time": aj["time"],
            "n_risk": aj["n_risk"],
            "n_event": aj["n_event"],
            "n_censor": aj["n_censor"],
            "cum_incidence": 100 * aj["cif"],
            "ci_low": 100 * aj["lower"],
            "ci_high": 100 * aj["upper"],
            "std_err": aj["std_err"],
        },
        columns=CURVE_COLUMNS,
    )


def _km_rows(s: pd.DataFrame, group: str, label: str) -> pd.DataFrame:
    km = kaplan_meier(s["time"], s["status"] == RESPONSE)
    return pd.DataFrame(
        {
            "group": group,
            "estimator": KM,
            "cause": label,
            "time": km["time"],
            "n_risk": km["n_risk"],
            "n_event": km["n_event"],
            "n_censor": km["n_censor"],
            "cum_incidence": 100 * (1 - km["surv"]),
            "ci_low": 100 * (1 - km["upper"]),
            "ci_high": 100 * (1 - km["lower"]),
            "std_err": km["surv"] * km["std_err_log_surv"],
        },
        columns=CURVE_COLUMNS,
    )


def _names(cr: pd.DataFrame) -> dict[int, str]:
    present = cr.loc[cr["status"] > 0, ["status", "cause"]].drop_duplicates()
    names = dict(zip(present["status"].astype(int), present["cause"], strict=True))
    return names


def competing_risks(
    cr_patients: pd.DataFrame, settings: Settings, risk_times=None
) -> dict[str, Result]:
    """Cumulative incidence of response with competing events, per group and overall.

    Parameters
    ----------
    cr_patients
        :func:`competing_patients` table (patient_id, group, time, status, cause).
    settings
        ``reference`` (Fine–Gray reference group), ``event`` (labels).
    risk_times
        Times of ``cif_risk``; default every 3 months up to the last time.

    Returns
    -------
    dict of Results:

    - ``cif_curve``: group, estimator (``aalen_johansen``: every cause, as
      ``survfit(Surv(time, factor(status)) ~ 1)``, log CI, infinitesimal-jackknife SE;
      ``one_minus_km``: the response only, competing events censored, as
      ``survfit(Surv(time, status == 1) ~ 1, conf.type = "log-log")``), cause, time,
      n_risk, n_event, n_censor, cum_incidence, ci_low, ci_high (percent), std_err (SE of
      the cumulative incidence, proportion 0–1; for 1 − KM the Greenwood SE of S).
    - ``cif_risk``: group, time, n_risk (time ≥ t), cum_events (responses ≤ t),
      cum_competing, cum_censored.
    - ``cif_tests``: cause, test (``gray``), statistic, df, p_value: Gray's test of every
      cause across the groups, as ``cmprsk::cuminc(time, status, group)$Tests``.
    - ``cif_regression``: Fine–Gray subdistribution hazard ratio of the response of each
      group against the reference: term, shr, ci_low, ci_high, p_value (Wald), coef, se,
      n, n_events, n_competing, group, reference, converged; as
      ``crr(time, status, cov1 = model.matrix(~ group)[, -1], failcode = 1)``.
    """
    d = cr_patients.loc[cr_patients["time"].notna() & cr_patients["status"].notna()]
    groups, ref = _group_order(d["group"], settings)
    label = _event_label(settings)
    names = _names(d) or {RESPONSE: label}
    names.setdefault(RESPONSE, label)
    subsets = [(g, d[d["group"].astype(str) == g]) for g in groups] + [(ALL, d)]
    times = (
        np.asarray(risk_times, float)
        if risk_times is not None
        else default_risk_times(float(d["time"].max()) if len(d) else 0.0)
    )
    curves, risks = [], []
    for name, s in subsets:
        curves += [_aj_rows(s, name, names), _km_rows(s, name, label)]
        st, tt = s["status"].to_numpy(int), s["time"].to_numpy(float)
        risks.append(
            pd.DataFrame(
                {
                    "group": name,
                    "time": times,
                    "n_risk": [int((tt >= u).sum()) for u in times],
                    "cum_events": [int(((st == RESPONSE) & (tt <= u)).sum()) for u in times],
                    "cum_competing": [int(((st > RESPONSE) & (tt <= u)).sum()) for u in times],
                    "cum_censored": [int(((st == 0) & (tt <= u)).sum()) for u in times],
                },
                columns=RISK_COLUMNS,
            )
        )
    curve = pd.concat(curves, ignore_index=True)
    risk = pd.concat(risks, ignore_index=True)
    tests, reg, test_notes = _group_tests(d, groups, ref, names)
    n_comp = int((d["status"] > RESPONSE).sum())
    notes = [
        f"{n_comp} competing event(s): "
        + ", ".join(
            f"{n} {int((d['cause'] == n).sum())}" for c, n in sorted(names.items()) if c != RESPONSE
        )
        + "."
        if n_comp
        else "No competing events recorded: the Aalen–Johansen estimate equals 1 − Kaplan–Meier.",
        "1 − Kaplan–Meier treats competing events as censoring and overstates the "
        "cumulative incidence when they occur.",
    ]
    meta = {
        "event": settings.event,
        "reference": ref,
        "risk_times": times.tolist(),
        "causes": {int(k): v for k, v in names.items()},
    }
    method = (
        "Cumulative incidence by Aalen–Johansen with infinitesimal-jackknife SE and "
        "log CI, as R survfit(Surv(time, factor(status)) ~ 1); beside it 1 − "
        "Kaplan–Meier with competing events censored (log-log CI)."
    )
    return {
        "cif_curve": Result("cif_curve", curve, (method, *notes), meta),
        "cif_risk": Result(
            "cif_risk",
            risk,
            ("At risk: time ≥ t; events, competing events and censorings: time ≤ t.",),
            meta,
        ),
        "cif_tests": Result(
            "cif_tests", tests, ("Gray's test (rho = 0), as R cmprsk::cuminc.", *test_notes), meta
        ),
        "cif_regression": Result(
            "cif_regression",
            reg,
            (
                "Fine–Gray subdistribution hazards, censoring weights from the Kaplan–Meier of "
                "the censoring times, sandwich SE, Wald p, as R cmprsk::crr.",
                *test_notes,
            ),
            meta,
        ),
    }


def _group_tests(d, groups, ref, names):
    tests = pd.DataFrame(columns=TEST_COLUMNS)
    reg = pd.DataFrame(columns=REGRESSION_COLUMNS)
    if len(groups) < 2:
        return tests, reg, ["One group only: Gray's test and Fine–Gray skipped."]
    if not (d["status"] == RESPONSE).any():
        return tests, reg, ["No responses: Gray's test and Fine–Gray skipped."]
    grp = d["group"].astype(str)
    rows = []
    for code, name in sorted(names.items()):
        if not (d["status"] == code).any():
            continue
        g = gray_test(d["time"], d["status"], grp, cause=code)
        rows.append(
            {
                "cause": name,
                "test": "gray",
                "statistic": g.statistic,
                "df": g.df,
                "p_value": g.p_value,
            }
        )
    tests = pd.DataFrame(rows, columns=TEST_COLUMNS)
    others = [g for g in groups if g != ref]
    x = np.column_stack([(grp == g).to_numpy(float) for g in others])
    fit = fine_gray(d["time"], d["status"], x, [f"{g} vs {ref}" for g in others], RESPONSE)
    reg = pd.DataFrame(
        {
            "term": fit.terms,
            "shr": fit.shr,
            "ci_low": fit.ci_low,
            "ci_high": fit.ci_high,
            "p_value": fit.p_value,
            "coef": fit.coef,
            "se": fit.se,
            "n": fit.n,
            "n_events": fit.n_events,
            "n_competing": fit.n_competing,
            "group": others,
            "reference": ref,
            "converged": fit.converged,
        },
        columns=REGRESSION_COLUMNS,
    )
    notes = (
        []
        if fit.converged
        else ["Fine–Gray model not estimable (a group without responses): ratios left empty."]
    )
    return tests, reg, notes


def milestones(cr_patients: pd.DataFrame, settings: Settings, months=None) -> Result:
    """Cumulative incidence of response (and of each competing event) at chosen months.

    As ``summary(fit, times = months, extend = TRUE)`` of the ``cif_curve`` fits: the
    Aalen–Johansen estimate (every cause; log CI) and 1 − Kaplan–Meier (response;
    log-log CI) at each month, per group and overall. ``months`` default: the settings'
    landmarks.

    Returns
    -------
    Result ``milestones``: group, estimator, cause, month, cum_incidence, ci_low, ci_high
    (percent), std_err (0–1), n_risk (time ≥ month).
    """
    months = np.asarray(months if months is not None else settings.landmarks, float)
    res = competing_risks(cr_patients, settings, risk_times=months)
    curve, risk = res["cif_curve"].table, res["cif_risk"].table
    rows = []
    for (grp, est, cause), c in curve.groupby(["group", "estimator", "cause"], sort=False):
        at = {
            k: step_at(c["time"], c[k], months, start=0.0)
            for k in ("cum_incidence", "ci_low", "ci_high", "std_err")
        }
        n_risk = risk[risk["group"] == grp]["n_risk"].to_numpy()
        for i, m in enumerate(months):
            zero = not (c["time"] <= m).any() or at["cum_incidence"][i] == 0
            rows.append(
                {
                    "group": grp,
                    "estimator": est,
                    "cause": cause,
                    "month": m,
                    "cum_incidence": at["cum_incidence"][i],
                    "ci_low": np.nan if zero else at["ci_low"][i],
                    "ci_high": np.nan if zero else at["ci_high"][i],
                    "std_err": at["std_err"][i],
                    "n_risk": int(n_risk[i]),
                }
            )
    table = pd.DataFrame(rows, columns=MILESTONE_COLUMNS)
    return Result(
        "milestones",
        table,
        (
            "Cumulative incidence at each month: Aalen–Johansen (log CI) and 1 − Kaplan–Meier "
            "(log-log CI), the last step at or before the month, as R summary(fit, times).",
        ),
        res["cif_curve"].meta | {"months": months.tolist()},
    )
