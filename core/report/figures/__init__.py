"""Every chart of the dashboard as a plotly figure built from contract tables.

``build_figures`` builds each chart the available results support, keyed by a stable name;
the builders in ``response``, ``labs``, ``ttr`` and ``cohort`` can be called one by one.
Pure Python (no Streamlit); the on-screen copy can be adapted with ``theme.for_app``.
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd
import plotly.graph_objects as go

from core.model.results import Result
from core.model.schema import PAIRED_MEASURES, Cohort
from core.model.settings import Settings
from core.report.figures import cohort as cohort_figs
from core.report.figures import labs, response, sustained, ttr
from core.report.figures.theme import group_colors

__all__ = ["SECTIONS", "build_figures", "figure_section", "group_colors"]

# Groups of charts, one per dashboard page: cohort (flow, completeness, swimmer), response
# (rates, criteria, sankeys, forests), ttr (ttr_curve), labs (paired_*, trajectory_*,
# paired_changes, steroid_taper, dsdna_shift).
SECTIONS = ("cohort", "response", "ttr", "labs")
_COHORT_FIGURES = ("flow", "completeness", "swimmer")


def figure_section(name: str) -> str:
    """The section (``SECTIONS``) that builds figure ``name``: lets a page that asks for
    one figure by name build only that figure's section."""
    if name in _COHORT_FIGURES:
        return "cohort"
    if name.startswith(("response_", "sustained_")) or name == "criteria_sensitivity":
        return "response"
    if name == "ttr_curve":
        return "ttr"
    return "labs"


def _table(results: dict[str, Result], name: str) -> pd.DataFrame | None:
    r = results.get(name)
    return None if r is None or r.table is None or r.table.empty else r.table


def _response_figures(
    results: dict[str, Result], cohort: Cohort, settings: Settings, colors: dict[str, str]
) -> dict[str, go.Figure]:
    out: dict[str, go.Figure] = {}
    if _table(results, "response_rates") is not None:
        out["response_rates"] = response.response_rates(results["response_rates"])
    if _table(results, "criteria_sensitivity") is not None:
        out["criteria_sensitivity"] = response.criteria_sensitivity(
            results["criteria_sensitivity"], colors=colors
        )
    if _table(results, "sustained_response") is not None:
        out["sustained_response"] = sustained.plot_sustained_response(
            results["sustained_response"], colors=colors
        )
    if _table(results, "response_duration") is not None:
        out["response_duration"] = sustained.plot_response_duration(
            results["response_duration"], colors=colors
        )
    if (t := _table(results, "response_transitions")) is not None:
        res = results["response_transitions"]
        out["response_sankey"] = response.response_transitions(res, group="All")
        groups = [g for g in dict.fromkeys(t["group"]) if g != "All"]
        if len(groups) > 1:
            for g in groups:
                out[f"response_sankey_{g}"] = response.response_transitions(res, group=g)
    if (t := _table(results, "response_subgroups")) is not None:
        for m, sub in t.groupby("month", sort=True):
            out[f"response_forest_m{m:g}"] = response.response_forest(
                sub, title=f"Overall response by subgroup at month {m:g}"
            )
    return out


def _lab_figures(
    results: dict[str, Result], cohort: Cohort, colors: dict[str, str], show_ids: bool = False
) -> dict[str, go.Figure]:
    out: dict[str, go.Figure] = {}
    changes = _table(results, "paired_changes")
    lv = _table(results, "landmark_visits")
    measures = (
        list(dict.fromkeys(changes["measure"])) if changes is not None else list(PAIRED_MEASURES)
    )
    for m in measures:
        if lv is not None:
            values = labs.landmark_values(cohort, lv, m)
            if not values.empty:
                out[f"paired_{m}"] = labs.paired_plot(
                    values, m, changes=changes, colors=colors, show_ids=show_ids
                )
        if m != "steroid_mg":
            traj = labs.trajectory_table(cohort, m)
            if not traj.empty:
                out[f"trajectory_{m}"] = labs.trajectory(traj, m, colors=colors)
    if changes is not None:
        out["paired_changes"] = labs.paired_changes(results["paired_changes"], colors=colors)
    steroid = _table(results, "steroid_trajectory")
    if steroid is None:
        steroid = labs.trajectory_table(cohort, "steroid_mg")
    if steroid is not None and not steroid.empty:
        out["steroid_taper"] = labs.steroid_trajectory(steroid, colors=colors)
    if _table(results, "dsdna_shift") is not None:
        out["dsdna_shift"] = labs.dsdna_shift(results["dsdna_shift"])
    return out


