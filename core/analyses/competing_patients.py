"""How a competing event enters the analysis: per patient, time and status.

A competing event is one after which a response can no longer happen or no longer
counts: death, ESKD, treatment discontinuation, given as the patient fields
``death_month``, ``eskd_month``, ``discontinued_month`` (core.model.schema), or as a
``ttr_status`` column with codes 0/1/2 beside ``ttr_months``. :func:`competing_patients`
combines them with the ``ttr_patients`` table (core.outcomes.derive).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from core.model.i18n import gettext as _
from core.model.schema import COMPETING_LABELS, COMPETING_MONTH_FIELDS
from core.model.settings import Settings
from core.model.vocabulary import event_words

RESPONSE = 1  # status code of the event of interest; 0 = censored, 2… = competing events
CODES = {f: i + 2 for i, f in enumerate(COMPETING_MONTH_FIELDS)}  # death 2, ESKD 3, stop 4
CODED = 5  # a competing event given as ttr_status = 2
PATIENT_COLUMNS = ["patient_id", "group", "time", "status", "cause"]


def event_label(settings: Settings) -> str:
    """The cause label of the event: the user's event name, else 'response (CR or PR)' or
    'complete response'."""
    return event_words(settings.event, settings.event_name)


def has_competing(patients: pd.DataFrame) -> bool:
    """Whether the cohort records any competing event."""
    months = [f for f in COMPETING_MONTH_FIELDS if f in patients]
    coded = "ttr_status" in patients and (patients["ttr_status"] >= 2).any()
    return bool(coded or (months and patients[months].notna().any().any()))


def competing_patients(
    ttr_patients: pd.DataFrame,
    patients: pd.DataFrame,
    settings: Settings,
    *,
    from_file: bool | None = None,
) -> tuple[pd.DataFrame, list[str]]:
    """Time and status per patient: 1 response, 2 death, 3 ESKD, 4 discontinuation, 0
    censored.

    Rules (clinical, stated in the notes): a response at a visit up to and including the
    month of the competing event counts (a response seen at that visit was observed); a
    competing event before the response ends follow-up with that status at its month,
    also when it comes after the patient's last assessment (follow-up runs to the event;
    no response was seen before it); when several
    competing months are given the earliest counts (ties: death, ESKD, discontinuation).
    A given ``ttr_status`` (2 = competing) with ``ttr_months`` is used as it is when the
    times of ``ttr_patients`` are the file's own (``from_file``; by default: under the
    default event and recorded criteria), as ``ttr_event``.

    Returns
    -------
    (DataFrame with patient_id, group, time (months), status (code), cause (label:
    'censored', the response label, 'death', 'ESKD', 'treatment discontinuation' or
    'competing event'), notes).
    """
    label = event_label(settings)
    t = ttr_patients[["patient_id", "group", "time", "event"]].copy()
    t["status"] = t["event"].astype(int)
    p = patients.set_index("patient_id")
    fields = [f for f in COMPETING_MONTH_FIELDS if f in p]
    notes: list[str] = []
    if fields:
        months = p[fields].reindex(t["patient_id"]).to_numpy(float)
        with np.errstate(invalid="ignore"):
            first = np.where(
                np.isnan(months).all(axis=1),
                np.nan,
                np.nanmin(np.where(np.isnan(months), np.inf, months), axis=1),
            )
        which = (
            np.array(
                [
                    CODES[fields[i]]
                    for i in np.argmin(np.where(np.isnan(months), np.inf, months), axis=1)
                ]
            )
            if len(t)
            else np.array([])
        )
        time = t["time"].to_numpy(float)
        resp = t["event"].to_numpy(int) == 1
        given = ~np.isnan(first) & (first > 0)
        ends = given & ((first < time) | ~resp)
        late = ends & ~resp & (first > time)
        t.loc[ends, "time"] = first[ends]
        t.loc[ends, "status"] = which[ends]
        if ends.any():
            notes.append(
                _('{n} patient(s) had a competing event before any {label}: follow-up ends there with that event.').format(n=int(ends.sum()), label=label)
            )
        if late.any():
            notes.append(
                _('{n} of them after their last assessment: followed until the competing event without a response seen.').format(n=int(late.sum()))
            )
        early = ~np.isnan(first) & (first <= 0)
        if early.any():
            notes.append(
                _('{n} competing event month(s) at or before month 0 ignored.').format(n=int(early.sum()))
            )
    if from_file is None:
        from_file = settings.event == "cr-or-pr" and settings.criteria == "recorded"
    if "ttr_status" in p and from_file:
        given = p[["ttr_months", "ttr_status"]].dropna() if "ttr_months" in p else p.iloc[:0]
        use = t["patient_id"].isin(given.index)
        if use.any():
            t.loc[use, "time"] = t.loc[use, "patient_id"].map(given["ttr_months"]).astype(float)
            code = t.loc[use, "patient_id"].map(given["ttr_status"]).astype(int)
            t.loc[use, "status"] = np.where(code >= 2, CODED, code)
            notes.append(_("The file's ttr_months/ttr_status used for {n} patient(s).").format(n=int(use.sum())))
    names = {0: "censored", RESPONSE: label, CODED: COMPETING_LABELS["ttr_status"]}
    names |= {CODES[f]: COMPETING_LABELS[f] for f in COMPETING_MONTH_FIELDS}
    t["cause"] = t["status"].map(names)
    return t[PATIENT_COLUMNS].reset_index(drop=True), notes
