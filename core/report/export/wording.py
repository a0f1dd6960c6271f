"""Sentences shared by the Word footnotes and the methods text: rule sets with their sources
and *choices* (clinical-rules §1), tests with their variants and R calls (clinical-rules §3),
and plain-language summaries of the settings and filters."""

from __future__ import annotations

from core.model.filters import MISSING_WORDS, filter_phrases
from core.model.i18n import N_
from core.model.i18n import gettext as _
from core.model.settings import CustomCriteria, Filters, Settings
from core.model.vocabulary import EVENT_SHORT

# id -> (name, source and definition). *choice* marks our reading of a guideline text.
CRITERIA_TEXT: dict[str, tuple[str, str]] = {
    "recorded": (
        N_("investigator-recorded response"),
        N_("the response (CR, PR, NR) recorded in the data file at each visit"),
    ),
    "kdigo2024": (
        N_("KDIGO 2024"),
        N_("the KDIGO 2024 lupus nephritis guideline (definitions as KDIGO 2021): complete response "
        "(CR) UPCR < 0.5 g/g with eGFR ≥ 85% of baseline; partial response (PR) UPCR reduced by "
        "≥ 50% and < 3.0 g/g with eGFR ≥ 85% of baseline"),
    ),
    "eular2019": (
        N_("EULAR/ERA-EDTA 2019"),
        N_("the EULAR/ERA-EDTA 2019 recommendations: CR UPCR < 0.5 g/g with normal or near-normal "
        "GFR; PR UPCR reduced by ≥ 50% and < 3.0 g/g with the same GFR condition. 'Normal or "
        "near-normal GFR' was read as eGFR ≥ 90 or ≥ 90% of baseline (an analysis choice)"),
    ),
    "creatinine15": (
        N_("creatinine-based site convention"),
        N_("a creatinine-based convention used in Korean lupus nephritis cohorts (an analysis "
        "choice): CR UPCR < 0.5 g/g with creatinine ≤ 115% of baseline; PR UPCR reduced by "
        "≥ 50% and < 3.0 g/g with creatinine ≤ 115% of baseline"),
    ),
    "lunar": (
        N_("LUNAR"),
        N_("the LUNAR trial definitions: CR UPCR < 0.5 g/g, creatinine ≤ 115% of baseline and urine "
        "RBC < 5/HPF when recorded; PR UPCR reduced by ≥ 50% and < 1.0 g/g (≤ 3.0 g/g when "
        "baseline UPCR > 3.0) with creatinine ≤ 115% of baseline"),
    ),
    "aurora": (
        N_("AURORA 1"),
        N_("the AURORA 1 trial definitions: CR UPCR ≤ 0.5 g/g, eGFR ≥ 60 or ≥ 80% of baseline and "
        "prednisolone ≤ 10 mg/day at the landmark; PR UPCR reduced by ≥ 50%. The trial's 'no "
        "rescue medication' condition was not assessed and its steroid ceiling was read as "
        "≤ 10 mg/day at the landmark visit (analysis choices)"),
    ),
    "multitarget_cn": (
        N_("Chinese multitarget trials"),
        N_("the Chinese multitarget trials (Bao 2008, Liu 2015): CR UPCR ≤ 0.4 g/g, albumin ≥ 3.5 "
        "g/dL and creatinine ≤ 115% of baseline; PR UPCR reduced by ≥ 50% and < 3.5 g/g, "
        "albumin ≥ 3.0 g/dL and creatinine ≤ 115% of baseline. 'Normal creatinine' was read as "
        "≤ 115% of baseline (an analysis choice)"),
    ),
    "bliss_ln": (
        N_("BLISS-LN"),
        N_("the BLISS-LN trial definitions (Furie 2020, belimumab): primary efficacy renal response "
        "(PERR) UPCR ≤ 0.7 g/g, eGFR no more than 20% below the pre-flare value or ≥ 60 "
        "mL/min/1.73 m², and no treatment failure; complete renal response (CRR) UPCR < 0.5 "
        "g/g, eGFR no more than 10% below the pre-flare value or ≥ 90, and no treatment "
        "failure. CR is the CRR, PR a PERR that is not a CRR, so the overall response is the "
        "PERR. Analysis choices: the reference eGFR is the file's pre-flare eGFR "
        "(prior_egfr) when given, else the month-0 eGFR; treatment failure (rescue therapy) "
        "is read from the optional treatment_failure column and holds from the first visit "
        "flagged on (a missing cell is no failure recorded; without the column it is not "
        "assessed); the trial's week-100/104 confirmation is not part of the landmark "
        "response (see confirmed response)"),
    ),
}

