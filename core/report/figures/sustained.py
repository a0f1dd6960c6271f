"""Confirmed and sustained response bars, and the duration-of-response curve.

Builders ``plot_sustained_response(run)`` and ``plot_response_duration(run)`` (named by the
registry) take the run; ``sustained_response_bars`` and ``response_duration_curves`` take one
result. Inputs are the tables of ``core.analyses.sustained_response``: ``sustained_response``
(kind, month, outcome, group, n_evaluable, n_yes, pct, ci_low, ci_high) and
``response_duration`` (outcome, group, time, pct_in_response, ci_low, ci_high). Same look
as ``core.report.figures.response``: journal layout, fixed group colours, n under each bar.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from core.model.i18n import N_
from core.model.i18n import gettext as _
from core.model.results import AnalysisRun, FigureKey, Result
from core.model.vocabulary import group_order
from core.report.export.display import count_text
from core.report.figures.theme import (
    NOTE_SIZE,
    color_of,
    empty_figure,
    group_name,
    journal_layout,
    month_label,
    rgba,
    run_colors,
)

KIND_LABELS = {"confirmed": N_("Confirmed"), "sustained": N_("Sustained")}
OUTCOME_LABELS = {"CR": N_("complete response"), "ORR": N_("overall response (CR or PR)")}
OUTCOME_SHORT = {"CR": N_("CR"), "ORR": N_("ORR")}


def sustained_response_bars(
    result: Result, *, colors: dict[str, str] | None = None, title: str | None = None
) -> go.Figure:
    """Bars of confirmed and sustained CR and ORR (% of evaluable) with their exact 95 %
    intervals: one panel per outcome (rows) and kind (columns), landmarks on the x axis,
    one bar per group labelled ``n_yes/n_evaluable``."""
    t = result.table
    if t is None or t.empty or not (t["n_evaluable"] > 0).any():
        return empty_figure(_("No patient is evaluable for confirmed or sustained response."))
    outcomes = [o for o in OUTCOME_LABELS if o in set(t["outcome"])]
    kinds = [k for k in KIND_LABELS if k in set(t["kind"])]
    groups = group_order(t["group"])
    fig = make_subplots(
        rows=len(outcomes),
        cols=len(kinds),
        shared_yaxes=True,
        vertical_spacing=0.16,
        horizontal_spacing=0.05,
        subplot_titles=[f"{_(KIND_LABELS[k])} · {_(OUTCOME_SHORT[o])}" for o in outcomes for k in kinds],
    )
    for r, outcome in enumerate(outcomes, start=1):
        for c, kind in enumerate(kinds, start=1):
            for g in groups:
                d = t[(t["outcome"] == outcome) & (t["kind"] == kind) & (t["group"] == g)]
                d = d.sort_values("month")
                fig.add_bar(
                    x=[month_label(m) for m in d["month"]],
                    y=d["pct"],
                    name=group_name(g),
                    legendgroup=g,
                    showlegend=(r, c) == (1, 1),
                    marker_color=color_of(g, colors),
                    error_y=dict(
                        type="data",
                        symmetric=False,
                        array=(d["ci_high"] - d["pct"]).to_numpy(float),
                        arrayminus=(d["pct"] - d["ci_low"]).to_numpy(float),
                        color=rgba("#111111", 0.8),
                        thickness=1.4,
                        width=4,
                    ),
                    text=[f"{count_text(y)}/{count_text(n)}" for y, n in zip(d["n_yes"], d["n_evaluable"],
                                                                strict=True)],
                    textposition=["inside" if p >= 12 else "outside" for p in d["pct"]],
                    insidetextanchor="start",
                    cliponaxis=False,
                    textfont=dict(size=NOTE_SIZE - 3),
                    customdata=np.column_stack([d["n_yes"], d["n_evaluable"], d["ci_low"],
                                                d["ci_high"]]),
                    hovertemplate=_("{group}, {kind} {outcome} {month}: {n}/{total} ({pct}%, 95% CI "
                                    "{low}–{high})").format(
                        group=group_name(g), kind=_(KIND_LABELS[kind]).lower(),
                        outcome=_(OUTCOME_SHORT[outcome]), month="%{x}", n="%{customdata[0]}",
                        total="%{customdata[1]}", pct="%{y:.1f}", low="%{customdata[2]:.1f}",
                        high="%{customdata[3]:.1f}",
                    ) + "<extra></extra>",
                    row=r,
                    col=c,
                )
    journal_layout(fig, title=title or _("Confirmed and sustained renal response"),
                   height=330 * len(outcomes) + 140)
    fig.update_layout(barmode="group", bargap=0.25, bargroupgap=0.05, legend_y=1.06,
                      margin_t=120)
    fig.update_yaxes(range=[0, 105], dtick=20)
    for r in range(1, len(outcomes) + 1):
        fig.update_yaxes(title_text=_("Patients evaluable (%)"), row=r, col=1)
    return fig


def response_duration_curves(
    result: Result, *, outcome: str = "ORR", colors: dict[str, str] | None = None,
    title: str | None = None,
) -> go.Figure:
    """Kaplan–Meier step curves of remaining in response (``pct_in_response``) per group,
    with the log-log 95 % band, for ``outcome`` ('CR' or 'ORR')."""
    t = result.table
    t = t[t["outcome"] == outcome] if t is not None and not t.empty else t
    if t is None or t.empty:
        return empty_figure(_("No {outcome} responder: no duration of response.").format(
            outcome=_(OUTCOME_SHORT.get(outcome, outcome))))
    fig = go.Figure()
    for g in group_order(t["group"]):
        d = t[t["group"] == g].sort_values("time")
        x = np.r_[0.0, d["time"].to_numpy(float)]
        col = color_of(g, colors)
        for band, y in (("high", d["ci_high"]), ("low", d["ci_low"])):
            fig.add_scatter(
                x=x, y=np.r_[100.0, y.fillna(100.0).to_numpy(float)], mode="lines",
                line=dict(width=0, shape="hv"), showlegend=False, hoverinfo="skip",
                legendgroup=g, fill="tonexty" if band == "low" else None,
                fillcolor=rgba(col, 0.15),
            )
        fig.add_scatter(
            x=x, y=np.r_[100.0, d["pct_in_response"].to_numpy(float)], mode="lines",
            line=dict(color=col, width=2.2, shape="hv"), name=group_name(g), legendgroup=g,
            hovertemplate=_("{group}: {pct}% still in response at {months} months").format(
                group=group_name(g), pct="%{y:.1f}", months="%{x:g}") + "<extra></extra>",
        )
    journal_layout(fig, title=title or _("Duration of {outcome}").format(
        outcome=_(OUTCOME_LABELS[outcome]) if outcome in OUTCOME_LABELS else outcome),
                   height=480)  # fmt: skip
    fig.update_yaxes(title_text=_("Remaining in response (%)"), range=[0, 102], dtick=20)
    fig.update_xaxes(title_text=_("Months since first response"), rangemode="tozero")
    return fig


def plot_sustained_response(run: AnalysisRun, **_kw: object) -> dict[FigureKey, go.Figure]:
    """Confirmed and sustained CR and ORR by group (:func:`sustained_response_bars`)."""
    if run.table("sustained_response") is None:
        return {}
    return {FigureKey("response_sustained"): sustained_response_bars(
        run.results["sustained_response"], colors=run_colors(run))}


def plot_response_duration(run: AnalysisRun, **_kw: object) -> dict[FigureKey, go.Figure]:
    """Duration of ORR and of CR by group (:func:`response_duration_curves`), one figure
    each (``response_duration_orr``, ``response_duration_cr``)."""
    if run.table("response_duration") is None:
        return {}
    colors = run_colors(run)
    res = run.results["response_duration"]
    return {FigureKey("response_duration", measure=o.lower()): response_duration_curves(
        res, outcome=o, colors=colors) for o in ("ORR", "CR")}
