"""Landmark visits and responses at each landmark (data-contract §5); time to response
per patient is built by :mod:`core.outcomes.time_to_event` from the same visit verdicts.

The landmark visit is chosen first, whatever it holds; every value at that landmark comes
from that visit only. Everything here is vectorised over patients and visits.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from core.model.i18n import gettext as _
from core.model.schema import RESPONSE_STATES, Cohort
from core.model.settings import Settings
from core.model.vocabulary import IDS_SHOWN, left_out_note
from core.outcomes.criteria import (
    add_egfr,
    add_rule_context,
    evaluate,
    proteinuria_column,
    rule_set,
)
from core.outcomes.time_to_event import (
    TimeSource,
    default_criteria,
    file_times_refusal,
    ttr_patients,
)

BASELINE_WINDOW = 1.0
_MONTH_TOL = 1e-9  # months from weeks/days are not exact decimals

NO_VISIT = "no visit in window"
RESPONSE_MISSING = "response missing at landmark visit"


@dataclass(frozen=True)
class Outcomes:
    """Everything derived from the visits under one set of (resolved) settings.

    ``landmarks``: patient_id, group, landmark (0 = baseline), visit_month (NaN: none).
    ``responses``: patient_id, group, landmark, visit_month, observed (at the landmark
    visit), response (after the missing-landmark strategy), reason (why not evaluable),
    imputed ('', 'non-responder', 'locf'), source_month, on_boundary, evaluable.
    ``visit_responses``: patient_id, month, response, reason, on_boundary for every visit
    (for the landmark visits only when derived without time to response and LOCF).
    ``ttr_patients``: patient_id, group, time, event.
    """

    settings: Settings
    landmarks: pd.DataFrame
    responses: pd.DataFrame
    ttr_patients: pd.DataFrame
    visit_responses: pd.DataFrame
    baseline_cr: tuple[str, ...] = ()
    notes: tuple[str, ...] = field(default_factory=tuple)
    ttr_notes: tuple[str, ...] = field(default_factory=tuple)
    visits: pd.DataFrame | None = field(default=None, repr=False)  # eGFR-filled, for reuse
    # Row of ``visits`` (-1: none) for every row of ``landmarks``, and the patient (row of
    # the patient list) of every visit: positions instead of merges on patient IDs.
    landmark_rows: np.ndarray | None = field(default=None, repr=False)
    visit_patient: np.ndarray | None = field(default=None, repr=False)
    group_names: tuple | None = field(default=None, repr=False)  # distinct groups, unsorted
    # Where the times of ttr_patients come from; why the user's settings refuse the file's
    # own times (None: they do not), kept for re-derivations of the same run.
    ttr_source: TimeSource | None = None
    file_times_refused: str | None = None


def _marks(landmarks: tuple[float, ...] | list[float]) -> np.ndarray:
    return np.array(sorted({0.0, *(float(m) for m in landmarks)}))


def _landmark_rows(
    patient: np.ndarray, month: np.ndarray, n_patients: int, marks: np.ndarray, window: float
) -> np.ndarray:
    """(patients × landmarks) row numbers of the visit that counts (-1: none in the window).

    ``patient``: the patient number (0 … n_patients − 1, or −1: not listed) of each visit.
    """
    wins = np.where(marks == 0.0, BASELINE_WINDOW, float(window))
    rows = np.flatnonzero((patient >= 0) & ~np.isnan(month))
    m = month[rows]
    dist = np.abs(m[:, None] - marks[None, :])
    inside = dist <= wins[None, :] + _MONTH_TOL
    best = np.argmin(np.where(inside, dist, np.inf), axis=1)
    keep = inside.any(axis=1)
    rows, best, d = rows[keep], best[keep], dist[keep, best[keep]]
    pat = patient[rows]
    # nearest visit per patient and landmark, the earlier on a tie: one sort of numbers
    order = np.lexsort((month[rows], d, best, pat))
    rows, best, pat = rows[order], best[order], pat[order]
    first = np.ones(len(rows), dtype=bool)
    first[1:] = (pat[1:] != pat[:-1]) | (best[1:] != best[:-1])
    out = np.full((n_patients, len(marks)), -1, dtype=np.int64)
    out[pat[first], best[first]] = rows[first]
    return out


def landmark_visits(
    visits: pd.DataFrame,
    landmarks: tuple[float, ...] | list[float] = (6.0, 12.0),
    window: float = 1.0,
    patient_ids: pd.Series | None = None,
) -> pd.DataFrame:
    """The visit that counts for each patient and landmark (0 = baseline).

    Each visit first serves the nearest landmark whose window holds it (baseline always
    ± 1 month; the earlier landmark on a tie); each landmark then takes the nearest of its
    visits, the earlier on a tie. This is ``landmark_visits()`` of reference.R.

    Returns
    -------
    DataFrame[patient_id, landmark, visit_month]: one row per patient × landmark (patients
    of ``patient_ids`` or else of ``visits``), ``visit_month`` NaN when none in the window.
    """
    ids = pd.unique(visits["patient_id"] if patient_ids is None else patient_ids)
    frame, _rows, _cols = _landmark_table(visits, ids, _marks(landmarks), window)
    return frame


def _landmark_table(
    visits: pd.DataFrame, ids: np.ndarray, marks: np.ndarray, window: float
) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """:func:`landmark_visits` of the distinct ``ids``, the row of ``visits`` behind each of
    its rows (-1: none) and the patient (position in ``ids``, -1: none) of every visit."""
    patient = pd.Index(ids).get_indexer(visits["patient_id"])
    month = visits["month"].to_numpy(dtype=float)
    rows = _landmark_rows(patient, month, len(ids), marks, window).ravel()
    frame = pd.DataFrame(
        {
            "patient_id": np.repeat(ids, len(marks)),
            "landmark": np.tile(marks, len(ids)),
            "visit_month": np.append(month, np.nan)[rows],  # row -1: the NaN at the end
        },
        copy=False,  # fresh arrays: no consolidating copy
    )
    return frame, rows, patient


def _visit_frame(cohort: Cohort) -> tuple[pd.DataFrame, list[str]]:
    """Visits with eGFR filled from creatinine where missing, one per patient and month, with
    the BLISS-LN context (``prior_egfr``, ``treatment_failure_so_far``) when the file has it."""
    # A visit without a month can serve no landmark (and must not match a missing one).
    v = cohort.visits
    if v["month"].isna().any():  # dropna copies every column even when nothing goes
        v = v.dropna(subset=["month"])
    ids, _uniques = pd.factorize(v["patient_id"])  # numbers hash faster than ID texts
    twice = pd.DataFrame({"p": ids, "m": v["month"].to_numpy(float)}).duplicated().to_numpy()
    v, notes = add_egfr(v[~twice] if twice.any() else v, cohort.patients)
    return add_rule_context(v, cohort.patients), notes


def take_rows(values: pd.Series, rows: np.ndarray) -> np.ndarray | pd.api.extensions.ExtensionArray:
    """``values`` at ``rows`` (-1: missing, as a left merge leaves it)."""
    arr = values.to_numpy() if isinstance(values.dtype, np.dtype) else values.array
    return pd.api.extensions.take(arr, rows, allow_fill=True)


def visit_responses(
    visits: pd.DataFrame, baseline_month: pd.DataFrame, settings: Settings
) -> pd.DataFrame:
    """The response at every visit under ``settings.criteria``, against the baseline visit.

    ``baseline_month``: patient_id, visit_month of the baseline visit (NaN: none).
    """
    at = visits[["patient_id", "month"]].assign(_row=np.arange(len(visits)))
    base = baseline_month.dropna(subset=["visit_month"]).merge(
        at, left_on=["patient_id", "visit_month"], right_on=["patient_id", "month"]
    )
    row = visits["patient_id"].map(base.set_index("patient_id")["_row"])
    return _visit_verdicts(visits, row.fillna(-1).to_numpy(dtype=np.int64), settings)


def _visit_verdicts(
    visits: pd.DataFrame, base_row: np.ndarray, settings: Settings, rows: np.ndarray | None = None
) -> pd.DataFrame:
    """:func:`visit_responses` with ``base_row``: each visit's baseline visit (-1: none);
    only the visits at ``rows`` when given (baselines are still read from all visits)."""
    fields: list[str] = []
    if settings.criteria != "recorded":
        rules = rule_set(str(settings.criteria), settings.custom)
        fields = sorted(
            {*rules.landmark_inputs, *rules.baseline_inputs, *rules.optional_inputs, "urine_rbc"}
            & set(visits)
        )
    if rows is not None:  # only the columns read below
        keep = ["patient_id", "month", *fields, *(["response"] if "response" in visits else [])]
        at = pd.DataFrame({c: take_rows(visits[c], rows) for c in keep}, index=visits.index[rows],
                          copy=False)
        base_row = base_row[rows]
    else:
        at = visits
    out = pd.DataFrame({"patient_id": at["patient_id"], "month": at["month"]})
    if settings.criteria == "recorded":
        raw = at["response"] if "response" in at else pd.Series(None, index=at.index)
        ok = raw.isin(RESPONSE_STATES).to_numpy()
        out["response"] = np.where(ok, raw.to_numpy(dtype=object), None)
        out["reason"] = np.where(ok, None, RESPONSE_MISSING)
        out["on_boundary"] = False
        return out
    x = {f: at[f].to_numpy() for f in fields}
    x |= {f"{f}_0": take_rows(visits[f], base_row) for f in fields}
    verdict = evaluate(rules, pd.DataFrame(x, index=at.index, copy=False))  # read only
    return pd.concat([out, verdict], axis=1)


def _apply_missing(cols: dict, vr: pd.DataFrame, settings: Settings) -> pd.DataFrame:
    """complete-case / non-responder / locf (contract §5) on the landmark responses.

    ``cols``: the columns of the responses table up to ``on_boundary``, as arrays.
    """
    gap = pd.isna(cols["observed"])
    response = np.array(cols["observed"], dtype=object)
    imputed = np.full(len(gap), "", dtype=object)
    if settings.missing == "non-responder":
        response[gap] = "NR"
        imputed[gap] = "non-responder"
    resp = pd.DataFrame(
        cols
        | {
            "response": response,
            "source_month": np.where(gap, np.nan, cols["visit_month"]),
            "imputed": imputed,
        },
        copy=False,  # fresh arrays: no consolidating copy
    )
    if settings.missing == "locf":
        # Last evaluable response after month 0 and before the landmark's window.
        ev = vr.loc[vr["response"].notna() & (vr["month"] > 0), ["patient_id", "month", "response"]]
        parts = []
        for mark in sorted(resp["landmark"].unique()):
            cut = ev[ev["month"] < mark - settings.window - _MONTH_TOL]
            last = cut.sort_values("month").drop_duplicates("patient_id", keep="last")
            parts.append(last.assign(landmark=mark))
        carried = pd.concat(parts) if parts else ev.iloc[:0].assign(landmark=0.0)
        carried = carried.rename(columns={"response": "carried", "month": "carried_month"})
        resp = resp.merge(carried, on=["patient_id", "landmark"], how="left")
        use = gap & resp["carried"].notna()
        resp.loc[use, "response"] = resp.loc[use, "carried"]
        resp.loc[use, "source_month"] = resp.loc[use, "carried_month"]
        resp.loc[use, "imputed"] = "locf"
        resp = resp.drop(columns=["carried", "carried_month"])
    resp["evaluable"] = ~gap if settings.missing == "complete-case" else resp["response"].notna()
    return resp


def _groups_of(cohort: Cohort) -> pd.DataFrame:
    p = cohort.patients
    g = p["group"] if "group" in p else pd.Series(np.nan, index=p.index)
    pats = pd.DataFrame({"patient_id": p["patient_id"].to_numpy(), "group": g.to_numpy()})
    return pats if pats["patient_id"].is_unique else pats.drop_duplicates("patient_id")


_UNSET = "\0unset"


def derive_outcomes(
    cohort: Cohort,
    settings: Settings,
    *,
    reuse: Outcomes | None = None,
    with_ttr: bool = True,
    file_times_refused: str | None = _UNSET,
) -> Outcomes:
    """Landmark visits, responses and time to response of ``cohort`` (data-contract §5).

    ``reuse``: outcomes of the same cohort, landmarks and window under other criteria whose
    landmark visits are taken over (the sensitivity table); ``with_ttr=False`` skips time
    to response. ``file_times_refused``: why the settings require derived times (None: the
    file's own times are used when present); by default that of ``reuse``, else
    :func:`~core.outcomes.time_to_event.file_times_refusal` of ``settings`` and ``cohort``.
    """
    if file_times_refused == _UNSET:
        file_times_refused = (
            reuse.file_times_refused
            if reuse is not None
            else file_times_refusal(settings, default_criteria(cohort))
        )
    same = (
        reuse is not None
        and reuse.visits is not None
        and reuse.landmark_rows is not None
        and reuse.group_names is not None
        and (reuse.settings.landmarks, reuse.settings.window)
        == (tuple(settings.landmarks), settings.window)
    )
    if same and settings.criteria is not None:  # same cohort: its groups are known
        settings = settings.resolved(True, sorted({str(g) for g in reuse.group_names}),
                                     cohort.group_levels)
    else:
        settings = settings.resolved(cohort.has_recorded_response, cohort.groups,
                                     cohort.group_levels)
    notes: list[str] = []
    pats = None if same and not with_ttr else _groups_of(cohort)
    if same:
        visits, lv = reuse.visits, reuse.landmarks
        rows, patient = reuse.landmark_rows, reuse.visit_patient
        rule_visits, _column = proteinuria_column(visits)
        group_names = reuse.group_names
    else:
        group_names = tuple(pd.unique(pats["group"].dropna()))
        visits, more = _visit_frame(cohort)
        rule_visits, protein = proteinuria_column(visits)
        notes += more + protein
        ids = pats["patient_id"].to_numpy()
        marks = _marks(settings.landmarks)
        lv, rows, patient = _landmark_table(visits, ids, marks, settings.window)
        lv.insert(1, "group", np.repeat(pats["group"].to_numpy(), len(marks)))
    if settings.criteria == "recorded" and not cohort.has_recorded_response:
        notes.append("The file has no recorded response: no patient is evaluable.")
    base_rows = rows[lv["landmark"].to_numpy() == 0]  # one per patient, in patient order
    later = lv["landmark"].to_numpy() > 0
    at = rows[later]  # the landmark visit of each patient × landmark, -1: none
    # Time to response and LOCF read every visit; otherwise the landmark visits suffice.
    every = with_ttr or settings.missing == "locf"
    judged = None if every else np.sort(at[at >= 0])  # a visit serves one landmark at most
    vr = _visit_verdicts(rule_visits, np.append(base_rows, -1)[patient], settings, judged)
    if judged is not None:  # rows of vr instead of rows of the visits
        at = np.where(at >= 0, np.searchsorted(judged, at), -1)
    cols = {c: lv[c].to_numpy()[later] for c in lv.columns}  # built once, no frame edits
    cols["observed"] = take_rows(vr["response"], at)
    cols["reason"] = np.where(at >= 0, take_rows(vr["reason"], at), NO_VISIT)
    cols["on_boundary"] = np.append(vr["on_boundary"].eq(True).to_numpy(), False)[at]
    resp = _apply_missing(cols, vr, settings)

    flagged = _baseline_cr(rule_visits, base_rows, settings)
    if flagged and settings.exclude_baseline_cr:
        notes.append(
            left_out_note(
                flagged,
                _("already below the CR proteinuria threshold of {rule} at "
                  "baseline (the option to exclude patients in CR at baseline is on)").format(
                    rule=rule_name(settings)),
            )
        )
    elif flagged:
        ids = _(" (IDs: {ids})").format(ids=", ".join(flagged)) if len(flagged) <= IDS_SHOWN else ""
        notes.append(
            _("{n} patient(s) already below the CR proteinuria threshold at "
              "baseline; they stay in the denominators{ids}.").format(n=len(flagged), ids=ids)
        )

    if settings.exclude_baseline_cr and flagged:
        resp = resp[~resp["patient_id"].isin(flagged)]

    source = None
    if with_ttr:
        ttr, ttr_notes, source = ttr_patients(
            cohort, visits, vr, pats, settings, patient=patient, refusal=file_times_refused
        )
        if not source.from_file and settings.event_name is not None:
            settings = replace(settings, event_name=None)  # the name is of the file's times
    else:
        ttr, ttr_notes = pd.DataFrame(columns=["patient_id", "group", "time", "event"]), []
    notes += ttr_notes
    if settings.exclude_baseline_cr and flagged:
        ttr = ttr[~ttr["patient_id"].isin(flagged)]
    return Outcomes(
        settings=settings,
        landmarks=lv,
        responses=resp if resp.index.equals(lv.index[: len(resp)]) else resp.reset_index(drop=True),
        ttr_patients=ttr.reset_index(drop=True),
        visit_responses=vr,
        baseline_cr=tuple(flagged),
        notes=tuple(notes),
        ttr_notes=tuple(ttr_notes),
        visits=visits,
        landmark_rows=rows,
        visit_patient=patient,
        group_names=group_names,
        ttr_source=source,
        file_times_refused=file_times_refused,
    )


def _baseline_cr(visits: pd.DataFrame, base_rows: np.ndarray, settings: Settings) -> list[str]:
    """Patients whose baseline proteinuria already meets the CR threshold.

    ``base_rows``: the row of ``visits`` holding each patient's baseline visit (-1: none).
    """
    if "upcr" not in visits:
        return []
    rules = rule_set(rule_name(settings), settings.custom)
    at = base_rows[base_rows >= 0]
    p0 = visits["upcr"].to_numpy(dtype=float)[at]
    with np.errstate(invalid="ignore"):
        hit = rules.baseline_cr(p0) & ~np.isnan(p0)
    return sorted(str(p) for p in visits["patient_id"].to_numpy()[at[hit]])


def rule_name(settings: Settings) -> str:
    """The rule set whose CR threshold flags baseline CR (``kdigo2024`` for recorded)."""
    return str(settings.criteria) if settings.criteria != "recorded" else "kdigo2024"
