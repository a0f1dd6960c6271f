"""Renal-flare detection over visit arrays (core.analyses.flares has the definitions in
words): one :class:`FlareDefinition`, vectorised over every responder at once."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from core.outcomes.criteria import geq

Confirmation = Literal["none", "next-visit"]


@dataclass(frozen=True)
class FlareDefinition:
    """One renal-flare definition: ``kind`` ``aurora2`` or ``custom`` (fold, floor in g/g,
    creatinine rise in %, custom only) and the confirmation rule."""

    name: str = "aurora2"
    kind: Literal["aurora2", "custom"] = "aurora2"
    confirmation: Confirmation = "none"
    fold: float = 2.0
    floor_upcr: float = 1.0
    creatinine_rise_pct: float | None = None

    def label(self) -> str:
        if self.kind == "aurora2":
            core = "AURORA 2: UPCR > 1 g/g after a nadir < 0.2, or > 2 g/g after a nadir 0.2–1.0"
        else:
            core = f"UPCR ≥ {self.fold:g} × nadir and ≥ {self.floor_upcr:g} g/g"
            if self.creatinine_rise_pct is not None:
                core += f", or creatinine ≥ {100 + self.creatinine_rise_pct:g} % of its nadir"
        conf = "confirmed at the next visit" if self.confirmation == "next-visit" else "unconfirmed"
        return f"{core} ({conf})"


def aurora2_threshold(nadir: np.ndarray) -> np.ndarray:
    """AURORA 2 flare threshold (g/g; a flare is UPCR > it) for a post-response nadir:
    1.0 when nadir < 0.2, 2.0 when 0.2 ≤ nadir ≤ 1.0, NaN (no flare possible) above 1.0."""
    nadir = np.asarray(nadir, float)
    return np.where(nadir < 0.2, 1.0, np.where(nadir <= 1.0, 2.0, np.nan))


def _meets(defn: FlareDefinition, p, nadir, c, c_nadir) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(flare by UPCR or creatinine, by creatinine alone, UPCR threshold) at each visit, for
    arrays of UPCR, its nadir, creatinine and its nadir (NaN compares False)."""
    if defn.kind == "aurora2":
        thr = aurora2_threshold(nadir)
        return p > thr, np.zeros(len(p), bool), thr
    ok = ~np.isnan(nadir)
    thr = np.where(ok, np.maximum(defn.fold * nadir, defn.floor_upcr), np.nan)
    by_p = ~np.isnan(p) & ok & geq(p, defn.fold * nadir) & geq(p, defn.floor_upcr)
    by_c = np.zeros(len(p), bool)
    if defn.creatinine_rise_pct is not None:
        by_c = ~(np.isnan(c) | np.isnan(c_nadir))
        by_c &= geq(c, (1 + defn.creatinine_rise_pct / 100) * c_nadir)
    return by_p | by_c, by_c & ~by_p, thr


def _next_at_or_after(mask: np.ndarray) -> np.ndarray:
    """For each row i (and one past the end), the first row j ≥ i where ``mask`` holds (len:
    none). Rows of several patients: the caller checks j against the patient's end."""
    n = len(mask)
    idx = np.where(mask, np.arange(n), n)
    out = np.minimum.accumulate(idx[::-1])[::-1] if n else idx
    return np.r_[out, n]


