"""The journal style: one formatting policy for everything a person reads (data-contract §6).

Screen tables, the XLSX's formatted sheets, Word tables, the HTML report and figure labels
all format through this module; CSVs and the XLSX's hidden ``values`` sheet keep full
precision. The policy:

- counts as whole numbers; percentages to 1 decimal (``15.2``);
- a confidence interval after its estimate in brackets with an en dash, never a hyphen:
  ``12.3 (4.5–20.1)`` (:func:`estimate_ci`); medians as ``median (Q1–Q3)``, means as
  ``mean (SD)``;
- p-values to 3 decimals, ``< 0.001`` below that and ``> 0.999`` for what would print
  ``1.000`` (:func:`format_p`);
- hazard, odds and rate ratios to 2 decimals (:func:`format_ratio`); laboratory values to the
  decimals of their measure (:data:`MEASURE_DECIMALS`: eGFR 0, UPCR 2 …), other numbers to
  3 significant digits;
- a median or bound the data never reach reads ``NR`` everywhere, explained once by
  :data:`NOT_REACHED_NOTE` in the table's footnote.

Every word a reader sees here (the not-reached footnote, category words) is one English msgid
translated where it is written (:func:`not_reached_note`, :func:`level_word`); ``NR``,
``< 0.001`` and ``> 0.999`` read the same in Korean and English.

Word tables use the typographic minus sign (U+2212), as journals print it; it also keeps a
negative estimate at the start of a Word cell from looking like a spreadsheet formula when a
table is pasted into Excel. Screen tables keep ASCII ``-`` (the default).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, Literal

import numpy as np
import pandas as pd

from core.analyses.registry import table_spec
from core.model.i18n import N_
from core.model.i18n import gettext as _
from core.model.precision import MEASURE_DECIMALS

MINUS = "\u2212"
P_FLOOR = 0.001
P_BELOW = "< 0.001"
P_ABOVE = "> 0.999"
EN_DASH = "\u2013"  # between the bounds of an interval or range, never a hyphen
CI_TO = " to "  # between bounds when one is negative: "(−0.89 to 0.56)"

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
    """A p-value to 3 decimals, ``'< 0.001'`` below 0.001 and ``'> 0.999'`` where 3 decimals
    would print 1.000 (``0.0725`` -> ``'0.073'``, ``0.14`` -> ``'0.140'``, ``0.000775`` ->
    ``'< 0.001'``, ``1`` -> ``'> 0.999'``)."""
    if _missing(p):
        return missing
    p = float(p)
    if p < P_FLOOR:
        return P_BELOW
    text = f"{p:.3f}"
    return P_ABOVE if text == "1.000" else text


def p_text(p: Any) -> str:
    """A p-value as a phrase for figures: ``'p = 0.044'``, ``'p < 0.001'``, ``'p = n/a'``."""
    text = format_p(p, missing="n/a")
    return f"p {text}" if text.startswith(("<", ">")) else f"p = {text}"


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


SUPPRESSED = "–"  # a count blanked by small-cell suppression (primary or complementary alike)


def count_text(x: Any) -> str:
    """A count as a whole number for a chart label; a blank (suppressed) count reads "–"."""
    return format_count(x, missing=SUPPRESSED)


def format_count(x: Any, missing: str = "") -> str:
    """A count as a whole number."""
    return missing if _missing(x) else str(int(round(float(x))))


CIStyle = Literal["brackets", "prose", "dash"]


def format_ci(
    low: Any,
    high: Any,
    fmt: Callable[..., str] = format_num,
    minus: str = "-",
    *,
    style: CIStyle = "dash",
    missing: str | None = None,
) -> str:
    """A confidence interval, both ends with the same formatter; empty when both are missing.

    Styles: ``dash`` ``(1.2–3.4)`` (the journal style: tables, figures; en dash), ``prose``
    ``95% CI 1.2 to 3.4`` (the methods text), ``brackets`` ``[1.2, 3.4]``. ``missing`` names
    an end that is not there: ``NR`` (:data:`NOT_REACHED`) unless given.
    """
    if _missing(low) and _missing(high):
        return ""
    missing = NOT_REACHED if missing is None else missing
    lo = fmt(low, minus=minus, missing=missing)
    hi = fmt(high, minus=minus, missing=missing)
    if style == "prose":
        return f"95% CI {lo} to {hi}"
    if style == "dash":
        # "−0.89–0.56" reads as a subtraction: with a negative bound, "to" (AMA style)
        sep = CI_TO if lo.startswith(("-", MINUS)) or hi.startswith(("-", MINUS)) else EN_DASH
        return f"({lo}{sep}{hi})"
    return f"[{lo}, {hi}]"


def estimate_ci(
    est: Any, low: Any, high: Any, fmt: Callable[..., str] = format_pct, minus: str = "-"
) -> str:
    """An estimate with its interval, as journals print it: ``'12.3 (4.5–20.1)'``; an upper
    bound of 99.8 % reads 99.8, never 100. A missing estimate reads ``NR``; a missing
    interval leaves the estimate alone."""
    head = fmt(est, minus=minus, missing=NOT_REACHED)
    ci = format_ci(low, high, fmt, minus)
    return f"{head} {ci}".strip()


def median_iqr(median: Any, q1: Any, q3: Any, fmt: Callable[..., str] = format_num,
               minus: str = "-") -> str:  # fmt: skip
    """``'1.06 (0.97–1.21)'``: a median with its quartiles (en dash)."""
    if _missing(median):
        return ""
    return estimate_ci(median, q1, q3, fmt, minus)


def mean_sd(mean: Any, sd: Any, fmt: Callable[..., str] = format_num, minus: str = "-") -> str:
    """``'63.2 (12.1)'``: a mean with its standard deviation."""
    if _missing(mean):
        return ""
    if _missing(sd):
        return fmt(mean, minus=minus)
    return f"{fmt(mean, minus=minus)} ({fmt(sd, minus=minus)})"


def format_measure(measure: str, x: Any, minus: str = "-", missing: str = "") -> str:
    """A laboratory value with its measure's decimals (:data:`MEASURE_DECIMALS`), e.g. eGFR
    ``63.4`` -> ``'63'``, UPCR ``1.0634`` -> ``'1.06'``."""
    decimals = MEASURE_DECIMALS.get(measure)
    if decimals is None:
        return format_num(x, minus=minus, missing=missing)
    return format_pct(x, decimals=decimals, minus=minus, missing=missing)


def measure_formatter(measure: str) -> Callable[..., str]:
    """``format_measure`` for one measure, with the signature of the other formatters."""

    def fmt(x: Any, minus: str = "-", missing: str = "") -> str:
        return format_measure(measure, x, minus=minus, missing=missing)

    return fmt


def n_pct_ci(n: Any, pct: Any, low: Any, high: Any, minus: str = "-") -> str:
    """``'7 (15.2%; 6.3–28.9)'``: a count, its percentage and the percentage's interval in
    one cell (header ``n (%; 95% CI)``); without an interval as :func:`n_pct`."""
    head = n_pct(n, pct, minus=minus)
    ci = format_ci(low, high, format_pct, minus)
    if not ci or not head.endswith("%)"):
        return head
    return f"{head[:-1]}; {ci[1:]}"


def n_pct(n: Any, pct: Any, total: Any | None = None, minus: str = "-") -> str:
    """``'7 (15.2%)'`` or, with ``total``, ``'7/46 (15.2%)'``."""
    if _missing(n):
        return SUPPRESSED if not _missing(total) else ""
    count = (
        format_count(n)
        if total is None or _missing(total)
        else f"{format_count(n)}/{format_count(total)}"
    )
    return f"{count} ({format_pct(pct, minus=minus)}%)" if not _missing(pct) else count


NOT_REACHED = "NR"  # the same symbol in both languages; its note is translated
NOT_REACHED_NOTE = N_(
    "NR, not reached: the curve did not cross 50 % (a median) or the interval has no bound "
    "there."
)


def not_reached_note() -> str:
    """:data:`NOT_REACHED_NOTE` in the current language."""
    return _(NOT_REACHED_NOTE)


# Category values a reader sees as words (Table 1 levels, response states): English msgids,
# translated where shown (:func:`level_word`). ISN/RPS classes (III, IV+V) and the user's own
# group names and levels are not words of the app and stay as they are.
LEVEL_WORDS: dict[str, str] = {
    "F": N_("Female"),
    "M": N_("Male"),
    "CR": N_("Complete response"),
    "PR": N_("Partial response"),
    "NR": N_("No response"),
}


def level_word(level: object) -> str:
    """A category value as a word in the current language (``F`` -> ``Female`` / ``여성``,
    ``CR`` -> ``Complete response`` / ``완전관해``); anything else unchanged, as text."""
    text = "" if _missing(level) else str(level)
    return _(LEVEL_WORDS[text]) if text in LEVEL_WORDS else text


def _roles(table_name: str, columns) -> tuple[set, set, set, set]:
    """(percent, p-value, count, not-reached) columns of a table: the registry's column roles,
    plus name patterns for columns named after groups (``relapse_n``, ``*_pct``, ``*_p``)."""
    spec = table_spec(table_name)
    pct = set(spec.percents) if spec else set()
    pvals = set(spec.p_values) if spec else set()
    counts = set(spec.counts) if spec else set()
    reached = set(spec.not_reached) if spec else set()
    for c in map(str, columns):
        if c.endswith("_pct"):
            pct.add(c)
        elif c.endswith("_p") or c == "p_value" or c.startswith("p_"):
            pvals.add(c)
        elif c.startswith("n_") or c.endswith("_n"):
            counts.add(c)
    return pct, pvals, counts, reached


# Columns whose values are category codes a reader sees as words (:func:`level_word`).
WORD_COLUMNS = ("level", "response", "state", "from_state", "to_state")


# Columns whose values are field names (Table 1's ``variable``, the ``measure`` of lab and
# steroid tables), shown as the field's clinical label with its unit (:func:`field_words`).
FIELD_COLUMNS = ("variable", "measure")

def field_words(name: object, column: str = "measure") -> str:
    """A field name as a reader sees it, in the current language: a canonical field's label
    with its unit (``upcr`` -> ``UPCR (g/g)``, ``age`` -> ``연령 (세)``); in a ``measure``
    column, a derived measure named like a column (``cumulative_g`` -> ``Cumulative dose
    (g)``); anything else (a measure or patient column the user named) unchanged."""
    from core.model.schema import label_with_unit
    from core.report.export.headers import HEADERS, column_header

    text = str(name)
    shown = label_with_unit(text)
    if shown == text and column == "measure" and text in HEADERS:
        return column_header(text)
    return shown


def words_for_display(df: pd.DataFrame) -> pd.DataFrame:
    """A copy of a table as a reader sees it (screen, XLSX sheets, HTML), in the current
    language: category codes as words (:data:`WORD_COLUMNS`: ``F`` -> 여성, ``CR`` -> 완전관해;
    the columns of :data:`~core.report.export.headers.VALUE_WORDS`: ``fisher_exact`` ->
    Fisher's exact test, flare ``definition`` ``aurora2`` -> AURORA 2), field names as
    clinical labels with units (:data:`FIELD_COLUMNS`: ``upcr`` -> ``UPCR (g/g)``) and the
    whole-cohort group ``All`` translated; the contract's codes stay in the CSVs and the
    XLSX's ``values`` sheet."""
    from core.model.vocabulary import ALL
    from core.report.export.headers import value_words

    out = value_words(df)  # test, criteria, method… codes as words
    for col in WORD_COLUMNS:
        if col in out and not pd.api.types.is_numeric_dtype(out[col]):
            out[col] = out[col].map(lambda v: v if _missing(v) else level_word(v))
    for col in FIELD_COLUMNS:
        if col in out and not pd.api.types.is_numeric_dtype(out[col]):
            out[col] = out[col].map(lambda v, c=col: v if _missing(v) else field_words(v, c))
    if "group" in out and not pd.api.types.is_numeric_dtype(out["group"]):
        out["group"] = out["group"].map(lambda v: _(ALL) if v == ALL else v)
    return out


def round_for_display(table_name: str, df: pd.DataFrame) -> pd.DataFrame:
    """A copy of a contract table rounded for the screen.

    Column roles come from the table's registry spec (``TableSpec``): percent columns are
    rounded to 1 decimal; p-value columns become text
    (:func:`format_p`, so ``< 0.001`` can be shown); counts stay integers; every other float
    column is rounded to 3 significant digits (numbers stay numbers so the screen can sort).
    A median or interval bound that was not reached (``not_reached`` columns) reads ``NR``
    (those columns become text).
    """
    out = df.copy()
    pct, pvals, counts, reached = _roles(table_name, out.columns)
    for col in reached:
        s = out[col] if col in out else None
        if (
            s is not None
            and s.isna().any()
            and (pd.api.types.is_numeric_dtype(s) or s.isna().all())
        ):
            out[col] = s.map(lambda x: format_num(x, missing=NOT_REACHED))
    for col in out.columns:
        s = out[col]
        if col in pvals:
            if pd.api.types.is_numeric_dtype(s):
                out[col] = s.map(format_p)
            continue
        if not pd.api.types.is_float_dtype(s):
            continue
        if col in pct:
            out[col] = s.round(1)
        elif col in MEASURE_VALUE_COLUMNS and "measure" in out.columns:
            out[col] = _round_by_measure(s, out["measure"])
        elif col in counts:
            out[col] = s.round(0).astype("Int64") if s.notna().all() else s.round(0)
        else:
            out[col] = _round_sig(s, 3)
    return out


# Columns holding a laboratory value (or its change) in tables with a ``measure`` column:
# rounded on screen to the measure's decimals (MEASURE_DECIMALS), not to 3 significant digits.
MEASURE_VALUE_COLUMNS = frozenset({
    "median", "q1", "q3", "value", "baseline_median", "baseline_q1", "baseline_q3",
    "followup_median", "followup_q1", "followup_q3", "median_change", "mean_change",
    "mean_change_ci_low", "mean_change_ci_high", "sd_change",
})  # fmt: skip


def _round_by_measure(s: pd.Series, measures: pd.Series) -> pd.Series:
    """Each row rounded to its measure's decimals; a measure without a rule to 3 significant
    digits."""
    decimals = measures.astype(str).map(MEASURE_DECIMALS)
    out = _round_sig(s, 3)
    for d in decimals.dropna().unique():
        rows = decimals == d
        out[rows] = s[rows].round(int(d))
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
