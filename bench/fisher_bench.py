#!/usr/bin/env python3
"""Timing of Fisher's exact test on r × c tables (core.stats.contingency.fisher_exact_2xk)
on the tables of tests/reference/fisher/fisher_rxc.csv, beside R's fisher.test
(``workspace = 2e8``) on the same table in the same run. Prints CPU seconds of our
function and R's elapsed seconds (``system.time``); no assertion on time.

Usage: python bench/fisher_bench.py [--no-r] [NAME ...]   (from the repository root)
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from core.stats.contingency import ExactTooLarge, fisher_exact_2xk  # noqa: E402

REF = ROOT / "tests" / "reference" / "fisher" / "fisher_rxc.csv"


def r_seconds(table: np.ndarray) -> float:
    cells = ",".join(str(int(x)) for x in table.T.ravel())
    code = (f"m <- matrix(c({cells}), nrow = {table.shape[0]}); "
            "cat(system.time(fisher.test(m, workspace = 2e8))[['elapsed']])")
    out = subprocess.run(["Rscript", "-e", code], capture_output=True, text=True, check=True)
    return float(out.stdout.strip())


def main(argv: list[str]) -> None:
    use_r = "--no-r" not in argv
    names = [a for a in argv if not a.startswith("--")]
    ref = pd.read_csv(REF)
    if names:
        ref = ref[ref["name"].isin(names)]
    print(f"{'table':26} {'shape':>6} {'n':>5} {'ours (s)':>9} {'R (s)':>7}  p")
    for rec in ref.to_dict("records"):
        table = np.array([[int(x) for x in row.split()] for row in rec["table"].split("/")])
        start = time.process_time()
        try:
            p = f"{fisher_exact_2xk(table):.10g}"
        except ExactTooLarge:
            p = "beyond the work budget (chi-square)"
        ours = time.process_time() - start
        theirs = f"{r_seconds(table):7.3f}" if use_r else "      -"
        shape = f"{table.shape[0]}x{table.shape[1]}"
        print(f"{rec['name']:26} {shape:>6} {table.sum():5d} {ours:9.3f} {theirs}  {p}")


if __name__ == "__main__":
    main(sys.argv[1:])
