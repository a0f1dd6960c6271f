"""Decimals of the journal style that the analyses need too (plain Python, bottom layer).

:mod:`core.report.export.display` is the one formatting module of everything a person reads;
it sits above the analyses. The few rules an analysis needs to write its own text cells
(``table1``'s ``median (Q1–Q3)`` / ``mean (SD)``) live here and display re-exports them, so
there is still one policy: the decimals of each laboratory measure (:data:`MEASURE_DECIMALS`)
and of Table 1's other variables, fixed decimals without ``-0``, the en dash between bounds.
"""

from __future__ import annotations

import math

EN_DASH = "\u2013"

# Decimals of each laboratory measure as clinical journals print it (canonical units of
# data-contract §2); a measure not listed keeps 3 significant digits.
MEASURE_DECIMALS: dict[str, int] = {
    "egfr": 0,
    "creatinine": 2,
    "upcr": 2,
    "proteinuria_24h": 2,
    "albumin": 1,
    "c3": 0,
    "c4": 0,
    "anti_dsdna": 0,
    "steroid_mg": 1,
    "sledai": 0,
    "steroid_pulse_mg": 0,
    "urine_rbc": 0,
}
# Table 1 variables that are not laboratory measures.
TABLE1_DECIMALS: dict[str, int] = {"age": 1, "disease_duration": 1, "bmi": 1}


def row_decimals(name: str, typical: float) -> int:
    """Decimals of one Table 1 row: its measure's, else :data:`TABLE1_DECIMALS`, else those
    that give ``typical`` (the median or mean) 3 significant digits (at most 4)."""
    if name in MEASURE_DECIMALS:
        return MEASURE_DECIMALS[name]
    if name in TABLE1_DECIMALS:
        return TABLE1_DECIMALS[name]
    if not math.isfinite(typical) or typical == 0:
        return 0
    return int(min(4, max(0, 2 - math.floor(math.log10(abs(typical))))))


def fixed(x: float, decimals: int) -> str:
    """``x`` to ``decimals`` places (as R's ``sprintf``), never ``-0.0``; ``–`` when missing."""
    if x is None or not math.isfinite(float(x)):
        return "–"
    text = f"{float(x):.{decimals}f}"
    return text.lstrip("-") if text.lstrip("-").strip("0.") == "" else text


def median_q1_q3(median: float, q1: float, q3: float, decimals: int) -> str:
    """``'2.42 (1.38–3.25)'``: one number of decimals for all three, en dash."""
    return f"{fixed(median, decimals)} ({fixed(q1, decimals)}{EN_DASH}{fixed(q3, decimals)})"


def mean_sd_text(mean: float, sd: float | None, decimals: int) -> str:
    """``'63.2 (12.1)'``; ``'63.2 (–)'`` without an SD (one patient)."""
    return f"{fixed(mean, decimals)} ({fixed(sd if sd is not None else math.nan, decimals)})"
