"""Typed columns: each source column parsed for its field, converted to its unit once, and
checked against the plausibility limits (data-contract §2, clinical-rules §4).

Every problem is an issue in the :class:`~core.ingest.validation.IssueLog` naming the row, the
user's header and the value.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from core.ingest import validation as V
from core.ingest.isn import normalise_classes
from core.ingest.mapping import ColumnPlan
from core.ingest.synonyms import parse_header, parse_time
from core.ingest.table import Limits, Sheet
from core.ingest.units import (
    CANONICAL_UNITS,
    CONVERSIONS,
    convert,
    display_unit,
    guess_unit,
    is_canonical,
    normalise_unit,
)
from core.model.i18n import N_
from core.model.i18n import gettext as _
from core.model.schema import COMPETING_FIELDS, VISIT_LABS

FLOATS = frozenset({*VISIT_LABS, "age", "month", "ttr_months", "ttr_event", *COMPETING_FIELDS,
                    "steroid_pulse_days", "death_month", "dialysis_month", "transplant_month", "prior_egfr"})
NUMERIC = FLOATS - {"urine_rbc", "anti_dsdna"}  # plain numbers; those two have text forms
CATEGORY_CODES = {"sex": V.SEX_CODES, "response": V.RESPONSE_CODES, "group": V.GROUP_CODES}


# Cells that mean "no value" and are worth telling the user about (clinical files have many)
ERROR_CELLS = frozenset({"#div/0!", "#ref!", "#value!", "#n/a", "#name?", "#num!", "#null!",
                         "#spill!", "#calc!", "#getting_data", "#field!", "#blocked!",
                         "#unknown!", "#connect!", "#busy!", "#error"})
NOT_DONE = frozenset({"검사안함", "검사 안함", "미시행", "not done", "not tested", "not performed",
                      "nd", "n.d."})
_MARKERS = (("error", N_("hold spreadsheet errors")), ("not done", N_("say the test was not done")))


@dataclass
class Col:
    """One source column after typing: ``name`` is its canonical (or pass-through) name."""

    plan: ColumnPlan
    name: str
    values: pd.Series
    rows: np.ndarray
    extra: dict  # derived columns (isn_class_detail, anti_dsdna_censored)
    converted_from: str | None = None  # unit the values were converted from


def type_column(sheet: Sheet, plan: ColumnPlan, values: dict, log: V.IssueLog) -> Col:
    s, rows, field, col = sheet.frame[plan.column], sheet.rows, plan.field, plan.column
    where = {"sheet": sheet.name}
    extra: dict = {"_raw": s}
    if field is None:
        name = parse_header(col).name if plan.month is not None else col
        nums, bad = _numbers(sheet, col)
        if not bad.any() and s.notna().any():
            return Col(plan, name or col, pd.Series(nums, index=s.index), rows, extra)
        return Col(plan, name or col, V.strip_text(s), rows, extra)
    if plan.measure:  # a measure the user named: numbers in the unit given, never converted
        nums, bad = _numbers(sheet, col)
        log.cells("error", bad, rows, s, col, lambda v: _("'{v}' is text in the column of the measure {field}; enter a number or leave the cell empty.").format(v=v, field=field), **where)
        return Col(plan, field, pd.Series(nums, index=s.index), rows, extra)
    if field in NUMERIC:
        nums, bad = _numbers(sheet, col)
        if field == "month" and bad.any():  # 'baseline', '6개월', 'week 24' in a month column
            spoken = V.by_unique(s[bad], lambda u: [parse_time(v) for v in u]).astype(float)
            nums[bad] = spoken.to_numpy()
            bad[bad] = spoken.isna().to_numpy()
        log.cells("error", bad, rows, s, col, lambda v: _("'{v}' is text in a numeric column ({field}); enter a number or leave the cell empty.").format(v=v, field=field), **where)
        return Col(plan, field, pd.Series(nums, index=s.index), rows, extra)
    if field == "anti_dsdna":
        nums, flag, bad = V.parse_censored(s)
        log.cells("error", bad, rows, s, col, lambda v: _("'{v}' is not an anti-dsDNA titre (a number, or censored like <10 or >300).").format(v=v), **where)
        extra["anti_dsdna_censored"] = flag.where(~np.isnan(nums), None)
        return Col(plan, field, pd.Series(nums, index=s.index), rows, extra)
    if field == "urine_rbc":
        nums, bad, ranged = V.parse_rbc(s)
        log.cells("error", bad, rows, s, col, lambda v: _("'{v}' is not an RBC count per HPF (a number, a range like 10-20, or >50).").format(v=v), **where)
        if ranged.any():
            log.add("warning", _("{n} urine RBC values in '{col}' were ranges or bounds (10-20 read as 15, >50 as 51).").format(n=int(ranged.sum()), col=col), column=col, **where)
        return Col(plan, field, pd.Series(nums, index=s.index), rows, extra)
    if field == "isn_class":
        text = s
        if values.get("isn_class"):
            mapped, _bad = V.recode(s, values["isn_class"], {})
            text = mapped.where(mapped.notna(), s)
        cls, detail, problem = normalise_classes(text)
        bad = problem.notna().to_numpy()
        log.cells("error", bad, rows, s, col, lambda v: _("Unknown ISN/RPS class '{v}' (classes run from I to VI; combinations III+V or IV+V).").format(v=v), **where)
        extra["isn_class_detail"] = s.astype(object).where(s.notna(), None)
        return Col(plan, field, cls, rows, extra)
    if field in ("anti_dsdna_pos", "treatment_failure"):
        codes = {**V.BOOL_CODES, **{str(k).lower(): v for k, v in
                                    (values.get(field) or {}).items()}}
        out, bad = V.recode(s, None, codes)
        out = V.by_unique(out, lambda u: [v if isinstance(v, bool) else
                                          V.BOOL_CODES.get(str(v).lower()) for v in u])
        hint = _("positive/negative value (use positive/negative, pos/neg, TRUE/FALSE, 1/0, "
                 "양성/음성)") if field == "anti_dsdna_pos" else \
            _("yes/no value (use yes/no, TRUE/FALSE, 1/0, 예/아니오)")
        log.cells("error", bad, rows, s, col, lambda v: _("'{v}' is not a {hint}.").format(v=v, hint=hint), **where)
        return Col(plan, field, out.astype("boolean"), rows, extra)
    if field in ("start_date", "visit_date"):
        dates, bad = V.parse_dates(s)
        log.cells("error", bad, rows, s, col, lambda v: _("'{v}' is not a date (use YYYY-MM-DD).").format(v=v), **where)
        return Col(plan, field, dates, rows, extra)
    if field in CATEGORY_CODES:
        out, bad = V.recode(s, values.get(field), CATEGORY_CODES[field])
        if field == "group":  # any labels allowed: unknown texts are kept as written
            out = out.where(~pd.Series(bad, index=s.index), V.strip_text(s))
        else:
            allowed = _("F or M") if field == "sex" else _("CR, PR or NR")

            log.cells("error", bad, rows, s, col, lambda v: _("'{v}' is not a {field} value ({allowed}); add it to the mapping's values.").format(v=v, field=field, allowed=allowed), **where)
        return Col(plan, field, out.astype(object), rows, extra)
    return Col(plan, field, V.strip_text(s), rows, extra)  # patient_id, other text fields


def _numbers(sheet: Sheet, column: str) -> tuple[np.ndarray, np.ndarray]:
    """:func:`~core.ingest.validation.parse_numbers` of a column, or the values the file stored
    as numbers (the same doubles: their text was written to read back exactly)."""
    known = sheet.numbers.get(column)
    if known is not None:
        return known.copy(), np.zeros(len(known), dtype=bool)
    return V.parse_numbers(sheet.frame[column])


# ------------------------------------------------------------------------------- units


def apply_units(cols: list[Col], overrides: dict[str, str], log: V.IssueLog) -> None:
    """Convert each numeric column exactly once: mapping, header, page choice, heuristic."""
    by_field: dict[str, list[Col]] = {}
    for c in cols:
        f = c.plan.field
        if f in CONVERSIONS:
            by_field.setdefault(f, []).append(c)
    for field, group in by_field.items():
        guessed: list[Col] = []
        for c in group:
            unit = c.plan.unit
            if unit is None:
                o = overrides.get(c.plan.column) or overrides.get(field)
                unit = normalise_unit(o, field) if o else None
            if unit is None:
                guessed.append(c)
                continue
            if unit not in CONVERSIONS[field]:
                log.add("error", _("Column '{column}' is in {unit}, which cannot be converted to {field} in {target}.").format(column=c.plan.column, unit=display_unit(unit), field=field, target=canonical_unit(field)),
                        column=c.plan.column, sheet=c.plan.sheet)
                c.values = pd.Series(np.nan, index=c.values.index)
                continue
            c.values = pd.Series(convert(c.values.to_numpy(float), field, unit),
                                 index=c.values.index)
            c.converted_from = None if is_canonical(field, unit) else unit
        if not guessed:
            continue
        pooled = np.concatenate([c.values.to_numpy(float) for c in guessed])
        unit, ambiguous = guess_unit(field, pooled)
        names = ", ".join(f"'{c.plan.column}'" for c in guessed[:3])
        if ambiguous:
            log.add("error", _('UPCR in {names} looks like mg/g or mg/mmol (median {value}), not g/g: state the unit in the header or the mapping (the two differ by a factor of 8.8).').format(names=names, value=f"{np.nanmedian(pooled):g}"), column=guessed[0].plan.column,
                    sheet=guessed[0].plan.sheet)
            for c in guessed:
                c.extra["_skip_limits"] = True
        elif unit is not None:
            log.add("warning", _('{field} in {names} looks like {unit}: converted to {target}. Set the unit if this is wrong.').format(field=field, names=names, unit=display_unit(unit), target=canonical_unit(field)),
                    column=guessed[0].plan.column, sheet=guessed[0].plan.sheet)
            for c in guessed:
                c.values = pd.Series(convert(c.values.to_numpy(float), field, unit),
                                     index=c.values.index)
                c.converted_from = unit


def canonical_unit(field: str) -> str:
    """The canonical unit of a field, for messages."""
    return CANONICAL_UNITS.get(field, "")


def check_limits(cols: list[Col], log: V.IssueLog) -> None:
    for c in cols:
        field = c.plan.field
        if field not in V.LIMITS or c.extra.get("_skip_limits"):
            continue
        x = c.values.to_numpy(float)
        impossible, unusual = V.limit_masks(field, x)
        raw = c.extra.get("_raw", pd.Series(x, index=c.values.index))
        conv = display_unit(c.converted_from)
        log.cells("error", impossible, c.rows, raw, c.plan.column,
                  V.limit_message(field, canonical_unit(field), "error", conv), sheet=c.plan.sheet)
        log.cells("warning", unusual, c.rows, raw, c.plan.column,
                  V.limit_message(field, canonical_unit(field), "warning", conv), sheet=c.plan.sheet,
                  droppable=False)
        if impossible.any():
            c.values = c.values.where(~impossible, np.nan)


# ------------------------------------------------------------------------ cells before typing


def prepare_cells(sheet: Sheet, plans: list[ColumnPlan], limits: Limits,
                  log: V.IssueLog) -> None:
    """Error cells and not-done markers -> missing; over-long cells refused or cut.

    A cell over ``limits.max_cell_chars`` is an error in a column mapped to a field (it is
    analysed); in any other column it is cut to the limit, so exports carry the cut text.
    Each kind of change is one warning per column naming how many cells and their rows.
    """
    new = {}
    for p in plans:
        col = p.column
        s = sheet.frame[col]
        codes, uniques = pd.factorize(s, use_na_sentinel=True)  # each distinct text once
        marks = [_marker(v) for v in uniques]
        for what, says in _MARKERS:
            if what not in marks:
                continue
            hit = np.isin(codes, [k for k, m in enumerate(marks) if m == what])
            log.add("warning", _("{n} cell(s) in column '{col}' {says} ({value}); they were read as missing values.").format(n=int(hit.sum()), col=col, says=_(says), value=_where(s[hit], sheet.rows[hit])),
                    row=int(sheet.rows[hit][0]), column=col, value=s[hit].iloc[0],
                    sheet=sheet.name)
        marked = [k for k, m in enumerate(marks) if m is not None]
        if marked:
            s = new[col] = s.where(pd.Series(~np.isin(codes, marked), index=s.index), None)
        if col in sheet.long_cells:
            n, row, longest = sheet.long_cells[col]
            if p.field is not None:
                log.add("error", _("A cell holds {longest} characters; the limit is {max_cell_chars} (column '{col}' is analysed as {field}).").format(longest=f"{longest:,}", max_cell_chars=f"{limits.max_cell_chars:,}", col=col, field=p.field),
                        row=row, column=col, sheet=sheet.name)
                continue
            new[col] = s.str.slice(0, limits.max_cell_chars)
            log.add("warning", _("{n} cell(s) in column '{col}' are longer than {max_cell_chars} characters (the longest, in row {row}, has {longest}); the column is not analysed, so they are cut to {max_cell_chars} characters.").format(n=n, col=col, max_cell_chars=f"{limits.max_cell_chars:,}", row=row, longest=f"{longest:,}"), row=row, column=col,
                    sheet=sheet.name)
    if new:
        sheet.frame = sheet.frame.copy(deep=False)  # new columns, the others shared
        for col, values in new.items():
            sheet.frame[col] = values


def _marker(value: object) -> str | None:
    t = str(value).strip().lower()
    return "error" if t in ERROR_CELLS else "not done" if t in NOT_DONE else None


def _where(values: pd.Series, rows: np.ndarray, show: int = 5) -> str:
    """'#DIV/0! in row 5, #REF! in row 9, … and 3 more'"""
    parts = [_('{v} in row {r}').format(v=v, r=int(r)) for v, r in zip(values.iloc[:show], rows[:show], strict=True)]
    more = f" and {len(rows) - show} more" if len(rows) > show else ""
    return ", ".join(parts) + more
