"""Long-term outcome figures: time to first flare, kidney outcomes, cumulative steroid dose
and a swimmer plot of each patient's response, loss of response, flares and kidney events.

Inputs are the long-term Results of ``core.analyses.long_term`` (``flare_curve``,
``flare_risk``, ``flare_tests``, ``flares``; ``kidney_*``; ``steroid_exposure``,
``steroid_cumulative``; ``patient_events``). The curves use the time-to-response figure
(``ttr.ttr_curve``): same steps, log-log bands, censor ticks, numbers at risk, medians,
log-rank p and hazard ratio.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from core.analyses.kidney_outcomes import OUTCOMES
from core.model.i18n import N_
from core.model.i18n import gettext as _
from core.model.results import AnalysisRun, FigureKey, Result
from core.model.vocabulary import group_order
from core.report.figures.cohort import swimmer_lanes
from core.report.figures.theme import (
    color_of,
    empty_figure,
    group_name,
    journal_layout,
    rgba,
    run_colors,
)
from core.report.figures.ttr import MONTH_TITLE, ttr_curve

FLARE_NAMES = {"aurora2": N_("AURORA 2"), "custom": N_("custom definition")}
# The swimmer plot's events (patient_events' ``event`` values) as its legend names them.
EVENT_WORDS = {
    "response": N_("response"), "loss of response": N_("loss of response"),
    "flare": N_("flare"), "kidney event": N_("kidney event"), "death": N_("death"),
}  # fmt: skip
EVENT_STYLE: dict[str, tuple[str, str]] = {  # event -> (marker symbol, colour)
    "response": ("circle", "#1a9850"),
    "loss of response": ("x", "#d73027"),
    "flare": ("triangle-up", "#f46d43"),
    "kidney event": ("diamond", "#5e3c99"),
    "death": ("square", "#000000"),
}


def _one(results: Mapping[str, Result], name: str, key: str, value: str) -> Result | None:
    """``results[name]`` restricted to rows with ``key == value``, in the ttr layout."""
    r = results.get(name)
    if r is None or r.table.empty or key not in r.table:
        return None
    return Result(name, r.table[r.table[key] == value].reset_index(drop=True), r.notes)


def _event_curve(
    results: Mapping[str, Result], prefix: str, key: str, value: str, words: str, x_title: str,
    summary_name: str, colors: dict[str, str] | None,
) -> go.Figure:  # fmt: skip
    curve = _one(results, f"{prefix}_curve", key, value)
    if curve is None or curve.table.empty:
        return empty_figure(_("No patient at risk of {event}.").format(event=words))
    tests = _one(results, f"{prefix}_tests", key, value)
    logrank = cox = None
    if tests is not None:
        t = tests.table
        logrank = Result("tests", t[t["test"] == "log-rank"])
        fit = t[(t["test"] == "cox") & t["converged"].astype(bool)]
        cox = Result("cox", fit) if len(fit) else None
    summary = _one(results, summary_name, key, value)
    fig = ttr_curve(
        curve, _one(results, f"{prefix}_risk", key, value), logrank, cox, summary,
        colors=colors, event=words,
    )  # fmt: skip
    fig.update_xaxes(title_text=x_title, row=1, col=1)
    return fig


def flare_curve(
    results: Mapping[str, Result], definition: str = "aurora2", *, colors=None
) -> go.Figure:
    """Cumulative incidence of a first renal flare from the first response, by group."""
    words = _("first renal flare ({definition})").format(
        definition=_(FLARE_NAMES[definition]) if definition in FLARE_NAMES else definition
    )
    summary = _one(results, "flares", "definition", definition)
    if summary is not None:  # the ttr figure reads medians from n/median columns
        results = {**results, "flare_summary": summary}
    return _event_curve(
        results, "flare", "definition", definition, words, _("Months since first response"),
        "flare_summary", colors,
    )  # fmt: skip


def kidney_outcome_curve(
    results: Mapping[str, Result], outcome: str = "composite", *, colors=None
) -> go.Figure:
    """Cumulative incidence of one kidney outcome from month 0, by group."""
    words = _(OUTCOMES[outcome]).lower() if outcome in OUTCOMES else outcome
    return _event_curve(
        results, "kidney", "outcome", outcome, words, _(MONTH_TITLE), "kidney_outcomes", colors
    )


def steroid_exposure_plot(results: Mapping[str, Result], *, colors=None) -> go.Figure:
    """Cumulative prednisolone-equivalent dose (g) per patient over the visits (thin lines,
    group colours) with each group's median (IQR) at the landmark visits."""
    exp = results.get("steroid_exposure")
    if exp is None or exp.table.empty:
        return empty_figure(_("No steroid dose in the file."))
    t = exp.table
    fig = go.Figure()
    groups = group_order(t["group"].dropna(), sort=True, order=tuple(colors or ()))
    for g in groups:
        d = t[t["group"] == g].sort_values(["patient_id", "month"])
        breaks = d["patient_id"].ne(d["patient_id"].shift()).to_numpy()
        xs, ys = [], []
        for m, y, b in zip(d["month"], d["cumulative_g"], breaks, strict=True):
            if b and xs:
                xs.append(None)
                ys.append(None)
            xs.append(m)
            ys.append(y)
        fig.add_scatter(
            x=xs, y=ys, mode="lines", name=_("{group} (patients)").format(group=group_name(g)),
            legendgroup=g,
            line=dict(color=rgba(color_of(g, colors), 0.35), width=1), hoverinfo="skip",
        )  # fmt: skip
    cum = results.get("steroid_cumulative")
    if cum is not None and not cum.table.empty:
        c = cum.table[(cum.table["measure"] == "cumulative_g") & (cum.table["group"] != "All")]
        for g in groups:
            d = c[c["group"] == g]
            fig.add_scatter(
                x=d["landmark"], y=d["median"], mode="markers",
                name=_("{group} median (IQR)").format(group=group_name(g)),
                legendgroup=g, marker=dict(size=10, color=color_of(g, colors)),
                error_y=dict(type="data", symmetric=False, array=d["q3"] - d["median"],
                             arrayminus=d["median"] - d["q1"], thickness=1.6),
                customdata=np.column_stack([d["q1"], d["q3"], d["n"]]),
                hovertemplate=_("{group}, month {month}: median {median} g (IQR {q1}–{q3}; n = {n})").format(
                    group=group_name(g), month="%{x:g}", median="%{y:.2f}",
                    q1="%{customdata[0]:.2f}", q3="%{customdata[1]:.2f}", n="%{customdata[2]}",
                ) + "<extra></extra>",
            )  # fmt: skip
    journal_layout(fig, title=_("Cumulative prednisolone-equivalent dose"), height=480)
    fig.update_xaxes(title_text=_(MONTH_TITLE), rangemode="tozero", dtick=3)
    fig.update_yaxes(title_text=_("Cumulative dose (g)"), rangemode="tozero")
    return fig


