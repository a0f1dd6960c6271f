"""Proportional-hazards check: scaled Schoenfeld residuals over time.

``schoenfeld_figure`` draws the ``ph_residuals`` table (core.analyses.survival_checks)
with the fitted linear trend in g(t) that cox.zph tests; ``plot_schoenfeld`` draws it from
an AnalysisRun (the registry's figure builder).
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from core.model.i18n import gettext as _
from core.model.results import AnalysisRun, FigureKey, Result
from core.report.export.display import p_text
from core.report.figures.theme import empty_figure, journal_layout, rgba
from core.report.figures.ttr import MONTH_TITLE


def schoenfeld_figure(residuals: Result, tests: Result | None = None) -> go.Figure:
    """Scaled Schoenfeld residuals (β̂ + residual) against months, one panel per group
    contrast, with the least-squares line in g(t) whose slope cox.zph tests, the
    coefficient as a dashed line, and the test's p in the panel title."""
    r = residuals.table
    if r.empty:
        return empty_figure(_("No Cox model to check (one group, or no responses)."))
    terms = list(dict.fromkeys(r["term"]))
    pv = {}
    if tests is not None and not tests.table.empty:
        pv = dict(zip(tests.table["term"], tests.table["p_value"], strict=True))
    titles = [_("{term} (test {p})").format(term=t, p=p_text(pv["group"])) if "group" in pv else t
              for t in terms]  # fmt: skip
    fig = make_subplots(rows=1, cols=len(terms), subplot_titles=titles)
    for col, term in enumerate(terms, start=1):
        d = r[r["term"] == term].sort_values("time")
        fig.add_scatter(
            x=d["time"],
            y=d["scaled_residual"],
            mode="markers",
            name=_("residual"),
            showlegend=col == 1,
            marker=dict(size=7, color=rgba("#444444", 0.6)),
            hovertemplate=_("month {month}: {value}").format(month="%{x:g}", value="%{y:.2f}")
            + "<extra></extra>",
            row=1,
            col=col,
        )
        g, y = d["g_time"].to_numpy(float), d["scaled_residual"].to_numpy(float)
        if len(d) > 1 and np.ptp(g) > 0:
            slope, icpt = np.polyfit(g, y, 1)
            fig.add_scatter(
                x=d["time"],
                y=icpt + slope * g,
                mode="lines",
                name=_("linear trend in g(t)"),
                showlegend=col == 1,
                line=dict(color="#D62728", width=2.4),
                row=1,
                col=col,
            )
        fig.add_hline(y=float(np.mean(y)), line=dict(dash="dash", color="#7F7F7F"), row=1, col=col)
        fig.update_xaxes(title_text=_(MONTH_TITLE), row=1, col=col)
    fig.update_yaxes(title_text=_("β(t) for the group (scaled residual)"), row=1, col=1)
    transform = residuals.meta.get("transform", "km")
    journal_layout(
        fig, title=_("Proportional hazards check (Schoenfeld, transform '{transform}')").format(
            transform=transform
        ), height=480,

    )
    fig.update_layout(legend_y=1.1, margin=dict(t=130))
    return fig


def plot_schoenfeld(run: AnalysisRun, **_kw: object) -> dict[FigureKey, go.Figure]:
    """Scaled Schoenfeld residuals of the time-to-response Cox model."""
    if run.table("ph_residuals") is None:
        return {}
    return {
        FigureKey("schoenfeld"): schoenfeld_figure(
            run.results["ph_residuals"], run.results.get("ph_test")
        )
    }
