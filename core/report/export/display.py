"""Rounding for reading: screen tables and Word tables (data-contract §6).

Downloads and CSVs carry full precision; only what a person reads is rounded: percentages to
1 decimal, p-values to 3 significant digits with ``< 0.001`` below that, other numbers to 3
significant digits (whole numbers from 100 up, never scientific notation).

Word tables use the typographic minus sign (U+2212), as journals print it; it also keeps a
negative estimate at the start of a Word cell from looking like a spreadsheet formula when a
table is pasted into Excel. Screen tables keep ASCII ``-`` (the default).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

MINUS = "\u2212"
P_FLOOR = 0.001

# Columns that hold percentages (0-100) or p-values, whatever the table.
_PCT_SUFFIXES = ("_pct",)
_PCT_COLUMNS = {
    "cum_incidence",
    "ci_low",
    "ci_high",
    "orr_ci_low",
    "orr_ci_high",
    "cr_ci_low",
    "cr_ci_high",
}
_PCT_TABLES = {"response_rates", "response_difference", "ttr_curve", "criteria_sensitivity"}
_P_COLUMNS = {
    "p_value",
    "p_holm",
    "wilcoxon_p",
    "ttest_p",
    "friedman_p",
    "wilcoxon_p_unrounded",
    "p_value_unrounded",
}
_COUNT_COLUMNS = {
    "n",
    "n_risk",
    "n_event",
    "n_censor",
    "n_events",
    "n_pairs",
    "n_evaluable",
    "n_missing",
}


def _missing(x: Any) -> bool:
    return x is None or x is pd.NA or (isinstance(x, (float, np.floating)) and math.isnan(x))


def _minus(text: str, minus: str) -> str:
    return text.replace("-", minus) if minus != "-" else text


def format_pct(x: Any, decimals: int = 1, minus: str = "-", missing: str = "") -> str:
    """A percentage (already 0-100) to ``decimals`` places: ``15.2173`` -> ``'15.2'``."""
    if _missing(x):
        return missing
    text = f"{float(x):.{decimals}f}"
    if text.lstrip("-").strip("0.") == "":  # no "-0.0"
        text = text.lstrip("-")
    return _minus(text, minus)


def format_p(p: Any, missing: str = "") -> str:
    """A p-value to 3 significant digits, ``'< 0.001'`` below 0.001 (``0.0725`` -> ``'0.0725'``,
    ``0.14`` -> ``'0.140'``, ``0.000775`` -> ``'< 0.001'``)."""
    if _missing(p):
        return missing
    p = float(p)
    if p < P_FLOOR:
        return "< 0.001"
    return f"{p:#.3g}".rstrip(".")


def p_text(p: Any) -> str:
    """A p-value as a phrase for figures: ``'p = 0.0436'``, ``'p < 0.001'``, ``'p = n/a'``."""
    text = format_p(p, missing="n/a")
    return f"p {text}" if text.startswith("<") else f"p = {text}"


def format_num(x: Any, digits: int = 3, minus: str = "-", missing: str = "") -> str:
    """A measurement to ``digits`` significant digits without trailing zeros, as R prints
    ``signif(x, 3)``; from 100 up the whole number (``2.4196`` -> ``'2.42'``, ``0.83`` ->
    ``'0.83'``, ``112.6`` -> ``'113'``, ``5.5`` -> ``'5.5'``); integers as they are."""
    if _missing(x):
        return missing
    x = float(x)
    if math.isinf(x):
        return _minus("Inf" if x > 0 else "-Inf", minus)
    if x == int(x) and abs(x) < 1e15:
        return _minus(str(int(x)), minus)
    if abs(x) >= 10 ** (digits - 1):
        text = f"{x:.0f}"
    else:
        decimals = digits - 1 - math.floor(math.log10(abs(x)))
        text = f"{x:.{decimals}f}"
        if "." in text:  # as R prints signif(x, 3): no trailing zeros
            text = text.rstrip("0").rstrip(".")
    if text.lstrip("-").strip("0.") == "":
        text = text.lstrip("-")
    return _minus(text, minus)


def format_ratio(x: Any, decimals: int = 2, minus: str = "-", missing: str = "") -> str:
    """A hazard or odds ratio to ``decimals`` fixed places (``2.15579`` -> ``'2.16'``,
    ``0.158`` -> ``'0.16'``), as journals print ratios."""
    if _missing(x):
        return missing
    if math.isinf(float(x)):
        return "Inf"
    return format_pct(x, decimals=decimals, minus=minus)


def format_count(x: Any, missing: str = "") -> str:
    """A count as a whole number."""
    return missing if _missing(x) else str(int(round(float(x))))


def format_ci(
    low: Any, high: Any, fmt: Callable[..., str] = format_num, minus: str = "-", sep: str = ", "
) -> str:
    """``[low, high]`` with the same formatter for both ends; empty when both are missing."""
    if _missing(low) and _missing(high):
        return ""
    lo = fmt(low, minus=minus, missing="NA")
    hi = fmt(high, minus=minus, missing="NA")
    return f"[{lo}{sep}{hi}]"


def n_pct(n: Any, pct: Any, total: Any | None = None, minus: str = "-") -> str:
    """``'7 (15.2%)'`` or, with ``total``, ``'7/46 (15.2%)'``."""
    if _missing(n):
        return ""
    count = (
        format_count(n)
        if total is None or _missing(total)
        else f"{format_count(n)}/{format_count(total)}"
    )
    return f"{count} ({format_pct(pct, minus=minus)}%)" if not _missing(pct) else count


# Columns where a missing value means "not reached" (a median or its upper bound that the
# cumulative incidence never crosses), not "unknown": the screen says so.
NOT_REACHED = "not reached"
_NOT_REACHED_COLUMNS: dict[str, tuple[str, ...]] = {
    "ttr_summary": ("median_time", "median_ci_low", "median_ci_high"),
}


def _is_pct_column(table_name: str, col: str) -> bool:
    if col.endswith(_PCT_SUFFIXES) or col == "cum_incidence":
        return True
    return table_name in _PCT_TABLES and col in _PCT_COLUMNS


def round_for_display(table_name: str, df: pd.DataFrame) -> pd.DataFrame:
    """A copy of a contract table rounded for the screen.

    Percent columns (``*_pct``, the CIs of ``response_rates``/``response_difference``,
    ``cum_incidence`` ...) are rounded to 1 decimal; p-value columns become text
    (:func:`format_p`, so ``< 0.001`` can be shown); counts stay integers; every other float
    column is rounded to 3 significant digits (numbers stay numbers so the screen can sort).
    A median or interval bound that was not reached (``ttr_summary``) reads ``not reached``
    (those columns become text).
    """
    out = df.copy()
    for col in _NOT_REACHED_COLUMNS.get(table_name, ()):
        s = out[col] if col in out else None
        if (
            s is not None
            and s.isna().any()
            and (pd.api.types.is_numeric_dtype(s) or s.isna().all())
        ):
            out[col] = s.map(lambda x: format_num(x, missing=NOT_REACHED))
    for col in out.columns:
        s = out[col]
        if col in _P_COLUMNS or col.endswith("_p"):
            if pd.api.types.is_numeric_dtype(s):
                out[col] = s.map(format_p)
            continue
        if not pd.api.types.is_float_dtype(s):
            continue
        if _is_pct_column(table_name, col):
            out[col] = s.round(1)
        elif (
            col in _COUNT_COLUMNS
            or col.startswith(("n_", "cum_events", "cum_censored"))
            or col.endswith("_n")
        ):
            out[col] = s.round(0).astype("Int64") if s.notna().all() else s.round(0)
        else:
            out[col] = _round_sig(s, 3)
    return out


def _round_sig(s: pd.Series, digits: int) -> pd.Series:
    """Round to ``digits`` significant digits (whole numbers from 10**(digits-1) up)."""
    values = s.to_numpy(dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        mag = np.floor(np.log10(np.abs(values)))
    decimals = np.where(np.isfinite(mag), np.clip(digits - 1 - mag, 0, 15), 0).astype(int)
    factor = 10.0**decimals
    rounded = np.where(np.isfinite(values), np.round(values * factor) / factor, values)
    return pd.Series(rounded, index=s.index, name=s.name)
