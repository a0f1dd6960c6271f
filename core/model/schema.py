"""The canonical cohort of data-contract §2 and the validation report of §2/§7.

Every loader produces a :class:`Cohort`; every analysis consumes one. Problems a user can
cause are :class:`Issue` rows in a :class:`ValidationReport`, never exceptions.
"""

from __future__ import annotations

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

RESPONSE_STATES: tuple[str, ...] = ("CR", "PR", "NR")
ISN_CLASSES: tuple[str, ...] = ("I", "II", "III", "IV", "V", "VI", "III+V", "IV+V")
DEFAULT_GROUPS: tuple[str, ...] = ("refractory", "relapse")


# Units written as words (translated where shown); symbols (g/g, mg/dL) read the same.
UNIT_WORDS = frozenset({N_("years"), N_("months"), N_("days"), N_("mg/day")})


def label_with_unit(name: str) -> str:
    """'UPCR (g/g)' for a canonical field, its label in the current language (연령 (years)…);
    the name itself for anything else."""
    label = gettext(LABELS.get(name, name))
    unit = UNITS.get(name)
    unit = gettext(unit) if unit in UNIT_WORDS else unit
    return f"{label} ({unit})" if unit and unit != label else label


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
