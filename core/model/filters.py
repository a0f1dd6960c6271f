"""Which patients to analyse: the sidebar / ``--class``/``--group`` filters (contract §4)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from core.model.i18n import N_
from core.model.i18n import gettext as _
from core.model.schema import PATIENT_FIELDS, Cohort
from core.model.settings import Filters, Settings
from core.model.variables import is_free_text

MAX_FILTER_LEVELS = 12  # a pass-through column with more levels is not offered as a filter


def filter_columns(patients: pd.DataFrame) -> list[str]:
    """Pass-through patient columns worth a filter: text (not free text, ``is_free_text``)
    with 2 to ``MAX_FILTER_LEVELS`` levels."""
    out = []
    for col in patients.columns:
        if col in PATIENT_FIELDS or str(col).startswith("_"):
            continue
        s = patients[col]
        if pd.api.types.is_numeric_dtype(s) or pd.api.types.is_datetime64_any_dtype(s):
            continue
        if 2 <= s.nunique(dropna=True) <= MAX_FILTER_LEVELS and not is_free_text(col, s):
            out.append(col)
    return out


def _isin(values: pd.Series, allowed: tuple[str, ...]) -> np.ndarray:
    """Membership compared as text, so ``4`` and ``'4'`` agree; missing never matches."""
    text = values.astype("string")
    return text.isin([str(a) for a in allowed]).fillna(False).to_numpy(dtype=bool)


def patient_mask(patients: pd.DataFrame, filters: Filters) -> np.ndarray:
    """Boolean mask of the patients kept by ``filters`` (vectorised; never raises).

    Classes, groups and sexes keep the listed values; the age range is inclusive and drops
    patients without an age once a bound is set; ``extra`` filters any categorical column
    and is ignored for a column the cohort does not have or that holds free text
    (``core.model.variables.is_free_text``).
    """
    keep = np.ones(len(patients), dtype=bool)
    for column, allowed in (
        ("isn_class", filters.classes),
        ("group", filters.groups),
        ("sex", filters.sexes),
        *filters.extra,
    ):
        if not allowed:
            continue
        if column not in patients:
            if column in ("isn_class", "group", "sex"):
                keep &= False  # asked for a class but the file has none: nobody matches
            continue
        if column not in ("isn_class", "group", "sex") and is_free_text(column, patients[column]):
            continue  # free text is never a filter
        keep &= _isin(patients[column], tuple(allowed))
    if filters.age_min is not None or filters.age_max is not None:
        age = pd.to_numeric(
            patients.get("age", pd.Series(np.nan, index=patients.index)), errors="coerce"
        ).to_numpy(dtype=float)
        lo = -np.inf if filters.age_min is None else float(filters.age_min)
        hi = np.inf if filters.age_max is None else float(filters.age_max)
        with np.errstate(invalid="ignore"):
            keep &= (age >= lo) & (age <= hi)
    return keep


def filter_cohort(cohort: Cohort, filters: Filters | None) -> Cohort:
    """The cohort restricted to the patients ``filters`` keep (and their visits)."""
    if filters is None or not filters.active:
        return cohort
    patients = cohort.patients.loc[patient_mask(cohort.patients, filters)].reset_index(drop=True)
    visits = cohort.visits
    if "patient_id" in visits:
        visits = visits.loc[visits["patient_id"].isin(patients["patient_id"])].reset_index(
            drop=True
        )
    return replace(cohort, patients=patients, visits=visits)


def filter_phrases(
    f: Filters, class_label: str = "Class", group_label: str = "Group", sex_label: str = "Sex",
    age_unit: str = "", age_label: str = "age",
) -> list[str]:
    """Each active filter as a phrase (``'Class IV, IV+V'``, ``'age 18–40'``), for captions
    and, with other labels, for the methods text."""
    parts: list[str] = []
    if f.classes:
        parts.append(f"{class_label} " + ", ".join(f.classes))
    if f.groups:
        parts.append(f"{group_label} " + ", ".join(f.groups))
    if f.sexes:
        parts.append(f"{sex_label} " + ", ".join(f.sexes))
    if f.age_min is not None or f.age_max is not None:
        lo = "" if f.age_min is None else f"{f.age_min:g}"
        hi = "" if f.age_max is None else f"{f.age_max:g}"
        age = (
            f"{age_label} {lo}–{hi}" if lo and hi
            else (f"{age_label} ≥ {lo}" if lo else f"{age_label} ≤ {hi}")
        )  # fmt: skip
        parts.append(age + age_unit)
    parts += [f"{col} " + ", ".join(vals) for col, vals in f.extra if vals]
    return parts


# The rule sets as the summary line names them (English msgids; short: they also make the
# download file names).
CRITERIA_SHORT = {
    "recorded": N_("recorded response"), "kdigo2024": N_("KDIGO 2024"),
    "eular2019": N_("EULAR/ERA-EDTA 2019"), "creatinine15": N_("creatinine ≤ 1.15 × baseline"),
    "lunar": N_("LUNAR"), "aurora": N_("AURORA 1"), "multitarget_cn": N_("Multitarget (China)"),
    "bliss_ln": N_("BLISS-LN"), "custom": N_("custom thresholds"),
}  # fmt: skip

# The missing-landmark strategies as the summary line names them (English msgids).
MISSING_WORDS = {
    "complete-case": N_("complete-case"),
    "non-responder": N_("non-responder"),
    "locf": N_("LOCF"),
}


def filter_summary(
    filters: Filters | None, settings: Settings | None = None, n: int | None = None
) -> str:
    """One line saying what is analysed, in the current language:
    ``Class IV, IV+V · KDIGO 2024 · complete-case · n = 56`` (Korean: ``분류 IV, IV+V · KDIGO 2024 ·
    완전 자료 분석 · n = 56``). Rule sets by their short names (:data:`CRITERIA_SHORT`)."""
    parts = filter_phrases(
        filters or Filters(), class_label=_("Class"), group_label=_("Group"),
        sex_label=_("Sex"), age_label=_("age"),
    )  # fmt: skip
    if not parts:
        parts.append(_("All patients"))
    if settings is not None:
        if settings.criteria:
            parts.append(_(CRITERIA_SHORT.get(settings.criteria, str(settings.criteria))))
        parts.append(_(MISSING_WORDS.get(settings.missing, settings.missing)))
        if settings.landmark_names:
            parts.append(_("landmarks {landmarks}").format(landmarks=", ".join(
                f"{settings.landmark_label(m)} (month {m:.3g})" if dict(settings.landmark_names)
                .get(m) else settings.landmark_label(m) for m in settings.landmarks)))
        if settings.suppression_threshold is not None:
            parts.append(
                _("counts < {k} suppressed").format(k=settings.suppression_threshold)
            )
    if n is not None:
        parts.append(f"n = {n}")
    return " · ".join(parts)
