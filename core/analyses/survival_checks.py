"""Proportional-hazards check of the time-to-response Cox model and pairwise log-rank.

Each takes the ``ttr_patients`` table (patient_id, group, time in months, event 1 =
response) and returns Results (tables listed in each docstring), agreeing with the R
call named in its notes. Data that cannot support a test give an empty table and a note.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from core.analyses.context import RunContext
from core.analyses.restricted_mean import ttr_or_skip
from core.analyses.spec import NO_FIGURE, AnalysisSpec, FigureRef, TableSpec
from core.model.i18n import N_
from core.model.i18n import gettext as _
from core.model.results import AnalysisRun, Result
from core.model.settings import Settings
from core.model.vocabulary import groups_with_reference
from core.stats.ph import cox_zph, pairwise_logrank

PH_COLUMNS = ["term", "chisq", "df", "p_value", "transform"]
PH_RESID_COLUMNS = ["term", "time", "g_time", "scaled_residual"]
TRANSFORM_WORDS = {
    "km": N_("transformed by 1 − Kaplan–Meier"),
    "identity": N_("on its own scale (months)"),
    "log": N_("on the log scale"),
    "rank": N_("replaced by its rank"),
}
PAIRWISE_COLUMNS = ["group_a", "group_b", "n_a", "n_b", "statistic", "df", "p_value", "p_holm"]


def ph_test(
    ttr_patients: pd.DataFrame, settings: Settings, transform: str = "km"
) -> dict[str, Result]:
    """Proportional-hazards check of the Cox model ``cox`` (response ~ group, Efron).

    ``ph_test``: term (``group``, then ``GLOBAL``), chisq, df, p_value, transform; as
    ``cox.zph(coxph(Surv(time, event) ~ group, ties = "efron"), transform = transform)``
    (survival 3 score test; g(t) = 1 − KM(t−) by default; ``identity``, ``log``,
    ``rank`` as R; ``Settings.zph_transform`` in the run). ``ph_residuals``: for the
    residual plot, one row per response and group contrast: term, time (months), g_time,
    scaled_residual (β̂ + scaled Schoenfeld residual, ``cox.zph(fit, terms = FALSE)$y``).
    """
    d = ttr_patients.loc[
        ttr_patients["time"].notna() & ttr_patients["event"].notna() & ttr_patients["group"].notna()
    ]
    groups, ref = groups_with_reference(d["group"], settings.reference, settings.group_order)
    empty = (pd.DataFrame(columns=PH_COLUMNS), pd.DataFrame(columns=PH_RESID_COLUMNS))
    meta = {"transform": transform, "reference": ref}
    method = (
        _("Schoenfeld-residual test (transform '{transform}'), as R cox.zph of coxph(ties = 'efron').").format(transform=transform)
    )
    others = [g for g in groups if g != ref]
    note = None
    if len(groups) < 2:
        note = _("One group only: no Cox model to check.")
    elif (d["event"] > 0).sum() == 0:
        note = _("No responses: no Cox model to check.")
    if note is None:
        grp = d["group"].astype(str)
        x = np.column_stack([(grp == g).to_numpy(float) for g in others])
        z = cox_zph(d["time"], d["event"], x, ["group"], [list(range(len(others)))], transform)
        if not z.converged:
            note = _("Cox model not estimable: proportional hazards not checked.")
    if note is not None:
        return {
            "ph_test": Result("ph_test", empty[0], (method, note), meta),
            "ph_residuals": Result("ph_residuals", empty[1], (method, note), meta),
        }
    if all(np.isnan(r.chisq) for r in z.tests):
        note = _("Every response at one time: no change over time to test.")
        return {
            "ph_test": Result("ph_test", empty[0], (method, note), meta),
            "ph_residuals": Result("ph_residuals", empty[1], (method, note), meta),
        }
    tests = pd.DataFrame(
        [
            {
                "term": r.term,
                "chisq": r.chisq,
                "df": r.df,
                "p_value": r.p_value,
                "transform": transform,
            }
            for r in z.tests
        ],
        columns=PH_COLUMNS,
    )
    res = pd.concat(
        [
            pd.DataFrame(
                {
                    "term": f"{g} vs {ref}",
                    "time": z.residuals["time"],
                    "g_time": z.residuals["g_time"],
                    "scaled_residual": z.residuals[f"x{i}"],
                }
            )
            for i, g in enumerate(others)
        ],
        ignore_index=True,
    )[PH_RESID_COLUMNS]
    return {
        "ph_test": Result("ph_test", tests, (method,), meta),
        "ph_residuals": Result(
            "ph_residuals",
            res,
            (
                method,
                _("Scaled Schoenfeld residuals: a flat trend over time supports "
                "proportional hazards."),
            ),
            meta,
        ),
    }


def pairwise_logrank_table(ttr_patients: pd.DataFrame, settings: Settings) -> Result:
    """Log-rank test for every pair of groups with Holm's adjustment (``pairwise_logrank``
    table: group_a, group_b, n_a, n_b, statistic, df, p_value, p_holm), as ``survdiff``
    on each pair and ``p.adjust(method = "holm")``. Meant for three or more groups; with
    two it is the single log-rank test of ``ttr_tests``."""
    d = ttr_patients.loc[
        ttr_patients["time"].notna() & ttr_patients["event"].notna() & ttr_patients["group"].notna()
    ]
    levels, _ref = groups_with_reference(d["group"], settings.reference, settings.group_order)
    table = pairwise_logrank(d["time"], d["event"], d["group"].astype(str), levels)
    table = table[PAIRWISE_COLUMNS]
    notes = [_("Log-rank for each pair of groups, Holm-adjusted, as R survdiff and p.adjust.")]
    if d["group"].nunique() < 3:
        notes.append(_("Fewer than three groups: the pairwise table repeats the log-rank test."))
    return Result("pairwise_logrank", table, tuple(notes), {"adjust": "holm"})


# --- registry entries --------------------------------------------------------------------


def _ph(ctx: RunContext) -> dict[str, Result]:
    s = ctx.outcomes.settings
    return ph_test(ttr_or_skip(ctx), s, transform=s.zph_transform)


def _pairwise(ctx: RunContext) -> dict[str, Result]:
    t = ttr_or_skip(ctx)
    return {"pairwise_logrank": pairwise_logrank_table(t, ctx.outcomes.settings)}


def _methods_ph(run: AnalysisRun) -> list[str]:
    if run.table("ph_test") is None:
        return []
    how = run.results["ph_test"].meta.get("transform", "km")
    return [_(
        "Proportional hazards were checked with the Schoenfeld-residual score test, time "
        '{transform} (R cox.zph(transform = "{how}")).'
    ).format(transform=_(TRANSFORM_WORDS[how]) if how in TRANSFORM_WORDS else how, how=how)]


def _methods_pairwise(run: AnalysisRun) -> list[str]:
    if run.table("pairwise_logrank") is None:
        return []
    return [_("Each pair of groups was compared by the log-rank test with Holm's adjustment.")]



_REF = "tests/reference/competing/expected/"
SPECS = (
    AnalysisSpec(
        name="ph_check",
        page="ttr",
        section="Proportional hazards check",
        tables=(
            TableSpec(
                "ph_test",
                "Proportional hazards test (Schoenfeld)",
                tuple(PH_COLUMNS),
                _REF + "ph_test.csv",
                p_values=("p_value",),
            ),
            TableSpec(
                "ph_residuals",
                "Scaled Schoenfeld residuals",
                tuple(PH_RESID_COLUMNS),
                _REF + "ph_residuals.csv",
                estimates={"time": "months"},
            ),
        ),
        compute=_ph,
        figures=(
            FigureRef(
                "core.report.figures.ph_check",
                "plot_schoenfeld",
                "schoenfeld",
                "Proportional hazards check",
            ),
        ),
        methods=_methods_ph,
        r_call='cox.zph(coxph(Surv(time, event) ~ group, ties = "efron"), transform = "km") '
        "(or the chosen transform: identity, log, rank)",
        needs_groups=("ph_test", "ph_residuals"),
    ),
    AnalysisSpec(
        name="pairwise_logrank",
        page="ttr",
        section="Pairwise log-rank",
        tables=(
            TableSpec(
                "pairwise_logrank",
                "Pairwise log-rank (Holm)",
                tuple(PAIRWISE_COLUMNS),
                _REF + "pairwise_logrank_isn_class.csv",
                counts=("n_a", "n_b"),
                p_values=("p_value", "p_holm"),
            ),
        ),
        compute=_pairwise,
        figures=NO_FIGURE,
        methods=_methods_pairwise,
        r_call='survdiff(Surv(time, event) ~ group, subset = pair); p.adjust(p, "holm")',
        needs_groups=("pairwise_logrank",),
    ),
)
