"""Time to response: cumulative incidence step curves with CI bands, censor marks, the
numbers-at-risk table under the x-axis, log-rank p, Cox HR and medians annotated.

Inputs are the contract tables ``ttr_curve``, ``ttr_risk``, ``ttr_tests``, ``cox`` and
``ttr_summary`` (data-contract §6; curves are 1 − Kaplan–Meier with log-log intervals, as
``survfit(conf.type = "log-log")``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from core.model.i18n import N_
from core.model.i18n import gettext as _
from core.model.results import AnalysisRun, FigureKey, Result
from core.model.vocabulary import group_order
from core.report.export.display import count_text, format_ci, format_ratio, p_text
from core.report.figures.steps import add_step_curve, from_origin
from core.report.figures.theme import (
    FONT_SIZE,
    NOTE_SIZE,
    color_of,
    empty_figure,
    event_text,
    group_name,
    journal_layout,
    run_colors,
)

MONTH_TITLE = N_("Months since start of therapy")


def _fmt_months(x: float, **_kw: object) -> str:
    return "NR" if x is None or x != x else f"{x:.3g}"


def _summary_lines(
    tests: Result | None, cox: Result | None, summary: Result | None, groups: list[str]
) -> list[str]:
    """Medians with CI ('NR' = not reached), log-rank p, hazard ratios."""
    lines: list[str] = []
    if summary is not None and not summary.table.empty:
        s = summary.table.set_index("group")
        parts = [
            (f"{group_name(g)} {_fmt_months(s.at[g, 'median_time'])} "
             + format_ci(s.at[g, "median_ci_low"], s.at[g, "median_ci_high"], _fmt_months,
                         style="dash", missing="NR")).rstrip()  # fmt: skip
            for g in groups
            if g in s.index
        ]
        if parts:
            lines.append(_("Median, months (95% CI): {medians}").format(medians="; ".join(parts)))
    if tests is not None and not tests.table.empty:
        lr = tests.table[tests.table["test"] == "log-rank"]
        if len(lr):
            lines.append(_("Log-rank {p}").format(p=p_text(float(lr["p_value"].iloc[0]))))
    if cox is not None and not cox.table.empty:
        for term, hr, lo, hi in cox.table[["term", "hr", "ci_low", "ci_high"]].itertuples(
            index=False
        ):
            lines.append(_("HR {term} {hr} (95% CI {low}–{high})").format(
                term=term, hr=format_ratio(hr), low=format_ratio(lo), high=format_ratio(hi)))
    return lines


def ttr_curve(
    curve: Result,
    risk: Result | None = None,
    tests: Result | None = None,
    cox: Result | None = None,
    summary: Result | None = None,
    *,
    colors: dict[str, str] | None = None,
    event: str = "cr-or-pr",
    event_name: str | None = None,
    show_all: bool | None = None,
) -> go.Figure:
    """Cumulative incidence of response by group.

    Each group is a step curve starting at 0 at time 0 with its log-log CI band, censored
    times marked with a tick (rows with ``n_censor > 0``). With ``risk`` the numbers at risk
    sit in a table under the x-axis, one row per group; ``tests``, ``cox`` and ``summary``
    add the log-rank p, hazard ratios and median times. ``All`` is drawn only when there is
    one group (or ``show_all=True``).
    """
    t = curve.table
    if t.empty:
        return empty_figure(_("No patient has follow-up after month 0."))
    groups = group_order(t["group"])
    if show_all is None:
        show_all = len([g for g in groups if g != "All"]) < 2
    groups = [g for g in groups if g != "All" or show_all]
    has_risk = risk is not None and not risk.table.empty
    # Pixel budget: 400 px of curves, 115 px for the x-axis title, 30 px per risk row.
    risk_px = 30 * len(groups) + 6 if has_risk else 0
    plot_px = 400 + (115 + risk_px if has_risk else 0)
    fig = make_subplots(
        rows=2 if has_risk else 1,
        cols=1,
        vertical_spacing=115 / plot_px if has_risk else 0.1,
        row_heights=[400 / (400 + risk_px), risk_px / (400 + risk_px)] if has_risk else None,
    )
    for g in groups:
        d = from_origin(t[t["group"] == g].sort_values("time"))
        add_step_curve(fig, d, g, color_of(g, colors))
    t_max = float(t["time"].max())
    ticks = np.arange(0, t_max + 3, 3) if t_max <= 36 else None
    xrange = [-0.03 * max(t_max, 1), t_max * 1.03 + 0.3]
    words = event_text(event, event_name)
    journal_layout(fig, title=_("Time to {event}").format(event=words), height=plot_px + 150)
    x_title = _("Months to {event}").format(event=event_name) if event_name else _(MONTH_TITLE)
    y_title = (_("Cumulative incidence of {event} (%)").format(event=event_name) if event_name
               else _("Cumulative incidence (%)"))  # fmt: skip
    fig.update_xaxes(title_text=x_title, range=xrange, tickvals=ticks, row=1, col=1)
    fig.update_yaxes(title_text=y_title, range=[0, 100.5], dtick=20, row=1, col=1)
    if has_risk:
        _risk_table(fig, risk.table, groups, colors, xrange, ticks)
    lines = _summary_lines(tests, cox, summary, groups)
    if lines:
        # A footnote under everything: inside the plot it would cover curves or bands.
        fig.add_annotation(
            text="<br>".join(lines),
            x=0,
            y=0,
            xref="paper",
            yref="paper",
            yshift=-20,
            xanchor="left",
            yanchor="top",
            showarrow=False,
            align="left",
            font=dict(size=NOTE_SIZE),
        )
        fig.update_layout(height=fig.layout.height + 22 * len(lines))
    fig.update_layout(margin=dict(b=30 + 22 * len(lines)))
    fig.update_layout(legend_traceorder="normal", margin=dict(l=120))
    return fig


def _risk_table(
    fig: go.Figure,
    risk: pd.DataFrame,
    groups: list[str],
    colors: dict[str, str] | None,
    xrange: list[float],
    ticks: np.ndarray | None,
) -> None:
    """Numbers at risk as text rows (one per group) in the second row, aligned on time."""
    rows = [g for g in groups if g in set(risk["group"])]
    for g in rows:
        d = risk[risk["group"] == g]
        fig.add_scatter(
            x=d["time"],
            y=[group_name(g)] * len(d),
            mode="text",
            text=[count_text(n) for n in d["n_risk"]],
            textfont=dict(size=NOTE_SIZE, color=color_of(g, colors)),
            showlegend=False,
            hovertemplate=_("{group}: {n} at risk at month {month}").format(
                group=group_name(g), n="%{text}", month="%{x:g}"
            ) + "<extra></extra>",
            row=2,
            col=1,
        )
    fig.update_xaxes(
        range=xrange, tickvals=ticks, showline=False, ticks="", showticklabels=False, row=2, col=1
    )
    fig.update_yaxes(
        categoryorder="array",
        categoryarray=[group_name(g) for g in rows[::-1]],
        showline=False,
        ticks="",
        tickfont=dict(size=NOTE_SIZE),
        range=[-0.6, len(rows) - 0.4],
        row=2,
        col=1,
    )
    fig.add_annotation(
        text=_("Number at risk"),
        x=0,
        xref="paper",
        xanchor="left",
        y=1.0,
        yref="y2 domain",
        yanchor="bottom",
        yshift=6,
        showarrow=False,
        font=dict(size=FONT_SIZE - 1),
    )


def plot_ttr_curve(run: AnalysisRun, **_kw: object) -> dict[FigureKey, go.Figure]:
    """Cumulative incidence of response by group with numbers at risk and the tests."""
    if run.table("ttr_curve") is None:
        return {}
    r = run.results
    return {
        FigureKey("ttr_curve"): ttr_curve(
            r["ttr_curve"], r.get("ttr_risk"), r.get("ttr_tests"), r.get("cox"),
            r.get("ttr_summary"), colors=run_colors(run), event=run.settings.event,
            event_name=run.settings.event_name,
        )
    }
