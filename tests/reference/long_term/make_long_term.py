#!/usr/bin/env python3
"""Deterministic extension of the validation cohort with what long-term outcomes need.

Reads ``../cohort_long.csv`` (90 patients, visits to month 13) and writes
``cohort_long_term.csv``: the same visits plus follow-up visits at months 15, 18, 21 and 24
(UPCR, creatinine, eGFR = CKD-EPI 2021, prednisolone dose and a recorded response), IV
pulses (``steroid_pulse_mg`` with or without ``steroid_pulse_days``) and the patient
columns ``death``, ``death_month``, ``dialysis_month`` and ``transplant_month``.

Planted cases (``FLARE_CASES``, ``KIDNEY_CASES``) sit exactly on the edges of the rules:
the AURORA 2 nadir edges 0.2 and 1.0, the 1 and 2 g/g thresholds, the custom rule's fold
and floor, a confirmed and an unconfirmed flare, a second flare after a new response, a
sustained and a transient eGFR decline, a doubling of creatinine exactly at 2 × baseline at
the last visit, ESKD with dialysis, a transplant, deaths with and without a month.

Usage: python make_long_term.py   (rerun gives byte-identical output)
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
SEED = 13
EXTRA_MONTHS = (15, 18, 21, 24)

# patient -> (UPCR held after the first response, then UPCR at months 15, 18, 21, 24;
# response recorded at those months). The nadir is the lowest UPCR since the response.
FLARE_CASES: dict[str, tuple[float, list[float], list[str]]] = {
    # nadir 0.19 (< 0.2) then 1.01 (> 1): AURORA 2 flare, confirmed at 21
    "PT003": (0.24, [0.19, 1.01, 1.01, 0.40], ["CR", "NR", "NR", "CR"]),
    # nadir exactly 0.2 (the 0.2-1.0 band) then 1.5: no AURORA 2 flare; custom flare
    "PT007": (0.25, [0.20, 1.50, 1.50, 0.80], ["CR", "NR", "NR", "PR"]),
    # nadir 0.1 then exactly 1.0: not > 1 (no AURORA 2 flare); custom floor 1.0 met on paper
    "PT009": (0.30, [0.10, 1.00, 0.90, 0.50], ["CR", "NR", "NR", "PR"]),
    # nadir exactly 1.0 (in the band) then 2.01: AURORA 2 flare, not confirmed (1.5 at 21)
    "PT013": (1.10, [1.00, 2.01, 1.50, 1.20], ["PR", "NR", "PR", "PR"]),
    # nadir exactly 1.0 then exactly 2.0: not > 2 (no AURORA 2 flare); custom fold met
    "PT016": (1.10, [1.00, 2.00, 2.00, 1.10], ["PR", "NR", "NR", "PR"]),
    # nadir 1.01 (above the band): no AURORA 2 flare whatever follows; custom flare
    "PT019": (1.20, [1.01, 5.00, 5.00, 4.00], ["PR", "NR", "NR", "NR"]),
    # flare at 15, new response (CR) at 18, second flare at 24 (2.5 after a nadir of 0.3)
    "PT024": (0.10, [3.00, 0.30, 0.35, 2.50], ["NR", "CR", "CR", "NR"]),
}
# patient -> creatinine multiplier of the baseline at months 15, 18, 21, 24 (NaN: no visit)
KIDNEY_CASES: dict[str, list[float]] = {
    "PT027": [1.05, 1.45, 1.45, 1.10],  # eGFR decline >= 30 % sustained at 18 and 21
    "PT033": [1.05, 1.10, 1.10, 2.00],  # doubling exactly 2 x baseline at the last visit
    "PT036": [1.05, 1.60, 1.00, 1.05],  # transient decline: not sustained
    "PT041": [1.20, 2.50, 6.00, 6.50],  # eGFR < 15 at 21 and 24; dialysis from month 22
    "PT045": [1.05, 1.05, 1.10, 1.10],  # transplant at month 30 (after the last visit)
}
DEATHS: dict[str, float] = {"PT041": 26.0, "PT052": 10.5, "PT058": np.nan}  # NaN: month unknown
DIALYSIS = {"PT041": 22.0, "PT045": 20.0}
TRANSPLANT = {"PT045": 30.0}


def ckd_epi_2021(scr: float, age: float, sex: str) -> float:
    """CKD-EPI 2021 (race-free), clinical-rules §4 (scalar math: identical everywhere)."""
    kappa, alpha = (0.7, -0.241) if sex == "F" else (0.9, -0.302)
    r = scr / kappa
    egfr = 142.0 * min(r, 1.0) ** alpha * max(r, 1.0) ** -1.200 * 0.9938**age
    return egfr * 1.012 if sex == "F" else egfr


def _kdigo_like(p: float, p0: float) -> str:
    if p < 0.5:
        return "CR"
    return "PR" if p <= 0.5 * p0 and p < 3.0 else "NR"


def extend(d: pd.DataFrame) -> pd.DataFrame:
    rng = np.random.default_rng(SEED)
    pats = d.drop_duplicates("patient_id").set_index("patient_id")
    base = d[d["month"] == 0].set_index("patient_id")
    rows = []
    for pid, v in d.groupby("patient_id", sort=True):
        z = rng.normal(size=(3, len(EXTRA_MONTHS)))
        skip = rng.uniform(size=len(EXTRA_MONTHS)) < 0.08
        if (
            v["month"].max() < 11
            or pid in DEATHS
            and not np.isnan(DEATHS[pid])
            and DEATHS[pid] < 12
        ):
            continue
        p_last = v["upcr"].dropna().iloc[-1]
        c0 = (
            base.loc[pid, "creatinine"]
            if pd.notna(base.loc[pid, "creatinine"])
            else v["creatinine"].dropna().iloc[0]
        )
        c_last = v["creatinine"].dropna().iloc[-1]
        dose = v["steroid_mg"].dropna().iloc[-1]
        p0 = base.loc[pid, "upcr"]
        for k, m in enumerate(EXTRA_MONTHS):
            if skip[k] and pid not in FLARE_CASES and pid not in KIDNEY_CASES:
                continue
            p = float(np.round(p_last * np.exp(0.45 * z[0, k]), 2))
            c = float(np.round(c_last * np.exp(0.06 * z[1, k]), 2))
            dose = max(2.5, 2.5 * np.round(dose * 0.9 / 2.5))
            resp = _kdigo_like(p, p0)
            if pid in FLARE_CASES:
                p, resp = FLARE_CASES[pid][1][k], FLARE_CASES[pid][2][k]
            if pid in KIDNEY_CASES:
                c = float(np.round(c0 * KIDNEY_CASES[pid][k], 2))
            rows.append(
                {
                    "patient_id": pid,
                    "month": m,
                    "upcr": p,
                    "creatinine": c,
                    "steroid_mg": float(dose),
                    "response": resp,
                }
            )
    ext = pd.DataFrame(rows)
    for col in ("group", "isn_class", "sex", "age"):
        ext[col] = ext["patient_id"].map(pats[col])
    ext["egfr"] = [
        ckd_epi_2021(c, a, s)
        for c, a, s in zip(ext["creatinine"], ext["age"], ext["sex"], strict=True)
    ]
    out = pd.concat([d, ext], ignore_index=True)
    # planted flare cases: UPCR held at or above the planted nadir after the first response
    for pid, (hold, _, _) in FLARE_CASES.items():
        at = out["patient_id"] == pid
        first = out.loc[at & (out["month"] > 0) & out["response"].isin(["CR", "PR"]), "month"].min()
        rows = at & (out["month"] >= first) & (out["month"] <= 13)
        out.loc[rows, "upcr"] = hold
    # pulses at month 0: every 4th patient 500 mg x 3 days; every 10th (from the 4th) 250 mg,
    # days not recorded; PT024 500 mg x 3 days at its month-15 flare
    idx = out["patient_id"].str[2:].astype(int)
    m0 = out["month"] == 0
    out["steroid_pulse_mg"] = np.where(
        m0 & (idx % 4 == 0), 500.0, np.where(m0 & (idx % 10 == 4), 250.0, np.nan)
    )
    out["steroid_pulse_days"] = np.where(m0 & (idx % 4 == 0), 3.0, np.nan)
    flare = (out["patient_id"] == "PT024") & (out["month"] == 15)
    out.loc[flare, ["steroid_pulse_mg", "steroid_pulse_days"]] = [500.0, 3.0]
    out["death"] = out["patient_id"].isin(list(DEATHS)).astype(int)
    out["death_month"] = out["patient_id"].map(DEATHS)
    out["dialysis_month"] = out["patient_id"].map(DIALYSIS)
    out["transplant_month"] = out["patient_id"].map(TRANSPLANT)
    # PT052 died at month 10.5: its visits after that are dropped
    out = out[~((out["patient_id"] == "PT052") & (out["month"] > 10.5))]
    return out.sort_values(["patient_id", "month"], kind="stable").reset_index(drop=True)


def csv_text(df: pd.DataFrame) -> str:
    txt = df.astype(object).where(df.notna(), "")
    for col, fmt in (
        ("upcr", "{:.2f}"),
        ("creatinine", "{:.2f}"),
        ("steroid_mg", "{:.1f}"),
        ("albumin", "{:.1f}"),
    ):
        txt[col] = [fmt.format(x) if pd.notna(x) else "" for x in df[col]]
    txt["egfr"] = [repr(float(x)) if pd.notna(x) else "" for x in df["egfr"]]
    for col in (
        "month",
        "age",
        "anti_dsdna",
        "c3",
        "c4",
        "sledai",
        "steroid_pulse_mg",
        "steroid_pulse_days",
        "death_month",
        "dialysis_month",
        "transplant_month",
    ):
        txt[col] = [f"{x:g}" if pd.notna(x) else "" for x in df[col]]
    txt["anti_dsdna_pos"] = [
        ("TRUE" if x else "FALSE") if pd.notna(x) else "" for x in df["anti_dsdna_pos"]
    ]
    return txt.to_csv(index=False, lineterminator="\n")


def main() -> int:
    d = pd.read_csv(
        HERE.parent / "cohort_long.csv", dtype={"patient_id": str}, float_precision="round_trip"
    )
    out = extend(d)
    (HERE / "cohort_long_term.csv").write_text(csv_text(out), encoding="utf-8")
    print(f"{out['patient_id'].nunique()} patients, {len(out)} visits")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