MISSING_TEXT: dict[str, str] = {
    "complete-case": (
        N_("complete-case: denominators are the patients evaluable at the landmark (a landmark "
        "visit with a response)")
    ),
    "non-responder": (
        N_("non-responder imputation: every patient of the analysed cohort is in the denominator "
        "and a patient not evaluable at a landmark counts as a non-responder")
    ),
    "locf": (
        N_("last observation carried forward: a patient without an evaluable landmark visit takes "
        "the last evaluable response from a visit after month 0 and before the window "
        "(baseline and laboratory values are never carried forward)")
    ),
}

def criteria_name(criteria: str | None) -> str:
    """Short name of a rule set (``'KDIGO 2024'``)."""
    if criteria == "custom":
        return _("custom criteria")
    if criteria in CRITERIA_TEXT:
        return _(CRITERIA_TEXT[criteria][0])
    return str(criteria)


def custom_criteria_text(c: CustomCriteria) -> str:
    """The user's own thresholds as a sentence."""
    kidney = (
        _("eGFR ≥ {ratio} × baseline").format(ratio=f"{c.egfr_ratio:g}")
        if c.kidney == "egfr"
        else _("creatinine ≤ {ratio} × baseline").format(ratio=f"{c.creatinine_ratio:g}")
    )
    return _(
        "user-defined criteria: CR UPCR < {cr_max} g/g with {kidney}; PR UPCR ≤ "
        "{pr_ratio} × baseline and < {pr_max} g/g with {kidney}"
    ).format(cr_max=f"{c.cr_upcr_max:g}", kidney=kidney, pr_ratio=f"{c.pr_ratio:g}",
             pr_max=f"{c.pr_upcr_max:g}")  # fmt: skip


def criteria_text(settings: Settings) -> str:
    """Name and definition of the rule set in use, with its source and any choice."""
    if settings.criteria == "custom":
        return custom_criteria_text(settings.custom)
    name, definition = CRITERIA_TEXT.get(settings.criteria or "", (str(settings.criteria), ""))
    return f"{_(name)}: {_(definition)}" if definition else name


def months(x: float) -> str:
    """``6.0`` -> ``'6'``; ``4.5`` -> ``'4.5'``."""
    return f"{x:g}"


def landmarks_text(settings: Settings) -> str:
    """``'6 and 12 months (± 1 month)'``."""
    marks = [months(m) for m in settings.landmarks]
    joined = (marks[0] if len(marks) == 1
              else _("{first} and {last}").format(first=", ".join(marks[:-1]), last=marks[-1]))  # fmt: skip
    named = [_("{name} = month {month}").format(name=name, month=months(m))
             for m, name in settings.landmark_names]  # fmt: skip
    given = " " + _("[given as {names}]").format(names=", ".join(named)) if named else ""
    window = (_("± {n} month") if settings.window == 1 else _("± {n} months")).format(
        n=months(settings.window)
    )
    return _("{landmarks} months{given} ({window})").format(
        landmarks=joined, given=given, window=window
    )


