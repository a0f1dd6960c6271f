"""Restricted mean time without response up to τ, by group.

``rmst_figure`` draws the ``rmst`` table (core.analyses.restricted_mean): a dot with its
95 % CI per group (``All`` last, a diamond), the x axis from 0 to τ months, τ in the title
and each group's difference from the reference (``rmst_difference``) under the title. Milestones are not drawn here: they are points of the cumulative-incidence curves
(``cif_curve``) and stay a table. ``plot_rmst`` is the registry's builder.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from core.model.i18n import gettext as _
from core.model.results import AnalysisRun, FigureKey
from core.model.vocabulary import ALL
from core.report.export.display import SUPPRESSED, count_text, p_text
from core.report.figures.theme import (
    NOTE_SIZE,
    color_of,
    empty_figure,
    group_name,
    interval_whiskers,
    journal_layout,
    run_colors,
)


def difference_text(diff: pd.DataFrame | None) -> str:
    """One line per compared group: difference in months with CI and p, and the ratio."""
    if diff is None or diff.empty:
        return ""
    lines = []
    for _i, r in diff.iterrows():
        if not np.isfinite(float(r["diff"])):
            lines.append(f"{group_name(r['group'])} − {group_name(r['reference'])}: {SUPPRESSED}")
            continue
        lines.append(
            _("{group} − {reference}: {diff} months (95% CI {low} to {high}), {p}; "
              "ratio {ratio} ({ratio_low}–{ratio_high})").format(
                group=group_name(r["group"]), reference=group_name(r["reference"]),
                diff=f"{r['diff']:.2f}", low=f"{r['diff_ci_low']:.2f}",
                high=f"{r['diff_ci_high']:.2f}", p=p_text(r["diff_p"]), ratio=f"{r['ratio']:.2f}",
                ratio_low=f"{r['ratio_ci_low']:.2f}", ratio_high=f"{r['ratio_ci_high']:.2f}",
            )
        )  # fmt: skip
    return "<br>".join(lines)


def rmst_figure(
    rmst: pd.DataFrame,
    diff: pd.DataFrame | None = None,
    colors: dict[str, str] | None = None,
    event_name: str | None = None,
) -> go.Figure:
    """Dot-and-whisker chart of restricted mean time without response (months) per group,
    with its 95 % CI and n beside each row; the difference from the reference under the
    title. ``event_name``: the user's name of the event (default: response)."""
    word = event_name or _("response")
    if rmst.empty:
        return empty_figure(_("No restricted mean time to draw."))
    d = rmst.reset_index(drop=True)
    tau = float(d["tau"].iloc[0])
    y = list(range(len(d)))[::-1]
    fig = go.Figure()
    for i, r in d.iterrows():
        g = str(r["group"])
        color = color_of(g, colors)
        est, lo, hi = float(r["rmst"]), float(r["ci_low"]), float(r["ci_high"])
        fig.add_scatter(
            x=[est],
            y=[y[i]],
            mode="markers",
            name=group_name(g),
            showlegend=False,
            marker=dict(symbol="diamond" if g == ALL else "square", size=12, color=color),
            error_x=interval_whiskers(est, lo, hi, color),
            customdata=[[lo, hi, r["n"], r["n_events"]]],
            hovertemplate=_(
                "{group}: {months} months (95% CI {low}–{high}); {events} events ({event}) in "
                "{patients} patients"
            ).format(
                group=group_name(g), months="%{x:.2f}", low="%{customdata[0]:.2f}",
                high="%{customdata[1]:.2f}", events="%{customdata[3]}", event=word,
                patients="%{customdata[2]}",
            ) + "<extra></extra>",
        )
        text = f"{est:.2f} ({lo:.2f}–{hi:.2f})" if np.isfinite(est) else SUPPRESSED
        fig.add_annotation(
            x=1.01,
            y=y[i],
            xref="paper",
            yref="y",
            xanchor="left",
            showarrow=False,
            text=f"{text}, n = {count_text(r['n'])}",
            font=dict(size=NOTE_SIZE),
        )
    note = difference_text(diff)
    n_notes = note.count("<br>") + 1 if note else 0
    title = _("Restricted mean time without {event} up to τ = {tau} months").format(
        event=word, tau=f"{tau:g}"
    )
    if note:
        fig.add_annotation(
            x=0,
            y=1.03,
            xref="paper",
            yref="paper",
            xanchor="left",
            yanchor="bottom",
            align="left",
            showarrow=False,
            text=note,
            font=dict(size=NOTE_SIZE),
        )
    journal_layout(fig, title=title, height=200 + 50 * len(d) + 22 * n_notes)
    fig.update_yaxes(
        tickvals=y,
        ticktext=[f"<b>{group_name(g)}</b>" for g in d["group"]],
        showline=False,
        ticks="",
        range=[-0.5, len(d) - 0.4],
    )
    fig.update_xaxes(
        title_text=_("Months without {event} up to τ = {tau} (restricted mean, 95% CI)").format(
            event=word, tau=f"{tau:g}"
        ),

        range=[0, tau * 1.02],
    )
    fig.update_layout(margin=dict(r=230, l=120, t=80 + 22 * n_notes))
    return fig


def plot_rmst(run: AnalysisRun, **_kw: object) -> dict[FigureKey, go.Figure]:
    """Restricted mean time without response by group (τ and the difference stated)."""
    t = run.table("rmst")
    if t is None:
        return {}
    return {
        FigureKey("rmst"): rmst_figure(
            t, run.table("rmst_difference"), colors=run_colors(run),
            event_name=run.settings.event_name,
        )
    }  # fmt: skip
