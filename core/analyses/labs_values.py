"""What the lab charts draw, as tables: each measure at the baseline and landmark visits
(patient-level), median trajectories by visit month, and the steroid taper.

Medians and quartiles are R's ``quantile(type = 7)``; the schedule rule of the trajectories
is data-contract §6 (``lab_trajectories``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from core.analyses.context import RunContext
from core.analyses.spec import AnalysisSkipped, AnalysisSpec, FigureRef, TableSpec
from core.model.i18n import gettext as _
from core.model.results import AnalysisRun, Result
from core.model.schema import PAIRED_MEASURES, VISIT_FIELDS, Cohort
from core.model.vocabulary import ALL, group_order
from core.outcomes.criteria import add_egfr
from core.outcomes.derive import Outcomes, take_rows

_SKIP = {"patient_id", "month", "visit_month", "landmark", "group"}
TRAJECTORY_COLUMNS = ["month", "group", "n", "median", "q1", "q3"]
LANDMARK_VALUE_COLUMNS = ["patient_id", "group", "measure", "landmark", "visit_month", "value"]


def measures_of(visits: pd.DataFrame) -> list[str]:
    """PAIRED_MEASURES present (any value), then every extra numeric visit column."""
    has = [m for m in PAIRED_MEASURES if m in visits and visits[m].notna().any()]
    extra = [
        c
        for c in visits.columns
        if c not in VISIT_FIELDS
        and c not in _SKIP
        and pd.api.types.is_numeric_dtype(visits[c])
        and not pd.api.types.is_bool_dtype(visits[c])
        and visits[c].notna().any()
    ]
    return has + extra


def landmark_values(cohort: Cohort, o: Outcomes) -> pd.DataFrame:
    """Every visit field at each patient's landmark visit: one row per patient × landmark."""
    fields = [] if o.visits is None else [c for c in o.visits if c not in ("patient_id", "month")]
    rows = o.landmark_rows
    if rows is not None and len(rows) == len(o.landmarks) and not set(fields) & set(o.landmarks):
        # the rows behind o.landmarks: positions, not a merge on patient IDs
        taken = {c: take_rows(o.visits[c], rows) for c in fields}
        return pd.concat([o.landmarks, pd.DataFrame(taken, index=o.landmarks.index)], axis=1)
    v = cohort.visits.dropna(subset=["month"]).drop_duplicates(["patient_id", "month"])
    visits, _derived = add_egfr(v, cohort.patients)
    return o.landmarks.merge(
        visits.rename(columns={"month": "visit_month"}),
        on=["patient_id", "visit_month"],
        how="left",
    )



def lab_landmark_values(ctx: RunContext) -> Result:
    """Each measure's value at each patient's baseline and landmark visit (data-contract §5:
    the visit is chosen first; a value missing there is left out).

    Returns Result ``lab_landmark_values`` (patient-level): patient_id, group, measure,
    landmark (month), visit_month, value (canonical unit of the measure). The paired plots
    draw it; ``paired_changes`` tests the same values.
    """
    wide = ctx.landmark_values()
    measures = [m for m in measures_of(ctx.filtered.visits) if m in wide]
    keys = ["patient_id", "group", "landmark", "visit_month"]
    if not measures or wide.empty:
        return Result("lab_landmark_values", pd.DataFrame(columns=LANDMARK_VALUE_COLUMNS))
    # the rows of melt(…) sorted stably by measure, landmark and patient: one order of the
    # patients for every measure (text IDs sorted once, not once per measure)
    order = wide[["landmark", "patient_id"]].reset_index(drop=True)
    order = order.sort_values(["landmark", "patient_id"], kind="stable").index.to_numpy()
    idx, names, values = [], [], []
    for m in measures:
        col = wide[m].iloc[order]
        has = col.notna().to_numpy()
        idx.append(order[has])
        names.append(np.full(int(has.sum()), m, dtype=object))
        values.append(col[has].astype(float).to_numpy())
    take = np.concatenate(idx)
    long = wide[keys].iloc[take].reset_index(drop=True)
    long["measure"] = np.concatenate(names)
    long["value"] = np.concatenate(values)
    return Result(
        "lab_landmark_values",
        long[LANDMARK_VALUE_COLUMNS],
        (_("Values at the landmark visits of landmark_visits (the visit chosen before its values "
         "were read)."),),
    )


def _schedule(months: pd.Series, n_patients: int) -> np.ndarray:
    """Visit months attended by at least 20% of patients (whole months): the plan."""
    counts = months.round().value_counts()
    plan = counts[counts >= max(1.0, 0.2 * n_patients)].index.to_numpy(float)
    return np.sort(plan)


def _patient_codes(cohort: Cohort) -> tuple[np.ndarray, np.ndarray | None, int]:
    """Each visit's patient as an integer code (-1: no ID), each code's group (None: no
    group column) and the number of patients: worked out once for every measure."""
    pid, ids = pd.factorize(cohort.visits["patient_id"])
    group = None
    if "group" in cohort.patients:
        by_id = cohort.patients.drop_duplicates("patient_id").set_index("patient_id")["group"]
        group = by_id.reindex(ids).to_numpy(object)
    return pid, group, cohort.patients["patient_id"].nunique()


