#!/usr/bin/env python3
"""Deterministic generator of the bundled SYNTHETIC demo cohort (29 patients, no real data).

The cohort is shaped like the seed study (clinical-rules §5): 12 refractory and 17 relapse
patients, visits at months 0, 3, 6, 9 and 12 (exactly on schedule, a few missing), and a
recorded renal response that reproduces its headline counts under the contract's
complete-case rule: month 6, 26 evaluable, CR 4, PR 10; month 12, 27 evaluable, CR 7, PR 8.

The recorded responses come from fixed per-group trajectories (``TRAJECTORIES``), shuffled
over the patients of each group with a seeded ``numpy.random.default_rng``; the labs are then
drawn to agree with each visit's state under KDIGO 2024 (clinical-rules §1), except at the two
visits marked ``*`` where the investigator's judgement differs from the rule on purpose.

Writes, into ``--out`` (default: this folder):
  demo_cohort_long.csv            canonical long form (columns of tests/reference/cohort_long.csv)
  demo_cohort_wide.xlsx           one row per patient, English headers, albumin in g/L, no eGFR
  demo_cohort_wide.mapping.json   mapping for the wide file (data-contract §3)

Reruns are byte-identical: fixed seed, fixed workbook times, fixed zip entry times.

Usage: python data/demo/make_demo.py [--out DIR]
"""

from __future__ import annotations

import argparse
import io
import json
import re
import zipfile
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd

SEED = 20240629
HERE = Path(__file__).resolve().parent
MONTHS = (0, 3, 6, 9, 12)
ANTI_DSDNA_CUTOFF = 30  # IU/mL: positive at or above (the synthetic assay's cut-off)
FIXED_TIME = datetime(2025, 1, 1)  # workbook created/modified and zip entry times

# Recorded response at months 3, 6, 9, 12 ("-" = no visit). Month 0 is always NR.
# "PR*": recorded PR although UPCR fell by under half (KDIGO NR); "NR*": recorded NR although
# UPCR fell by more than half (KDIGO PR). Column sums give the seed study's counts.
# fmt: off
TRAJECTORIES: dict[str, list[str]] = {
    "refractory": [
        "NR CR CR CR", "NR PR PR CR", "NR PR PR PR", "PR PR PR PR", "NR NR PR PR",
        "NR NR NR NR", "NR NR PR NR", "NR NR NR NR", "NR - NR NR", "NR NR NR -",
        "NR NR NR NR*", "- NR NR NR",
    ],
    "relapse": [
        "PR CR CR CR", "PR CR CR CR", "CR CR CR PR", "PR PR CR CR", "PR PR PR CR",
        "NR PR PR PR", "PR PR PR PR", "NR PR* PR PR", "NR PR NR NR", "PR PR PR -",
        "NR - PR PR", "NR - NR NR", "NR NR NR NR", "NR NR NR NR", "NR NR PR CR",
        "NR NR - NR", "NR NR NR NR",
    ],
}
CLASS_COUNTS = {"III": 5, "IV": 11, "V": 4, "III+V": 3, "IV+V": 6}
SEX_COUNTS = {"F": 26, "M": 3}
# fmt: on
LONG_COLUMNS = [
    "patient_id",
    "group",
    "isn_class",
    "sex",
    "age",
    "month",
    "upcr",
    "creatinine",
    "egfr",
    "albumin",
    "anti_dsdna",
    "anti_dsdna_pos",
    "c3",
    "c4",
    "sledai",
    "steroid_mg",
    "response",
    "death",
    "death_month",
]
# Long-term outcomes (core/analyses/kidney_outcomes.py): one refractory never-responder
# (the first by ID with all five visits) has its creatinine raised to 1.6 x baseline at months
# 9 and 12, a sustained eGFR decline (>= 30 %), and dies at DEATH_MONTH, after its last
# visit. Applied after every random draw, so no other value changes; its responses stay NR
# (UPCR above half of baseline), so the seed study's counts are untouched.
DECLINE_CREATININE = 1.6
DECLINE_MONTHS = (9, 12)
DEATH_MONTH = 14.0


