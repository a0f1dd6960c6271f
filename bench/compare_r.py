#!/usr/bin/env python3
"""Our report tables against R's on a bench cohort (default 100,000 patients).

Runs ``Rscript tests/reference/reference.R COHORT R_DIR`` (3–4 minutes at 100,000
patients on a quiet machine; skipped when R_DIR already holds its output) and ``python -m
core report COHORT [--class IV IV+V] [--criteria kdigo2024] --tables-only --out DIR`` for
the same four runs the reference tests use (whole cohort and class IV/IV+V; recorded
criteria: every table; kdigo2024: response_rates and response_tests), then compares them
with the rule of ``tests/test_reference_tables.py`` (its ``CONTRACT`` keys and columns,
counts exact, everything else 1e-5 relative, 1e-12 absolute where R gives 0), listing
every differing cell: table, row key, column, ours, R's.

Usage: python bench/compare_r.py [--cohort bench/data/cohort_100000.csv]
       [--r-out bench/data/r_100000] [--ours bench/data/ours_100000] [--max-rows 20]
Exit code 0 when every table agrees, 1 otherwise.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from test_reference_tables import CONTRACT, COUNTS, _keyed, compare_table  # noqa: E402

RECORDED = list(CONTRACT)
KDIGO = ["response_rates", "response_tests"]
# (name, report arguments, R subfolder, tables)
RUNS = [
    ("whole, recorded", [], "", RECORDED),
    ("whole, kdigo2024", ["--criteria", "kdigo2024"], "kdigo2024", KDIGO),
    ("class IV/IV+V, recorded", ["--class", "IV", "IV+V"], "class_IV_IVV", RECORDED),
    ("class IV/IV+V, kdigo2024", ["--class", "IV", "IV+V", "--criteria", "kdigo2024"],
     "class_IV_IVV/kdigo2024", KDIGO),
]  # fmt: skip


def run_r(cohort: Path, out: Path) -> float | None:
    """Run reference.R unless ``out`` already has its tables; seconds taken (None: reused)."""
    if (out / "cox.csv").is_file() and (out / "class_IV_IVV" / "kdigo2024").is_dir():
        return None
    rscript = shutil.which("Rscript")
    if rscript is None:
        raise SystemExit("Rscript not found: cannot compute the R reference")
    out.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    subprocess.run([rscript, str(ROOT / "tests/reference/reference.R"), str(cohort), str(out)],
                   cwd=ROOT, check=True)  # fmt: skip
    return time.perf_counter() - t0


def run_ours(cohort: Path, args: list[str], out: Path) -> float | None:
    if (out / "cox.csv").is_file():
        return None
    t0 = time.perf_counter()
    cmd = [sys.executable, "-m", "core", "report", str(cohort), *args, "--tables-only",
           "--out", str(out)]  # fmt: skip
    subprocess.run(cmd, cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - t0


def _plain(values) -> list:
    return [v.item() if hasattr(v, "item") else v for v in values]


def differences(name: str, r: pd.DataFrame, ours: pd.DataFrame, max_rows: int) -> list[str]:
    """Every differing cell (up to ``max_rows`` per column), by the test's rule."""
    keys, cols = CONTRACT[name]
    missing = [c for c in keys + cols if c not in ours.columns]
    if missing:
        return [f"columns missing in ours: {missing}"]
    e, g = _keyed(r, keys), _keyed(ours, keys)
    if keys:
        m = e.merge(g, on=keys, how="outer", suffixes=("_r", ""), indicator=True)
        only_r = m[m["_merge"] == "left_only"]
        only_ours = m[m["_merge"] == "right_only"]
        out = [f"row {_plain(row)} only in R" for row in only_r[keys].head(max_rows).values]
        out += [f"row {_plain(row)} only in ours" for row in only_ours[keys].head(max_rows).values]
        if name == "criteria_sensitivity":  # extra rule sets are allowed extra rows
            out = [x for x in out if not x.endswith("only in ours")]
        m = m[m["_merge"] == "both"]
    else:
        m, out = e.add_suffix("_r").join(g), []
    for c in cols:
        rv, xv = m[f"{c}_r"], m[c]
        if rv.dtype == object or c in ("test", "group", "reference", "group_a", "group_b"):
            if c == "test":
                continue
            bad = rv.fillna("").astype(str) != xv.fillna("").astype(str)
            ok = ~bad.to_numpy()
            rvals, xvals = rv.to_numpy(), xv.to_numpy()
        else:
            rvals = rv.astype(float).to_numpy()
            xvals = pd.to_numeric(xv).astype(float).to_numpy()
            both_nan = np.isnan(rvals) & np.isnan(xvals)
            if c in COUNTS:
                ok = both_nan | (rvals == xvals)
            else:
                tol = np.where(rvals == 0, 1e-12, 1e-5 * np.abs(rvals))
                ok = both_nan | (np.abs(xvals - rvals) <= tol)
        bad_idx = np.flatnonzero(~ok)
        for i in bad_idx[:max_rows]:
            at = _plain(m.iloc[i][keys]) if keys else int(i)
            ours_v, r_v = _plain([xvals[i], rvals[i]])
            out.append(f"{c} at {at}: ours {ours_v!r}, R {r_v!r}")
        if len(bad_idx) > max_rows:
            out.append(f"{c}: {len(bad_idx) - max_rows} more rows differ")
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--cohort", type=Path, default=HERE / "data" / "cohort_100000.csv")
    p.add_argument("--r-out", type=Path)
    p.add_argument("--ours", type=Path)
    p.add_argument("--max-rows", type=int, default=20)
    args = p.parse_args(argv)
    stem = args.cohort.stem.removeprefix("cohort_")
    r_out = args.r_out or HERE / "data" / f"r_{stem}"
    ours = args.ours or HERE / "data" / f"ours_{stem}"
    took = run_r(args.cohort, r_out)
    print(f"R reference: {r_out}" + (f" ({took:.0f} s)" if took else " (reused)"))
    failed = 0
    for label, extra, sub, tables in RUNS:
        out = ours / (sub.replace("/", "_") or "whole")
        took = run_ours(args.cohort, extra, out)
        print(f"\n## {label}: ours {out}" + (f" ({took:.1f} s)" if took else " (reused)"))
        for name in tables:
            r = pd.read_csv(r_out / sub / f"{name}.csv", keep_default_na=True)
            g = pd.read_csv(out / f"{name}.csv", keep_default_na=True)
            verdict = compare_table(name, r, g)  # the test's own verdict
            detail = differences(name, r, g, args.max_rows) if verdict else []
            status = "agrees" if not verdict else "DIFFERS"
            print(f"- {name}: {len(g)} rows (R {len(r)}) {status}")
            for line in verdict:
                print(f"    test rule: {line}")
            for line in detail:
                print(f"    {line}")
            failed += bool(verdict)
    print(f"\n{failed} table(s) differ" if failed else "\nevery table agrees with R")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
