"""Criteria sensitivity: the same patients classified under every rule set their data
support, on the same landmark visits (clinical-rules §1)."""

from __future__ import annotations

from dataclasses import replace

import pandas as pd

from core.analyses.context import RunContext
from core.analyses.response import RATE_COUNTS, _pct, response_counts
from core.analyses.spec import AnalysisSpec, FigureRef, TableSpec
from core.model.i18n import gettext as _
from core.model.results import AnalysisRun, Result
from core.model.schema import Cohort
from core.model.settings import Settings
from core.outcomes.criteria import derivable
from core.outcomes.derive import Outcomes, derive_outcomes

SENSITIVITY_CORE = ("recorded", "kdigo2024", "eular2019", "creatinine15")
SENSITIVITY_EXTRA = ("lunar", "aurora", "multitarget_cn", "bliss_ln")


def supported_criteria(cohort: Cohort, settings: Settings) -> list[str]:
    """The rule sets whose inputs the file holds (eGFR from creatinine, age and sex; UPCR
    from 24-h protein), in table order; ``custom`` when chosen and supported."""
    available = {c for c in cohort.visits if cohort.visits[c].notna().any()}
    if "creatinine" in available and {"age", "sex"} <= set(cohort.patients):
        available.add("egfr")
    if "proteinuria_24h" in available:
        available.add("upcr")
    names = [n for n in (*SENSITIVITY_CORE, *SENSITIVITY_EXTRA) if derivable(n, available)]
    if settings.criteria == "custom" and derivable("custom", available, settings.custom):
        names.append("custom")
    return names


def criteria_sensitivity(
    cohort: Cohort, settings: Settings, base: Outcomes | None = None
) -> Result:
    """Response counts under every rule set the data can support, on the same patients.

    ``recorded`` (when present), ``kdigo2024``, ``eular2019``, ``creatinine15``, then
    ``lunar``, ``aurora``, ``multitarget_cn``, ``bliss_ln`` (and ``custom`` when chosen) as extra rows
    when the file holds their inputs; same landmarks, window and missing strategy.

    Returns
    -------
    Result ``criteria_sensitivity``: criteria, month, group, n_evaluable, cr_n, pr_n,
    orr_n, orr_pct, n_patients, n_no_visit, n_on_boundary.
    """
    names = supported_criteria(cohort, settings)
    parts, notes = [], []
    for name in names:
        same = base is not None and name == base.settings.criteria
        o = (
            base
            if same
            else derive_outcomes(
                cohort, replace(settings, criteria=name), reuse=base, with_ttr=False
            )
        )
        c = response_counts(o)
        c["orr_pct"] = _pct(c["orr_n"], c["n_evaluable"])
        parts.append(c.assign(criteria=name))
    cols = (
        "criteria month group n_evaluable cr_n pr_n orr_n orr_pct n_patients "
        "n_no_visit n_on_boundary"
    ).split()
    t = pd.concat(parts)[cols].reset_index(drop=True) if parts else pd.DataFrame(columns=cols)
    skipped = [n for n in (*SENSITIVITY_CORE, *SENSITIVITY_EXTRA) if n not in names]
    if skipped:
        notes.append(_("Not computable from this file (inputs missing): ") + ", ".join(skipped) + ".")
    notes.append(_("Values exactly on a ≤/≥ threshold meet it (relative tolerance 1e-9)."))
    return Result("criteria_sensitivity", t, tuple(notes), {"settings": settings})



def _sensitivity(ctx: RunContext) -> dict:
    return {"criteria_sensitivity": criteria_sensitivity(ctx.filtered, ctx.settings, ctx.outcomes)}


def _sensitivity_methods(run: AnalysisRun) -> list[str]:
    if run.table("criteria_sensitivity") is None:
        return []
    return [_("The same patients were classified under every rule set their data support "
              "(criteria sensitivity), with the same landmark visits.")]




_FIG = "core.report.figures.response"
SPECS = (
    AnalysisSpec(
        name="criteria_sensitivity", page="response", section="Response criteria compared",
        tables=(
            TableSpec("criteria_sensitivity", "Criteria sensitivity",
                      ("criteria", "month", "group", "n_evaluable", "cr_n", "pr_n", "orr_n",
                       "orr_pct", "n_patients", "n_no_visit", "n_on_boundary"),
                      "tests/reference/expected/criteria_sensitivity.csv",
                      counts=(*RATE_COUNTS, "n_patients", "n_no_visit", "n_on_boundary"),
                      percents=("orr_pct",), estimates={"month": "months"}),
        ),
        compute=_sensitivity,
        figures=(FigureRef(_FIG, "plot_criteria_sensitivity", "criteria_sensitivity", "Criteria sensitivity"),),
        methods=_sensitivity_methods,
        r_call="table(criteria, response) per landmark (reference.R)",
    ),
)