def trajectory_table(
    cohort: Cohort, measure: str, patients: tuple | None = None
) -> pd.DataFrame:
    """Median and quartiles (R type 7) of ``measure`` by scheduled month and group.

    Visits are assigned to the nearest scheduled month (months attended by ≥ 20% of
    patients) within ± 1.5 months; a patient counts once per month (the nearest visit).
    Rows for each group and ``All``. ``patients``: :func:`_patient_codes` of the cohort
    (computed here when not given).
    """
    v = cohort.visits
    if measure not in v or v[measure].notna().sum() == 0:
        return pd.DataFrame(columns=TRAJECTORY_COLUMNS)
    pid_all, group_of, n_patients = patients or _patient_codes(cohort)
    month_all = v["month"].to_numpy(dtype=float, na_value=np.nan)
    value_all = v[measure].to_numpy(dtype=float, na_value=np.nan)
    keep = np.flatnonzero((pid_all >= 0) & ~np.isnan(month_all) & ~np.isnan(value_all))
    m = month_all[keep]
    plan = _schedule(pd.Series(m), n_patients)
    if plan.size == 0:
        return pd.DataFrame(columns=TRAJECTORY_COLUMNS)
    pos = np.clip(np.searchsorted(plan, m), 1, max(plan.size - 1, 1))
    lo, hi = plan[pos - 1], plan[np.minimum(pos, plan.size - 1)]
    nearest = np.where(np.abs(m - lo) <= np.abs(hi - m), lo, hi)
    dist = np.abs(m - nearest)
    # Patients as integer codes (one factorize for every measure): sorting and
    # de-duplicating 500,000 text IDs per measure cost ~0.5 s at 100,000 patients.
    pid = pid_all[keep]
    ok = dist <= 1.5
    order = np.lexsort((m[ok], dist[ok], nearest[ok], pid[ok]))
    rows = np.flatnonzero(ok)[order]
    key_p, key_b = pid[rows], nearest[rows]
    first = np.ones(len(rows), bool)
    first[1:] = (key_p[1:] != key_p[:-1]) | (key_b[1:] != key_b[:-1])
    rows = rows[first]
    values = value_all[keep][rows]
    bins = nearest[rows]
    labels = ["All"]
    gcode = np.zeros(len(rows), dtype=np.int64)
    if group_of is not None:
        group = group_of[pid[rows]]
        has = pd.notna(group)
        codes, found = pd.factorize(pd.Series(group[has]).astype(str))
        labels += list(found)
        gcode = np.concatenate([codes + 1, gcode])
        bins, values = np.concatenate([bins[has], bins]), np.concatenate([values[has], values])
    # group on integer codes (text keys over 1,000,000 rows are slow), labels after
    s = pd.DataFrame({"bin": bins, "g": gcode, "value": values}).groupby(["bin", "g"])["value"]
    out = pd.DataFrame(
        {"n": s.size(), "median": s.median(), "q1": s.quantile(0.25), "q3": s.quantile(0.75)}
    ).reset_index()
    out.insert(1, "group", np.asarray(labels, dtype=object)[out.pop("g").to_numpy()])
    out = out.rename(columns={"bin": "month"}).sort_values(["month", "group"], kind="stable")
    out = out.reset_index(drop=True)
    return out[TRAJECTORY_COLUMNS]




def _in_group_order(t: pd.DataFrame, settings) -> pd.DataFrame:
    """Rows by month, then the groups in display order (reference first, ``All`` last)."""
    order = group_order(t["group"], settings.reference, sort=True, order=settings.group_order)
    rank = t["group"].astype(str).map({g: i for i, g in enumerate(order)})
    keys = t.assign(_rank=rank.to_numpy())
    return keys.sort_values(["month", "_rank"], kind="stable").drop(columns="_rank")


def lab_trajectories(ctx: RunContext) -> Result:
    """Median and quartiles of each lab by scheduled visit month and group (trajectory plots).

    Returns Result ``lab_trajectories``: measure, month, group, n, median, q1, q3 (R
    ``quantile(type = 7)``), rows per group and ``All``; the steroid dose has its own table
    (``steroid_trajectory``).
    """
    parts = []
    patients = _patient_codes(ctx.filtered)
    for m in measures_of(ctx.filtered.visits):
        if m == "steroid_mg":
            continue
        t = trajectory_table(ctx.filtered, m, patients)
        if not t.empty:
            parts.append(_in_group_order(t, ctx.settings).assign(measure=m))
    cols = ["measure", *TRAJECTORY_COLUMNS]
    table = pd.concat(parts, ignore_index=True)[cols] if parts else pd.DataFrame(columns=cols)
    return Result(
        "lab_trajectories",
        table,
        (_("Visits assigned to the nearest scheduled month (months attended by at least 20% of "
         "patients) within ± 1.5 months, one visit per patient and month."),),
    )


