"""The mapping step: which source column holds which canonical field, month and unit.

A mapping (data-contract §3) is ``{"columns": {header: target}, "units": {field: unit},
"values": {field: {text: label}}, "options": {...}}``. A target is a canonical field,
``month``/``visit_date``, ``ignore``, a wide time point ``<measure>_<m|w|d><number>``
(``upcr_m6``, ``cd4_w20``, ``hb_d180``) or a bare measure the user names (``cd4``, a column of
a long file); a user-named measure's unit is free text kept as its label. ``options``
(optional) holds choices remembered with the mapping (:data:`OPTION_KEYS`). Headers the
synonyms recognise need no entry. :func:`parse_mapping_json` and :func:`mapping_to_json` read and write the same form;
:func:`suggest_mapping` shows the resolved plan as an editable table and
:func:`mapping_from_table` turns the edited table back into a mapping.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass

import pandas as pd

from core.ingest.io import RawTable
from core.ingest.mapping_options import OPTION_KEYS, validate_options  # noqa: F401 (re-exported)
from core.ingest.synonyms import parse_header, to_months
from core.ingest.units import CONVERSIONS, display_unit, normalise_unit
from core.model.i18n import gettext as _
from core.model.schema import PATIENT_FIELDS, VISIT_FIELDS, is_measure_name

TIME_FIELDS: tuple[str, ...] = ("month", "visit_date")
TARGET_FIELDS: tuple[str, ...] = tuple(dict.fromkeys((*PATIENT_FIELDS, *TIME_FIELDS,
                                                      *VISIT_FIELDS)))
VISIT_ONLY: frozenset[str] = frozenset(VISIT_FIELDS) - {"patient_id"}
RECODE_FIELDS: tuple[str, ...] = ("group", "sex", "response", "isn_class", "anti_dsdna_pos",
                                  "treatment_failure")
_ALLOWED_LABELS = {"sex": {"F", "M"}, "response": {"CR", "PR", "NR"}}
IGNORE = "ignore"
TIME_UNITS: tuple[str, ...] = ("months", "weeks", "days")
_UNIT_LETTER = {"m": "months", "w": "weeks", "d": "days"}
_LETTER = {v: k for k, v in _UNIT_LETTER.items()}
_TARGET = re.compile(r"^(?P<field>[a-z][a-z0-9_]*?)_(?P<u>[mwd])(?P<n>-?\d+(?:\.\d+)?)$")
# fields holding a time (a long file's visit time, the file's own event times): their unit is
# months, weeks or days
TIMED_FIELDS: tuple[str, ...] = tuple(f for f, conv in CONVERSIONS.items()
                                      if set(conv) == set(TIME_UNITS))
MAX_UNIT_CHARS = 40
SECTIONS: tuple[str, ...] = ("columns", "units", "values", "options")

@dataclass(frozen=True)
class ColumnPlan:
    """How one source column is read (``sheet`` None for a single table).

    ``field`` is a canonical field or, with ``measure`` True, a measure the user named
    (``cd4``); ``month`` the time point in months, ``time``/``time_unit`` the same as the
    header or mapping wrote it (20, ``weeks``).
    """

    column: str
    sheet: str | None
    field: str | None
    month: float | None
    unit: str | None  # normalised unit stated by the mapping or the header (free text: measure)
    unit_source: str | None  # "mapping" or "header"
    status: str  # "matched", "unmatched", "from mapping file"
    time: float | None = None
    time_unit: str | None = None
    measure: bool = False


@dataclass(frozen=True)
class Target:
    """A mapping target read: ``field`` (canonical, ``ignore`` or a user-named measure), the
    time point in months and as written, and whether the field is a user-named measure."""

    field: str
    month: float | None = None
    time: float | None = None
    time_unit: str | None = None
    measure: bool = False


def read_target(target: str) -> Target | None:
    """``'cd4_w20'`` -> Target('cd4', 4.615…, 20.0, 'weeks', True); None when not a target."""
    t = str(target).strip()
    if t in TARGET_FIELDS or t == IGNORE:
        return Target(t)
    m = _TARGET.match(t)
    if m:
        field, unit, n = m.group("field"), _UNIT_LETTER[m.group("u")], float(m.group("n"))
        if field in VISIT_ONLY and field != "month" or is_measure_name(field):
            return Target(field, to_months(n, unit), n, unit, field not in VISIT_ONLY)
        return None
    if is_measure_name(t):
        return Target(t, measure=True)
    return None


def parse_target(target: str) -> tuple[str | None, float | None]:
    """``'upcr_m6'`` -> ``('upcr', 6.0)``; ``'cd4_w20'`` -> ``('cd4', 20 × 12 / 52)``;
    ``'age'`` -> ``('age', None)``; not a target -> ``(None, None)``."""
    got = read_target(target)
    return (None, None) if got is None else (got.field, got.month)


def format_target(field: str, time: float | None, time_unit: str | None = None) -> str:
    """``('cd4', 20, 'weeks')`` -> ``'cd4_w20'``; without a time the field itself."""
    if time is None:
        return field
    return f"{field}_{_LETTER.get(time_unit or 'months', 'm')}{format_month(time)}"


def format_month(month: float) -> str:
    """6.0 -> '6'; 5.538461538461538 -> '5.538461538461538' (round-trips exactly)."""
    return str(int(month)) if float(month).is_integer() else repr(float(month))


def parse_mapping_json(text: str | bytes) -> tuple[dict | None, str | None]:
    """``(mapping, None)`` for a valid mapping file, else ``(None, one sentence)``."""
    try:
        if isinstance(text, bytes):
            text = text.decode("utf-8-sig")
        obj = json.loads(text)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        return None, _('The mapping file is not valid JSON ({exc}).').format(exc=exc)
    return validate_mapping(obj)


def validate_mapping(obj: object) -> tuple[dict | None, str | None]:
    """Check a mapping dict (contract §3); ``(normalised copy, None)`` or ``(None, error)``."""
    if not isinstance(obj, dict):
        return None, _("The mapping file must be a JSON object with 'columns', 'units', 'values'.")
    extra = set(obj) - set(SECTIONS)
    if extra:
        return None, _("The mapping file has an unknown section '{value}'.").format(value=sorted(extra)[0])
    options, problem = validate_options(obj.get("options", {}))
    if problem:
        return None, problem
    columns, units, values = obj.get("columns", {}), obj.get("units", {}), obj.get("values", {})
    if not all(isinstance(x, dict) for x in (columns, units, values)):
        return None, _("The mapping's 'columns', 'units' and 'values' must each be an object.")
    for header, target in columns.items():
        if not isinstance(target, str) or read_target(target) is None:
            return None, (_("The mapping maps column '{header}' to '{target}', which is neither a known field (such as patient_id, upcr or upcr_m6) nor a measure name (lower-case letters, digits and _, such as cd4 or cd4_w20).").format(header=header, target=target))
    for fld, unit in units.items():
        if fld not in CONVERSIONS and is_measure_name(fld):
            if not isinstance(unit, str) or not unit.strip() or len(unit) > MAX_UNIT_CHARS:
                return None, (_("The mapping gives the unit of {fld} as '{unit}': write it as text of at most {max_unit_chars} characters (such as cells/µL).").format(fld=fld, unit=unit, max_unit_chars=MAX_UNIT_CHARS))
            continue
        if fld not in CONVERSIONS:
            return None, _("The mapping gives a unit for '{fld}', which is not a numeric field.").format(fld=fld)
        if not isinstance(unit, str) or normalise_unit(unit, fld) is None:
            return None, (_("The mapping gives the unit '{unit}' for {fld}, which is not a known unit for it (known: {value}).").format(unit=unit, fld=fld, value=', '.join(CONVERSIONS[fld])))
    for fld, recode in values.items():
        if fld not in RECODE_FIELDS:
            return None, _("The mapping recodes values of '{fld}', which is not a category field.").format(fld=fld)
        if not isinstance(recode, dict):
            return None, _("The mapping's values for '{fld}' must be an object.").format(fld=fld)
        allowed = _ALLOWED_LABELS.get(fld)
        for src, dst in recode.items():
            if allowed and dst not in allowed:
                return None, (_("The mapping recodes '{src}' to '{dst}', which is not a {fld} label ({value}).").format(src=src, dst=dst, fld=fld, value=', '.join(sorted(allowed))))
            if not isinstance(dst, str | bool):
                return None, _("The mapping recodes '{src}' to a non-text value.").format(src=src)
    out = {"columns": dict(columns), "units": dict(units), "values": dict(values)}
    if options:
        out["options"] = options
    return out, None


def mapping_to_json(mapping: dict) -> str:
    """The mapping as the JSON text :func:`parse_mapping_json` reads back (UTF-8, indented);
    ``options`` only when there are any."""
    full = {k: mapping.get(k, {}) for k in ("columns", "units", "values")}
    if mapping.get("options"):
        full["options"] = mapping["options"]
    return json.dumps(full, ensure_ascii=False, indent=2)


def with_group_order(mapping: dict | None, order: list[str] | tuple[str, ...]) -> dict:
    """The mapping with its ``values.group`` entries in the display ``order`` of the group
    labels (after recoding; the first is the default reference, contract §3): recodes are
    kept, sorted by their label's place; a label no entry produces gets an identity entry."""
    out = dict(mapping or {})
    values = dict(out.get("values", {}))
    recode = dict(values.get("group", {}))
    rank = {str(g): i for i, g in enumerate(order)}
    produced = {str(v) for v in recode.values()}
    for g in order:
        if str(g) not in produced and str(g) not in recode:
            recode[str(g)] = str(g)
    values["group"] = dict(sorted(recode.items(), key=lambda kv: rank.get(str(kv[1]), len(rank))))
    out["values"] = values
    return out


