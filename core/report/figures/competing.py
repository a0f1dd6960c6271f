"""Competing risks and proportional-hazards figures.

``cif_curve_figure``: cumulative incidence of response by group, the Aalen–Johansen
estimate beside 1 − Kaplan–Meier (competing events censored) when competing events
occur, CI bands, Gray's p and Fine–Gray ratios and numbers at risk in the footnote.
Input: the Results of core.analyses.competing_risks; ``plot_cif_curve`` draws them from
an AnalysisRun (the registry's figure builder). The Schoenfeld residual plot is in
core.report.figures.ph_check.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from core.model.i18n import N_
from core.model.i18n import gettext as _
from core.model.results import AnalysisRun, FigureKey, Result
from core.model.vocabulary import event_words, group_order
from core.report.export.display import count_text, p_text
from core.report.figures.steps import add_step_curve, from_origin
from core.report.figures.theme import (
    NOTE_SIZE,
    color_of,
    empty_figure,
    event_text,
    group_name,
    journal_layout,
    run_colors,
)
from core.report.figures.ttr import MONTH_TITLE

PANEL_TITLES = {
    "aalen_johansen": N_("Competing risks (Aalen–Johansen)"),
    "one_minus_km": N_("1 − Kaplan–Meier (competing events censored)"),
}


def _footnote(
    tests: Result | None,
    regression: Result | None,
    risk: Result | None,
    groups: list[str],
    cause: str,
) -> list[str]:
    lines = []
    if tests is not None and not tests.table.empty:
        parts = [f"{_(r.cause)} {p_text(r.p_value)}" for r in tests.table.itertuples()]
        lines.append(_("Gray's test: {tests}").format(tests="; ".join(parts)))
    if regression is not None and not regression.table.empty:
        for r in regression.table.itertuples():
            if r.converged:
                lines.append(
                    _("Fine–Gray SHR {term} {shr} (95% CI {low}–{high}), {p}").format(
                        term=r.term, shr=f"{r.shr:.2f}", low=f"{r.ci_low:.2f}",
                        high=f"{r.ci_high:.2f}", p=p_text(r.p_value),
                    )
                )  # fmt: skip
    if risk is not None and not risk.table.empty:
        r = risk.table
        times = ", ".join(f"{t:g}" for t in sorted(r["time"].unique()))
        lines.append(_("At risk at months {times}:").format(times=times))
        for g in groups:
            n = r[r["group"] == g].sort_values("time")["n_risk"]
            if len(n):
                lines.append(f"  {group_name(g)}: " + ", ".join(count_text(x) for x in n))
    return lines


def cif_curve_figure(
    curve: Result,
    risk: Result | None = None,
    tests: Result | None = None,
    regression: Result | None = None,
    *,
    colors: dict[str, str] | None = None,
    event: str = "cr-or-pr",
    event_name: str | None = None,
    show_all: bool | None = None,
) -> go.Figure:
    """Cumulative incidence of response (or the user's ``event_name``) by group from
    ``cif_curve``.

    With competing events the figure has two panels sharing the y-axis: the
    Aalen–Johansen estimate (log CI) on the left and 1 − Kaplan–Meier with competing
    events censored (log-log CI) on the right, so the overstatement of the naive curve is
    visible; without any, one panel (the two estimates are equal). Censoring times are
    ticks; ``tests`` (Gray), ``regression`` (Fine–Gray) and ``risk`` (numbers at risk)
    go into the footnote. ``All`` is drawn only with one group (or ``show_all=True``).
    """
    t = curve.table
    if t.empty:
        return empty_figure(_("No patient has follow-up after month 0."))
    label = event_words(event, event_name)  # the cause label of competing_patients
    resp = t[t["cause"] == label] if (t["cause"] == label).any() else t
    competing = bool(
        (t["estimator"] == "aalen_johansen").any()
        and t.loc[t["cause"] != label, "n_event"].sum() > 0
    )
    panels = ["aalen_johansen", "one_minus_km"] if competing else ["one_minus_km"]
    groups = group_order(resp["group"])  # the table's order: reference first, display order
    if show_all is None:
        show_all = len([g for g in groups if g != "All"]) < 2
    groups = [g for g in groups if g != "All" or show_all]
    fig = make_subplots(
        rows=1,
        cols=len(panels),
        shared_yaxes=True,
        horizontal_spacing=0.06,
        subplot_titles=[_(PANEL_TITLES[p]) for p in panels] if competing else None,
    )
    for col, est in enumerate(panels, start=1):
        for g in groups:
            d = resp[(resp["group"] == g) & (resp["estimator"] == est)].sort_values("time")
            if d.empty:
                continue
            add_step_curve(fig, from_origin(d), g, color_of(g, colors), row=1, col=col,
                           showlegend=col == 1)  # fmt: skip
        fig.update_xaxes(title_text=_(MONTH_TITLE), row=1, col=col)
    t_max = float(t["time"].max())
    ticks = np.arange(0, t_max + 3, 3) if t_max <= 36 else None
    fig.update_xaxes(range=[-0.03 * max(t_max, 1), t_max * 1.03 + 0.3], tickvals=ticks)
    fig.update_yaxes(range=[0, 100.5], dtick=20)
    fig.update_yaxes(title_text=_("Cumulative incidence (%)"), row=1, col=1)
    journal_layout(fig, title=_("Time to {event}").format(event=event_text(event, event_name)),
                   height=520)  # fmt: skip

    lines = _footnote(tests, regression, risk, groups, label)
    if lines:
        fig.add_annotation(
            text="<br>".join(lines),
            x=0,
            y=0,
            xref="paper",
            yref="paper",
            yshift=-70,
            xanchor="left",
            yanchor="top",
            showarrow=False,
            align="left",
            font=dict(size=NOTE_SIZE),
        )
    fig.update_layout(
        height=520 + 22 * len(lines), legend_y=1.1, margin=dict(l=90, t=130, b=90 + 22 * len(lines))
    )
    return fig


def plot_cif_curve(run: AnalysisRun, **_kw: object) -> dict[FigureKey, go.Figure]:
    """Cumulative incidence with competing events (only when the file has them)."""
    if run.table("cif_curve") is None:
        return {}
    r = run.results
    fig = cif_curve_figure(
        r["cif_curve"],
        r.get("cif_risk"),
        r.get("cif_tests"),
        r.get("cif_regression"),
        colors=run_colors(run),
        event=run.settings.event,
        event_name=run.settings.event_name,
    )
    return {FigureKey("cif_curve"): fig}
