"""Methods and results sentences of the long-term analyses (flares, kidney outcomes, steroid
exposure), from the definitions actually used (the Results' ``meta``).

Every definition is stated with its source; a reading of ours is called an analysis choice.
"""

from __future__ import annotations

from collections.abc import Mapping

from core.analyses.event_times import ALL
from core.model.results import Result
from core.report.export.display import format_num

AURORA2_SOURCE = (
    "the AURORA 2 proteinuric flare (voclosporin continuation study, Saxena et al., Arthritis "
    "Rheumatol 2024): UPCR > 1 g/g after a post-response UPCR < 0.2 g/g, or > 2 g/g after "
    "0.2–1.0 g/g; we read the post-response UPCR as the nadir since the response and put "
    "both edges 0.2 and 1.0 in the second band (analysis choices)"
)


def _definition_sentence(d: Mapping) -> str:
    if d["kind"] == "aurora2":
        text = f"'{d['name']}', {AURORA2_SOURCE}"
    else:
        text = (
            f"'{d['name']}', a user-defined flare (analysis choice): UPCR at least "
            f"{format_num(d['fold'])} times the nadir since the response and at least "
            f"{format_num(d['floor_upcr'])} g/g"
        )
        if d.get("creatinine_rise_pct") is not None:
            text += (
                f", or creatinine at least {format_num(d['creatinine_rise_pct'])} % above "
                "its lowest value since the response"
            )
    conf = (
        "confirmed by the next visit with a value (dated at the first; a candidate at the "
        "last visit does not count)"
        if d["confirmation"] == "next-visit"
        else "without confirmation"
    )
    return f"{text}, {conf}"


def long_term_paragraph(results: Mapping[str, Result]) -> str:
    """The methods paragraph for the long-term tables present in ``results`` ('' if none)."""
    parts: list[str] = []
    fl = results.get("flares")
    if fl is not None and fl.meta.get("definitions"):
        defs = "; ".join(_definition_sentence(d) for d in fl.meta["definitions"])
        parts.append(
            "Renal flares were counted after a response (CR or PR at a visit after month 0, "
            f"under the response criteria above) by these definitions: {defs}. After a flare "
            "a patient could flare again only after a new response, which restarted the nadir "
            "(analysis choice). Flare rates are flares per 100 patient-years of follow-up from "
            "the first response to the last visit, time in flare included (analysis choice), "
            "with exact Poisson (Garwood) 95% CIs (R poisson.test); rates were compared between "
            "groups by the exact conditional rate ratio test (R poisson.test with two counts). "
            "Time to first flare ran from the first response; cumulative incidence = 1 − "
            "Kaplan–Meier with log-log CIs, log-rank test and Cox model (Efron ties, Wald p)."
        )
    kd = results.get("kidney_outcomes")
    if kd is not None and not kd.table.empty:
        last = (kd.meta.get("rules") or {}).get("last_visit_counts", True)
        parts.append(
            "Kidney outcomes from month 0: a sustained eGFR decline of at least 30% and of at "
            "least 40% from the baseline eGFR and a doubling of serum creatinine from baseline "
            "(the KDIGO/FDA surrogate end points), each sustained when met again at the next "
            "visit with a value; "
            + (
                "a decline at the patient's last visit was counted without confirmation"
                if last
                else "a decline at the patient's last visit, unconfirmed, was not counted"
            )
            + " (analysis choice); ESKD as a sustained eGFR below 15 mL/min/1.73 m², the start "
            "of dialysis or a kidney transplant; death; and a composite of a 40% decline, "
            "doubling, ESKD or death (the 40% component is an analysis choice). Patients "
            "without the event were censored at their last visit; death was not treated as a "
            "competing risk (analysis choice). Time to each outcome: 1 − Kaplan–Meier, "
            "log-rank, Cox (Efron ties), with numbers at risk every 3 months."
        )
    st = results.get("steroid_exposure")
    if st is not None and not st.table.empty:
        parts.append(
            "Cumulative prednisolone-equivalent dose was computed by the trapezoid rule "
            "between the doses recorded at consecutive visits (30.4375 days per month; the "
            "dose assumed to change linearly between visits, an analysis choice); intravenous "
            "pulses were added (mg per pulse day × number of days) when the number of pulse "
            "days was recorded, and otherwise counted apart. The shares of patients at or "
            "below 7.5 and 5 mg/day (the EULAR 2019 and KDIGO 2024 maintenance targets) at the "
            "baseline and landmark visits are given with exact CIs and compared with baseline "
            "by McNemar's test (at least 25 discordant pairs) or the exact binomial test on "
            "the discordant pairs. Time to ≤ 7.5 mg/day ran from month 0, patients already at "
            "or below it at baseline left out (analysis choice)."
        )
    return " ".join(parts)


def long_term_results_sentences(results: Mapping[str, Result]) -> str:
    """Headline numbers: flare rate per definition (All) and kidney events (All)."""
    parts: list[str] = []
    fl = results.get("flares")
    if fl is not None and not fl.table.empty:
        for r in fl.table[fl.table["group"] == ALL].to_dict("records"):
            parts.append(
                f"Renal flares ({r['definition']}): {r['n_flares']} in {r['n_patients_flare']} "
                f"of {r['n_responders']} responders over {format_num(r['patient_years'])} "
                f"patient-years, {format_num(r['rate_per_100py'])} per 100 patient-years "
                f"(95% CI {format_num(r['rate_ci_low'])}–{format_num(r['rate_ci_high'])})."
            )
    kd = results.get("kidney_outcomes")
    if kd is not None and not kd.table.empty:
        rows = kd.table[kd.table["group"] == ALL]
        parts.append(
            "Kidney outcomes (all patients): "
            + "; ".join(
                f"{r['label']} {r['n_events']} of {r['n']}" for r in rows.to_dict("records")
            )
            + "."
        )
    return " ".join(parts)