def plan_columns(raw: RawTable, mapping: dict | None = None) -> list[ColumnPlan]:
    """Resolve every source column: mapping entry first, then the header synonyms."""
    mapping = mapping or {}
    columns = mapping.get("columns", {})
    units = mapping.get("units", {})
    plans = []
    for sheet in raw.sheets:
        for col in sheet.frame.columns:
            info = parse_header(col)
            field, month, status, measure = info.field, info.month, "matched", False
            time, time_unit = info.time, info.time_unit
            if col in columns:
                target = read_target(columns[col]) or Target(IGNORE)
                field, measure = target.field, target.measure
                if target.month is not None:
                    month, time, time_unit = target.month, target.time, target.time_unit
                status = "from mapping file"
            if field == IGNORE:
                field, month = None, None
            elif field is None:
                status = "unmatched"
            if field is not None and field not in VISIT_ONLY and field != "month" \
                    and not measure:
                month = None
            if month is None:
                time, time_unit = None, None
            unit, source = None, None
            if measure:
                if isinstance(units.get(field), str) and units[field].strip():
                    unit, source = units[field].strip(), "mapping"
            elif field is not None and field in units:
                unit, source = normalise_unit(units[field], field), "mapping"
            elif field is not None and info.unit is not None:
                unit, source = normalise_unit(info.unit, field) or info.unit, "header"
            plans.append(ColumnPlan(col, sheet.name, field, month, unit, source, status,
                                    time, time_unit, measure))
    return plans