def ckd_epi_2021(creatinine_mg_dl: float, age: float, sex: str) -> float:
    """CKD-EPI 2021 (race-free) eGFR, clinical-rules §4.

    Scalar ``math`` on purpose: numpy's SIMD ``power`` may differ by an ulp between CPUs,
    and the stored full-precision eGFR must be byte-identical on every machine.
    """
    kappa, alpha = (0.7, -0.241) if sex == "F" else (0.9, -0.302)
    r = creatinine_mg_dl / kappa
    egfr = 142.0 * min(r, 1.0) ** alpha * max(r, 1.0) ** -1.200 * 0.9938**age
    return egfr * 1.012 if sex == "F" else egfr


def build_patients(rng: np.random.Generator) -> pd.DataFrame:
    """Patients DM001-DM029 with group, class, sex, age and their response trajectory."""
    n = sum(len(t) for t in TRAJECTORIES.values())
    groups = rng.permutation(np.repeat(list(TRAJECTORIES), [len(t) for t in TRAJECTORIES.values()]))
    classes = rng.permutation(np.repeat(list(CLASS_COUNTS), list(CLASS_COUNTS.values())))
    sexes = rng.permutation(np.repeat(list(SEX_COUNTS), list(SEX_COUNTS.values())))
    ages = np.clip(np.rint(rng.normal(34, 10, n)), 18, 60).astype(int)
    patients = pd.DataFrame(
        {
            "patient_id": [f"DM{i + 1:03d}" for i in range(n)],
            "group": groups,
            "isn_class": classes,
            "sex": sexes,
            "age": ages,
        }
    )
    trajectory = pd.Series("", index=patients.index)
    for group, templates in TRAJECTORIES.items():
        idx = patients.index[patients["group"] == group]
        trajectory[idx] = rng.permutation(templates)
    patients["trajectory"] = trajectory
    return patients


def visit_states(patients: pd.DataFrame) -> pd.DataFrame:
    """One row per scheduled visit that took place: recorded response and the lab state
    (the KDIGO state the labs are drawn to meet)."""
    states = patients["trajectory"].str.split(" ", expand=True)
    states.columns = list(MONTHS[1:])
    states.insert(0, 0, "NR")
    long = states.assign(patient_id=patients["patient_id"]).melt(
        id_vars="patient_id", var_name="month", value_name="state"
    )
    long = long[long["state"] != "-"].copy()
    long["response"] = long["state"].str.rstrip("*")
    flipped = {"PR*": "near", "NR*": "PR"}  # near: UPCR fell by a little under half
    long["lab_state"] = long["state"].map(flipped).fillna(long["response"])
    long["month"] = long["month"].astype(int)
    return long.sort_values(["patient_id", "month"], kind="stable").reset_index(drop=True)


def _grid(x: np.ndarray, lo: float, hi: float) -> np.ndarray:
    """Round to the integer grid and clip (values are integer hundredths, tenths or units)."""
    return np.clip(np.rint(x), lo, hi)