def _dose_summary(gb) -> pd.DataFrame:
    """n, median, q1, q3 (R type 7) of each group of a grouped dose column."""
    return pd.DataFrame(
        {"n": gb.size(), "median": gb.median(), "q1": gb.quantile(0.25), "q3": gb.quantile(0.75)}
    )


def steroid_trajectory(cohort: Cohort, o) -> Result:
    """Prednisolone-equivalent dose over all visits by visit month, per group and All.

    Returns Result ``steroid_trajectory``: month, group, n, median, q1, q3 (R type 7).
    """
    cols = ["month", "group", "n", "median", "q1", "q3"]
    v = cohort.visits
    if "steroid_mg" not in v or v["steroid_mg"].isna().all():
        return Result(
            "steroid_trajectory",
            pd.DataFrame(columns=cols),
            (_("No steroid dose in the file."),),
            {"settings": o.settings},
        )
    grp = o.landmarks.drop_duplicates("patient_id").set_index("patient_id")["group"]
    x = v.loc[v["steroid_mg"].notna(), ["patient_id", "month", "steroid_mg"]]
    x = x.assign(group=x["patient_id"].map(grp))
    if (x["group"] == ALL).any():  # a group named like the total: pooled with it, as before
        both = pd.concat([x.dropna(subset=["group"]), x.assign(group=ALL)])
        t = _dose_summary(both.groupby(["month", "group"])["steroid_mg"]).reset_index()
    else:  # per group and All grouped apart (no doubled frame), then in the same order
        per = _dose_summary(x.groupby(["month", "group"])["steroid_mg"]).reset_index()
        total = _dose_summary(x.groupby("month")["steroid_mg"]).reset_index()
        total.insert(1, "group", ALL)
        t = pd.concat([per, total], ignore_index=True)
    return Result(
        "steroid_trajectory",
        _in_group_order(t, o.settings).reset_index(drop=True)[cols],
        (_("Median (IQR) dose at the visits of each month."),),
        {"settings": o.settings},
    )


def _steroid(ctx: RunContext) -> dict[str, Result]:
    return {"steroid_trajectory": steroid_trajectory(ctx.filtered, ctx.outcomes)}


def _values(ctx: RunContext) -> dict[str, Result]:
    if ctx.filtered.visits.empty:
        raise AnalysisSkipped(_("No visits: no laboratory values to show."))
    return {"lab_landmark_values": lab_landmark_values(ctx), "lab_trajectories": lab_trajectories(ctx)}


def _steroid_methods(run: AnalysisRun) -> list[str]:
    if run.table("steroid_trajectory") is None:
        return []
    return [_(
        "Steroid dose: median (IQR) prednisolone-equivalent dose (mg/day) at the visits of "
        "each visit month."
    )]


def _trajectory_methods(run: AnalysisRun) -> list[str]:
    if run.table("lab_trajectories") is None:
        return []
    return [_(
        "Trajectories: median and interquartile range (R quantile(type = 7)) of each measure by "
        "scheduled visit month (months attended by at least 20% of patients; visits within "
        "± 1.5 months, the nearest per patient)."
    )]



_MEDIANS = dict(counts=("n",), estimates={"median": "unit of the measure", "q1": "unit of the measure", "q3": "unit of the measure"})
_FIG = "core.report.figures.labs"
SPECS = (
    AnalysisSpec(
        name="lab_values",
        page="labs",
        section="Before and after, trajectories",
        tables=(
            TableSpec(
                "lab_landmark_values", "Values at the landmark visits",
                tuple(LANDMARK_VALUE_COLUMNS), "tests/reference/figure_tables",
                estimates={"value": "unit of the measure"}, patient_level=True,
            ),
            TableSpec(
                "lab_trajectories", "Trajectories", ("measure", *TRAJECTORY_COLUMNS),
                "tests/reference/figure_tables", **_MEDIANS,
            ),
        ),
        compute=_values,
        figures=(FigureRef(_FIG, "plot_paired_values", "paired", "Before and after"), FigureRef(_FIG, "plot_trajectories", "trajectory", "Over follow-up")),
        methods=_trajectory_methods,
        r_call="merge(landmark visits, visits); aggregate(value ~ month + group, FUN = quantile, type = 7)",
    ),
    AnalysisSpec(
        name="steroid_trajectory",
        page="labs",
        section="Steroid taper",
        tables=(
            TableSpec(
                "steroid_trajectory", "Steroid taper", tuple(TRAJECTORY_COLUMNS),
                "tests/reference/figure_tables", counts=("n",),
                estimates={"median": "mg/day", "q1": "mg/day", "q3": "mg/day"},
            ),
        ),
        compute=_steroid,
        figures=(FigureRef(_FIG, "plot_steroid_taper", "steroid_taper", "Steroid taper"),),
        methods=_steroid_methods,
        r_call="aggregate(steroid_mg ~ month + group, FUN = quantile, type = 7)",
    ),
)
