"""One survival-type curve as a chart draws it: a step line from (0, 0), its confidence band,
and a tick at each censoring time. Time to response, competing risks and the long-term curves
share it."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from core.model.i18n import gettext as _
from core.report.figures.theme import rgba

BAND_ALPHA = 0.15  # band opacity: two overlapping bands still read apart
STEP_COLUMNS = ["time", "cum_incidence", "ci_low", "ci_high", "n_censor"]


def from_origin(d: pd.DataFrame) -> pd.DataFrame:
    """The curve's rows (time, cum_incidence %, ci_low, ci_high, n_censor) from (0, 0).

    Before the first event the incidence is 0 and its interval is [0, 0] (survfit: 1 to 1); a
    missing bound there, or after the last event, would break the band's fill into a diagonal,
    so it carries the previous interval; only where the curve reaches 100 % (S = 0, where
    survfit gives no interval) does it stay missing, and the band ends there.
    """
    origin = pd.DataFrame({c: [0.0] for c in STEP_COLUMNS})
    out = pd.concat([origin, d[STEP_COLUMNS]], ignore_index=True)
    flat = out["cum_incidence"].eq(0)
    ended = out["cum_incidence"].ge(100 - 1e-9)  # S = 0: no interval (R: NA); the band ends
    for col in ("ci_low", "ci_high"):
        missing = out[col].isna()
        out[col] = out[col].mask(flat & missing, 0.0).ffill().mask(ended & missing)
    return out


def band_polygon(d: pd.DataFrame) -> tuple[list[float], list[float]]:
    """The closed outline of a step band: the upper bound forward, the lower bound back.

    Each row's interval holds from its time to the next row's (a step, as the curve); a row
    whose interval is undefined (the curve at 100 %: survfit's NA where S = 0) ends the band
    at its time, so the band never claims an interval R does not give. Empty lists when no
    row has an interval.
    """
    times = d["time"].to_numpy(float)
    low = d["ci_low"].to_numpy(float)
    high = d["ci_high"].to_numpy(float)
    ok = ~(np.isnan(low) | np.isnan(high))
    if not ok.any():
        return [], []
    xs: list[float] = []
    upper: list[float] = []
    lower: list[float] = []
    for i in range(len(times)):
        if not ok[i]:
            if xs:  # undefined from here on: the band stops at this time
                xs.append(times[i])
                upper.append(upper[-1])
                lower.append(lower[-1])
                break
            continue
        if xs:  # the step: previous interval up to this time, then this one
            xs.append(times[i])
            upper.append(upper[-1])
            lower.append(lower[-1])
        xs.append(times[i])
        upper.append(high[i])
        lower.append(low[i])
    x = xs + xs[::-1]
    y = upper + lower[::-1]
    return [float(v) for v in x], [float(v) for v in y]


def add_step_curve(
    fig: go.Figure, d: pd.DataFrame, group: str, color: str, *, row: int = 1, col: int = 1,
    showlegend: bool = True,
) -> None:
    """Draw group ``group``'s curve ``d`` (``from_origin`` rows) into subplot (row, col):
    band (12 % opacity), step line with the interval in its hover, censoring ticks.

    The band is one closed outline filled on its own (``fill="toself"``, :func:`band_polygon`):
    a band drawn as two lines filled ``tonexty`` depends on which trace plotly.js takes as
    "the previous one", and lost a group's band when traces were reordered or hidden."""
    common = dict(legendgroup=group, row=row, col=col)
    shown = _("All") if group == "All" else group
    bx, by = band_polygon(d)
    fig.add_scatter(x=bx, y=by, mode="lines", line=dict(width=0), fill="toself",
                    fillcolor=rgba(color, BAND_ALPHA), showlegend=False, hoverinfo="skip",
                    name=_("{group} 95% CI").format(group=shown), **common)  # fmt: skip
    fig.add_scatter(
        x=d["time"], y=d["cum_incidence"], mode="lines", name=shown, showlegend=showlegend,
        line=dict(color=color, width=2.6, shape="hv"),
        customdata=np.column_stack([d["ci_low"], d["ci_high"]]),
        hovertemplate=_("{group}, month {month}: {pct}% (95% CI {low}–{high})").format(
            group=shown, month="%{x:g}", pct="%{y:.1f}", low="%{customdata[0]:.1f}",
            high="%{customdata[1]:.1f}",
        ) + "<extra></extra>",
        **common,
    )  # fmt: skip
    c = d[d["n_censor"] > 0]
    fig.add_scatter(
        x=c["time"], y=c["cum_incidence"], mode="markers", showlegend=False,
        name=_("{group} censored").format(group=shown), customdata=c["n_censor"],
        marker=dict(symbol="line-ns-open", size=11, color=color, line=dict(width=2, color=color)),
        hovertemplate=_("{group}: {n} censored at month {month}").format(
            group=shown, n="%{customdata}", month="%{x:g}"
        ) + "<extra></extra>",

        **common,
    )  # fmt: skip
