"""The vectorised flare rounds (``flare_rows``, ``flare_tables``) against the visit-by-visit
rules they replace, on random patients with ties, missing values, repeated months,
re-responses, confirmation and creatinine flares."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from core.analyses.flares import FlareDefinition, flare_rows
from core.outcomes.conditions import geq


def _meets_one(defn, p, nadir, c, c_nadir):
    """One visit, as the loop read it (the module docstring's rules)."""
    if defn.kind == "aurora2":
        thr = np.nan if np.isnan(nadir) else 1.0 if nadir < 0.2 else 2.0 if nadir <= 1.0 else np.nan
        return bool(p > thr), False, thr
    thr = max(defn.fold * nadir, defn.floor_upcr) if not np.isnan(nadir) else np.nan
    by_p = bool(
        not np.isnan(p) and not np.isnan(nadir)
        and geq(p, defn.fold * nadir) and geq(p, defn.floor_upcr)
    )  # fmt: skip
    by_c = False
    if defn.creatinine_rise_pct is not None and not (np.isnan(c) or np.isnan(c_nadir)):
        by_c = bool(geq(c, (1 + defn.creatinine_rise_pct / 100) * c_nadir))
    return by_p or by_c, by_c and not by_p, thr


def _loop(defn, month, p, c, responded):
    """The per-patient loop: (response month, month, nadir, threshold, creatinine nadir,
    by creatinine, confirmed month) of each flare."""
    out = []
    nadir = c_nadir = np.nan
    since, i, resume = None, 0, -1
    while i < len(month):
        if since is None:
            if i > resume and responded[i]:
                since, nadir, c_nadir = float(month[i]), p[i], c[i]
            i += 1
            continue
        hit, by_c, thr = _meets_one(defn, p[i], nadir, c[i], c_nadir)
        confirmed = float(month[i])
        if hit and defn.confirmation == "next-visit":
            col = c if by_c else p
            nxt = np.flatnonzero(~np.isnan(col[i + 1 :]))
            confirmed = np.nan
            if len(nxt):
                j = i + 1 + nxt[0]
                if _meets_one(defn, p[j], nadir, c[j], c_nadir)[0]:
                    confirmed = float(month[j])
            hit = not np.isnan(confirmed)
        if hit:
            out.append((since, float(month[i]), nadir, thr, c_nadir, by_c, confirmed))
            since, nadir, c_nadir = None, np.nan, np.nan
            resume = int(np.searchsorted(month, confirmed))
            i += 1
            continue
        nadir, c_nadir = np.fmin(nadir, p[i]), np.fmin(c_nadir, c[i])
        i += 1
    return out


DEFINITIONS = [
    FlareDefinition("aurora2", "aurora2"),
    FlareDefinition("aurora2", "aurora2", confirmation="next-visit"),
    FlareDefinition("custom", "custom", fold=2.0, floor_upcr=1.0),
    FlareDefinition("c", "custom", confirmation="next-visit", fold=1.5, floor_upcr=0.5,
                    creatinine_rise_pct=30.0),  # fmt: skip
    FlareDefinition("c", "custom", fold=2.0, floor_upcr=1.0, creatinine_rise_pct=25.0),
]


@pytest.mark.parametrize("defn", DEFINITIONS, ids=lambda d: d.label())
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_rounds_equal_the_visit_loop(defn: FlareDefinition, seed: int) -> None:
    rng = np.random.default_rng(seed)
    sizes = rng.integers(1, 12, 400)
    months, ps, cs, rs, expected = [], [], [], [], []
    for n in sizes:
        month = np.sort(rng.choice([1.0, 3.0, 3.0, 6.0, 9.0, 12.0, 15.0, 18.0, 24.0], n))
        # values on a coarse grid (ties on the thresholds), some missing
        p = rng.choice([0.05, 0.1, 0.19, 0.2, 0.5, 1.0, 1.01, 1.5, 2.0, 2.01, 3.0, np.nan], n)
        c = rng.choice([0.8, 1.0, 1.04, 1.25, 1.3, 1.5, np.nan], n)
        r = rng.random(n) < 0.35
        months.append(month), ps.append(p), cs.append(c), rs.append(r)
        expected.append(_loop(defn, month, p, c, r))
    ends = np.cumsum(sizes)
    end = np.repeat(ends, sizes)
    month, p, c, r = (np.concatenate(a) for a in (months, ps, cs, rs))
    f = flare_rows(defn, end, month, p, c, r)
    who = np.searchsorted(ends, f["row"], side="right")
    got = [[] for _ in sizes]
    for i, k in enumerate(f["row"]):
        got[who[i]].append(
            (float(month[f["response_row"][i]]), float(month[k]), f["nadir_upcr"][i],
             f["threshold_upcr"][i], f["nadir_creatinine"][i], bool(f["by_creatinine"][i]),
             float(f["confirmed_month"][i]))
        )  # fmt: skip
    assert sum(map(len, expected)) > 50  # the draw has flares to compare
    for g, e in zip(got, expected, strict=True):
        assert pd.DataFrame(g, dtype=float).equals(pd.DataFrame(e, dtype=float)), (g, e)
