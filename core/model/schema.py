"""The canonical cohort of data-contract §2 and the validation report of §2/§7.

Every loader produces a :class:`Cohort`; every analysis consumes one. Problems a user can
cause are :class:`Issue` rows in a :class:`ValidationReport`, never exceptions.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

import pandas as pd

from core.model.i18n import N_, gettext
from core.model.vocabulary import group_order

# Long-term outcomes (core/analyses/kidney_outcomes.py, steroid_exposure.py), all optional.
# Patient level: ``death`` (1/0, yes/no), ``death_month``, ``dialysis_month`` (start of chronic
# dialysis) and ``transplant_month`` (kidney transplant), months since therapy start.
# Visit level: ``steroid_pulse_days``, the number of IV pulse days of ``steroid_pulse_mg``
# (mg per pulse day) at that visit; without it pulses are counted, never added to doses.
LONG_TERM_PATIENT_FIELDS: tuple[str, ...] = (
    "death",
    "death_month",
    "dialysis_month",
    "transplant_month",
)
LONG_TERM_VISIT_FIELDS: tuple[str, ...] = ("steroid_pulse_days",)

# Patient-level canonical fields (one row per patient). Other columns pass through.
PATIENT_FIELDS: tuple[str, ...] = (
    "patient_id",
    "group",
    "isn_class",
    "isn_class_detail",
    "sex",
    "age",
    "start_date",
    "ttr_months",
    "ttr_event",
    *LONG_TERM_PATIENT_FIELDS,
    # --- LN response extensions (issue 13): BLISS-LN reference eGFR -----------------
    # prior_egfr: eGFR before the flare (mL/min/1.73 m²), the BLISS-LN reference; when
    # missing, the month-0 eGFR is the reference.
    "prior_egfr",
)

# --- Competing events (optional patient fields; issue 14) -------------------------------
# An event after which a response can no longer happen (or no longer counts): months since
# the start of therapy, empty = did not happen. ``ttr_status`` is the alternative form of a
# status column with codes next to ``ttr_months``: 0 censored, 1 response, 2 competing
# event. core.analyses.competing_risks turns them into (time, status) per patient.
COMPETING_MONTH_FIELDS: tuple[str, ...] = ("death_month", "eskd_month", "discontinued_month")
COMPETING_FIELDS: tuple[str, ...] = (*COMPETING_MONTH_FIELDS, "ttr_status")
COMPETING_LABELS: dict[str, str] = {
    "death_month": "death",
    "eskd_month": "ESKD",
    "discontinued_month": "treatment discontinuation",
    "ttr_status": "competing event",
}
PATIENT_FIELDS = tuple(dict.fromkeys((*PATIENT_FIELDS, *COMPETING_FIELDS)))  # death_month: both
# --- end of competing events -------------------------------------------------------------

# Numeric visit-level labs, in canonical units (see UNITS).
VISIT_LABS: tuple[str, ...] = (
    "upcr",
    "proteinuria_24h",
    "creatinine",
    "egfr",
    "albumin",
    "anti_dsdna",
    "c3",
    "c4",
    "sledai",
    "steroid_mg",
    "steroid_pulse_mg",
    "urine_rbc",
)

VISIT_FIELDS: tuple[str, ...] = (
    "patient_id",
    "month",
    *VISIT_LABS,
    "anti_dsdna_censored",
    "anti_dsdna_pos",
    "response",
    *LONG_TERM_VISIT_FIELDS,
    # --- LN response extensions (issue 13): treatment failure / rescue therapy -------
    # treatment_failure: visit-level yes/no, the visit at which treatment failure or
    # rescue therapy was recorded; it holds from that visit on (BLISS-LN rule set).
    "treatment_failure",
)

# Labs analysed as paired changes by default, in the order of the R reference tables.
PAIRED_MEASURES: tuple[str, ...] = (
    "upcr",
    "creatinine",
    "egfr",
    "albumin",
    "anti_dsdna",
    "c3",
    "c4",
    "sledai",
    "steroid_mg",
)

# Canonical unit of each numeric field, for axis titles and tables.
UNITS: dict[str, str] = {
    "age": "years",
    "month": "months",
    "upcr": "g/g",
    "proteinuria_24h": "g/day",
    "creatinine": "mg/dL",
    "egfr": "mL/min/1.73 m²",
    "albumin": "g/dL",
    "anti_dsdna": "IU/mL",
    "c3": "mg/dL",
    "c4": "mg/dL",
    "sledai": "SLEDAI-2K",
    "steroid_mg": "mg/day",
    "steroid_pulse_mg": "mg/pulse",
    "steroid_pulse_days": "days",
    "death_month": "months",
    "dialysis_month": "months",
    "transplant_month": "months",
    "urine_rbc": "/HPF",
    "prior_egfr": "mL/min/1.73 m²",
}

# Human labels for charts and tables.
LABELS: dict[str, str] = {
    "upcr": "UPCR",
    "proteinuria_24h": "24-h proteinuria",
    "creatinine": "Creatinine",
    "egfr": "eGFR",
    "albumin": "Serum albumin",
    "anti_dsdna": "Anti-dsDNA",
    "c3": "C3",
    "c4": "C4",
    "sledai": "SLEDAI-2K",
    "steroid_mg": "Prednisolone dose",
    "steroid_pulse_mg": "Steroid pulse",
    "steroid_pulse_days": "Pulse days",
    "death": "Death",
    "death_month": "Month of death",
    "dialysis_month": "Month dialysis started",
    "transplant_month": "Month of kidney transplant",
    "urine_rbc": "Urine RBC",
    "age": "Age",
    "sex": "Sex",
    "isn_class": "ISN/RPS class",
    "group": "Group",
    "prior_egfr": "Pre-flare eGFR",
    "treatment_failure": "Treatment failure",
}

# --- Measures the user names (data-contract §3): any other numeric visit column ------------
# A user-named measure (``cd4``, ``hemoglobin``) is lower-case [a-z][a-z0-9_]*, not a
# canonical field, not a time field and not ending in a time suffix (``_w20``); its unit is
# free text kept as its label (``cells/µL``), never converted.
_MEASURE_NAME = re.compile(r"[a-z][a-z0-9_]*")
_TIME_SUFFIX = re.compile(r"_[mwd]-?\d+(?:\.\d+)?$")
RESERVED_NAMES: frozenset[str] = frozenset({
    "month", "week", "day", "visit_date", "ignore", "measure", "landmark", "visit_month",
    "value", "time", "event", "status", "n", "all", "anti_dsdna_censored", "isn_class_detail",
})


def is_measure_name(name: object) -> bool:
    """True for a name a user may give a new measure (``cd4``, ``platelets``)."""
    t = str(name)
    return (bool(_MEASURE_NAME.fullmatch(t)) and t not in RESERVED_NAMES
            and t not in PATIENT_FIELDS and t not in VISIT_FIELDS
            and not _TIME_SUFFIX.search(t) and len(t) <= 40)


def measure_label(name: str) -> str:
    """A user-named measure as a clinician reads it: 'cd4' -> 'CD4', 'cd8_count' -> 'CD8
    count', 'platelets' -> 'Platelets' (short words and words with digits in capitals)."""
    words = [w for w in str(name).split("_") if w]
    out = [w.upper() if len(w) <= 3 or any(ch.isdigit() for ch in w) else w for w in words]
    if out and out[0].islower():
        out[0] = out[0][:1].upper() + out[0][1:]
    return " ".join(out) or str(name)