TABLE_COLUMNS = ["column", "field", "time", "time_unit", "unit", "status", "sheet"]


def suggest_mapping(raw: RawTable, mapping: dict | None = None) -> pd.DataFrame:
    """One row per source column: ``column``, ``field``, ``time``, ``time_unit``, ``unit``,
    ``status``, ``sheet``.

    ``field`` is the canonical field, a measure the user named, ``'ignore'`` (a column the
    mapping drops) or None; ``time`` the time point of a wide column as the header or the
    mapping wrote it and ``time_unit`` its unit (months, weeks, days; for a time field such
    as ``month`` or ``ttr_months`` the unit its values are in); ``unit`` the unit the column
    arrives in (None when not stated; a user-named measure's unit text); ``status``
    'matched', 'unmatched' or 'from mapping file'; ``sheet`` the workbook sheet.
    """
    rows = []
    for p in plan_columns(raw, mapping):
        unit, time_unit = display_unit(p.unit), p.time_unit
        if p.field in TIMED_FIELDS and p.month is None:  # a time column: its unit is a time unit
            time_unit, unit = p.unit, None
        rows.append({"column": p.column,
                     "field": IGNORE if p.field is None and p.status == "from mapping file"
                     else p.field,
                     "time": p.time, "time_unit": time_unit, "unit": unit,
                     "status": p.status, "sheet": p.sheet})
    df = pd.DataFrame(rows, columns=TABLE_COLUMNS)
    return df.astype(object).where(df.notna(), None)


