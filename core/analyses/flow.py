"""The cohort itself, as tables: patient flow to each landmark, the landmark visits, how
complete each lab is per visit month, and each patient's follow-up (swimmer plot)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from core.analyses.context import RunContext
from core.analyses.patient_order import by_patient_month
from core.analyses.spec import AnalysisSkipped, AnalysisSpec, FigureRef, TableSpec
from core.model.i18n import gettext as _
from core.model.results import AnalysisRun, Result
from core.model.schema import VISIT_LABS, Cohort
from core.outcomes.derive import Outcomes

FLOW_COLUMNS = ("step", "month", "reason", "n")
COMPLETENESS_COLUMNS = ("measure", "month", "n_visits", "n_recorded", "pct_recorded")
FOLLOW_UP_COLUMNS = ("patient_id", "group", "month", "response")


def flow_table(cohort: Cohort, filtered: Cohort, o: Outcomes) -> pd.DataFrame:
    """Patients from the file to each landmark: step, month, reason, n.

    Steps: ``in file``, ``after filters``, then per landmark ``evaluable`` and
    ``not evaluable`` (one row per reason), ``imputed`` (one row per strategy used).
    """
    rows = [
        ("in file", None, "", len(cohort.patients)),
        ("after filters", None, "", len(filtered.patients)),
    ]
    if o.baseline_cr and o.settings.exclude_baseline_cr:
        rows.append(("excluded: CR at baseline", None, "", len(o.baseline_cr)))
    r = o.responses
    for month in o.settings.landmarks:
        at = r[r["landmark"] == month]
        rows.append(("evaluable", month, "", int(at["evaluable"].sum())))
        missing = at[at["observed"].isna()]
        for reason, n in missing["reason"].fillna("unknown").value_counts().sort_index().items():
            rows.append(("not evaluable", month, str(reason), int(n)))
        for how, n in at.loc[at["imputed"] != "", "imputed"].value_counts().sort_index().items():
            rows.append(("imputed", month, str(how), int(n)))
    return pd.DataFrame(rows, columns=list(FLOW_COLUMNS))


def data_completeness(visits: pd.DataFrame) -> pd.DataFrame:
    """Share of visits with each lab recorded, per whole visit month (month rounded).

    Returns measure, month, n_visits, n_recorded, pct_recorded (0–100); labs never recorded
    are left out.
    """
    labs = [c for c in VISIT_LABS if c in visits and visits[c].notna().any()]
    if visits.empty or not labs:
        return pd.DataFrame(columns=list(COMPLETENESS_COLUMNS))
    month = visits["month"].round()
    recorded = visits[labs].notna().groupby(month).sum()
    n_visits = month.value_counts().sort_index()
    out = recorded.reset_index(names="month").melt(
        id_vars="month", var_name="measure", value_name="n_recorded"
    )
    out["n_visits"] = out["month"].map(n_visits).astype(int)
    out["n_recorded"] = out["n_recorded"].astype(int)
    out["pct_recorded"] = 100.0 * out["n_recorded"] / out["n_visits"]
    order = {m: i for i, m in enumerate(labs)}
    out = out.assign(_m=out["measure"].map(order)).sort_values(["_m", "month"], kind="stable")
    return out[list(COMPLETENESS_COLUMNS)].reset_index(drop=True)


def follow_up(cohort: Cohort) -> pd.DataFrame:
    """Every visit of every patient with the recorded response (swimmer plot).

    Returns patient_id, group, month, response (CR/PR/NR as recorded; empty when the file
    records none), sorted by patient and month.
    """
    v = cohort.visits
    p = cohort.patients
    if v.empty:
        return pd.DataFrame(columns=list(FOLLOW_UP_COLUMNS))
    groups = p[["patient_id", "group"]] if "group" in p else p[["patient_id"]].assign(group=np.nan)
    cols = ["patient_id", "month"] + (["response"] if "response" in v else [])
    out = v[cols].merge(groups.drop_duplicates("patient_id"), on="patient_id", how="inner")
    if "response" not in out:
        out["response"] = pd.Series(pd.NA, index=out.index, dtype="object")
    out = by_patient_month(out)
    return out[list(FOLLOW_UP_COLUMNS)].reset_index(drop=True)


def _flow(ctx: RunContext) -> dict[str, Result]:
    o = ctx.outcomes
    return {
        "flow": Result("flow", flow_table(ctx.cohort, ctx.filtered, o), o.notes),
        "landmark_visits": Result(
            "landmark_visits",
            o.landmarks,
            (
                _('Baseline ± 1 month; landmarks ± {window} month(s); nearest visit, the earlier on a tie; a visit serves one landmark only.').format(window=f"{o.settings.window:g}"),
            ),
        ),
    }


def _cohort_tables(ctx: RunContext) -> dict[str, Result]:
    if ctx.filtered.visits.empty:
        raise AnalysisSkipped(_("No visits in the analysed patients."))
    return {
        "data_completeness": Result(
            "data_completeness", data_completeness(ctx.filtered.visits),
            (_("Share of visits of each whole visit month with the value recorded."),),
        ),
        "follow_up": Result("follow_up", follow_up(ctx.filtered)),
    }


def _flow_methods(run: AnalysisRun) -> list[str]:
    return [_("Patient flow: patients in the file, after the filters, and evaluable at each "
              "landmark, with the reason for each patient who was not.")]


def _cohort_methods(run: AnalysisRun) -> list[str]:
    if run.table("data_completeness") is None:
        return []
    return [_("Data completeness: the share of visits of each whole visit month at which each "
              "laboratory value was recorded.")]



_F = "core.report.figures.cohort"
SPECS = (
    AnalysisSpec(
        name="flow",
        page="cohort",
        section="Patient flow",
        tables=(
            TableSpec("flow", "Patient flow", FLOW_COLUMNS, "tests/test_figure_tables.py",
                      counts=("n",), estimates={"month": "months"}),
            TableSpec("landmark_visits", "Landmark visits",
                      ("patient_id", "group", "landmark", "visit_month"),
                      "tests/reference/expected/landmark_visits.csv", patient_level=True,
                      estimates={"landmark": "months", "visit_month": "months"}),
        ),
        compute=_flow,
        figures=(FigureRef(_F, "plot_patient_flow", "flow", "Patient flow"),),
        methods=_flow_methods,
        r_call="table(); nearest visit by which.min(abs(month - landmark)) (reference.R)",
    ),
    AnalysisSpec(
        name="cohort_visits",
        page="cohort",
        section="Data completeness and follow-up",
        tables=(
            TableSpec("data_completeness", "Data completeness", COMPLETENESS_COLUMNS,
                      "tests/reference/figure_tables", counts=("n_visits", "n_recorded"),
                      percents=("pct_recorded",), estimates={"month": "months"}),
            TableSpec("follow_up", "Follow-up per patient", FOLLOW_UP_COLUMNS,
                      "tests/test_figure_tables.py", patient_level=True,
                      estimates={"month": "months"}),
        ),
        compute=_cohort_tables,
        figures=(FigureRef(_F, "plot_completeness", "completeness", "Data completeness"), FigureRef(_F, "plot_swimmer", "swimmer", "Follow-up per patient")),
        methods=_cohort_methods,
        r_call="aggregate(!is.na(value) ~ round(month), FUN = mean)",
    ),
)