def filters_text(filters: Filters) -> str:
    """The active filters in words, or ``'all patients'``."""
    parts = filter_phrases(
        filters, class_label=_("ISN/RPS class"), group_label=_("group"), sex_label=_("sex"),
        age_unit=" " + _("years"),
    )
    return "; ".join(parts) if parts else _("all patients")


# The words of the files' footnotes and header blocks, in the current language (the methods
# text keeps its own English sentences: core.report.export.methods).


def landmarks_shown(settings: Settings) -> str:
    """:func:`landmarks_text` in the current language: ``'6 and 12 months (± 1 month)'``,
    ``'6 및 12개월 (± 1개월)'``."""
    marks = [months(m) for m in settings.landmarks]
    joined = marks[0] if len(marks) == 1 else ", ".join(marks[:-1]) + _(" and ") + marks[-1]
    window = months(settings.window)
    if settings.window == 1:
        return _("{marks} months (± {window} month)").format(marks=joined, window=window)
    return _("{marks} months (± {window} months)").format(marks=joined, window=window)


def filters_shown(filters: Filters) -> str:
    """:func:`filters_text` in the current language, or ``'all patients'``."""
    parts = filter_phrases(
        filters, class_label=_("ISN/RPS class"), group_label=_("group"), sex_label=_("sex"),
        age_unit=_(" years"), age_label=_("age"),
    )  # fmt: skip
    return "; ".join(parts) if parts else _("all patients")


def suppression_shown(settings: Settings, prefix: str = "") -> str:
    """:func:`suppression_text` in the current language (empty when off)."""
    t = settings.suppression_threshold
    if t is None:
        return ""
    return prefix + _(
        "Small-cell suppression: counts from 1 to {last} were suppressed, with the cells from "
        "which they could be recovered by subtraction from totals (complementary suppression) "
        "and the percentages, confidence intervals and statistics computed from them; tables "
        "with one row per patient or per event time were not released."
    ).format(last=t - 1)


def settings_footnote(settings: Settings, filters: Filters) -> str:
    """One line naming every setting that shapes the numbers, in the current language."""
    event = EVENT_SHORT.get(settings.event, settings.event)
    return _(
        "Settings: response criteria {criteria}; landmarks {landmarks}; missing landmark "
        "{missing}; {ci} 95% CI; time-to-response event {event}; reference group {reference}; "
        "patients: {patients}."
    ).format(
        criteria=criteria_name(settings.criteria), landmarks=landmarks_shown(settings),
        missing=_(MISSING_WORDS.get(settings.missing, settings.missing)),
        ci="Clopper–Pearson" if settings.ci == "clopper-pearson" else "Wilson",
        event=_(event), reference=settings.reference or _("first group"),
        patients=filters_shown(filters),
    ) + suppression_shown(settings, prefix=" ")  # fmt: skip


def suppression_text(settings: Settings, prefix: str = "") -> str:
    """The small-cell suppression in force, as a sentence (empty when off)."""
    t = settings.suppression_threshold
    if t is None:
        return ""
    return prefix + _(
        "Small-cell suppression: counts from 1 to {top} were suppressed, with the "
        "cells from which they could be recovered by subtraction from totals (complementary "
        "suppression) and the percentages, confidence intervals and statistics computed from "
        "them; tables with one row per patient or per event time were not released."
    ).format(top=t - 1)


def sensitivity_text(names: list[str], settings: Settings) -> str:
    """The rule sets of the criteria sensitivity table, each with its definition."""
    defs = []
    for n in names:
        if n == settings.criteria:
            continue
        if n == "custom":
            defs.append(custom_criteria_text(settings.custom))
        elif n in CRITERIA_TEXT:
            defs.append(f"{_(CRITERIA_TEXT[n][0])} ({_(CRITERIA_TEXT[n][1])})")
    if not defs:
        return ""
    return _(
        "Sensitivity to the response definition: the same patients, landmark visits and "
        "missing-landmark rule under {rule_sets}"
    ).format(rule_sets="; ".join(defs))

