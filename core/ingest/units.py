"""Units of the canonical fields, their conversions, the range heuristic and CKD-EPI 2021.

Conversions are plain float arithmetic (``x / 113.12``), applied exactly once per column,
so a wide file in mg/mmol decodes to the same doubles as the long file in g/g
(data-contract §2; validation README "Units").
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable

import numpy as np

from core.model.kidney import ckd_epi_2021  # noqa: F401 - re-exported for the loader

# Canonical unit of each numeric field (the spelling used in mapping files).
CANONICAL_UNITS: dict[str, str] = {
    "upcr": "g/g",
    "proteinuria_24h": "g/day",
    "creatinine": "mg/dL",
    "egfr": "mL/min/1.73m2",
    "albumin": "g/dL",
    "anti_dsdna": "IU/mL",
    "c3": "mg/dL",
    "c4": "mg/dL",
    "sledai": "score",
    "steroid_mg": "mg/day",
    "steroid_pulse_mg": "mg",
    "urine_rbc": "/HPF",
    "age": "years",
    "month": "months",
    "ttr_months": "months",
    "death_month": "months",
    "eskd_month": "months",
    "discontinued_month": "months",
    "dialysis_month": "months",
    "transplant_month": "months",
    "steroid_pulse_days": "days",
}

# Prednisolone equivalents (clinical-rules §4): the "unit" of a steroid column is its drug.
STEROID_FACTORS: dict[str, float] = {
    "prednisolone": 1.0,
    "prednisone": 1.0,
    "methylprednisolone": 1.25,
    "triamcinolone": 1.25,
    "dexamethasone": 6.67,
    "hydrocortisone": 0.25,
    "deflazacort": 0.833,
}


def _div(k: float) -> Callable[[np.ndarray], np.ndarray]:
    return lambda x: x / k


def _mul(k: float) -> Callable[[np.ndarray], np.ndarray]:
    return lambda x: x * k


def _same(x: np.ndarray) -> np.ndarray:
    return x


# field -> normalised unit -> conversion to the canonical unit.
CONVERSIONS: dict[str, dict[str, Callable[[np.ndarray], np.ndarray]]] = {
    "upcr": {"g/g": _same, "mg/mg": _same, "mg/mmol": _div(113.12), "mg/g": _div(1000.0)},
    "proteinuria_24h": {"g/day": _same, "mg/day": _div(1000.0)},
    "creatinine": {"mg/dl": _same, "umol/l": _div(88.42)},
    "egfr": {"ml/min/1.73m2": _same},
    "albumin": {"g/dl": _same, "g/l": _div(10.0)},
    "anti_dsdna": {"iu/ml": _same, "u/ml": _same},
    "c3": {"mg/dl": _same, "g/l": _mul(100.0)},
    "c4": {"mg/dl": _same, "g/l": _mul(100.0)},
    "sledai": {"score": _same},
    "steroid_mg": {"mg/day": _same, "mg": _same}
    | {d: (_same if k == 1.0 else _mul(k)) for d, k in STEROID_FACTORS.items()},
    "steroid_pulse_mg": {"mg": _same, "mg/day": _same}
    | {d: (_same if k == 1.0 else _mul(k)) for d, k in STEROID_FACTORS.items()},
    "urine_rbc": {"/hpf": _same},
    "age": {"years": _same},
    "month": {"months": _same, "weeks": lambda x: x * 12 / 52, "days": _div(30.4375)},
    "ttr_months": {"months": _same, "weeks": lambda x: x * 12 / 52, "days": _div(30.4375)},
    # long-term outcomes: event times in months since therapy start, pulse days as counts
    **{
        f: {"months": _same, "weeks": lambda x: x * 12 / 52, "days": _div(30.4375)}
        for f in ("death_month", "dialysis_month", "transplant_month")
    },
    "steroid_pulse_days": {"days": _same},
}
# competing-event times convert as ttr_months
for _f in ("death_month", "eskd_month", "discontinued_month"):
    CONVERSIONS[_f] = CONVERSIONS["ttr_months"]

# Spellings seen in headers, normalised by _unit_key, mapped to the unit names above.
_UNIT_ALIASES: dict[str, str] = {
    "g/g": "g/g", "mg/mg": "mg/mg", "mg/mmol": "mg/mmol", "mg/g": "mg/g",
    "mg/gcr": "mg/g", "g/gcr": "g/g", "mg/mmolcr": "mg/mmol",
    "g/day": "g/day", "g/d": "g/day", "g/24h": "g/day", "g/24hr": "g/day", "g/일": "g/day",
    "mg/day": "mg/day", "mg/d": "mg/day", "mg/24h": "mg/day", "mg/24hr": "mg/day",
    "mg/일": "mg/day", "mg": "mg",
    "mg/dl": "mg/dl", "umol/l": "umol/l", "µmol/l": "umol/l", "μmol/l": "umol/l",
    "micromol/l": "umol/l", "mmol/l": "mmol/l",
    "g/dl": "g/dl", "g/l": "g/l",
    "iu/ml": "iu/ml", "u/ml": "u/ml", "ku/l": "u/ml",
    "ml/min/1.73m2": "ml/min/1.73m2", "ml/min/1.73m²": "ml/min/1.73m2",
    "ml/min": "ml/min/1.73m2",
    "/hpf": "/hpf", "hpf": "/hpf", "cells/hpf": "/hpf", "/hp": "/hpf",
    "years": "years", "year": "years", "yrs": "years", "yr": "years", "y": "years",
    "세": "years", "년": "years", "score": "score",
    "months": "months", "month": "months", "mo": "months", "개월": "months",
    "weeks": "weeks", "week": "weeks", "wk": "weeks", "wks": "weeks", "주": "weeks",
    "days": "days", "day": "days", "일": "days",
}


def _unit_key(text: str) -> str:
    s = unicodedata.normalize("NFKC", str(text)).strip().lower()
    s = s.replace("μ", "u").replace("µ", "u")
    return re.sub(r"\s+", "", s)


def normalise_unit(text: str | None, field: str | None = None) -> str | None:
    """The unit name of ``text`` ('µmol/L' -> 'umol/l'), or None when not a unit.

    With ``field`` the unit must also be one the field can be converted from.
    """
    if text is None:
        return None
    key = _unit_key(text)
    unit = _UNIT_ALIASES.get(key) or _UNIT_ALIASES.get(key.replace("µ", "u"))
    if unit is None and key in STEROID_FACTORS:
        unit = key
    if unit is None:
        return None
    if field is None:
        return unit
    return unit if unit in CONVERSIONS.get(field, {}) else None


def is_unit_text(text: str) -> bool:
    """True when ``text`` is a unit spelling we know (used to split headers)."""
    key = _unit_key(text)
    return key in _UNIT_ALIASES and key not in ("y", "일", "주", "mo")


_DISPLAY: dict[str, str] = {
    "mg/dl": "mg/dL", "umol/l": "µmol/L", "g/l": "g/L", "g/dl": "g/dL", "iu/ml": "IU/mL",
    "u/ml": "U/mL", "/hpf": "/HPF", "ml/min/1.73m2": "mL/min/1.73m²", "mmol/l": "mmol/L",
}


def display_unit(unit: str | None) -> str | None:
    """The usual spelling of a unit name ('umol/l' -> 'µmol/L')."""
    return None if unit is None else _DISPLAY.get(unit, unit)


def known_units(field: str) -> list[str]:
    """Unit names accepted for ``field`` (mapping files, the page's unit picker)."""
    return sorted(CONVERSIONS.get(field, {}))


def is_canonical(field: str, unit: str | None) -> bool:
    """True when converting ``field`` from ``unit`` would leave the numbers unchanged."""
    if unit is None:
        return True
    conv = CONVERSIONS.get(field, {}).get(unit)
    return conv is _same


def convert(values: np.ndarray, field: str, unit: str | None) -> np.ndarray:
    """``values`` in ``unit`` converted to the canonical unit of ``field`` (float64)."""
    x = np.asarray(values, dtype=float)
    if unit is None:
        return x
    conv = CONVERSIONS.get(field, {}).get(unit)
    if conv is None:
        raise ValueError(f"Cannot convert {field} from {unit!r}.")
    return conv(x)


def guess_unit(field: str, values: np.ndarray) -> tuple[str | None, bool]:
    """Range heuristic of clinical-rules §4 for a column with no stated unit.

    Returns ``(unit, ambiguous)``: ``unit`` is the unit the whole column appears to be in
    (None: canonical); ``ambiguous`` is True for UPCR that looks like mg/g or mg/mmol,
    which differ by a factor of 8.8, so the user must say which.
    """
    x = np.asarray(values, dtype=float)
    x = x[np.isfinite(x)]
    if x.size == 0:
        return None, False
    lo, hi, med = float(x.min()), float(x.max()), float(np.median(x))
    if field == "upcr" and med > 30:
        return None, True
    if field == "proteinuria_24h" and med > 30:
        return "mg/day", False
    if field == "albumin" and lo >= 10 and hi <= 60:
        return "g/l", False
    if field == "creatinine" and lo >= 20 and hi <= 1500:
        return "umol/l", False
    if field in ("c3", "c4") and hi <= (5.0 if field == "c3" else 1.0) and hi > 0:
        return "g/l", False
    return None, False
