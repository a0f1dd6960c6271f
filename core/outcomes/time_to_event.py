"""Time to response per patient (data-contract §5): the ``ttr_patients`` table.

Built by :func:`core.outcomes.derive.derive_outcomes` from the visits and the response at
every visit (``visit_responses``) under the chosen criteria; vectorised over patients.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from core.model.schema import VISIT_FIELDS, Cohort
from core.model.settings import Settings

_VISIT_DATA = tuple(f for f in VISIT_FIELDS if f not in ("patient_id", "month"))


def ttr_patients(
    cohort: Cohort,
    visits: pd.DataFrame,
    vr: pd.DataFrame,
    pats: pd.DataFrame,
    settings: Settings,
    *,
    patient: np.ndarray | None = None,
) -> tuple[pd.DataFrame, list[str]]:
    """Time to response per patient (data-contract §5).

    Only visits after month 0 can be events: time = month of the first visit meeting the
    event (CR or PR; or CR), event 1; else censored (0) at the last visit after month 0
    holding any canonical visit field. Patients with no such visit are left out (a note).
    Given ``ttr_months``/``ttr_event`` are used as they are only under the default event
    with ``recorded`` criteria. ``patient``: the row of ``pats`` of each visit (-1: none),
    when the caller has it (``vr`` is aligned with ``visits``).
    """
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

    p = cohort.patients
    given = {"ttr_months", "ttr_event"} <= set(p) and p[["ttr_months", "ttr_event"]].notna().all(
        axis=1
    ).any()
    if given and settings.event == "cr-or-pr" and settings.criteria == "recorded":
        g = p.set_index("patient_id")[["ttr_months", "ttr_event"]].dropna()
        use = t["patient_id"].isin(g.index)
        t.loc[use, "time"] = t.loc[use, "patient_id"].map(g["ttr_months"]).astype(float)
        t.loc[use, "event"] = t.loc[use, "patient_id"].map(g["ttr_event"]).astype(int)
        notes.append(
            f"Time to response: the file's ttr_months/ttr_event used for {int(use.sum())} patient(s)."
        )
    elif given:
        notes.append(
            "Time to response derived from the visits: the file's ttr_months/ttr_event hold "
            "for the default event under recorded criteria only."
        )
    out = t["time"].isna()
    if out.any():
        notes.append(
            f"{int(out.sum())} patient(s) with no visit after month 0 left out of time to response."
        )
    t = t[~out].copy()
    t["event"] = t["event"].astype(int)
    return t[["patient_id", "group", "time", "event"]], notes


def _per_patient(
    patient: np.ndarray, month: np.ndarray, mask: np.ndarray, n: int, how: str
) -> np.ndarray:
    """Earliest (``min``) or latest (``max``) month of the visits in ``mask``, per patient."""
    keep = mask & (patient >= 0)
    agg = pd.Series(month[keep]).groupby(patient[keep]).agg(how)
    out = np.full(n, np.nan)
    out[agg.index.to_numpy(dtype=np.int64)] = agg.to_numpy(dtype=float)
    return out