RESPONSE_STATES: tuple[str, ...] = ("CR", "PR", "NR")
ISN_CLASSES: tuple[str, ...] = ("I", "II", "III", "IV", "V", "VI", "III+V", "IV+V")
DEFAULT_GROUPS: tuple[str, ...] = ("refractory", "relapse")


# Units written as words (translated where shown); symbols (g/g, mg/dL) read the same.
UNIT_WORDS = frozenset({N_("years"), N_("months"), N_("days"), N_("mg/day")})


def label_of(name: str, units: Mapping[str, str] | None = None) -> str:
    """'UPCR' for a canonical field (in the current language); 'CD4' for a measure the user
    named (``units`` holds its unit text, e.g. from :func:`measure_units`); the name itself
    for anything else."""
    if name in LABELS:
        return gettext(LABELS[name])
    if units and name in units and is_measure_name(name):
        return measure_label(name)
    return name


def unit_of(name: str, units: Mapping[str, str] | None = None) -> str | None:
    """The display unit: the canonical one (words translated), or the unit text a user-named
    measure was given."""
    if name in UNITS:
        unit = UNITS[name]
        return gettext(unit) if unit in UNIT_WORDS else unit
    return (units or {}).get(name) if is_measure_name(name) else None


def label_with_unit(name: str, units: Mapping[str, str] | None = None) -> str:
    """'UPCR (g/g)' for a canonical field, its label in the current language (연령 (세)…);
    'CD4 (cells/µL)' for a measure the user named with a unit in ``units``; the name itself
    for anything else."""
    label = label_of(name, units)
    unit = unit_of(name, units)
    return f"{label} ({unit})" if unit and unit != label else label


