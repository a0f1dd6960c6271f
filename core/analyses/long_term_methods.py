"""Methods sentences of the long-term analyses (flares, kidney outcomes, steroid exposure),
from the definitions actually used (the run's settings): every definition with its source,
and every reading of ours called an analysis choice. Each function is a registry
``methods(run)``: empty when its tables were not computed.
"""

from __future__ import annotations

from collections.abc import Mapping

from core.analyses.flares import definitions_of
from core.model.i18n import N_
from core.model.i18n import gettext as _
from core.model.results import AnalysisRun

AURORA2_SOURCE = N_(
    "the AURORA 2 proteinuric flare (voclosporin continuation study, Saxena et al., Arthritis "
    "Rheumatol 2024): UPCR > 1 g/g after a post-response UPCR < 0.2 g/g, or > 2 g/g after "
    "0.2–1.0 g/g; the post-response UPCR was read as the lowest UPCR since the response, both "
    "edges 0.2 and 1.0 in the second band, and no flare possible above 1.0 (analysis choices)"
)


def _num(x: float) -> str:
    return f"{x:.3g}"


def _definition(d: Mapping) -> str:
    if d["kind"] == "aurora2":
        text = f"'{d['name']}', {_(AURORA2_SOURCE)}"
    else:
        text = _(
            "'{name}', a user-defined flare (analysis choice): UPCR at least "
            "{fold} times its lowest value since the response and at least {floor} g/g"
        ).format(name=d["name"], fold=_num(d["fold"]), floor=_num(d["floor_upcr"]))
        if d.get("creatinine_rise_pct") is not None:
            text += _(
                ", or creatinine at least {pct}% above its lowest value since the response"
            ).format(pct=_num(d["creatinine_rise_pct"]))
    conf = (
        _("confirmed at the next visit with a value (dated at the first; a candidate at the last "
          "visit does not count)")
        if d["confirmation"] == "next-visit"
        else _("without confirmation")
    )
    return f"{text}, {conf}"


def flare_methods(run: AnalysisRun) -> list[str]:
    if run.table("flares") is None:
        return []
    defs = "; ".join(_definition(d.__dict__) for d in definitions_of(run.settings))
    return [
        _("Renal flares were counted after a response (CR or PR at a visit after month 0, under "
          "the response criteria above) by these definitions: {definitions}. After a flare a "
          "patient could flare again only after a new response, which restarted the lowest UPCR "
          "(analysis choice).").format(definitions=defs),
        _("Flare rates are flares per 100 patient-years of follow-up from the first response to "
        "the last visit, time in flare included (analysis choice), with exact Poisson (Garwood) "
        "95% CIs (R poisson.test); rates were compared between groups by the exact conditional "
        "rate-ratio test (R poisson.test with two counts). Time to the first flare ran from the "
        "first response: cumulative incidence = 1 − Kaplan–Meier with log-log CIs (R survfit), "
        "log-rank test (R survdiff) and Cox model with Efron ties and Wald p (R coxph)."),
    ]


def kidney_methods(run: AnalysisRun) -> list[str]:
    if run.table("kidney_outcomes") is None:
        return []
    last = (
        _("a decline at the patient's last visit was counted without confirmation")
        if run.settings.decline_at_last_visit
        else _("an unconfirmed decline at the patient's last visit was not counted")
    )
    return [
        _("Kidney outcomes from month 0: a sustained eGFR decline of at least 30% and of at least "
          "40% from the baseline eGFR (NKF–FDA surrogate end points) and a doubling of serum "
          "creatinine from baseline, each sustained when met again at the next visit with a "
          "value; {last} (analysis choice); ESKD as a sustained eGFR below 15 mL/min/1.73 m², the "
          "start of dialysis or a kidney transplant; death; and a composite of the 40% decline, "
          "doubling, ESKD or death (the 40% component is an analysis choice).").format(last=last),
        _("Patients without the event were censored at their last visit and death was not "
        "treated as a competing risk (analysis choice); time to each outcome as 1 − "
        "Kaplan–Meier with log-log CIs (R survfit), numbers at risk every 3 months, log-rank "
        "test (R survdiff) and Cox model with Efron ties and Wald p (R coxph)."),
    ]


def steroid_methods(run: AnalysisRun) -> list[str]:
    if run.table("steroid_exposure") is None:
        return []
    ci = _("exact") if run.settings.ci == "clopper-pearson" else _("Wilson score")
    return [
        _("Cumulative prednisolone-equivalent dose was computed by the trapezoid rule between the "
        "doses recorded at consecutive visits (30.4375 days per month; the dose assumed to "
        "change linearly between visits, an analysis choice); intravenous pulses were added (mg "
        "per pulse day × number of days) when the number of pulse days was recorded, and "
        "otherwise counted apart."),
        _("The shares of patients at or below 7.5 and 5 mg/day (EULAR 2019 and KDIGO 2024 "
        "maintenance targets) at the baseline and landmark visits are given with {ci} 95% "
        "CIs and compared with baseline by McNemar's test with continuity correction (at least "
        "25 discordant pairs, R mcnemar.test) or the exact binomial test on the discordant "
        "pairs (R binom.test). Time to ≤ 7.5 mg/day ran from month 0, patients already at or "
        "below it at baseline left out (analysis choice); 1 − Kaplan–Meier, log-rank and Cox "
        "as above.").format(ci=ci),
    ]


def events_methods(run: AnalysisRun) -> list[str]:
    if run.table("patient_events") is None:
        return []
    return [
        _("The swimmer plot marks, per patient, each response gained (a CR or PR visit after one "
          "without), each loss of response (an NR visit right after a CR or PR visit), the flares "
          "of the first flare definition and the kidney events above."),
    ]

