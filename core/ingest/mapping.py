"""The mapping step: which source column holds which canonical field, month and unit.

A mapping (data-contract §3) is ``{"columns": {header: field or field_m<month>}, "units":
{field: unit}, "values": {field: {text: label}}, "options": {...}}`` (``options`` optional:
choices remembered with the mapping, :data:`OPTION_KEYS`). Headers the synonyms recognise need no
entry. :func:`parse_mapping_json` and :func:`mapping_to_json` read and write the same form;
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
from core.ingest.synonyms import parse_header
from core.ingest.units import CONVERSIONS, display_unit, normalise_unit
from core.model.schema import PATIENT_FIELDS, VISIT_FIELDS

TIME_FIELDS: tuple[str, ...] = ("month", "visit_date")
TARGET_FIELDS: tuple[str, ...] = tuple(dict.fromkeys((*PATIENT_FIELDS, *TIME_FIELDS,
                                                      *VISIT_FIELDS)))
VISIT_ONLY: frozenset[str] = frozenset(VISIT_FIELDS) - {"patient_id"}
RECODE_FIELDS: tuple[str, ...] = ("group", "sex", "response", "isn_class", "anti_dsdna_pos",
                                  "treatment_failure")
_ALLOWED_LABELS = {"sex": {"F", "M"}, "response": {"CR", "PR", "NR"}}
IGNORE = "ignore"
_TARGET = re.compile(r"^(?P<field>[a-z0-9_]+?)_m(?P<month>-?\d+(?:\.\d+)?)$")
SECTIONS: tuple[str, ...] = ("columns", "units", "values", "options")
# options (contract §3): choices remembered with the mapping; each key -> what it holds
OPTION_KEYS: dict[str, str] = {
    "drop_invalid": "true or false",
    "anti_dsdna_cutoff": 'an object such as {"value": 15, "unit": "IU/mL"}',
    "event_name": "a text such as \"death\"",
    "baseline_include": "a list of column or measure names",
    "baseline_exclude": "a list of column or measure names",
}


@dataclass(frozen=True)
class ColumnPlan:
    """How one source column is read (``sheet`` None for a single table)."""

    column: str
    sheet: str | None
    field: str | None
    month: float | None
    unit: str | None  # normalised unit stated by the mapping or the header
    unit_source: str | None  # "mapping" or "header"
    status: str  # "matched", "unmatched", "from mapping file"


def parse_target(target: str) -> tuple[str | None, float | None]:
    """``'upcr_m6'`` -> ``('upcr', 6.0)``; ``'age'`` -> ``('age', None)``; unknown -> None."""
    t = str(target).strip()
    if t in TARGET_FIELDS or t == IGNORE:
        return t, None
    m = _TARGET.match(t)
    if m and m.group("field") in VISIT_ONLY:
        return m.group("field"), float(m.group("month"))
    return None, None


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
        return None, f"The mapping file is not valid JSON ({exc})."
    return validate_mapping(obj)


def validate_mapping(obj: object) -> tuple[dict | None, str | None]:
    """Check a mapping dict (contract §3); ``(normalised copy, None)`` or ``(None, error)``."""
    if not isinstance(obj, dict):
        return None, "The mapping file must be a JSON object with 'columns', 'units', 'values'."
    extra = set(obj) - set(SECTIONS)
    if extra:
        return None, f"The mapping file has an unknown section '{sorted(extra)[0]}'."
    options, problem = validate_options(obj.get("options", {}))
    if problem:
        return None, problem
    columns, units, values = obj.get("columns", {}), obj.get("units", {}), obj.get("values", {})
    if not all(isinstance(x, dict) for x in (columns, units, values)):
        return None, "The mapping's 'columns', 'units' and 'values' must each be an object."
    for header, target in columns.items():
        if not isinstance(target, str) or parse_target(target)[0] is None:
            return None, (f"The mapping maps column '{header}' to '{target}', which is not a "
                          "known field (such as patient_id, upcr or upcr_m6).")
    for fld, unit in units.items():
        if fld not in CONVERSIONS:
            return None, f"The mapping gives a unit for '{fld}', which is not a numeric field."
        if not isinstance(unit, str) or normalise_unit(unit, fld) is None:
            return None, (f"The mapping gives the unit '{unit}' for {fld}, which is not a known "
                          f"unit for it (known: {', '.join(CONVERSIONS[fld])}).")
    for fld, recode in values.items():
        if fld not in RECODE_FIELDS:
            return None, f"The mapping recodes values of '{fld}', which is not a category field."
        if not isinstance(recode, dict):
            return None, f"The mapping's values for '{fld}' must be an object."
        allowed = _ALLOWED_LABELS.get(fld)
        for src, dst in recode.items():
            if allowed and dst not in allowed:
                return None, (f"The mapping recodes '{src}' to '{dst}', which is not a "
                              f"{fld} label ({', '.join(sorted(allowed))}).")
            if not isinstance(dst, str | bool):
                return None, f"The mapping recodes '{src}' to a non-text value."
    out = {"columns": dict(columns), "units": dict(units), "values": dict(values)}
    if options:
        out["options"] = options
    return out, None


def _names(value: object) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) and v.strip() for v in value)


def validate_options(obj: object) -> tuple[dict, str | None]:
    """Check the mapping's ``options`` section (contract §3): ``(normalised copy, None)`` or
    ``({}, one sentence)``. Unknown keys are refused."""
    if not isinstance(obj, dict):
        return {}, "The mapping's 'options' must be an object."
    unknown = sorted(set(obj) - set(OPTION_KEYS))
    if unknown:
        return {}, (f"The mapping has an unknown option '{unknown[0]}' (known: "
                    f"{', '.join(OPTION_KEYS)}).")
    out: dict = {}
    for key, value in obj.items():
        bad = f"The mapping's option '{key}' must be {OPTION_KEYS[key]}."
        if key == "drop_invalid":
            if not isinstance(value, bool):
                return {}, bad
            out[key] = value
        elif key == "event_name":
            if not isinstance(value, str) or not value.strip():
                return {}, bad
            out[key] = value.strip()
        elif key in ("baseline_include", "baseline_exclude"):
            if not _names(value):
                return {}, bad
            out[key] = list(dict.fromkeys(v.strip() for v in value))
        elif key == "anti_dsdna_cutoff":
            number = value.get("value") if isinstance(value, dict) else None
            unit = value.get("unit", "IU/mL") if isinstance(value, dict) else None
            if (not isinstance(value, dict) or set(value) - {"value", "unit"}
                    or isinstance(number, bool) or not isinstance(number, int | float)
                    or not math.isfinite(number) or number <= 0):
                return {}, ("The mapping's option 'anti_dsdna_cutoff' must be an object with a "
                            'titre above 0 and its unit, such as {"value": 15, "unit": "IU/mL"}.')
            if not isinstance(unit, str) or normalise_unit(unit, "anti_dsdna") is None:
                return {}, (f"The mapping's anti-dsDNA cutoff unit '{unit}' is not a unit of "
                            f"anti-dsDNA titres (known: IU/mL, U/mL).")
            out[key] = {"value": float(number), "unit": display_unit(
                normalise_unit(unit, "anti_dsdna"))}
    both = set(out.get("baseline_include", ())) & set(out.get("baseline_exclude", ()))
    if both:
        return {}, (f"The mapping both includes and excludes '{sorted(both)[0]}' in the "
                    "baseline table.")
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
            field, month, status = info.field, info.month, "matched"
            if col in columns:
                field, target_month = parse_target(columns[col])
                month = target_month if target_month is not None else info.month
                status = "from mapping file"
            if field == IGNORE:
                field, month = None, None
            elif field is None:
                status = "unmatched"
            if field is not None and field not in VISIT_ONLY and field != "month":
                month = None
            unit, source = None, None
            if field is not None and field in units:
                unit, source = normalise_unit(units[field], field), "mapping"
            elif field is not None and info.unit is not None:
                unit, source = normalise_unit(info.unit, field) or info.unit, "header"
            plans.append(ColumnPlan(col, sheet.name, field, month, unit, source, status))
    return plans


def suggest_mapping(raw: RawTable, mapping: dict | None = None) -> pd.DataFrame:
    """One row per source column: ``column``, ``field``, ``month``, ``unit``, ``status``.

    ``field`` is the canonical field, ``'ignore'`` (a column the mapping drops) or None,
    ``month`` a float or None, ``unit`` the unit
    the column arrives in (None when not stated), ``status`` 'matched', 'unmatched' or
    'from mapping file'. An extra ``sheet`` column names the workbook sheet.
    """
    rows = [{"column": p.column,
             "field": IGNORE if p.field is None and p.status == "from mapping file" else p.field,
             "month": p.month, "unit": display_unit(p.unit), "status": p.status,
             "sheet": p.sheet}
            for p in plan_columns(raw, mapping)]
    df = pd.DataFrame(rows, columns=["column", "field", "month", "unit", "status", "sheet"])
    return df.astype(object).where(df.notna(), None)


def _blank(v: object) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v)) or str(v).strip() == ""


def mapping_from_table(df: pd.DataFrame, values: dict | None = None,
                       options: dict | None = None) -> dict:
    """The mapping dict (contract §3) for an edited :func:`suggest_mapping` table.

    Rows with an empty field are left out (the column passes through unchanged); ``values``
    (recodes) and ``options`` are carried over as given.
    """
    columns: dict[str, str] = {}
    units: dict[str, str] = {}
    for rec in df.to_dict("records"):
        if _blank(rec.get("field")):
            continue
        field, month = str(rec["field"]).strip(), rec.get("month")
        if field == IGNORE:
            columns[str(rec["column"])] = IGNORE
            continue
        month = None if _blank(month) else float(month)
        columns[str(rec["column"])] = field if month is None else f"{field}_m{format_month(month)}"
        if not _blank(rec.get("unit")) and field not in units:
            units[field] = str(rec["unit"]).strip()
    out = {"columns": columns, "units": units, "values": dict(values or {})}
    if options:
        out["options"] = dict(options)
    return out
