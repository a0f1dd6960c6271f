"""Axis helpers shared by the charts: readable ticks for a log axis."""

from __future__ import annotations

import numpy as np


def log_ticks(low: float, high: float) -> list[float]:
    """Readable ticks for a log axis spanning ``low``–``high`` (both > 0).

    1-3-10 steps (0.1, 0.3, 1, 3, 10); 1-2-5 when that leaves fewer than three ticks (a
    narrow range), decades only when it gives more than eight (a wide one); empty (leave it
    to plotly) when no two such ticks fall in the range. Plotly's own log
    ticks show only the decades, often just ``1`` for a UPCR between 0.2 and 5 g/g.
    """
    if not (low > 0 and high > 0) or not np.isfinite([low, high]).all():
        return []
    lo, hi = min(low, high), max(low, high)
    decades = np.arange(np.floor(np.log10(lo)) - 1, np.ceil(np.log10(hi)) + 1)

    def grid(steps: tuple[int, ...]) -> list[float]:
        values = (m * 10.0**d for d in decades for m in steps)
        return [float(f"{t:.6g}") for t in values if lo / 1.05 <= t <= hi * 1.05]

    for steps in ((1, 3), (1, 2, 5)):
        if 3 <= len(ticks := grid(steps)) <= 8:
            return ticks
    for steps in ((1,), (1, 2, 5)):  # wide: decades; narrow: two 1-2-5 ticks will do
        if 2 <= len(ticks := grid(steps)) <= 8:
            return ticks
    return []


def tick_text(value: float) -> str:
    """``0.1``, ``3``, ``1,000``: a tick label without scientific notation."""
    return f"{value:,.0f}" if value >= 1 else f"{value:g}"
