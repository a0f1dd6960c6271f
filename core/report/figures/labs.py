"""Lab charts: paired values per landmark, median trajectories, paired-change summary,
steroid taper and anti-dsDNA positivity shift.

Patient-level inputs (long frame ``patient_id, group, landmark, value`` and trajectory
frames ``month, group, n, median, q1, q3``) are built here from the canonical cohort by
:func:`landmark_values` and :func:`trajectory_table`; the summary charts (``paired_changes``,
``dsdna_shift``) take contract tables and live in :mod:`core.report.figures.lab_summary`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from core.analyses.labs_values import TRAJECTORY_COLUMNS
from core.model.i18n import N_
from core.model.i18n import gettext as _
from core.model.results import AnalysisRun, FigureKey
from core.model.schema import measure_units
from core.model.vocabulary import group_order
from core.report.export.display import count_text, p_text
from core.report.figures.axes import log_ticks, tick_text
from core.report.figures.lab_summary import dsdna_shift, paired_changes  # noqa: F401 (re-exported)
from core.report.figures.theme import (
    NOTE_SIZE,
    color_of,
    empty_figure,
    group_name,
    journal_layout,
    label_of,
    label_with_unit,
    month_label,
    rgba,
    run_colors,
)

SKEWED = ("upcr", "proteinuria_24h", "anti_dsdna")  # drawn on a log axis when all > 0
MONTH_TITLE = N_("Months since start of therapy")
N_ROW_TITLE = N_("Patients with a value (n)")


def _log_axis(measure: str, values: pd.Series) -> bool:
    return measure in SKEWED and bool((values > 0).all())


MAX_LINES = 1000  # patients drawn as lines per panel; boxes always use everyone


def _line_patients(ids: pd.Series) -> np.ndarray:
    """At most MAX_LINES patients, a fixed pseudo-random choice (same on every run)."""
    unique = ids.drop_duplicates().to_numpy()
    if len(unique) <= MAX_LINES:
        return unique
    return np.random.default_rng(0).choice(np.sort(unique.astype(str)), MAX_LINES, replace=False)


def _box_stats(d: pd.DataFrame) -> pd.DataFrame:
    """n, quartiles and Tukey whisker ends (most extreme value within 1.5 IQR) per landmark."""
    g = d.groupby("landmark")["value"]
    st = pd.DataFrame(
        {"n": g.size(), "q1": g.quantile(0.25), "median": g.median(), "q3": g.quantile(0.75)}
    )
    iqr = st["q3"] - st["q1"]
    lo = d["landmark"].map(st["q1"] - 1.5 * iqr)
    hi = d["landmark"].map(st["q3"] + 1.5 * iqr)
    st["lower"] = d["value"].where(d["value"] >= lo).groupby(d["landmark"]).min()
    st["upper"] = d["value"].where(d["value"] <= hi).groupby(d["landmark"]).max()
    return st


def paired_plot(
    values: pd.DataFrame,
    measure: str,
    *,
    changes: pd.DataFrame | None = None,
    colors: dict[str, str] | None = None,
    show_ids: bool = False,
    units: dict[str, str] | None = None,
    names: dict[float, str] | None = None,
) -> go.Figure:
    """Before/after plot: one line per patient across landmarks, a box per landmark, one
    panel per group (lines for at most 1,000 patients per panel, a fixed random choice;
    boxes over everyone). Box tick labels carry n; with ``changes`` (the ``paired_changes``
    table) each follow-up box is labelled with its Wilcoxon signed-rank p against baseline.
    Skewed measures (UPCR, proteinuria, anti-dsDNA) use a log axis with 1-3-10 ticks.

    Patient IDs are not in the figure (no hover text, no custom data) unless ``show_ids``:
    then hovering a patient's line names the patient.
    """
    if values.empty:
        return empty_figure(
            _("No {lab} values at the landmarks.").format(lab=label_of(measure, units))
        )
    groups = [g for g in group_order(values["group"].dropna()) if g != "All"] or ["All"]
    fig = make_subplots(
        rows=1, cols=len(groups), shared_yaxes=True,
        subplot_titles=[group_name(g) for g in groups], horizontal_spacing=0.05,
    )
    fig.update_annotations(yshift=26)  # group titles above the p values
    landmarks = sorted(values["landmark"].unique())
    for col, g in enumerate(groups, start=1):
        d = values[values["group"] == g] if g != "All" else values
        color = color_of(g, colors)
        # choose the drawn patients first, then sort only their rows (sorting every
        # patient's rows by text ID cost ~0.1 s per panel at 100,000 patients)
        lines = d[d["patient_id"].isin(_line_patients(d["patient_id"]))]
        lines = lines.sort_values(["patient_id", "landmark"])
        # One trace for all patients: rows separated by a gap so each patient is one line.
        gap = lines["patient_id"].ne(lines["patient_id"].shift(-1)).to_numpy()
        nan = np.full(len(lines), np.nan)
        keep = np.column_stack([np.ones(len(lines), bool), gap]).ravel()
        hover: dict = dict(hoverinfo="skip")
        if show_ids:
            ids = np.column_stack([lines["patient_id"].astype(str).to_numpy(object),
                                   np.full(len(lines), "", object)]).ravel()[keep]  # fmt: skip
            hover = dict(customdata=ids,
                         hovertemplate=_("{patient}: {value} at month {month}").format(
                             patient="%{customdata}", value="%{y:.3g}", month="%{x:g}"
                         ) + "<extra></extra>")  # fmt: skip
        fig.add_scatter(
            x=np.column_stack([lines["landmark"].to_numpy(float), nan]).ravel()[keep],
            y=np.column_stack([lines["value"].to_numpy(float), nan]).ravel()[keep],
            mode="lines+markers",
            showlegend=False,
            row=1,
            col=col,
            line=dict(color=rgba(color, 0.35), width=1),
            marker=dict(color=rgba(color, 0.5), size=4),
            **hover,
        )
        # Precomputed box statistics (R type 7 quartiles, Tukey whiskers): the figure
        # stays small whatever the number of patients.
        st = _box_stats(d)
        n = st["n"]
        fig.add_box(
            x=st.index.to_numpy(float),
            q1=st["q1"],
            median=st["median"],
            q3=st["q3"],
            lowerfence=st["lower"],
            upperfence=st["upper"],
            width=0.9 * min(np.diff(landmarks).min() if len(landmarks) > 1 else 6, 6) / 3,
            marker_color=color,
            line=dict(color=color, width=1.6),
            fillcolor=rgba(color, 0.15),
            boxpoints=False,
            showlegend=False,
            name=group_name(g),
            row=1,
            col=col,
        )
        fig.update_xaxes(
            tickvals=landmarks,
            row=1,
            col=col,
            ticktext=[f"{month_label(lm, names)}<br>n = {count_text(n.get(lm, 0))}" for lm in landmarks],
        )
        if changes is not None and not changes.empty:
            c = changes[(changes["measure"] == measure) & (changes["group"] == g)]
            for month, p in zip(c["month"], c["wilcoxon_p"], strict=True):
                fig.add_annotation(
                    x=month,
                    y=1.0,
                    xref=f"x{col if col > 1 else ''}",
                    yref="paper",
                    text=p_text(p),
                    showarrow=False,
                    yanchor="bottom",
                    font=dict(size=NOTE_SIZE),
                )
    journal_layout(
        fig, title=_("{lab} at baseline and follow-up").format(lab=label_of(measure, units)),
        height=560,
    )
    fig.update_layout(margin=dict(t=120))
    fig.update_yaxes(title_text=label_with_unit(measure, units), row=1, col=1)
    if changes is not None and not changes.empty:
        fig.add_annotation(
            text=_("p: Wilcoxon signed-rank test against baseline (paired patients)"),
            x=0,
            y=-0.2,
            xref="paper",
            yref="paper",
            xanchor="left",
            yanchor="top",
            showarrow=False,
            font=dict(size=NOTE_SIZE - 1),
        )
        fig.update_layout(margin_b=110)
    if _log_axis(measure, values["value"]):
        lo, hi = float(values["value"].min()), float(values["value"].max())
        ticks = log_ticks(lo, hi)
        fig.update_yaxes(type="log", minor=dict(ticks="outside", ticklen=3, showgrid=False))
        if ticks:  # else (a range narrower than 1-2-5) plotly's own ticks are fine
            # Minor ticks at 2…9 × each decade, set too: with labelled tick values plotly
            # would otherwise crowd its own minor ticks into a solid bar.
            decades = np.arange(np.floor(np.log10(lo)), np.ceil(np.log10(hi)) + 1)
            minor = [m * 10.0**d for d in decades for m in range(2, 10)]
            fig.update_yaxes(
                tickvals=ticks,
                ticktext=[tick_text(t) for t in ticks],
                minor_tickvals=[t for t in minor if lo / 1.2 <= t <= hi * 1.2],
            )
    pad = 0.25 * (max(landmarks) - min(landmarks) or 6)
    fig.update_xaxes(range=[min(landmarks) - pad, max(landmarks) + pad])
    return fig


def trajectory(
    table: pd.DataFrame,
    measure: str,
    *,
    colors: dict[str, str] | None = None,
    title: str | None = None,
    min_share: float = 0.2,
    units: dict[str, str] | None = None,
) -> go.Figure:
    """Median over months by group with its interquartile band (``month, group, n, median,
    q1, q3``). Groups are drawn without ``All`` when there are two or more. Months holding
    fewer than ``min_share`` of the group's largest n (off-schedule visits of a few
    patients) are left out so the line follows the visit plan."""
    if not table.empty:
        top = table.groupby("group")["n"].transform("max")
        table = table[table["n"] >= min_share * top]
    if table.empty:
        return empty_figure(_("No {lab} values over follow-up.").format(lab=label_of(measure, units)))
    groups = [g for g in group_order(table["group"]) if g != "All"] or ["All"]
    # n per month: a row per group under the x-axis, as the numbers at risk of a survival
    # chart (a median of 4 patients and one of 40 must not look alike).
    n_px = 26 * len(groups) + 6
    fig = make_subplots(rows=2, cols=1, vertical_spacing=125 / (420 + 125 + n_px),
                        row_heights=[420 / (420 + n_px), n_px / (420 + n_px)])  # fmt: skip
    for i, g in enumerate(groups):
        d = table[table["group"] == g].sort_values("month")
        color = color_of(g, colors)
        # Hatched bands (alternating direction): overlapping groups stay readable, also
        # in greyscale print, where translucent fills would blend into grey.
        fig.add_scatter(
            x=np.concatenate([d["month"], d["month"][::-1]]),
            y=np.concatenate([d["q3"], d["q1"][::-1]]),
            mode="lines",
            fill="toself",
            fillcolor=rgba(color, 0.06),
            fillpattern=dict(shape="/\\"[i % 2], fgcolor=rgba(color, 0.35), size=10, solidity=0.1),
            line=dict(width=0.8, color=rgba(color, 0.6), dash="dot"),
            hoverinfo="skip",
            legendgroup=g,
            showlegend=False,
            row=1,
            col=1,
        )
        fig.add_scatter(
            x=d["month"],
            y=d["median"],
            mode="lines+markers",
            name=group_name(g),
            legendgroup=g,
            line=dict(color=color, width=2.4),
            marker=dict(size=7, color=color),
            customdata=np.column_stack([d["n"], d["q1"], d["q3"]]),
            hovertemplate=_("{group}, month {month}: median {median} (IQR {q1}–{q3}), n = {n}").format(
                group=group_name(g), month="%{x:g}", median="%{y:.3g}", q1="%{customdata[1]:.3g}",
                q3="%{customdata[2]:.3g}", n="%{customdata[0]}",
            ) + "<extra></extra>",
            row=1,
            col=1,
        )
        fig.add_scatter(
            x=d["month"], y=[group_name(g)] * len(d), mode="text", text=[count_text(n) for n in d["n"]],
            textfont=dict(size=NOTE_SIZE, color=color), showlegend=False, legendgroup=g,
            name=f"{group_name(g)} n",
            hovertemplate=_("{group}: n = {n} at month {month}").format(
                group=group_name(g), n="%{text}", month="%{x:g}") + "<extra></extra>",
            row=2, col=1,
        )  # fmt: skip
    months = sorted(table["month"].unique())
    pad = 0.04 * (max(months) - min(months) or 6)
    xrange = [min(months) - pad, max(months) + pad]
    journal_layout(fig, title=title or _("{lab} over follow-up").format(lab=label_of(measure, units)),
                   height=420 + 125 + n_px + 150)  # fmt: skip
    fig.update_xaxes(title_text=_(MONTH_TITLE), tickvals=months, range=xrange, row=1, col=1)
    fig.update_yaxes(title_text=_("{lab}, median (IQR)").format(lab=label_with_unit(measure, units)),
                     rangemode="tozero",
                     row=1, col=1)  # fmt: skip
    fig.update_xaxes(range=xrange, showline=False, ticks="", showticklabels=False, row=2, col=1)
    fig.update_yaxes(categoryorder="array", categoryarray=[group_name(g) for g in groups[::-1]],
                     showline=False, ticks="",
                     tickfont=dict(size=NOTE_SIZE), range=[-0.6, len(groups) - 0.4],
                     row=2, col=1)  # fmt: skip
    fig.add_annotation(text=_(N_ROW_TITLE), x=0, xref="paper", xanchor="left", y=1.0,
                       yref="y2 domain", yanchor="bottom", yshift=6, showarrow=False,
                       font=dict(size=NOTE_SIZE))  # fmt: skip
    fig.update_layout(margin=dict(l=120))
    return fig


def steroid_trajectory(table: pd.DataFrame, *, colors: dict[str, str] | None = None) -> go.Figure:
    """Prednisolone-equivalent dose over months by group: median with IQR band."""
    return trajectory(table, "steroid_mg", colors=colors, title=_("Oral glucocorticoid taper"))


# --- registry builders: run -> figures ---------------------------------------------------


def plot_paired_values(
    run: AnalysisRun, *, show_ids: bool = False, **_kw: object
) -> dict[FigureKey, go.Figure]:
    """Before/after plot of each measure from ``lab_landmark_values``; p-values from
    ``paired_changes``."""
    values = run.table("lab_landmark_values")
    if values is None:
        return {}
    changes, colors = run.table("paired_changes"), run_colors(run)
    # panels in the run's group order (reference first), as every other chart
    order = group_order(values["group"], run.settings.reference, sort=True,
                        order=run.settings.group_order)
    rank = {g: i for i, g in enumerate(order)}
    values = values.assign(_g=values["group"].map(rank)).sort_values("_g", kind="stable")
    return {
        FigureKey("paired", measure=m): paired_plot(
            d[["patient_id", "group", "landmark", "value"]].reset_index(drop=True),
            m, changes=changes, colors=colors, show_ids=show_ids, units=measure_units(run.cohort),
            names=dict(run.settings.landmark_names),
        )
        for m, d in values.groupby("measure", sort=False)
    }


def plot_trajectories(run: AnalysisRun, **_kw: object) -> dict[FigureKey, go.Figure]:
    """Median trajectory of each measure from ``lab_trajectories``."""
    t = run.table("lab_trajectories")
    if t is None:
        return {}
    colors = run_colors(run)
    return {
        FigureKey("trajectory", measure=m): trajectory(
            d[TRAJECTORY_COLUMNS].reset_index(drop=True), m, colors=colors,
            units=measure_units(run.cohort),
        )
        for m, d in t.groupby("measure", sort=False)
    }


def plot_steroid_taper(run: AnalysisRun, **_kw: object) -> dict[FigureKey, go.Figure]:
    t = run.table("steroid_trajectory")
    if t is None:
        return {}
    return {FigureKey("steroid_taper"): steroid_trajectory(t, colors=run_colors(run))}