def swimmer_events(
    results: Mapping[str, Result], *, colors=None, max_patients: int = 150, show_ids=False
) -> go.Figure:
    """One lane per patient from month 0 to the last visit (group colour), with response
    gained, loss of response, flares, kidney events and death marked. Patients sorted by
    group, then follow-up; patient IDs only in the hover and only with ``show_ids``."""
    ev = results.get("patient_events")
    if ev is None or ev.table.empty:
        return empty_figure(_("No follow-up to show."))
    t = ev.table
    lanes = t[t["event"] == "last visit"][["patient_id", "group", "month"]].rename(
        columns={"month": "last"}
    )
    fig = go.Figure()
    lanes, n_total = swimmer_lanes(fig, lanes, colors, max_patients)
    pts = t[t["event"] != "last visit"].merge(lanes[["patient_id", "row"]], on="patient_id")
    for event, (symbol, color) in EVENT_STYLE.items():
        d = pts[pts["event"] == event]
        if d.empty:
            continue
        who = d["patient_id"].astype(str) + ", " if show_ids else pd.Series("", index=d.index)
        fig.add_scatter(
            x=d["month"], y=d["row"], mode="markers", name=_(EVENT_WORDS[event]),
            marker=dict(size=9, symbol=symbol, color=color, line=dict(width=0.6, color="#333")),
            customdata=np.column_stack([who, d["detail"].fillna("")]),
            hovertemplate="%{customdata[0]}" + _("month {month}: {event} {detail}").format(
                month="%{x:g}", event=_(EVENT_WORDS[event]), detail="%{customdata[1]}"
            ) + "<extra></extra>",
        )  # fmt: skip
    shown = "" if n_total <= max_patients else _(" (first {shown} of {total})").format(
        shown=max_patients, total=n_total
    )
    journal_layout(
        fig, title=_("Response, flares and kidney events of each patient{shown}").format(shown=shown),
        height=max(420, 170 + 6 * len(lanes)),
    )  # fmt: skip
    fig.update_yaxes(showticklabels=False, ticks="", showline=False, title_text=_("Patients"),
                     range=[-1, len(lanes)])  # fmt: skip
    fig.update_layout(margin=dict(t=140))  # room for the two-row legend under the title
    fig.update_xaxes(title_text=_(MONTH_TITLE),
 rangemode="tozero", dtick=3)
    return fig


def plot_flare_curve(run: AnalysisRun, **_kw: object) -> dict[FigureKey, go.Figure]:
    """Time to first flare, one figure per flare definition (``measure`` = definition)."""
    t = run.table("flares")
    if t is None:
        return {}
    colors = run_colors(run)
    return {
        FigureKey("flare_curve", measure=str(d)): flare_curve(run.results, d, colors=colors)
        for d in dict.fromkeys(t["definition"])
    }


def plot_kidney_outcomes(run: AnalysisRun, **_kw: object) -> dict[FigureKey, go.Figure]:
    """Time to each kidney outcome, one figure per outcome (``measure`` = outcome)."""
    t = run.table("kidney_outcomes")
    if t is None:
        return {}
    colors = run_colors(run)
    return {
        FigureKey("kidney_outcome", measure=str(o)): kidney_outcome_curve(
            run.results, o, colors=colors
        )
        for o in dict.fromkeys(t["outcome"])
    }


def plot_steroid_exposure(run: AnalysisRun, **_kw: object) -> dict[FigureKey, go.Figure]:
    """Cumulative steroid dose per patient with the group medians at the landmarks."""
    if run.table("steroid_exposure") is None:
        return {}
    fig = steroid_exposure_plot(run.results, colors=run_colors(run))
    return {FigureKey("steroid_cumulative"): fig}


def plot_swimmer_events(
    run: AnalysisRun, show_ids: bool = False, **_kw: object
) -> dict[FigureKey, go.Figure]:
    """The swimmer plot of response, loss of response, flares and kidney events."""
    if run.table("patient_events") is None:
        return {}
    fig = swimmer_events(run.results, colors=run_colors(run), show_ids=show_ids)
    return {FigureKey("swimmer_events"): fig}
