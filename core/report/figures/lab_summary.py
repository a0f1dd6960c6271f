"""Summary lab charts from contract tables: paired-change forest (``paired_changes``) and
anti-dsDNA positivity shift (``dsdna_shift``). Re-exported by :mod:`core.report.figures.labs`."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from core.model.i18n import gettext as _
from core.model.results import AnalysisRun, FigureKey, Result
from core.model.schema import measure_units
from core.model.vocabulary import group_order
from core.report.export.display import count_text, p_text
from core.report.figures.theme import (
    NOTE_SIZE,
    color_of,
    empty_figure,
    group_name,
    journal_layout,
    label_with_unit,
    month_label,
    run_colors,
)


def _axis_refs(fig: go.Figure, row: int, col: int) -> tuple[str, str]:
    """('x3', 'y3') for the subplot at (row, col), for annotations placed in it."""
    sp = fig.get_subplot(row, col)
    return (sp.xaxis.plotly_name.replace("axis", ""), sp.yaxis.plotly_name.replace("axis", ""))


def paired_changes(
    result: Result, *, colors: dict[str, str] | None = None, measures: list[str] | None = None,
    units: dict[str, str] | None = None,
    names: dict[float, str] | None = None,
) -> go.Figure:
    """Mean change from baseline with its t interval (square) and median change (open
    diamond) per measure, landmark and group; Wilcoxon signed-rank p at the right."""
    t = result.table
    if measures is not None:
        t = t[t["measure"].isin(measures)]
    if t.empty:
        return empty_figure(_("No paired lab values."))
    ms = list(dict.fromkeys(t["measure"]))
    months = sorted(t["month"].unique())
    groups = group_order(t["group"])
    fig = make_subplots(
        rows=len(ms),
        cols=len(months),
        horizontal_spacing=0.32 if len(months) > 1 else 0.2,
        vertical_spacing=0.5 / len(ms),
        subplot_titles=[
            f"{label_with_unit(m, units)}, {month_label(mo, names).lower()}"
            for m in ms for mo in months
        ],
    )
    # Traces, shapes and annotations are collected and added once: per-call
    # add_*(row=, col=) costs ~ms each and this chart has hundreds of them.
    traces: list[go.Scatter] = []
    shapes: list[dict] = []
    notes: list[dict] = []
    y = list(range(len(groups)))[::-1]
    colours = [color_of(g, colors) for g in groups]
    for r, m in enumerate(ms, start=1):
        for c, mo in enumerate(months, start=1):
            d = t[(t["measure"] == m) & (t["month"] == mo)].set_index("group").reindex(groups)
            xname, yname = _axis_refs(fig, r, c)
            traces.append(
                go.Scatter(
                    x=d["mean_change"],
                    y=y,
                    mode="markers",
                    showlegend=False,
                    xaxis=xname,
                    yaxis=yname,
                    marker=dict(symbol="square", size=8, color=colours),
                    error_x=dict(
                        type="data",
                        symmetric=False,
                        color="#333333",
                        thickness=1.3,
                        width=3,
                        array=d["mean_change_ci_high"] - d["mean_change"],
                        arrayminus=d["mean_change"] - d["mean_change_ci_low"],
                    ),
                    customdata=np.column_stack([d["n_pairs"], d["median_change"]]),
                    hovertemplate=_("mean change {mean}, median {median}, n = {n}").format(
                        mean="%{x:.3g}", median="%{customdata[1]:.3g}", n="%{customdata[0]}"
                    ) + "<extra></extra>",
                )
            )
            traces.append(
                go.Scatter(
                    x=d["median_change"],
                    y=y,
                    mode="markers",
                    showlegend=False,
                    hoverinfo="skip",
                    xaxis=xname,
                    yaxis=yname,
                    marker=dict(symbol="diamond-open", size=9, color=colours, line_width=1.6),
                )
            )
            shapes.append(
                dict(
                    type="line",
                    x0=0,
                    x1=0,
                    xref=xname,
                    y0=0,
                    y1=1,
                    yref=f"{yname} domain",
                    line=dict(color="#999999", width=1),
                )
            )
            fig.layout[yname.replace("y", "yaxis", 1)].update(
                tickvals=y,
                showline=False,
                ticks="",
                range=[-0.6, len(groups) - 0.4],
                ticktext=[
                    f"{group_name(g)} ({count_text(n)})"
                    for g, n in zip(groups, d["n_pairs"], strict=True)
                ],
            )
            notes += [
                dict(
                    x=1.02,
                    xref=f"{xname} domain",
                    y=yi,
                    yref=yname,
                    text=p_text(p),
                    showarrow=False,
                    xanchor="left",
                    font=dict(size=NOTE_SIZE - 2),
                )
                for yi, p in zip(y, d["wilcoxon_p"], strict=True)
            ]
    fig.add_traces(traces)
    fig.update_annotations(font_size=NOTE_SIZE - 1)  # the panel titles
    fig.update_layout(shapes=shapes, annotations=[*fig.layout.annotations, *notes])
    journal_layout(
        fig,
        title=_("Change from baseline: mean (95% CI) ■, median ◇; p: Wilcoxon signed-rank"),
        height=80 + 150 * len(ms),
    )
    fig.update_layout(margin=dict(r=110))
    fig.update_xaxes(tickfont_size=NOTE_SIZE - 2)
    return fig


def dsdna_shift(result: Result, *, title: str | None = None) -> go.Figure:
    """Anti-dsDNA positivity shift from baseline: patients turning negative and turning
    positive per group and landmark, with the McNemar / exact binomial p of the table."""
    t = result.table
    if t.empty:
        return empty_figure(_("No paired anti-dsDNA positivity."))
    months = sorted(t["month"].unique())
    groups = group_order(t["group"])
    fig = make_subplots(
        rows=1,
        cols=len(months),
        shared_yaxes=True,
        subplot_titles=[month_label(m) for m in months],
        horizontal_spacing=0.06,
    )
    top = float((t[["pos_to_neg", "neg_to_pos"]].max(axis=1)).max())
    for c, mo in enumerate(months, start=1):
        d = t[t["month"] == mo].set_index("group").reindex(groups).dropna(subset=["n_pairs"])
        ticks = [f"{group_name(g)}<br>n = {count_text(n)}"
                 for g, n in zip(d.index, d["n_pairs"], strict=True)]  # fmt: skip
        for col, name, color in (
            ("pos_to_neg", _("Positive → negative"), "#009E73"),
            ("neg_to_pos", _("Negative → positive"), "#CC79A7"),
        ):
            fig.add_bar(
                x=ticks,
                y=d[col],
                name=name,
                legendgroup=name,
                showlegend=c == 1,
                marker_color=color,
                text=[count_text(x) for x in d[col]],
                textposition="outside",
                textfont_size=NOTE_SIZE - 1,
                cliponaxis=False,
                row=1,
                col=c,
            )
        for tick, p in zip(ticks, d["p_value"], strict=True):
            fig.add_annotation(
                x=tick,
                y=top * 1.22,
                xref=f"x{c if c > 1 else ''}",
                yref="y",
                text=p_text(p),
                showarrow=False,
                font=dict(size=NOTE_SIZE - 1),
            )
    journal_layout(fig, title=title or _("Anti-dsDNA positivity change from baseline"), height=500)
    fig.update_layout(barmode="group", legend_y=1.07, margin_t=110)
    fig.update_yaxes(range=[0, top * 1.32], title_text=_("Patients (n)"), row=1, col=1)
    return fig


def plot_paired_changes(run: AnalysisRun, **_kw: object) -> dict[FigureKey, go.Figure]:
    if run.table("paired_changes") is None:
        return {}
    return {
        FigureKey("paired_changes"): paired_changes(
            run.results["paired_changes"], colors=run_colors(run),
            units=measure_units(run.cohort), names=dict(run.settings.landmark_names),
        )
    }


def plot_dsdna_shift(run: AnalysisRun, **_kw: object) -> dict[FigureKey, go.Figure]:
    if run.table("dsdna_shift") is None:
        return {}
    return {FigureKey("dsdna_shift"): dsdna_shift(run.results["dsdna_shift"])}
