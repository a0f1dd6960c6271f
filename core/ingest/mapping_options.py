"""The mapping file's ``options`` section (data-contract §3): choices remembered with a
mapping, each key checked with a sentence a clinician understands."""

from __future__ import annotations

import math

from core.ingest.units import display_unit, normalise_unit

# options (contract §3): choices remembered with the mapping; each key -> what it holds
OPTION_KEYS: dict[str, str] = {
    "drop_invalid": "true or false",
    "anti_dsdna_cutoff": 'an object such as {"value": 15, "unit": "IU/mL"}',
    "event_name": "a text such as \"death\"",
    "baseline_include": "a list of column or measure names",
    "baseline_exclude": "a list of column or measure names",
}


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