def _blank(v: object) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v)) or str(v).strip() == ""


def measure_key(text: str) -> str:
    """What the user typed as a field, as a target name: 'CD4 count' -> 'cd4_count'."""
    t = str(text).strip()
    if t in TARGET_FIELDS or t == IGNORE:
        return t
    return re.sub(r"[\s\-]+", "_", t.lower())


def check_row(rec: dict) -> str | None:
    """Why one row of the mapping table cannot be used (one sentence), or None."""
    if _blank(rec.get("field")):
        return None
    field = measure_key(rec["field"])
    time, unit = _row_time(rec)
    if field == IGNORE:
        return None
    if field not in TARGET_FIELDS and not is_measure_name(field):
        return (_("'{field}' is neither a field nor a measure name (letters, digits and _, starting with a letter, not ending like _w20).").format(field=rec['field']))
    if time is not None:
        if isinstance(time, str):
            return _("'{time}' is not a time point: enter a number.").format(time=time)
        if field not in VISIT_ONLY and not is_measure_name(field):
            return (_('{field} has no time points: clear the time, or type a measure name (lower-case letters, digits and _).').format(field=field))
        return None
    if field in TIMED_FIELDS and unit is not None and unit not in TIME_UNITS:
        return _('The time unit of {field} must be months, weeks or days.').format(field=field)
    return None


def _row_time(rec: dict) -> tuple[float | str | None, str | None]:
    """The row's time point (a number, or the text that is not one) and its unit."""
    time = rec.get("time")
    if _blank(time) and not _blank(rec.get("month")):  # the older table's month column
        time = rec.get("month")
    unit = None if _blank(rec.get("time_unit")) else str(rec["time_unit"]).strip().lower()
    if _blank(time):
        return None, unit
    try:
        return float(time), unit
    except (TypeError, ValueError):
        return str(time), unit


def mapping_from_table(df: pd.DataFrame, values: dict | None = None,
                       options: dict | None = None) -> dict:
    """The mapping dict (contract §3) for an edited :func:`suggest_mapping` table.

    Rows with an empty field are left out (the column passes through unchanged), and so are
    rows :func:`check_row` refuses (the page shows why); a typed name becomes a lower-case
    measure name; ``values`` (recodes) and ``options`` are carried over as given.
    """
    columns: dict[str, str] = {}
    units: dict[str, str] = {}
    for rec in df.to_dict("records"):
        if _blank(rec.get("field")) or check_row(rec) is not None:
            continue
        field = measure_key(rec["field"])
        if field == IGNORE:
            columns[str(rec["column"])] = IGNORE
            continue
        time, time_unit = _row_time(rec)
        time_unit = time_unit if time_unit in TIME_UNITS else "months"
        columns[str(rec["column"])] = format_target(field, time, time_unit)
        if field in TIMED_FIELDS and time is None:
            unit = rec.get("time_unit") if not _blank(rec.get("time_unit")) else rec.get("unit")
        else:
            unit = rec.get("unit")
        if not _blank(unit) and field not in units:
            units[field] = str(unit).strip()
    out = {"columns": columns, "units": units, "values": dict(values or {})}
    if options:
        out["options"] = dict(options)
    return out


def restatus(table: pd.DataFrame, before: pd.DataFrame) -> pd.DataFrame:
    """The edited mapping table with the status of each changed row brought up to date:
    'matched' once the row can be used, 'unmatched' with no field, else why not."""
    out = table.copy()
    old = before.set_index(["sheet", "column"] if "sheet" in before else ["column"])
    for i, rec in out.iterrows():
        key = (rec.get("sheet"), rec["column"]) if "sheet" in before else rec["column"]
        prev = old.loc[key] if key in old.index else None
        edited = prev is None or any(
            not (_blank(rec.get(c)) and _blank(prev.get(c))) and str(rec.get(c)) != str(prev.get(c))
            for c in ("field", "time", "time_unit", "unit"))
        if not edited:
            continue
        problem = check_row(rec.to_dict())
        out.at[i, "status"] = ("unmatched" if _blank(rec.get("field")) else
                               problem if problem else "matched")
    return out
