"""Time to event per patient (data-contract §5): the ``ttr_patients`` table.

Built by :func:`core.outcomes.derive.derive_outcomes`: the file's own times
(``ttr_months``/``ttr_event``) as they are when the file has them and the user's settings do
not ask for derived times (:func:`file_times_refusal`), otherwise from the visits and the
response at every visit (``visit_responses``) under the chosen criteria; vectorised over
patients.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from core.model.i18n import gettext as _
from core.model.schema import VISIT_FIELDS, Cohort
from core.model.settings import Settings
from core.model.vocabulary import EVENT_SHORT, left_out_note

_VISIT_DATA = tuple(f for f in VISIT_FIELDS if f not in ("patient_id", "month"))
_COLUMNS = ["patient_id", "group", "time", "event"]


@dataclass(frozen=True)
class TimeSource:
    """Where the times of ``ttr_patients`` come from: ``from_file`` (the file's own columns)
    or the visits, and the words the page, the notes and the methods text use."""

    from_file: bool
    text: str  # "times as given in the file, column 'days', converted from days"


def default_criteria(cohort: Cohort) -> str:
    """The response criteria when the user names none (data-contract §4)."""
    return "recorded" if cohort.has_recorded_response else "kdigo2024"


def file_times_refusal(settings: Settings, default: str) -> str | None:
    """Why the settings require times derived from the visits, or None when the file's own
    times are used (data-contract §5). ``default``: the file's default criteria
    (:func:`default_criteria` of the whole file).

    A named event (``event_name``) always takes the file's times. Otherwise the event of
    complete response only, or response criteria other than the default (and ``recorded``)
    ask for derived times; the default criteria never do, whether left alone or picked.
    """
    if settings.event_name:
        return None
    if settings.event != "cr-or-pr":
        return _(
            "the event was set to complete response (CR) only, which the file's times "
            "do not tell apart"
        )
    if settings.criteria not in (None, "recorded", default):
        return _("the response criteria were set to {criteria}").format(criteria=settings.criteria)

    return None


def file_time_column(cohort: Cohort) -> tuple[str, str] | None:
    """(header, unit it was given in) of the file's ``ttr_months``, None when the file has no
    time with an event for any patient."""
    p = cohort.patients
    if not {"ttr_months", "ttr_event"} <= set(p):
        return None
    if not p[["ttr_months", "ttr_event"]].notna().all(axis=1).any():
        return None
    m = cohort.mapping or {}
    headers = [h for h, f in (m.get("columns") or {}).items() if f == "ttr_months"]
    unit = str((m.get("units") or {}).get("ttr_months", "months"))
    return (headers[0] if headers else "ttr_months"), unit


def file_source_text(header: str, unit: str) -> str:
    if unit == "months":
        return _("times as given in the file, column '{column}'").format(column=header)
    return _("times as given in the file, column '{column}', converted from {unit} to months").format(
        column=header, unit=unit
    )


def ttr_patients(
    cohort: Cohort,
    visits: pd.DataFrame,
    vr: pd.DataFrame,
    pats: pd.DataFrame,
    settings: Settings,
    *,
    patient: np.ndarray | None = None,
    refusal: str | None = None,
) -> tuple[pd.DataFrame, list[str], TimeSource]:
    """Time to event per patient (data-contract §5).

    The file's own ``ttr_months``/``ttr_event`` are used as they are when present and
    ``refusal`` is None (:func:`file_times_refusal`); a patient
    without them is left out (a note naming why). Otherwise the times are derived: only
    visits after month 0 can be events: time = month of the first visit meeting the event
    (CR or PR; or CR), event 1; else censored (0) at the last visit after month 0 holding any
    canonical visit field; patients with no such visit are left out (a note).
    ``patient``: the row of ``pats`` of each visit (-1: none), when the caller has it (``vr``
    is aligned with ``visits``).
    """
    given = file_time_column(cohort)
    if given is not None and refusal is None:
        return _from_file(cohort, pats, *given)
    notes: list[str] = []
    events = ("CR",) if settings.event == "cr" else ("CR", "PR")
    if patient is None:
        patient = pd.Index(pats["patient_id"]).get_indexer(visits["patient_id"])
    month = visits["month"].to_numpy(dtype=float)
    hit = (vr["month"].to_numpy(dtype=float) > 0) & vr["response"].isin(events).to_numpy()
    data_cols = [c for c in _VISIT_DATA if c in visits]
    has_data = visits[data_cols].notna().any(axis=1) if data_cols else visits["month"].isna()
    seen = (month > 0) & has_data.to_numpy(dtype=bool)
    t = pats[["patient_id", "group"]].copy()
    t["time"] = _per_patient(patient, month, hit, len(t), "min")
    t["event"] = t["time"].notna().astype(int)
    last = _per_patient(patient, month, seen, len(t), "max")
    t["time"] = t["time"].fillna(pd.Series(last, index=t.index))
    rule = _("recorded responses") if settings.criteria == "recorded" else str(settings.criteria)
    event = _(EVENT_SHORT[settings.event]) if settings.event in EVENT_SHORT else settings.event
    source = TimeSource(
        False, _("derived from the visits under {rule} (event {event})").format(rule=rule, event=event)
    )
    if given is not None:
        notes.append(
            _("The file's own times (column '{column}') were not used because {reason}; "
              "times {source}.").format(column=given[0], reason=refusal, source=source.text)
        )
    else:
        notes.append(_("Time to response: times {source}.").format(source=source.text))
    if settings.event_name is not None:
        notes.append(
            _("The event name '{name}' names the file's own times; the file has "
              "none, so the times are those of response derived from the visits.").format(
                name=settings.event_name)
        )
    out = t["time"].isna()
    if out.any():
        notes.append(
            left_out_note(
                t.loc[out, "patient_id"],
                _("no visit after month 0 with any laboratory value or recorded response"),
                _("time to response"),
            )
        )
    t = t[~out].copy()
    t["event"] = t["event"].astype(int)
    return t[_COLUMNS], notes, source


def _from_file(cohort: Cohort, pats: pd.DataFrame, header: str, unit: str):
    """The file's own times and events, as they are, for the patients of ``pats``."""
    source = TimeSource(True, file_source_text(header, unit))
    g = cohort.patients.drop_duplicates("patient_id").set_index("patient_id")
    t = pats[["patient_id", "group"]].copy()
    t["time"] = t["patient_id"].map(g["ttr_months"]).astype(float)
    t["event"] = t["patient_id"].map(g["ttr_event"]).astype(float)
    notes = [_("Time to event: {source}, with the events of the file's ttr_event column.").format(
        source=source.text)]
    reasons = (
        (t["time"].isna() | t["event"].isna(),
         _("no time or no event in the file's column '{column}' or ttr_event").format(column=header)),
        (t["time"] < 0, _("a negative time in the file's column '{column}'").format(column=header)),
        (~t["event"].isin([0, 1]) & t["event"].notna(), _("an event other than 0 or 1 in ttr_event")),
    )  # fmt: skip
    out = pd.Series(False, index=t.index)
    for mask, reason in reasons:
        mask = mask & ~out
        if mask.any():
            notes.append(left_out_note(t.loc[mask, "patient_id"], reason, _("time to event")))

        out |= mask
    t = t[~out].copy()
    t["event"] = t["event"].astype(int)
    return t[_COLUMNS], notes, source


def _per_patient(
    patient: np.ndarray, month: np.ndarray, mask: np.ndarray, n: int, how: str
) -> np.ndarray:
    """Earliest (``min``) or latest (``max``) month of the visits in ``mask``, per patient."""
    keep = mask & (patient >= 0)
    agg = pd.Series(month[keep]).groupby(patient[keep]).agg(how)
    out = np.full(n, np.nan)
    out[agg.index.to_numpy(dtype=np.int64)] = agg.to_numpy(dtype=float)
    return out
