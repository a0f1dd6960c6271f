"""One survival-type curve as a chart draws it: a step line from (0, 0), its confidence band,
and a tick at each censoring time. Time to response, competing risks and the long-term curves
share it."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from core.report.figures.theme import rgba

STEP_COLUMNS = ["time", "cum_incidence", "ci_low", "ci_high", "n_censor"]


def from_origin(d: pd.DataFrame) -> pd.DataFrame:
    """The curve's rows (time, cum_incidence %, ci_low, ci_high, n_censor) from (0, 0).

    Before the first event the incidence is 0 and its interval is [0, 0] (survfit: 1 to 1); a
    missing bound there, or after the last event, would break the band's fill into a diagonal.
    """
    origin = pd.DataFrame({c: [0.0] for c in STEP_COLUMNS})
    out = pd.concat([origin, d[STEP_COLUMNS]], ignore_index=True)
    flat = out["cum_incidence"].eq(0)
    for col in ("ci_low", "ci_high"):
        out[col] = out[col].mask(flat & out[col].isna(), 0.0).ffill()
    return out


def add_step_curve(
    fig: go.Figure, d: pd.DataFrame, group: str, color: str, *, row: int = 1, col: int = 1,
    showlegend: bool = True,
) -> None:
    """Draw group ``group``'s curve ``d`` (``from_origin`` rows) into subplot (row, col):
    band (12 % opacity), step line with the interval in its hover, censoring ticks."""
    common = dict(legendgroup=group, row=row, col=col)
    fig.add_scatter(x=d["time"], y=d["ci_high"], mode="lines", line=dict(width=0, shape="hv"),
                    showlegend=False, hoverinfo="skip", **common)  # fmt: skip
    fig.add_scatter(x=d["time"], y=d["ci_low"], mode="lines", line=dict(width=0, shape="hv"),
                    fill="tonexty", fillcolor=rgba(color, 0.12), showlegend=False,
                    hoverinfo="skip", **common)  # fmt: skip
    fig.add_scatter(
        x=d["time"], y=d["cum_incidence"], mode="lines", name=group, showlegend=showlegend,
        line=dict(color=color, width=2.6, shape="hv"),
        customdata=np.column_stack([d["ci_low"], d["ci_high"]]),
        hovertemplate=f"{group}, month %{{x:g}}: %{{y:.1f}}% "
        "(95% CI %{customdata[0]:.1f}–%{customdata[1]:.1f})<extra></extra>",
        **common,
    )  # fmt: skip
    c = d[d["n_censor"] > 0]
    fig.add_scatter(
        x=c["time"], y=c["cum_incidence"], mode="markers", showlegend=False,
        name=f"{group} censored", customdata=c["n_censor"],
        marker=dict(symbol="line-ns-open", size=11, color=color, line=dict(width=2, color=color)),
        hovertemplate=f"{group}: %{{customdata}} censored at month %{{x:g}}<extra></extra>",
        **common,
    )  # fmt: skip