def measure_units(cohort: Cohort | None) -> dict[str, str]:
    """Unit text of each user-named measure of a cohort (from the mapping it was loaded
    with); canonical fields are left out (their units are :data:`UNITS`)."""
    mapping = getattr(cohort, "mapping", None) or {}
    return {k: str(v) for k, v in (mapping.get("units") or {}).items() if is_measure_name(k)}


Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Issue:
    """One problem in a user's file, in words a clinician understands.

    ``row`` is the 1-based row number as the user sees it in the file (spreadsheet row,
    header counted), or None when the problem is not about one row.
    """

    severity: Severity
    message: str
    row: int | None = None
    column: str | None = None
    value: str | None = None
    sheet: str | None = None

    def as_dict(self) -> dict:
        return {
            "severity": self.severity,
            "row": self.row,
            "column": self.column,
            "value": self.value,
            "message": self.message,
            "sheet": self.sheet,
        }


@dataclass(frozen=True)
class ValidationReport:
    """Every error and warning found while reading, mapping and validating a file."""

    issues: tuple[Issue, ...] = ()
    n_dropped: int = 0  # invalid values set to missing (drop_invalid)

    @property
    def errors(self) -> tuple[Issue, ...]:
        return tuple(i for i in self.issues if i.severity == "error")

    @property
    def warnings(self) -> tuple[Issue, ...]:
        return tuple(i for i in self.issues if i.severity == "warning")

    @property
    def ok(self) -> bool:
        return not self.errors

    def to_frame(self) -> pd.DataFrame:
        cols = ["severity", "sheet", "row", "column", "value", "message"]
        return pd.DataFrame([i.as_dict() for i in self.issues], columns=cols)

    def extended(self, more: tuple[Issue, ...] | list[Issue]) -> ValidationReport:
        return ValidationReport(self.issues + tuple(more), self.n_dropped)


@dataclass(frozen=True)
class SourceInfo:
    """Where a cohort came from: never the content, only what provenance needs."""

    name: str = ""
    sha256: str = ""
    form: str = ""  # "long", "wide", "workbook", "demo"
    size_bytes: int = 0


@dataclass(frozen=True)
class Derived:
    """Values the loader computed instead of reading them (Data page, methods text)."""

    egfr_visits: int = 0  # visits whose eGFR was computed from creatinine (CKD-EPI 2021)
    egfr_patients: int = 0  # patients with at least one such visit


@dataclass(frozen=True)
class Cohort:
    """The canonical cohort: ``patients`` (one row per patient) and ``visits`` (one row
    per patient per visit), columns and units as data-contract §2, plus the report.

    dtypes: ids and categories are plain ``str`` (object); numbers ``float64``;
    ``anti_dsdna_pos`` pandas ``boolean``; ``response`` 'CR'/'PR'/'NR' or missing.
    """

    patients: pd.DataFrame
    visits: pd.DataFrame
    report: ValidationReport = field(default_factory=ValidationReport)
    source: SourceInfo = field(default_factory=SourceInfo)
    mapping: dict | None = None  # the mapping (contract §3 JSON form) that was applied
    derived: Derived = field(default_factory=Derived)  # what the loader computed

    @property
    def group_levels(self) -> tuple[str, ...]:
        """The groups' display order the mapping states: its ``values.group`` labels in the
        order of the entries (the first is the default reference); () without one."""
        recode = ((self.mapping or {}).get("values") or {}).get("group") or {}
        return tuple(dict.fromkeys(str(label) for label in recode.values()))

    @property
    def groups(self) -> list[str]:
        """The groups present, in display order: :attr:`group_levels` (groups it does not
        name after them, alphabetically), else alphabetical."""
        if "group" not in self.patients:
            return []
        present = self.patients["group"].dropna().astype(str).unique()
        return group_order(present, sort=True, order=self.group_levels)

    @property
    def has_recorded_response(self) -> bool:
        return "response" in self.visits and self.visits["response"].notna().any()

    @property
    def ok(self) -> bool:
        return self.report.ok
