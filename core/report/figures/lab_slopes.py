"""Lab trajectories over all visits: slope per year by group from the mixed model.

``lab_slopes_figure`` draws the ``lab_slopes`` table (core.analyses.lab_mixed): one panel
per measure, a dot with its 95 % CI for each group's slope per year and, below a divider,
each group's difference from the reference, in the style of the subgroup forest plot.
Measures modelled on the log scale (UPCR, anti-dsDNA) are back-transformed: the panel shows
the table's ``pct_per_year`` (100·(e^b − 1), % change per year) and its interval, and says
so on the axis; other measures show the estimate in their unit per year.
``plot_lab_slopes`` is the registry's builder.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from core.model.i18n import gettext as _
from core.model.results import AnalysisRun, FigureKey
from core.model.schema import measure_units, unit_of
from core.report.export.display import SUPPRESSED, p_text
from core.report.figures.theme import (
    MODEL_WORDS,
    NOTE_SIZE,
    color_of,
    empty_figure,
    group_name,
    interval_whiskers,
    journal_layout,
    label_of,
    run_colors,
)

DIFF_COLOR = "#222222"


def _columns(scale: str) -> tuple[str, str, str]:
    """The table columns a panel draws: back-transformed percentages on the log scale."""
    if scale == "log":
        return "pct_per_year", "pct_ci_low", "pct_ci_high"
    return "estimate", "ci_low", "ci_high"


def axis_title(measure: str, scale: str, units: dict[str, str] | None = None) -> str:
    """The x-axis title of a measure's panel, naming the scale drawn."""
    label = label_of(measure, units)
    if scale == "log":
        return _("{label}: % change per year (back-transformed from the log scale)").format(
            label=label
        )
    return _("{label}: change per year, {unit}/year").format(
        label=label, unit=unit_of(measure, units) or _("units")
    )


def _row_label(r: pd.Series) -> str:
    if r["kind"] == "slope":
        return f"<b>{group_name(r['group'])}</b>"
    # Log scale: 100·(e^b − 1) of a difference of log slopes is the % difference between
    # the groups' yearly change factors.
    joint = _("vs") if r["scale"] == "log" else "−"
    return f"{group_name(r['group'])} {joint} {group_name(r['reference'])}"


def _value_text(est: float, lo: float, hi: float, p: float, unit: str) -> str:
    if not np.isfinite(est):
        return SUPPRESSED
    return _("{est} ({low} to {high}), {p}").format(
        est=f"{est:.2f}{unit}", low=f"{lo:.2f}", high=f"{hi:.2f}", p=p_text(p)
    )


def lab_slopes_figure(slopes: pd.DataFrame, colors: dict[str, str] | None = None,
                      units: dict[str, str] | None = None) -> go.Figure:
    """Dot-and-whisker chart of the ``lab_slopes`` table: one panel per measure, each
    group's slope per year with its 95 % CI (group colours), then each group's difference
    from the reference (dark, diamond); a dashed line at no change; estimate, CI and p
    beside each row."""
    if slopes.empty:
        return empty_figure(_("No lab could be modelled over all visits."))
    measures = list(dict.fromkeys(slopes["measure"]))
    heights = [len(slopes[slopes["measure"] == m]) for m in measures]
    fig = make_subplots(
        rows=len(measures),
        cols=1,
        row_heights=[h / sum(heights) for h in heights],
        vertical_spacing=min(0.3 / max(len(measures), 1), 0.18),
    )
    for row, measure in enumerate(measures, start=1):
        d = slopes[slopes["measure"] == measure].reset_index(drop=True)
        scale = str(d["scale"].iloc[0])
        est_c, lo_c, hi_c = _columns(scale)
        unit = "%" if scale == "log" else ""
        y = list(range(len(d)))[::-1]
        for i, r in d.iterrows():
            diff = r["kind"] == "difference"
            color = DIFF_COLOR if diff else color_of(str(r["group"]), colors)
            est, lo, hi = (float(r[c]) for c in (est_c, lo_c, hi_c))
            fig.add_scatter(
                x=[est],
                y=[y[i]],
                mode="markers",
                showlegend=False,
                marker=dict(symbol="diamond" if diff else "square", size=11, color=color),
                error_x=interval_whiskers(est, lo, hi, color),
                customdata=[[lo, hi, r["n_patients"], r["n_obs"]]],
                hovertemplate=_(
                    "{row}: {est} per year (95% CI {low} to {high}); {patients} patients, "
                    "{visits} visits"
                ).format(
                    row=_row_label(r), est=f"%{{x:.3g}}{unit}", low="%{customdata[0]:.3g}",
                    high="%{customdata[1]:.3g}", patients="%{customdata[2]}",
                    visits="%{customdata[3]}",
                ) + "<extra></extra>",
                row=row,
                col=1,
            )
            fig.add_annotation(
                x=1.01,
                y=y[i],
                xref="paper",
                yref=f"y{row if row > 1 else ''}",
                xanchor="left",
                showarrow=False,
                text=_value_text(est, lo, hi, float(r["p_value"]), unit),
                font=dict(size=NOTE_SIZE - 1),
            )
        fig.add_vline(x=0, line_dash="dash", line_color="#888888", line_width=1, row=row, col=1)
        fig.update_yaxes(
            tickvals=y,
            ticktext=[_row_label(r) for _i, r in d.iterrows()],
            showline=False,
            ticks="",
            range=[-0.7, len(d) - 0.3],
            row=row,
            col=1,
        )
        model = str(d["model"].iloc[0])
        model = _(MODEL_WORDS[model]) if model in MODEL_WORDS else model
        n_pat = int(d["n_patients"].iloc[0]) if d["n_patients"].notna().iloc[0] else SUPPRESSED
        fig.update_xaxes(
            title_text=f"{axis_title(measure, scale, units)}<br><sup>"
            + _("{model}; {n} patients").format(model=model, n=n_pat) + "</sup>",
            zeroline=False,
            row=row,
            col=1,
        )
    journal_layout(
        fig,
        title=_("Slope per year over all visits (linear mixed model, 95% CI)"),
        height=140 + sum(60 * h + 90 for h in heights),
    )
    fig.update_layout(margin=dict(r=300, l=150))
    return fig


def plot_lab_slopes(run: AnalysisRun, **_kw: object) -> dict[FigureKey, go.Figure]:
    """The mixed-model slopes of every modelled lab (one figure, a panel per lab)."""
    t = run.table("lab_slopes")
    if t is None:
        return {}
    return {FigureKey("lab_slopes"): lab_slopes_figure(t, colors=run_colors(run),
                                                        units=measure_units(run.cohort))}
