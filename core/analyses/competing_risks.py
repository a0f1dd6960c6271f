"""Time to response with competing events: cumulative incidence (Aalen–Johansen) next to
1 − Kaplan–Meier, numbers at risk, Gray's test and Fine–Gray regression.

Takes the per-patient time and status of core.analyses.competing_patients. Each table
agrees with the R call named in its docstring; data that cannot support a test give an
empty table and a note. Milestones, RMST and the PH check: core.analyses.survival_checks.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from core.analyses.competing_patients import (
    PATIENT_COLUMNS,
    RESPONSE,
    competing_patients,
    event_label,
    has_competing,
)
from core.analyses.context import RunContext
from core.analyses.spec import AnalysisSkipped, AnalysisSpec, FigureRef, TableSpec
from core.analyses.time_to_response import default_risk_times
from core.model.i18n import gettext as _
from core.model.results import AnalysisRun, Result
from core.model.settings import Settings
from core.model.vocabulary import ALL, groups_with_reference
from core.stats.competing import aalen_johansen, gray_test
from core.stats.finegray import fine_gray
from core.stats.survival import kaplan_meier

AJ, KM = "aalen_johansen", "one_minus_km"

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


def cif_curves(cr_patients: pd.DataFrame, settings: Settings) -> pd.DataFrame:
    """The ``cif_curve`` table of :func:`competing_risks` alone (per group, then All)."""
    d = cr_patients.loc[cr_patients["time"].notna() & cr_patients["status"].notna()]
    groups, _ref = groups_with_reference(d["group"], settings.reference, settings.group_order)
    label = event_label(settings)
    names = _names(d) or {RESPONSE: label}
    names.setdefault(RESPONSE, label)
    curves = []
    for name in [*groups, ALL]:
        s = d if name == ALL else d[d["group"].astype(str) == name]
        curves += [_aj_rows(s, name, names), _km_rows(s, name, label)]
    return pd.concat(curves, ignore_index=True)


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
    groups, ref = groups_with_reference(d["group"], settings.reference, settings.group_order)
    label = event_label(settings)
    names = _names(d) or {RESPONSE: label}
    names.setdefault(RESPONSE, label)
    subsets = [(g, d[d["group"].astype(str) == g]) for g in groups] + [(ALL, d)]
    times = (
        np.asarray(risk_times, float)
        if risk_times is not None
        else default_risk_times(float(d["time"].max()) if len(d) else 0.0)
    )
    risks = []
    for name, s in subsets:
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
    curve = cif_curves(d, settings)
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
        else _("No competing events recorded: the Aalen–Johansen estimate equals 1 − Kaplan–Meier."),
        _("1 − Kaplan–Meier treats competing events as censoring and overstates the "
        "cumulative incidence when they occur."),
    ]
    meta = {
        "event": settings.event,
        "reference": ref,
        "risk_times": times.tolist(),
        "causes": {int(k): v for k, v in names.items()},
    }
    method = (
        _("Cumulative incidence by Aalen–Johansen with infinitesimal-jackknife SE and "
        "log CI, as R survfit(Surv(time, factor(status)) ~ 1); beside it 1 − "
        "Kaplan–Meier with competing events censored (log-log CI).")
    )
    return {
        "cif_curve": Result("cif_curve", curve, (method, *notes), meta),
        "cif_risk": Result(
            "cif_risk",
            risk,
            (_("At risk: time ≥ t; events, competing events and censorings: time ≤ t."),),
            meta,
        ),
        "cif_tests": Result(
            "cif_tests", tests, (_("Gray's test (rho = 0), as R cmprsk::cuminc."), *test_notes)
, meta
        ),
        "cif_regression": Result(
            "cif_regression",
            reg,
            (
                _("Fine–Gray subdistribution hazards, censoring weights from the Kaplan–Meier of "
                "the censoring times, sandwich SE, Wald p, as R cmprsk::crr."),
                *test_notes,
            ),
            meta,
        ),
    }


def _group_tests(d, groups, ref, names):
    tests = pd.DataFrame(columns=TEST_COLUMNS)
    reg = pd.DataFrame(columns=REGRESSION_COLUMNS)
    if len(groups) < 2:
        return tests, reg, [_("One group only: Gray's test and Fine–Gray skipped.")]
    if not (d["status"] == RESPONSE).any():
        return tests, reg, [_("No responses: Gray's test and Fine–Gray skipped.")]
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
    undefined = tests.loc[tests["statistic"].isna(), "cause"].tolist()
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
    notes = [
        _("Gray's test not defined for {cause}: its variance is 0 (e.g. every event at one time).").format(cause=c)
        for c in undefined
    ] + (
        []
        if fit.converged
        else [_("Fine–Gray model not estimable (a group without responses): ratios left empty.")]
    )
    return tests, reg, notes


# --- registry entry ----------------------------------------------------------------------


def _competing(ctx: RunContext) -> dict[str, Result]:
    o = ctx.outcomes
    if o.ttr_patients.empty:
        raise AnalysisSkipped(_("No patient with a time to event: competing risks skipped."))
    from_file = bool(o.ttr_source and o.ttr_source.from_file)
    cr, notes = competing_patients(
        o.ttr_patients, ctx.filtered.patients, o.settings, from_file=from_file
    )
    if not has_competing(ctx.filtered.patients):
        notes.append(
            _("No competing event in the file (death, ESKD or discontinuation month, or "
            "ttr_status 2): the cumulative incidence equals 1 − Kaplan–Meier, Gray's test "
            "compares the response curves and Fine–Gray reduces to a Cox model (Breslow ties).")
        )
    return {"competing_patients": Result("competing_patients", cr, tuple(notes))} | (
        competing_risks(cr, o.settings)
    )


def _methods(run: AnalysisRun) -> list[str]:
    t = run.table("competing_patients")
    if t is None:
        return []
    if not (t["status"] > RESPONSE).any():
        return [_("No competing events were recorded; the cumulative incidence of response "
                  "(Aalen–Johansen, R survfit(Surv(time, factor(status)) ~ group)) equals 1 − "
                  "Kaplan–Meier.")]

    return [_(
        "Competing events (death, ESKD, treatment discontinuation) ended follow-up when they "
        "came before a response. The cumulative incidence of response was estimated by "
        "Aalen–Johansen with infinitesimal-jackknife standard errors and log confidence "
        "intervals (R survfit(Surv(time, factor(status)) ~ group)), shown beside 1 − "
        "Kaplan–Meier with competing events censored; groups were compared by Gray's test "
        "(R cmprsk::cuminc) and Fine–Gray subdistribution hazard ratios with the sandwich "
        "variance (R cmprsk::crr)."
    )]



_REF = "tests/reference/competing/expected/"
_PCT = ("cum_incidence", "ci_low", "ci_high")
SPECS = (
    AnalysisSpec(
        name="competing_risks",
        page="ttr",
        section="Competing risks",
        tables=(
            TableSpec(
                "competing_patients",
                "Time and status per patient (competing events)",
                tuple(PATIENT_COLUMNS),
                _REF + "competing_patients.csv",
                patient_level=True,
                estimates={"time": "months"},
            ),
            TableSpec(
                "cif_curve",
                "Cumulative incidence with competing events",
                tuple(CURVE_COLUMNS),
                _REF + "cif_curve.csv",
                counts=("n_risk", "n_event", "n_censor"),
                percents=_PCT,
                estimates={"time": "months"},
            ),
            TableSpec(
                "cif_risk",
                "Number at risk (competing events)",
                tuple(RISK_COLUMNS),
                _REF + "cif_risk.csv",
                counts=("n_risk", "cum_events", "cum_competing", "cum_censored"),
                estimates={"time": "months"},
            ),
            TableSpec(
                "cif_tests",
                "Gray's test",
                tuple(TEST_COLUMNS),
                _REF + "cif_tests.csv",
                p_values=("p_value",),
            ),
            TableSpec(
                "cif_regression",
                "Subdistribution hazard ratio (Fine–Gray)",
                tuple(REGRESSION_COLUMNS),
                _REF + "cif_regression.csv",
                counts=("n", "n_events", "n_competing"),
                p_values=("p_value",),
                estimates={"shr": "ratio", "ci_low": "ratio", "ci_high": "ratio"},
            ),
        ),
        compute=_competing,
        figures=(
            FigureRef(
                "core.report.figures.competing",
                "plot_cif_curve",
                "cif_curve",
                "Cumulative incidence with competing events",
            ),
        ),
        methods=_methods,
        r_call="survfit(Surv(time, factor(status)) ~ group); cmprsk::cuminc(time, status, "
        "group); cmprsk::crr(time, status, cov1 = model.matrix(~ group)[, -1])",
        needs_groups=("cif_tests", "cif_regression"),
    ),
)