def _ranges(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rows a[i] … b[i] − 1 of every i, concatenated, and the i of each row."""
    lengths = np.maximum(b - a, 0)
    which = np.repeat(np.arange(len(a)), lengths)
    start = np.cumsum(lengths) - lengths
    return a[which] + np.arange(lengths.sum()) - start[which], which


def _running_nadir(values: np.ndarray, which: np.ndarray) -> np.ndarray:
    """Lowest non-missing value so far within each run of ``which`` (NaN before the first)."""
    s = pd.Series(values).groupby(which).cummin()  # NaN where the value is missing
    return s.groupby(which).ffill().to_numpy(float)


def flare_rows(defn: FlareDefinition, end, month, p, c, responded) -> dict[str, np.ndarray]:
    """The flares of many patients at once (the rules of the module docstring).

    Rows are visits after month 0, each patient's rows together and sorted by month;
    ``end[r]`` is the row after the last of row r's patient. Every patient is followed in
    rounds: from ``lo`` (its first row), the first response, then the first flare after it
    (nadir = the lowest value from the response up to the visit before), then again from
    the row after the flare (and its confirming visit), until no response or no flare is
    left. Returns arrays, one entry per flare in (patient, order) order: ``row`` (the flare
    visit), ``response_row``, ``nadir_upcr``, ``threshold_upcr``, ``nadir_creatinine``,
    ``by_creatinine``, ``confirmed_month``.
    """
    n = len(month)
    end = np.asarray(end, np.int64)
    next_resp = _next_at_or_after(np.asarray(responded, bool))
    next_p, next_c = _next_at_or_after(~np.isnan(p)), _next_at_or_after(~np.isnan(c))
    # first row of each patient with the same month: where searchsorted(month, m) lands
    new = np.ones(n, bool)
    new[1:] = (end[1:] != end[:-1]) | (month[1:] != month[:-1])
    run_first = np.maximum.accumulate(np.where(new, np.arange(n), 0)) if n else new.astype(int)
    starts = np.flatnonzero(np.r_[True, end[1:] != end[:-1]]) if n else np.array([], np.int64)
    lo = starts.astype(np.int64)
    found: list[dict[str, np.ndarray]] = []
    while len(lo):
        s = next_resp[lo]
        s = s[s < end[lo]]  # patients with a response at or after lo
        if not len(s):
            break
        rows, which = _ranges(s, end[s])  # the response row, then the rows after it
        nad = _running_nadir(p[rows], which)
        c_nad = _running_nadir(c[rows], which)
        after = np.flatnonzero(rows != s[which])  # visits examined: after the response
        k, nad, c_nad = rows[after], nad[after - 1], c_nad[after - 1]
        hit, by_c, thr = _meets(defn, p[k], nad, c[k], c_nad)
        confirmed = month[k]
        if defn.confirmation == "next-visit":
            j = np.where(by_c, next_c[k + 1], next_p[k + 1])
            has = j < end[k]
            js = np.where(has, j, k)  # any row of the patient, ignored where not has
            ok, _, _ = _meets(defn, p[js], nad, c[js], c_nad)
            ok &= has
            confirmed = np.where(ok, month[js], np.nan)
            hit &= ok
        else:
            js = k
        h = np.flatnonzero(hit)
        _, first = np.unique(which[after][h], return_index=True)  # the first flare per patient
        f = h[first]
        found.append(
            {
                "row": k[f], "response_row": s[which[after][f]], "nadir_upcr": nad[f],
                "threshold_upcr": thr[f], "nadir_creatinine": c_nad[f],
                "by_creatinine": by_c[f], "confirmed_month": confirmed[f],
            }
        )  # fmt: skip
        # a new response counts only after the flare and from its confirming visit on
        lo = np.maximum(k[f] + 1, run_first[js[f]] + 1)
        lo = lo[lo < end[k[f]]]
    keys = ("row", "response_row", "nadir_upcr", "threshold_upcr", "nadir_creatinine",
            "by_creatinine", "confirmed_month")  # fmt: skip
    if not found:
        kinds = {"row": np.int64, "response_row": np.int64, "by_creatinine": bool}
        return {key: np.array([], kinds.get(key, float)) for key in keys}
    out = {key: np.concatenate([r[key] for r in found]) for key in keys}
    order = np.argsort(out["row"], kind="stable")  # patients' rows are in order
    return {key: v[order] for key, v in out.items()}


def patient_flares(defn: FlareDefinition, month, p, c, responded) -> list[dict]:
    """The flares of one patient (visits sorted by month, after month 0).

    Returns one dict per flare: response_month, month, upcr, nadir_upcr, threshold_upcr,
    creatinine, nadir_creatinine, by_creatinine, confirmed_month.
    """
    month, p, c = (np.asarray(a, float) for a in (month, p, c))
    f = flare_rows(defn, np.full(len(month), len(month)), month, p, c, responded)
    return [
        {
            "response_month": float(month[s]), "month": float(month[k]), "upcr": p[k],
            "nadir_upcr": f["nadir_upcr"][i], "threshold_upcr": f["threshold_upcr"][i],
            "creatinine": c[k], "nadir_creatinine": f["nadir_creatinine"][i],
            "by_creatinine": bool(f["by_creatinine"][i]),
            "confirmed_month": float(f["confirmed_month"][i]),
        }
        for i, (k, s) in enumerate(zip(f["row"], f["response_row"], strict=True))
    ]  # fmt: skip
