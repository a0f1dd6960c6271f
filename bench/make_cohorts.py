#!/usr/bin/env python3
"""Seeded generator of large SYNTHETIC canonical cohorts for benchmarks.

Each cohort has N patients x 5 visits (months 0, 3, 6, 9, 12) in exactly the layout of
``tests/reference/cohort_long.csv`` (same columns and order, patient fields on every row,
fixed decimals, full-precision CKD-EPI 2021 eGFR from the stored creatinine, ``TRUE``/``FALSE``
positivity, a recorded response that is NR at month 0), written as CSV and Parquet into
``bench/data/`` (git-ignored): ``cohort_<N>.csv`` and ``cohort_<N>.parquet``.

Everything is vectorised numpy/pyarrow (no loop per patient or visit): 1,000,000 patients
(5,000,000 rows) take a few seconds to simulate. Each size uses its own stream,
``numpy.random.default_rng([seed, N])``, so a cohort does not depend on the other sizes.

Usage: python bench/make_cohorts.py --sizes 1000 10000 100000 [--formats csv parquet]
       [--seed 2024] [--out bench/data]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

HERE = Path(__file__).resolve().parent
MONTHS = np.array([0, 3, 6, 9, 12])
GROUPS = ["refractory", "relapse"]
CLASSES = ["III", "IV", "V", "III+V", "IV+V"]
CLASS_P = [0.18, 0.36, 0.16, 0.10, 0.20]
RESPONSES = ["CR", "PR", "NR"]
ANTI_DSDNA_CUTOFF = 30  # IU/mL, positive at or above
MISSING_RATE = 0.02  # single lab values missing at follow-up visits
COLUMNS = ["patient_id", "group", "isn_class", "sex", "age", "month", "upcr", "creatinine",
           "egfr", "albumin", "anti_dsdna", "anti_dsdna_pos", "c3", "c4", "sledai",
           "steroid_mg", "response"]  # fmt: skip


def ckd_epi_2021(creatinine_mg_dl: np.ndarray, age: np.ndarray, female: np.ndarray) -> np.ndarray:
    """CKD-EPI 2021 (race-free) eGFR, mL/min/1.73 m² (clinical-rules §4), vectorised."""
    kappa = np.where(female, 0.7, 0.9)
    alpha = np.where(female, -0.241, -0.302)
    r = creatinine_mg_dl / kappa
    egfr = 142.0 * np.minimum(r, 1.0) ** alpha * np.maximum(r, 1.0) ** -1.2 * 0.9938**age
    return egfr * np.where(female, 1.012, 1.0)


def _grid(x: np.ndarray, lo: float, hi: float) -> np.ndarray:
    """Integer grid (hundredths, tenths or units of the canonical unit), clipped."""
    return np.clip(np.rint(x), lo, hi).astype(np.int64)


def simulate(n_patients: int, seed: int = 2024) -> dict[str, np.ndarray]:
    """Canonical cohort as arrays, one entry per visit row (patient-major, month-minor).

    Patient-level arrays (``group`` and ``isn_class`` as codes into ``GROUPS`` and
    ``CLASSES``, ``male`` bool, ``age``) have one entry per patient; visit arrays hold
    integer grid values (``upcr_k`` hundredths of g/g, ``creatinine_k`` hundredths of
    mg/dL, ``albumin_k`` tenths of g/dL, ``steroid_k`` tenths of mg/day) and a boolean
    ``*_ok`` mask per lab (False = missing). ``response`` holds codes into ``RESPONSES``.
    """
    rng = np.random.default_rng([seed, n_patients])
    n, v = n_patients, len(MONTHS)
    group = (rng.random(n) >= 0.45).astype(np.int8)  # 0 refractory, 1 relapse
    isn = rng.choice(len(CLASSES), n, p=CLASS_P).astype(np.int8)
    male = rng.random(n) >= 0.85
    age = _grid(rng.normal(38, 12, n), 18, 70)
    # log(UPCR_12 / UPCR_0): relapse patients respond better; class V a little worse
    effect = rng.normal(np.where(group == 0, -0.75, -1.20) + 0.2 * (isn == 2), 1.0)

    t = np.tile(MONTHS, n)
    share = (1 - np.exp(-t / 4)) / (1 - np.exp(-3))  # share of the 12-month effect
    eff = np.repeat(effect, v) * share
    follow = t > 0

    def per_visit(baseline: np.ndarray) -> np.ndarray:
        return np.repeat(baseline, v)

    noise = rng.normal(size=(7, n * v)) * follow  # baseline visits carry no visit noise
    upcr0 = per_visit(np.exp(rng.normal(np.log(np.where(group == 0, 2.6, 2.2)), 0.6)))
    upcr_k = _grid(100 * upcr0 * np.exp(eff + 0.25 * noise[0]), 3, 1500)
    cr0 = per_visit(np.exp(rng.normal(np.log(np.where(male, 1.10, 0.85)), 0.32)))
    creatinine_k = _grid(100 * cr0 * np.exp(0.05 * eff + 0.05 * share + 0.08 * noise[1]), 30, 600)
    albumin_k = _grid(10 * (per_visit(rng.normal(3.1, 0.5, n)) + np.minimum(1.2, -0.4 * eff)
                            + 0.2 * noise[2]), 15, 50)  # fmt: skip
    anti_dsdna = _grid(per_visit(np.exp(rng.normal(np.log(90), 1.0, n)))
                       * np.exp(0.5 * eff - 0.3 * share + 0.5 * noise[3]), 1, 5000)  # fmt: skip
    c3 = _grid(per_visit(rng.normal(70, 18, n)) + (5 * share - 6 * eff) + 10 * noise[4], 15, 180)
    c4 = _grid(per_visit(rng.normal(12, 5, n)) + (1.5 * share - 2 * eff) + 3 * noise[5], 2, 50)
    sledai = _grid(per_visit(rng.normal(8, 3, n)) + (3 * eff - 1.5 * share) + 2 * noise[6], 0, 30)
    steroid0 = per_visit(rng.choice([5, 7.5, 10, 15, 20, 30, 40, 60], n))
    taper = per_visit(rng.uniform(0.0, 0.15, n))
    steroid_k = 25 * _grid(steroid0 * np.exp(-taper * t) / 2.5, 0, 80)  # 2.5 mg steps, tenths

    egfr = ckd_epi_2021(creatinine_k / 100, per_visit(age), ~per_visit(male))
    upcr_b, egfr_b = per_visit(upcr_k[::v]), per_visit(egfr[::v])
    stable = egfr >= 0.85 * egfr_b
    cr = (upcr_k < 50) & stable  # KDIGO 2024 on the grid values, then investigator noise
    pr = ~cr & (2 * upcr_k <= upcr_b) & (upcr_k < 300) & stable
    response = np.select([cr, pr], [0, 1], 2).astype(np.int8)
    flip = rng.random(n * v) < 0.05
    response = np.where(flip, rng.integers(0, 3, n * v), response).astype(np.int8)
    response[~follow] = 2  # NR at month 0

    missing = (rng.random((6, n * v)) < MISSING_RATE) & follow
    ok = dict(
        zip(["upcr", "creatinine", "albumin", "anti_dsdna", "c3", "c4"], ~missing, strict=True)
    )
    return {
        "n_patients": np.array(n), "group": group, "isn_class": isn, "male": male, "age": age,
        "month": t, "upcr_k": upcr_k, "creatinine_k": creatinine_k, "egfr": egfr,
        "albumin_k": albumin_k, "anti_dsdna": anti_dsdna, "c3": c3, "c4": c4, "sledai": sledai,
        "steroid_k": steroid_k, "response": response,
        **{f"{k}_ok": m for k, m in ok.items()},
    }  # fmt: skip


def _patient_ids(n: int) -> pa.Array:
    width = max(3, len(str(n)))
    return pa.array(np.strings.add("PT", np.strings.zfill(np.arange(1, n + 1).astype(str), width)))


def _labels(codes: np.ndarray, labels: list[str]) -> pa.Array:
    return pc.take(pa.array(labels), pa.array(codes))


def _fixed(k: np.ndarray, scale: int, ok: np.ndarray | None) -> pa.Array:
    """Integer grid ``k`` as decimal(12, scale), which Arrow writes with fixed decimals."""
    data = np.stack([k, np.zeros_like(k)], axis=1).astype("<i8").ravel()  # 128-bit, k >= 0
    validity = None if ok is None else pa.py_buffer(np.packbits(ok, bitorder="little"))
    nulls = 0 if ok is None else int((~ok).sum())
    return pa.Array.from_buffers(
        pa.decimal128(12, scale), len(k), [validity, pa.py_buffer(data)], nulls
    )


# canonical column -> (grid array in `simulate`, decimals written, missing mask or None)
FIXED = {"upcr": ("upcr_k", 2, "upcr"), "creatinine": ("creatinine_k", 2, "creatinine"),
         "albumin": ("albumin_k", 1, "albumin"), "steroid_mg": ("steroid_k", 1, None)}  # fmt: skip


def canonical_table(sim: dict[str, np.ndarray]) -> pa.Table:
    """Arrow table in the canonical column order and types (for Parquet): string labels,
    int64 age and month, float64 labs (missing = null), bool positivity."""
    n, v = int(sim["n_patients"]), len(MONTHS)
    ok = {k.removesuffix("_ok"): sim[k] for k in sim if k.endswith("_ok")}

    def visit(values: np.ndarray, key: str | None = None) -> pa.Array:
        return pa.array(values, mask=None if key is None else ~ok[key])

    cols = {
        "patient_id": pc.take(_patient_ids(n), pa.array(np.repeat(np.arange(n), v))),
        "group": _labels(np.repeat(sim["group"], v), GROUPS),
        "isn_class": _labels(np.repeat(sim["isn_class"], v), CLASSES),
        "sex": _labels(np.repeat(sim["male"].astype(np.int8), v), ["F", "M"]),
        "age": visit(np.repeat(sim["age"], v)),
        "month": visit(sim["month"].astype(np.int64)),
        "egfr": visit(sim["egfr"], "creatinine"),
        "anti_dsdna_pos": visit(sim["anti_dsdna"] >= ANTI_DSDNA_CUTOFF, "anti_dsdna"),
        "response": _labels(sim["response"], RESPONSES),
    }
    for field in ("anti_dsdna", "c3", "c4", "sledai"):
        cols[field] = visit(sim[field].astype(np.float64), field if field in ok else None)
    for field, (key, scale, mask) in FIXED.items():
        cols[field] = visit(sim[key] / 10**scale, mask)
    return pa.table({c: cols[c] for c in COLUMNS})


def csv_table(sim: dict[str, np.ndarray]) -> pa.Table:
    """The canonical table spelled like the reference CSV: fixed decimals, whole numbers
    for counts and scores, ``TRUE``/``FALSE`` positivity."""
    table = canonical_table(sim)
    ok = {k.removesuffix("_ok"): sim[k] for k in sim if k.endswith("_ok")}
    replace = {field: _fixed(sim[key], scale, None if mask is None else ok[mask])
               for field, (key, scale, mask) in FIXED.items()}  # fmt: skip
    for field in ("anti_dsdna", "c3", "c4", "sledai"):
        replace[field] = table[field].cast(pa.int64())
    replace["anti_dsdna_pos"] = pc.if_else(table["anti_dsdna_pos"], "TRUE", "FALSE")
    for field, array in replace.items():
        table = table.set_column(table.column_names.index(field), field, array)
    return table


def write_csv(table: pa.Table, path: Path) -> None:
    """CSV like the reference: plain header line, no quotes, empty cells for missing."""
    with pa.OSFile(str(path), "wb") as sink:
        sink.write((",".join(table.column_names) + "\n").encode())
        options = pa_csv.WriteOptions(include_header=False, quoting_style="none")
        pa_csv.write_csv(table, sink, options)


def make_cohort(n_patients: int, out_dir: Path, formats: tuple[str, ...] = ("csv", "parquet"),
                seed: int = 2024) -> dict[str, Path]:  # fmt: skip
    """Simulate one cohort and write it as ``cohort_<N>.<ext>``; return paths by format."""
    out_dir.mkdir(parents=True, exist_ok=True)
    sim = simulate(n_patients, seed)
    paths = {}
    if "csv" in formats:
        paths["csv"] = out_dir / f"cohort_{n_patients}.csv"
        write_csv(csv_table(sim), paths["csv"])
    if "parquet" in formats:
        paths["parquet"] = out_dir / f"cohort_{n_patients}.parquet"
        pq.write_table(canonical_table(sim), paths["parquet"], compression="zstd")
    return paths


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 100000])
    parser.add_argument(
        "--formats", nargs="+", choices=["csv", "parquet"], default=["csv", "parquet"]
    )
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--out", type=Path, default=HERE / "data")
    args = parser.parse_args(argv)
    for n in args.sizes:
        start = time.perf_counter()
        paths = make_cohort(n, args.out, tuple(args.formats), args.seed)
        sizes = ", ".join(f"{p.name} {p.stat().st_size / 1e6:.1f} MB" for p in paths.values())
        print(
            f"{n:>9,} patients x {len(MONTHS)} visits: {sizes} ({time.perf_counter() - start:.1f} s)"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