def draw_baseline(patients: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """Baseline labs and the prednisolone taper rate, one row per patient."""
    n = len(patients)
    female = (patients["sex"] == "F").to_numpy()
    responds = patients["trajectory"].str.contains("CR|PR").to_numpy()
    return pd.DataFrame(
        {
            "patient_id": patients["patient_id"],
            "upcr0": _grid(100 * np.exp(rng.normal(np.log(3.0), 0.5, n)), 120, 900),
            "cr0": _grid(
                100 * np.exp(rng.normal(np.log(np.where(female, 0.80, 1.05)), 0.25)), 50, 220
            ),
            "alb0": _grid(10 * rng.normal(2.9, 0.45, n), 18, 39),
            "ads0": _grid(np.exp(rng.normal(np.log(150), 0.8, n)), 15, 800),
            "c30": _grid(rng.normal(62, 15, n), 25, 110),
            "c40": _grid(rng.normal(10, 4, n), 2, 25),
            "sle0": _grid(rng.normal(12, 3.5, n), 6, 24),
            "ster0": rng.choice(
                [10, 15, 20, 25, 30, 40, 50], n, p=[0.10, 0.15, 0.20, 0.15, 0.20, 0.12, 0.08]
            ),
            # monthly taper rate: patients who never respond are tapered slowly or not at all
            "taper": np.where(responds, rng.uniform(0.07, 0.16, n), rng.uniform(-0.01, 0.08, n)),
        }
    )


def draw_labs(
    patients: pd.DataFrame, visits: pd.DataFrame, rng: np.random.Generator
) -> pd.DataFrame:
    """Labs on exact decimal grids (integer hundredths/tenths), agreeing with ``lab_state``."""
    v = visits.merge(
        draw_baseline(patients, rng), on="patient_id", how="left", validate="many_to_one"
    )
    n, t, s = len(v), v["month"].to_numpy(), v["lab_state"].to_numpy()
    cr, pr, near, follow = s == "CR", s == "PR", s == "near", t > 0
    stable = cr | pr | near  # eGFR kept within KDIGO's 15 %

    def by_state(if_cr, if_pr, otherwise):
        return np.select([cr, pr], [if_cr, if_pr], otherwise)

    u, z = rng.uniform(size=(8, n)), rng.normal(size=(6, n))
    p0, c0 = v["upcr0"].to_numpy(), v["cr0"].to_numpy()
    # UPCR (hundredths of g/g): CR < 0.5; PR <= half of baseline, 0.55-2.90; near 52-58 % of
    # baseline (KDIGO NR though recorded PR); NR 60-115 % of baseline
    upcr = np.select(
        [cr, pr, near],
        [
            8 + np.floor(u[0] * 38),
            np.clip(np.rint(p0 * (0.15 + 0.30 * u[0])), 55, np.minimum((p0 - 1) // 2, 290)),
            np.maximum(np.rint(p0 * (0.52 + 0.06 * u[0])), p0 // 2 + 1),
        ],
        np.rint(p0 * (0.60 + 0.55 * u[0])),
    )
    # creatinine (hundredths of mg/dL): at most 8 % above baseline when stable (eGFR >= 0.91 G0)
    ratio = np.where(
        stable,
        np.exp(-0.03 + 0.05 * z[0]).clip(0.85, 1.08),
        np.exp(0.02 + 0.08 * z[0]).clip(0.8, 1.3),
    )
    creat = np.minimum(np.rint(c0 * ratio), np.where(stable, np.floor(1.08 * c0), np.inf))
    alb = v["alb0"].to_numpy() + follow * by_state(6 + 6 * u[1], 2 + 6 * u[1], 2 * z[1])
    ads = v["ads0"].to_numpy() * np.exp(follow * (by_state(-1.0, -0.6, -0.1) + 0.4 * z[2]))
    c3 = v["c30"].to_numpy() + follow * by_state(15 + 20 * u[2], 5 + 20 * u[2], 8 * z[3])
    c4 = v["c40"].to_numpy() + follow * by_state(4 + 6 * u[3], 1 + 6 * u[3], 2.5 * z[4])
    sle = v["sle0"].to_numpy() - follow * by_state(6 + 6 * u[4], 3 + 4 * u[4], 1 + 2 * z[5])
    ster = 2.5 * np.rint(v["ster0"].to_numpy() * np.exp(-v["taper"].to_numpy() * t) / 2.5)
    out = v[["patient_id", "month", "response"]].copy()
    out["upcr"] = np.where(follow, upcr, p0) / 100
    out["creatinine"] = np.where(follow, creat, c0) / 100
    out["albumin"] = _grid(alb, 15, 48) / 10
    out["anti_dsdna"] = _grid(ads, 1, np.inf).astype(int)
    out["anti_dsdna_pos"] = out["anti_dsdna"] >= ANTI_DSDNA_CUTOFF
    out["c3"] = _grid(c3, 20, 160).astype(int)
    out["c4"] = _grid(c4, 2, 45).astype(int)
    out["sledai"] = _grid(sle, 0, 30).astype(int)
    out["steroid_mg"] = np.maximum(ster, 2.5)
    return out


def canonical_long(patients: pd.DataFrame, labs: pd.DataFrame) -> pd.DataFrame:
    """Canonical long table (numbers as numbers), eGFR from creatinine at full precision."""
    df = patients.drop(columns="trajectory").merge(labs, on="patient_id", validate="one_to_many")
    df["egfr"] = [
        ckd_epi_2021(c, a, s)
        for c, a, s in zip(df["creatinine"], df["age"], df["sex"], strict=True)
    ]
    return df[LONG_COLUMNS]


def long_csv_text(df: pd.DataFrame) -> str:
    """CSV text formatted like tests/reference/cohort_long.csv (fixed decimals, repr eGFR)."""
    txt = df.astype(str)
    txt["upcr"] = df["upcr"].map("{:.2f}".format)
    txt["creatinine"] = df["creatinine"].map("{:.2f}".format)
    txt["egfr"] = df["egfr"].map(repr)
    txt["albumin"] = df["albumin"].map("{:.1f}".format)
    txt["steroid_mg"] = df["steroid_mg"].map("{:.1f}".format)
    txt["anti_dsdna_pos"] = np.where(df["anti_dsdna_pos"], "TRUE", "FALSE")
    txt["death_month"] = [f"{x:g}" if pd.notna(x) else "" for x in df["death_month"]]
    return txt.to_csv(index=False, lineterminator="\n")


# ------------------------------------------------------------------ wide workbook

WIDE_PATIENT = {
    "Patient ID": "patient_id",
    "Group": "group",
    "ISN/RPS class": "isn_class",
    "Sex": "sex",
    "Age (years)": "age",
    "Died (0/1)": "death",
    "Month of death": "death_month",
}
WIDE_FIELDS = {  # header stem -> canonical field (albumin in g/L to exercise conversion)
    "UPCR (g/g)": "upcr",
    "Creatinine (mg/dL)": "creatinine",
    "Albumin (g/L)": "albumin",
    "Anti-dsDNA (IU/mL)": "anti_dsdna",
    "Anti-dsDNA positive": "anti_dsdna_pos",
    "C3 (mg/dL)": "c3",
    "C4 (mg/dL)": "c4",
    "SLEDAI-2K": "sledai",
    "Prednisolone (mg/day)": "steroid_mg",
    "Renal response": "response",
}
WIDE_VALUES = {"group": {"Refractory": "refractory", "Relapse": "relapse"}}
WIDE_UNITS = {"albumin": "g/L"}


def time_point(month: int) -> str:
    return "(baseline)" if month == 0 else f"(month {month})"


def wide_table(df: pd.DataFrame) -> tuple[pd.DataFrame, dict]:
    """One row per patient with spreadsheet-style headers, and the contract §3 mapping."""
    cells = df.copy()
    cells["albumin"] = np.rint(cells["albumin"] * 10).astype(int)  # g/dL -> g/L, exact
    cells["anti_dsdna_pos"] = np.where(cells["anti_dsdna_pos"], "positive", "negative")
    cells["group"] = cells["group"].str.capitalize()
    values = list(WIDE_FIELDS.values())
    wide = cells.pivot(index="patient_id", columns="month", values=values)
    patients = cells.drop_duplicates("patient_id").set_index("patient_id")[
        list(WIDE_PATIENT.values())[1:]
    ]
    columns = dict(WIDE_PATIENT)
    ordered = []
    for stem, field in WIDE_FIELDS.items():
        for m in MONTHS:
            header = f"{stem} {time_point(m)}"
            columns[header] = f"{field}_m{m}"
            ordered.append((header, (field, m)))
    body = pd.DataFrame({h: wide[key] for h, key in ordered}, index=wide.index)
    table = patients.join(body).reset_index()
    table.columns = list(WIDE_PATIENT) + [h for h, _ in ordered]
    mapping = {"columns": columns, "units": WIDE_UNITS, "values": WIDE_VALUES}
    return table, mapping


def xlsx_bytes(table: pd.DataFrame) -> bytes:
    """The wide table as an .xlsx whose bytes do not depend on when it was written."""
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "Cohort"
    ws.append(list(table.columns))
    for row in table.itertuples(index=False):
        ws.append([None if pd.isna(x) else x.item() if hasattr(x, "item") else x for x in row])
    wb.properties.creator = "make_demo.py"
    wb.properties.created = FIXED_TIME
    buf = io.BytesIO()
    wb.save(buf)
    # openpyxl stamps the save time into docProps/core.xml and every zip entry: fix both
    stamp = FIXED_TIME.strftime("%Y-%m-%dT%H:%M:%SZ")
    out = io.BytesIO()
    with zipfile.ZipFile(buf) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                data = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*", rb"\g<1>" + stamp.encode(), data)
            fixed = zipfile.ZipInfo(info.filename, date_time=FIXED_TIME.timetuple()[:6])
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = info.external_attr
            dst.writestr(fixed, data)
    return out.getvalue()


# --------------------------------------------------------------------------- main


def add_kidney_decline(patients: pd.DataFrame, labs: pd.DataFrame) -> pd.DataFrame:
    """Labs with the decline case applied and the ``death``/``death_month`` columns (see
    ``DECLINE_CREATININE``); draws no random numbers."""
    full = labs.groupby("patient_id")["month"].count().eq(len(MONTHS))
    never = patients[(patients["group"] == "refractory")
                     & (patients["trajectory"] == "NR NR NR NR")]  # fmt: skip
    pid = sorted(p for p in never["patient_id"] if full.get(p, False))[0]
    out = labs.copy()
    mine = out["patient_id"] == pid
    c0 = out.loc[mine & (out["month"] == 0), "creatinine"].item()
    late = mine & out["month"].isin(DECLINE_MONTHS)
    out.loc[late, "creatinine"] = np.rint(100 * DECLINE_CREATININE * c0) / 100
    out["death"] = mine.astype(int)
    out["death_month"] = np.where(mine, DEATH_MONTH, np.nan)
    return out


def generate(seed: int = SEED) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(canonical long table, patients with their trajectories) for ``seed``."""
    rng = np.random.default_rng(seed)
    patients = build_patients(rng)
    labs = draw_labs(patients, visit_states(patients), rng)
    return canonical_long(patients, add_kidney_decline(patients, labs)), patients


def write_demo(out_dir: Path, seed: int = SEED) -> dict[str, Path]:
    """Write the three demo files into ``out_dir``; return their paths by kind."""
    out_dir.mkdir(parents=True, exist_ok=True)
    long, _ = generate(seed)
    paths = {
        "long": out_dir / "demo_cohort_long.csv",
        "wide": out_dir / "demo_cohort_wide.xlsx",
        "mapping": out_dir / "demo_cohort_wide.mapping.json",
    }
    paths["long"].write_bytes(long_csv_text(long).encode("utf-8"))
    table, mapping = wide_table(long)
    paths["wide"].write_bytes(xlsx_bytes(table))
    paths["mapping"].write_bytes((json.dumps(mapping, indent=2) + "\n").encode("utf-8"))
    return paths


def summary(long: pd.DataFrame) -> str:
    """Counts the README quotes, computed from the written table."""
    pat = long.drop_duplicates("patient_id")
    lines = [
        f"{len(pat)} patients; groups {pat['group'].value_counts().to_dict()}; "
        f"sex {pat['sex'].value_counts().to_dict()}; classes {pat['isn_class'].value_counts().to_dict()}; "
        f"age {pat['age'].min()}-{pat['age'].max()}; {len(long)} visits"
    ]
    for m in (3, 6, 9, 12):
        r = long.loc[long["month"] == m, "response"].value_counts()
        lines.append(
            f"month {m}: evaluable {r.sum()}, CR {r.get('CR', 0)}, PR {r.get('PR', 0)}, NR {r.get('NR', 0)}"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=HERE, help="output folder (default: here)")
    args = parser.parse_args(argv)
    paths = write_demo(args.out)
    print(summary(pd.read_csv(paths["long"])))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