def _cohort_figures(
    results: dict[str, Result],
    cohort: Cohort,
    colors: dict[str, str],
    n_in_file: int | None,
    show_ids: bool = False,
) -> dict[str, go.Figure]:
    out: dict[str, go.Figure] = {}
    flow = _table(results, "flow")
    if flow is not None and {"step", "month", "reason", "n"} <= set(flow.columns):
        steps = cohort_figs.flow_steps(flow)
    else:
        steps = cohort_figs.flow_table(
            n_in_file if n_in_file is not None else len(cohort.patients),
            cohort,
            _table(results, "response_rates"),
            _table(results, "ttr_patients"),
        )
    out["flow"] = cohort_figs.patient_flow(steps)
    if not cohort.visits.empty:
        out["completeness"] = cohort_figs.completeness(cohort)
        out["swimmer"] = cohort_figs.swimmer(cohort, colors=colors, show_ids=show_ids)
    return out


def build_figures(
    results: dict[str, Result],
    cohort: Cohort,
    settings: Settings | None = None,
    *,
    n_in_file: int | None = None,
    sections: Iterable[str] | None = None,
    show_ids: bool = False,
) -> dict[str, go.Figure]:
    """Every chart the available results support, keyed by a stable name.

    Parameters
    ----------
    results
        Contract tables by name (``run_analyses``); missing or empty ones are skipped
        (``response_subgroups`` gives the subgroup forest plots).
    cohort
        The analysed (filtered) cohort, for patient-level charts.
    settings
        Analysis settings (event name, CI method); defaults when None.
    n_in_file
        Patients before filtering, for the flow chart when ``results`` has no ``flow``.
    sections
        Build only these groups of charts (``SECTIONS``: ``cohort``, ``response``, ``ttr``,
        ``labs``, one per dashboard page); None builds all. A page that shows one chart
        need not pay for thirty: at 10,000 patients all charts take about 2 s.
    show_ids
        Put patient IDs into the hover text of the per-patient charts (paired before/after
        lines, swimmer plot). Off by default: no figure then carries a patient ID anywhere
        (hover text, text, custom data), so an exported chart identifies nobody.

    Returns
    -------
    dict name → Figure. Names: ``flow``, ``completeness``, ``swimmer``, ``response_rates``,
    ``criteria_sensitivity``, ``response_sankey`` (+ ``response_sankey_<group>``),
    ``response_forest_m<month>``, ``ttr_curve``, ``paired_<measure>``,
    ``trajectory_<measure>``, ``paired_changes``, ``steroid_taper``, ``dsdna_shift``.
    """
    settings = settings or Settings()
    groups = list(cohort.groups)
    for name in ("response_rates", "ttr_curve"):
        if (t := _table(results, name)) is not None:
            groups += [str(g) for g in t["group"].unique()]
    colors = group_colors([*groups, "All"])
    want = set(SECTIONS if sections is None else sections)
    unknown = want - set(SECTIONS)
    if unknown:
        raise ValueError(f"unknown figure sections {sorted(unknown)}; use {SECTIONS}")
    figs: dict[str, go.Figure] = {}
    if "cohort" in want:
        figs |= _cohort_figures(results, cohort, colors, n_in_file, show_ids)
    if "response" in want:
        figs |= _response_figures(results, cohort, settings, colors)
    if "ttr" in want and _table(results, "ttr_curve") is not None:
        figs["ttr_curve"] = ttr.ttr_curve(
            results["ttr_curve"],
            results.get("ttr_risk"),
            results.get("ttr_tests"),
            results.get("cox"),
            results.get("ttr_summary"),
            colors=colors,
            event=settings.event,
        )
    if "labs" in want:
        figs |= _lab_figures(results, cohort, colors, show_ids)
    return figs
