"""Response charts: rates by group and landmark, rule-set sensitivity, transitions, subgroups.

Inputs are the contract tables of data-contract §6 (``response_rates``,
``criteria_sensitivity``, ``response_transitions``) and, for the subgroup forest plot, the
patient-level responses of ``derive_outcomes``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from core.model.i18n import N_
from core.model.i18n import gettext as _
from core.model.results import AnalysisRun, FigureKey, Result
from core.model.vocabulary import ALL, group_order
from core.report.export.display import SUPPRESSED, count_text, estimate_ci, format_pct
from core.report.figures.theme import (
    FONT_SIZE,
    NOTE_SIZE,
    ON_BAR_INK,
    RESPONSE_COLORS,
    RESPONSE_ORDER,
    STATE_WORDS,
    color_of,
    empty_figure,
    group_name,
    journal_layout,
    month_label,
    rgba,
    run_colors,
)

CRITERIA_LABELS: dict[str, str] = {
    "recorded": N_("Recorded"),
    "kdigo2024": "KDIGO 2024",
    "eular2019": "EULAR/ERA 2019",
    "creatinine15": N_("Creatinine 15%"),
    "lunar": "LUNAR",
    "aurora": "AURORA",
    "multitarget_cn": N_("Multitarget (CN)"),
    "bliss_ln": "BLISS-LN",
    "custom": N_("Custom"),
}


def response_rates(result: Result, *, title: str | None = None) -> go.Figure:
    """Stacked bars of CR, PR and NR (% of evaluable) per landmark and group.

    The ORR (CR + PR) carries its interval (``orr_ci_low``–``orr_ci_high``: Clopper-Pearson
    or Wilson as the table was computed) as a dark whisker; each bar is labelled with its
    group and the number evaluable.
    """
    t = result.table
    if t.empty:
        return empty_figure(_("No patient is evaluable for response."))
    groups = group_order(t["group"])
    months = sorted(t["month"].unique())
    t = t.assign(
        _m=t["month"].map({m: i for i, m in enumerate(months)}),
        _g=t["group"].map({g: i for i, g in enumerate(groups)}),
    ).sort_values(["_m", "_g"])
    # Numeric x: one block of bars per landmark, a gap between blocks.
    x = (t["_m"] * (len(groups) + 0.6) + t["_g"]).to_numpy(float)
    nr_pct = 100.0 - t["cr_pct"] - t["pr_pct"]
    fig = go.Figure()
    for state, y, counts in (
        ("CR", t["cr_pct"], t["cr_n"]),
        ("PR", t["pr_pct"], t["pr_n"]),
        ("NR", nr_pct, t["n_evaluable"] - t["orr_n"]),
    ):
        fig.add_bar(
            x=x,
            y=y,
            name=_(STATE_WORDS[state]),
            marker_color=RESPONSE_COLORS[state],
            width=0.72,
            marker_line=dict(color="white", width=0.8),
            text=[f"{format_pct(v)}%" if v >= 6 else "" for v in y],  # NaN (suppressed): no label
            textposition="inside",
            insidetextanchor="middle",
            textfont=dict(size=NOTE_SIZE, color="#111111"),
            customdata=np.column_stack([counts, t["n_evaluable"], t["group"].map(group_name)]),
            hovertemplate=f"%{{customdata[2]}}, {_(STATE_WORDS[state])}: %{{customdata[0]}}/%{{customdata[1]}}"
            " (%{y:.1f}%)<extra></extra>",
        )
    # Whisker at the bar's right edge so it never covers the percentages.
    fig.add_scatter(
        x=x + 0.3,
        y=t["orr_pct"],
        name=_("ORR (95% CI)"),
        mode="markers",
        # Dark ink over the bars; a white rim keeps the legend's diamond visible on a
        # dark screen (the whisker itself always lies over the bars).
        marker=dict(color=ON_BAR_INK, size=8, symbol="diamond", line=dict(color="white", width=1)),
        error_y=dict(
            type="data",
            symmetric=False,
            color=ON_BAR_INK,
            thickness=1.6,
            width=5,
            array=t["orr_ci_high"] - t["orr_pct"],
            arrayminus=t["orr_pct"] - t["orr_ci_low"],
        ),
        customdata=np.column_stack([t["orr_ci_low"], t["orr_ci_high"], t["group"].map(group_name)]),
        hovertemplate=_("{group}: ORR {pct}% (95% CI {low}–{high})").format(
            group="%{customdata[2]}", pct="%{y:.1f}", low="%{customdata[0]:.1f}",
            high="%{customdata[1]:.1f}",
        ) + "<extra></extra>",
    )
    journal_layout(fig, title=title or _("Renal response by group"), height=580)
    fig.update_layout(barmode="stack", legend_traceorder="normal", margin=dict(b=110))
    fig.update_yaxes(title_text=_("Patients evaluable (%)"), range=[0, 100.5], dtick=20)
    fig.update_xaxes(
        tickvals=x,
        ticks="",
        ticktext=[
            f"{group_name(g)}<br>n = {count_text(n)}"
            for g, n in zip(t["group"], t["n_evaluable"], strict=True)
        ],
        range=[x.min() - 0.6, x.max() + 0.6],
    )
    for i, m in enumerate(months):
        centre = i * (len(groups) + 0.6) + (len(groups) - 1) / 2
        fig.add_annotation(
            text=f"<b>{month_label(m)}</b>",
            x=centre,
            xref="x",
            y=-0.17,
            yref="paper",
            showarrow=False,
            yanchor="top",
            font=dict(size=FONT_SIZE),
        )
    return fig


def criteria_sensitivity(
    result: Result, *, colors: dict[str, str] | None = None, title: str | None = None
) -> go.Figure:
    """ORR (%) under each response rule set, one panel per landmark, bars by group."""
    t = result.table
    if t.empty:
        return empty_figure(_("No rule set could be applied to these data."))
    months = sorted(t["month"].unique())
    groups = group_order(t["group"])
    criteria = list(dict.fromkeys(t["criteria"]))
    fig = make_subplots(
        rows=1,
        cols=len(months),
        shared_yaxes=True,
        horizontal_spacing=0.04,
        subplot_titles=[month_label(m) for m in months],
    )
    for col, month in enumerate(months, start=1):
        for g in groups:
            d = t[(t["month"] == month) & (t["group"] == g)].set_index("criteria")
            d = d.reindex([c for c in criteria if c in d.index])
            fig.add_bar(
                x=[_(CRITERIA_LABELS[c]) if c in CRITERIA_LABELS else c for c in d.index],
                y=d["orr_pct"],
                name=group_name(g),
                legendgroup=g,
                showlegend=col == 1,
                marker_color=color_of(g, colors),
                text=[format_pct(v, missing=SUPPRESSED) for v in d["orr_pct"]],
                textposition="outside",
                textfont=dict(size=NOTE_SIZE - 2),
                cliponaxis=False,
                customdata=np.column_stack([d["orr_n"], d["n_evaluable"]]),
                hovertemplate=_("{group}, {criteria}: ORR {pct}% ({n}/{total})").format(
                    group=group_name(g), criteria="%{x}", pct="%{y:.1f}", n="%{customdata[0]}",
                    total="%{customdata[1]}",
                ) + "<extra></extra>",
                row=1,
                col=col,
            )
    journal_layout(fig, title=title or _("Response under each rule set"), height=540)
    fig.update_layout(barmode="group", bargap=0.2, bargroupgap=0.05, legend_y=1.09, margin_t=120)
    fig.update_yaxes(range=[0, 105], dtick=20)
    fig.update_yaxes(title_text=_("Overall response (%)"), row=1, col=1)
    fig.update_xaxes(tickangle=-35)
    return fig


def response_transitions(result: Result, *, group: str = "All") -> go.Figure:
    """Sankey of response states from one landmark to the next (every patient counted).

    Nodes are (landmark, state) with the patient count; links carry ``n`` of the
    ``response_transitions`` table for ``group``; zero flows are not drawn.
    """
    t = result.table
    t = t[(t["group"] == group) & (t["n"] > 0)]
    if t.empty:
        return empty_figure(_("No response transitions for {group}.").format(group=group_name(group)))
    months = sorted(set(t["from_month"]) | set(t["to_month"]))
    nodes = pd.DataFrame(
        [(m, s) for m in months for s in RESPONSE_ORDER], columns=["month", "state"]
    )
    out_n = t.groupby(["from_month", "from_state"])["n"].sum()
    in_n = t.groupby(["to_month", "to_state"])["n"].sum()
    keys = list(zip(nodes["month"], nodes["state"], strict=True))
    nodes["n"] = [max(out_n.get(k, 0), in_n.get(k, 0)) for k in keys]
    nodes = nodes[nodes["n"] > 0].reset_index(drop=True)
    index = {k: i for i, k in enumerate(zip(nodes["month"], nodes["state"], strict=True))}
    # Fixed positions: one column per landmark, states top to bottom in clinical order.
    xpos = {m: 0.001 + 0.998 * i / max(len(months) - 1, 1) for i, m in enumerate(months)}
    share = nodes["n"] / nodes.groupby("month")["n"].transform("sum")
    ypos = nodes.assign(s=share).groupby("month")["s"].cumsum() - share / 2
    src = [index[k] for k in zip(t["from_month"], t["from_state"], strict=True)]
    dst = [index[k] for k in zip(t["to_month"], t["to_state"], strict=True)]
    fig = go.Figure(
        go.Sankey(
            arrangement="fixed",
            node=dict(
                label=[f"{_(STATE_WORDS.get(s, s))} ({n})" for s, n in zip(nodes["state"], nodes["n"], strict=True)],
                color=[RESPONSE_COLORS[s] for s in nodes["state"]],
                x=[xpos[m] for m in nodes["month"]],
                y=list(0.02 + 0.96 * ypos),
                pad=18,
                thickness=22,
                line=dict(color="#555555", width=0.6),
            ),
            link=dict(
                source=src,
                target=dst,
                value=list(t["n"]),
                color=[rgba(RESPONSE_COLORS[s], 0.45) for s in t["from_state"]],
                hovertemplate="%{source.label} → %{target.label}: %{value}<extra></extra>",
            ),
            textfont=dict(size=FONT_SIZE - 1),
        )
    )
    for m in months:
        fig.add_annotation(
            text=f"<b>{month_label(m)}</b>",
            x=xpos[m],
            y=1.06,
            xref="paper",
            yref="paper",
            showarrow=False,
            xanchor="left" if xpos[m] < 0.5 else "right",
        )
    title = _("Response transitions") + ("" if group == "All" else f": {group}")
    journal_layout(fig, title=title, height=520)
    fig.update_layout(margin=dict(l=20, r=20, t=110, b=30))
    return fig


FOREST_LABEL_GAP = 16  # px between the plot's right edge and the estimate column


def response_forest(subgroups: pd.DataFrame, *, title: str | None = None) -> go.Figure:
    """Forest plot of ORR (%) with its interval per subgroup level, n on each row.

    Input: one month of ``response_subgroups`` (:func:`core.analyses.subgroups.subgroup_rates`:
    subgroup, level, n, orr_pct, ci_low, ci_high). A dashed line marks the overall ORR
    (subgroup ``All``).
    """
    if subgroups.empty:
        return empty_figure(_("No patient is evaluable for the subgroup analysis."))
    d = subgroups.reset_index(drop=True)
    rows = [
        f"<b>{_(s)}</b>: {lv}" if s != "All" else "<b>" + _("All patients") + "</b>"
        for s, lv in zip(d["subgroup"], d["level"], strict=True)
    ]
    y = list(range(len(d)))[::-1]
    fig = go.Figure()
    fig.add_scatter(
        x=d["orr_pct"],
        y=y,
        mode="markers",
        showlegend=False,
        marker=dict(
            symbol=["diamond" if s == "All" else "square" for s in d["subgroup"]],
            size=[13 if s == "All" else 9 for s in d["subgroup"]],
            color="black",
        ),
        error_x=dict(
            type="data",
            symmetric=False,
            array=d["ci_high"] - d["orr_pct"],
            arrayminus=d["orr_pct"] - d["ci_low"],
            color="black",
            thickness=1.4,
            width=4,
        ),
        customdata=np.column_stack([d["orr_n"], d["n"], d["ci_low"], d["ci_high"]]),
        hovertemplate=_("ORR {pct}% ({n}/{total}; 95% CI {low}–{high})").format(
            pct="%{x:.1f}", n="%{customdata[0]}", total="%{customdata[1]}",
            low="%{customdata[2]:.1f}", high="%{customdata[3]:.1f}",
        ) + "<extra></extra>",
    )
    overall = d.loc[d["subgroup"] == "All", "orr_pct"]
    if len(overall):
        fig.add_vline(
            x=float(overall.iloc[0]), line_dash="dash", line_color="#888888", line_width=1
        )
    for yi, n, orr, lo, hi in zip(y, d["n"], d["orr_pct"], d["ci_low"], d["ci_high"], strict=True):
        # The labels sit in their own column right of the axis, clear of the largest
        # marker at 100 % (FOREST_LABEL_GAP px), with one decimal: 99.8 reads 99.8, not 100.
        fig.add_annotation(
            x=1.0,
            y=yi,
            xref="paper",
            yref="y",
            xanchor="left",
            xshift=FOREST_LABEL_GAP,
            showarrow=False,
            text=(estimate_ci(orr, lo, hi) if orr == orr else SUPPRESSED) + f", n = {count_text(n)}",
            font=dict(size=NOTE_SIZE),
        )
    journal_layout(fig, title=title or _("Overall response by subgroup"), height=110 + 34 * len(d))
    fig.update_yaxes(tickvals=y, ticktext=rows, showline=False, ticks="")
    # A little room past 0 and 100 so a marker at either end is drawn whole, inside the axis.
    fig.update_xaxes(title_text=_("Overall response, % (95% CI)"), range=[-3, 103],
                     tickvals=list(range(0, 101, 20)))  # fmt: skip
    fig.update_layout(margin=dict(r=260))
    return fig


# --- registry builders: run -> figures ---------------------------------------------------


def plot_response_rates(run: AnalysisRun, **_kw: object) -> dict[FigureKey, go.Figure]:
    if run.table("response_rates") is None:
        return {}
    return {FigureKey("response_rates"): response_rates(run.results["response_rates"])}


def plot_response_sankeys(run: AnalysisRun, **_kw: object) -> dict[FigureKey, go.Figure]:
    """Transitions between landmarks: all patients, then each group when there are two or
    more."""
    t = run.table("response_transitions")
    if t is None:
        return {}
    res = run.results["response_transitions"]
    out = {FigureKey("response_sankey"): response_transitions(res, group=ALL)}
    groups = [g for g in group_order(t["group"], run.settings.reference) if g != ALL]
    if len(groups) > 1:
        for g in groups:
            out[FigureKey("response_sankey", group=g)] = response_transitions(res, group=g)
    return out


def plot_criteria_sensitivity(run: AnalysisRun, **_kw: object) -> dict[FigureKey, go.Figure]:
    if run.table("criteria_sensitivity") is None:
        return {}
    return {
        FigureKey("criteria_sensitivity"): criteria_sensitivity(
            run.results["criteria_sensitivity"], colors=run_colors(run)
        )
    }


def plot_response_forests(run: AnalysisRun, **_kw: object) -> dict[FigureKey, go.Figure]:
    """One subgroup forest plot per landmark month."""
    t = run.table("response_subgroups")
    if t is None:
        return {}
    return {
        FigureKey("response_forest", month=float(m)): response_forest(
            sub, title=_("Overall response by subgroup at month {month}").format(month=f"{m:g}")

        )
        for m, sub in t.groupby("month", sort=True)
    }
