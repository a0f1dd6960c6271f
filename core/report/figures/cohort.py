"""Cohort charts: patient flow, data completeness per lab and visit month, swimmer plot."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from core.model.i18n import N_
from core.model.i18n import gettext as _
from core.model.results import AnalysisRun, FigureKey
from core.model.schema import LABELS
from core.model.vocabulary import group_order
from core.report.export.display import count_text
from core.report.figures.theme import (
    NOTE_SIZE,
    OKABE_ITO,
    RESPONSE_COLORS,
    STATE_WORDS,
    color_of,
    empty_figure,
    group_name,
    journal_layout,
    month_label,
    run_colors,
)

FLOW_COLUMNS = ["step", "n", "detail"]
STEP_LABELS = {"in file": N_("Patients in file"), "after filters": N_("After filters")}
MONTH_TITLE = N_("Months since start of therapy")
SWIMMER_MAX_PATIENTS = 300  # beyond this one row per patient is unreadable


def flow_steps(flow: pd.DataFrame) -> pd.DataFrame:
    """The ``flow`` table of ``run_analyses`` (step, month, reason, n) as chart rows
    (step, n, detail): reasons for not being evaluable and imputations go in the detail."""
    if flow.empty:
        return pd.DataFrame(columns=FLOW_COLUMNS)
    rows: list[tuple[str, int, str]] = []
    for step, month, n in flow.loc[
        ~flow["step"].isin(["not evaluable", "imputed"]), ["step", "month", "n"]
    ].itertuples(index=False):
        if step == "evaluable":
            at = flow[flow["month"] == month]
            extra = [
                f"{r}: {count_text(k)}" if r else f"{s}: {count_text(k)}"
                for s, r, k in at.loc[
                    at["step"].isin(["not evaluable", "imputed"]), ["step", "reason", "n"]
                ].itertuples(index=False)
            ]
            label = _("Evaluable at {month}").format(month=month_label(month).lower())
            rows.append((label, n, "; ".join(extra)))
        else:
            label = _(STEP_LABELS.get(str(step), str(step)[:1].upper() + str(step)[1:]))
            rows.append((label, n, ""))
    return pd.DataFrame(rows, columns=FLOW_COLUMNS)


def patient_flow(flow: pd.DataFrame, *, title: str | None = None) -> go.Figure:
    """Horizontal bars of the flow steps (top to bottom) labelled with n and the detail."""
    if flow.empty:
        return empty_figure(_("No patients."))
    y = list(flow["step"])
    text = [
        count_text(n) + (f"  ({d})" if d else "")
        for n, d in zip(flow["n"], flow["detail"], strict=True)
    ]
    fig = go.Figure(
        go.Bar(
            x=flow["n"],
            y=y,
            orientation="h",
            marker_color=OKABE_ITO["blue"],
            text=text,
            textposition="outside",
            cliponaxis=False,
            textfont=dict(size=NOTE_SIZE),
            hovertemplate="%{y}: %{x}<extra></extra>",
        )
    )
    journal_layout(fig, title=title or _("Patient flow"), height=140 + 52 * len(flow))
    fig.update_yaxes(categoryorder="array", categoryarray=y[::-1], ticks="", showline=False)
    fig.update_xaxes(
        title_text=_("Patients (n)"), range=[0, float(flow["n"].max()) * 1.6], rangemode="tozero"
    )
    return fig


def completeness(table: pd.DataFrame, *, title: str | None = None) -> go.Figure:
    """Heatmap of the share of visits (%) with each lab recorded, per whole visit month,
    from the ``data_completeness`` table."""
    if table.empty:
        return empty_figure(_("No lab values to summarise."))
    labs = list(dict.fromkeys(table["measure"]))
    share = table.pivot(index="measure", columns="month", values="pct_recorded").reindex(labs)
    n_visits = table.drop_duplicates("month").set_index("month")["n_visits"].reindex(share.columns)
    fig = go.Figure(
        go.Heatmap(
            z=share.to_numpy(),
            x=[f"{m:g}<br>({count_text(n)})" for m, n in zip(share.columns, n_visits, strict=True)],
            y=[_(LABELS[c]) if c in LABELS else c for c in labs],
            zmin=0,
            zmax=100,
            colorscale=[[0, "#FFFFFF"], [0.5, "#9ECAE1"], [1, OKABE_ITO["blue"]]],
            text=np.vectorize(lambda z: f"{z:.0f}")(share.to_numpy()),
            texttemplate="%{text}" if share.shape[1] <= 24 else "",  # unreadable beyond
            textfont=dict(size=NOTE_SIZE - 2),
            customdata=np.tile(n_visits.to_numpy(), (len(labs), 1)),
            hovertemplate=_("{lab}, month {month}: {share}% of {visits} visits").format(
                lab="%{y}", month="%{x}", share="%{z:.0f}", visits="%{customdata}"
            ) + "<extra></extra>",
            colorbar=dict(title=dict(text=_("% recorded"), side="right"), thickness=14),
            xgap=1,
            ygap=1,
        )
    )
    journal_layout(
        fig, title=title or _("Data completeness by visit month"), height=170 + 34 * len(labs)
    )
    fig.update_yaxes(autorange="reversed", showline=False, ticks="")
    fig.update_xaxes(
        title_text=_("{months} (number of visits)").format(months=_(MONTH_TITLE)), showline=False, ticks="", type="category"
    )
    return fig


def swimmer_lanes(
    fig: go.Figure, lanes: pd.DataFrame, colors: dict[str, str] | None, max_patients: int
) -> tuple[pd.DataFrame, int]:
    """Draw one lane per patient (patient_id, group, last month) from month 0, patients sorted
    by group then longest follow-up, at most ``max_patients``; returns the lanes shown with
    their ``row`` and the number of patients before the cap. Groups in the order of
    ``colors`` (the run's display order, ``run_colors``), else alphabetically."""
    groups = group_order(lanes["group"].dropna(), sort=True, order=tuple(colors or ()))
    order = {g: i for i, g in enumerate(groups)}
    lanes = lanes.assign(_g=lanes["group"].map(order).fillna(len(order)))
    lanes = lanes.sort_values(["_g", "last", "patient_id"], ascending=[True, False, True])
    n_total = len(lanes)
    lanes = lanes.head(max_patients).reset_index(drop=True)
    lanes["row"] = np.arange(len(lanes))[::-1]
    for g in [g for g in groups if g in set(lanes["group"].dropna())]:
        d = lanes[lanes["group"] == g]
        k = len(d)
        fig.add_scatter(
            x=np.column_stack([np.zeros(k), d["last"], np.full(k, np.nan)]).ravel(),
            y=np.column_stack([d["row"], d["row"], np.full(k, np.nan)]).ravel(),
            mode="lines", name=group_name(g), line=dict(color=color_of(g, colors), width=1.6),
            hoverinfo="skip", legendgroup="groups",
        )  # fmt: skip
    return lanes, n_total


def swimmer(
    follow_up: pd.DataFrame,
    *,
    colors: dict[str, str] | None = None,
    max_patients: int = SWIMMER_MAX_PATIENTS,
    show_ids: bool = False,
) -> go.Figure:
    """One lane per patient from month 0 to the last visit, coloured by group, with the
    recorded response (CR, PR, NR) marked at each visit. Patients sorted by group, then by
    follow-up length; above ``max_patients`` the first ones in that order are shown and the
    title says so. Patient IDs are nowhere in the figure (hover says month and response)
    unless ``show_ids``: then hovering a mark names the patient."""
    v = follow_up
    if v.empty:
        return empty_figure(_("No visits."))
    lanes = v.groupby("patient_id", sort=False).agg(group=("group", "first"), last=("month", "max"))
    lanes = lanes.reset_index()
    if lanes["group"].isna().all():
        lanes["group"] = "All"
    fig = go.Figure()
    lanes, n_total = swimmer_lanes(fig, lanes, colors, max_patients)
    pts = v[["patient_id", "month", "response"]]
    pts = pts.merge(lanes[["patient_id", "row"]], on="patient_id", how="inner")
    states = (
        pts["response"].fillna("not recorded")
        if pts["response"].notna().any()
        else pd.Series("visit", index=pts.index)
    )

    def hover(d: pd.DataFrame, state: str) -> dict:
        if show_ids:
            return dict(customdata=d["patient_id"].astype(str),
                        hovertemplate=_("{patient}, month {month}: {state}").format(
                            patient="%{customdata}", month="%{x:g}", state=_(STATE_WORDS.get(state, state))
                        ) + "<extra></extra>")  # fmt: skip
        return dict(hovertemplate=_("Month {month}: {state}").format(
            month="%{x:g}", state=_(STATE_WORDS.get(state, state))) + "<extra></extra>")

    for state in ["CR", "PR", "NR", "not recorded", "visit"]:
        d = pts[states == state]
        if d.empty:
            continue
        fig.add_scatter(
            x=d["month"],
            y=d["row"],
            mode="markers",
            name=_(STATE_WORDS.get(state, state)),
            **hover(d, state),
            marker=dict(
                size=7,
                color=RESPONSE_COLORS.get(state, "white"),
                symbol="circle" if state in RESPONSE_COLORS else "circle-open",
                line=dict(width=0.6, color="#333333"),
            ),
        )
    shown = "" if n_total <= max_patients else _(" (first {shown} of {total})").format(
        shown=max_patients, total=n_total
    )
    journal_layout(
        fig,
        title=_("Follow-up and response of each patient{shown}").format(shown=shown),
        height=max(420, 170 + 5 * len(lanes)),
    )
    fig.update_yaxes(
        showticklabels=False,
        ticks="",
        showline=False,
        title_text=_("Patients"),
        range=[-1, len(lanes)],
    )
    fig.update_xaxes(title_text=_(MONTH_TITLE),
 rangemode="tozero", dtick=3)
    return fig


def plot_patient_flow(run: AnalysisRun, **_kw: object) -> dict[FigureKey, go.Figure]:
    """The patient flow of ``flow`` as bars."""
    flow = run.table("flow")
    if flow is None:
        return {}
    return {FigureKey("flow"): patient_flow(flow_steps(flow))}


def plot_completeness(run: AnalysisRun, **_kw: object) -> dict[FigureKey, go.Figure]:
    t = run.table("data_completeness")
    return {} if t is None else {FigureKey("completeness"): completeness(t)}


def plot_swimmer(run: AnalysisRun, *, show_ids: bool = False, **_kw: object) -> dict[FigureKey, go.Figure]:
    t = run.table("follow_up")
    if t is None:
        return {}
    return {FigureKey("swimmer"): swimmer(t, colors=run_colors(run), show_ids=show_ids)}
