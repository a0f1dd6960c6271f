"""Landmark visits, responses at each landmark and time to response (data-contract §5).

The landmark visit is chosen first, whatever it holds; every value at that landmark comes
from that visit only. Everything here is vectorised over patients and visits.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from core.criteria import add_egfr, evaluate, proteinuria_column, rule_set
from core.schema import RESPONSE_STATES, VISIT_FIELDS, Cohort
from core.settings import Settings

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
    ``visit_responses``: patient_id, month, response, reason, on_boundary for every visit.
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


def _marks(landmarks: tuple[float, ...] | list[float]) -> np.ndarray:
    return np.array(sorted({0.0, *(float(m) for m in landmarks)}))


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
    marks = _marks(landmarks)
    wins = np.where(marks == 0.0, BASELINE_WINDOW, float(window))
    v = visits.loc[visits["month"].notna(), ["patient_id", "month"]].drop_duplicates()
    month = v["month"].to_numpy(dtype=float)
    dist = np.abs(month[:, None] - marks[None, :])
    inside = dist <= wins[None, :] + _MONTH_TOL
    best = np.argmin(np.where(inside, dist, np.inf), axis=1) if len(v) else np.array([], int)
    keep = inside.any(axis=1)
    cand = pd.DataFrame(
        {
            "patient_id": v["patient_id"].to_numpy()[keep],
            "landmark": marks[best[keep]],
            "visit_month": month[keep],
            "dist": dist[np.arange(len(v)), best][keep] if len(v) else [],
        }
    )
    cand = cand.sort_values(["patient_id", "landmark", "dist", "visit_month"])
    cand = cand.drop_duplicates(["patient_id", "landmark"]).drop(columns="dist")
    ids = pd.unique(visits["patient_id"]) if patient_ids is None else pd.unique(patient_ids)
    grid = pd.DataFrame(
        {"patient_id": np.repeat(ids, len(marks)), "landmark": np.tile(marks, len(ids))}
    )
    return grid.merge(cand, on=["patient_id", "landmark"], how="left")


def _visit_frame(cohort: Cohort) -> tuple[pd.DataFrame, list[str]]:
    """Visits with eGFR filled from creatinine where missing and ``upcr`` as proteinuria."""
    notes: list[str] = []
    # A visit without a month can serve no landmark (and must not match a missing one).
    v = cohort.visits.dropna(subset=["month"]).drop_duplicates(["patient_id", "month"]).copy()
    v, more = add_egfr(v, cohort.patients)
    notes += more
    v, more = proteinuria_column(v)
    notes += more
    return v, notes


def visit_responses(
    visits: pd.DataFrame, baseline_month: pd.DataFrame, settings: Settings
) -> pd.DataFrame:
    """The response at every visit under ``settings.criteria``, against the baseline visit.

    ``baseline_month``: patient_id, visit_month of the baseline visit (NaN: none).
    """
    out = visits[["patient_id", "month"]].copy()
    if settings.criteria == "recorded":
        raw = visits["response"] if "response" in visits else pd.Series(None, index=visits.index)
        resp = raw.where(raw.isin(RESPONSE_STATES)).astype(object)
        out["response"] = resp.where(resp.notna(), None)
        out["reason"] = np.where(resp.isna(), RESPONSE_MISSING, None)
        out["on_boundary"] = False
        return out
    rules = rule_set(str(settings.criteria), settings.custom)
    fields = sorted({*rules.landmark_inputs, *rules.baseline_inputs, "urine_rbc"} & set(visits))
    base = baseline_month.dropna(subset=["visit_month"]).merge(
        visits[["patient_id", "month", *fields]],
        left_on=["patient_id", "visit_month"],
        right_on=["patient_id", "month"],
    )
    base = base[["patient_id", *fields]].rename(columns={f: f"{f}_0" for f in fields})
    x = visits[["patient_id", "month", *fields]].merge(base, on="patient_id", how="left")
    x.index = visits.index
    verdict = evaluate(rules, x)
    return pd.concat([out, verdict], axis=1)


def _apply_missing(resp: pd.DataFrame, vr: pd.DataFrame, settings: Settings) -> pd.DataFrame:
    """complete-case / non-responder / locf (contract §5) on the landmark responses."""
    resp["response"] = resp["observed"]
    resp["source_month"] = resp["visit_month"].where(resp["observed"].notna())
    resp["imputed"] = ""
    gap = resp["observed"].isna()
    if settings.missing == "non-responder":
        resp.loc[gap, "response"] = "NR"
        resp.loc[gap, "imputed"] = "non-responder"
    elif settings.missing == "locf":
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
    resp["evaluable"] = resp["response"].notna()
    return resp


def _groups_of(cohort: Cohort) -> pd.DataFrame:
    p = cohort.patients
    g = p["group"] if "group" in p else pd.Series(np.nan, index=p.index)
    return pd.DataFrame({"patient_id": p["patient_id"].to_numpy(), "group": g.to_numpy()})


def derive_outcomes(
    cohort: Cohort, settings: Settings, *, reuse: Outcomes | None = None, with_ttr: bool = True
) -> Outcomes:
    """Landmark visits, responses and time to response of ``cohort`` (data-contract §5).

    ``reuse``: outcomes of the same cohort, landmarks and window under other criteria whose
    landmark visits are taken over (the sensitivity table); ``with_ttr=False`` skips time
    to response.
    """
    settings = settings.resolved(cohort.has_recorded_response, cohort.groups)
    notes: list[str] = []
    pats = _groups_of(cohort)
    same = (
        reuse is not None
        and reuse.visits is not None
        and (reuse.settings.landmarks, reuse.settings.window)
        == (settings.landmarks, settings.window)
    )
    if same:
        visits, lv = reuse.visits, reuse.landmarks
    else:
        visits, more = _visit_frame(cohort)
        notes += more
        lv = landmark_visits(visits, settings.landmarks, settings.window, pats["patient_id"])
        lv = lv.merge(pats, on="patient_id", how="left")[
            ["patient_id", "group", "landmark", "visit_month"]
        ]
    if settings.criteria == "recorded" and not cohort.has_recorded_response:
        notes.append("The file has no recorded response: no patient is evaluable.")
    base = lv.loc[lv["landmark"] == 0, ["patient_id", "visit_month"]]
    vr = visit_responses(visits, base, settings)

    resp = lv[lv["landmark"] > 0].merge(
        vr.rename(columns={"month": "visit_month", "response": "observed"}),
        on=["patient_id", "visit_month"],
        how="left",
    )
    resp["reason"] = resp["reason"].where(resp["visit_month"].notna(), NO_VISIT)
    resp["on_boundary"] = resp["on_boundary"].eq(True)
    resp = _apply_missing(resp, vr, settings)

    flagged = _baseline_cr(visits, base, settings)
    if flagged:
        shown = ", ".join(flagged[:20]) + (" …" if len(flagged) > 20 else "")
        notes.append(
            f"{len(flagged)} patient(s) already below the CR proteinuria threshold at "
            f"baseline: {shown}."
            + (
                " They are excluded."
                if settings.exclude_baseline_cr
                else " They stay in the denominators."
            )
        )
    if settings.exclude_baseline_cr and flagged:
        resp = resp[~resp["patient_id"].isin(flagged)]

    ttr, ttr_notes = (
        ttr_patients(cohort, visits, vr, pats, settings)
        if with_ttr
        else (pd.DataFrame(columns=["patient_id", "group", "time", "event"]), [])
    )
    notes += ttr_notes
    if settings.exclude_baseline_cr and flagged:
        ttr = ttr[~ttr["patient_id"].isin(flagged)]
    return Outcomes(
        settings=settings,
        landmarks=lv.reset_index(drop=True),
        responses=resp.reset_index(drop=True),
        ttr_patients=ttr.reset_index(drop=True),
        visit_responses=vr,
        baseline_cr=tuple(flagged),
        notes=tuple(notes),
        ttr_notes=tuple(ttr_notes),
        visits=visits,
    )


def _baseline_cr(visits: pd.DataFrame, base: pd.DataFrame, settings: Settings) -> list[str]:
    """Patients whose baseline proteinuria already meets the CR threshold."""
    if "upcr" not in visits:
        return []
    name = settings.criteria if settings.criteria != "recorded" else "kdigo2024"
    rules = rule_set(str(name), settings.custom)
    b = base.dropna(subset=["visit_month"]).merge(
        visits[["patient_id", "month", "upcr"]],
        left_on=["patient_id", "visit_month"],
        right_on=["patient_id", "month"],
    )
    p0 = b["upcr"].to_numpy(dtype=float)
    with np.errstate(invalid="ignore"):
        hit = rules.baseline_cr(p0) & ~np.isnan(p0)
    return sorted(b.loc[hit, "patient_id"].astype(str))


_VISIT_DATA = tuple(f for f in VISIT_FIELDS if f not in ("patient_id", "month"))


def ttr_patients(
    cohort: Cohort,
    visits: pd.DataFrame,
    vr: pd.DataFrame,
    pats: pd.DataFrame,
    settings: Settings,
) -> tuple[pd.DataFrame, list[str]]:
    """Time to response per patient (data-contract §5).

    Only visits after month 0 can be events: time = month of the first visit meeting the
    event (CR or PR; or CR), event 1; else censored (0) at the last visit after month 0
    holding any canonical visit field. Patients with no such visit are left out (a note).
    Given ``ttr_months``/``ttr_event`` are used as they are only under the default event
    with ``recorded`` criteria.
    """
    notes: list[str] = []
    events = ("CR",) if settings.event == "cr" else ("CR", "PR")
    after = vr["month"] > 0
    hit = vr[after & vr["response"].isin(events)].groupby("patient_id")["month"].min()
    data_cols = [c for c in _VISIT_DATA if c in visits]
    has_data = visits[data_cols].notna().any(axis=1) if data_cols else visits["month"].isna()
    last = visits[(visits["month"] > 0) & has_data].groupby("patient_id")["month"].max()
    t = pats[["patient_id", "group"]].copy()
    t["time"] = t["patient_id"].map(hit).astype(float)
    t["event"] = t["time"].notna().astype(int)
    t["time"] = t["time"].fillna(t["patient_id"].map(last).astype(float))

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
