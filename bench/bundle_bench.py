"""Time to make the report bundle (the Report page's ZIP) for the demo cohort.

    .venv/bin/python bench/bundle_bench.py [--repeat 3]

Prints load + analyses, figures, and the ZIP (tables, Word, HTML report, and PNG/SVG of
every figure when Chromium is installed), in wall and CPU seconds. Target: under 20 s on a
2-core machine. Not part of ``make test``.
"""

from __future__ import annotations

import argparse
import sys
import time
import zipfile
from io import BytesIO
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from core.analyses.run import run_analyses  # noqa: E402
from core.ingest.load import load_path  # noqa: E402
from core.model.settings import Filters, Settings  # noqa: E402
from core.report.export import bundle_zip  # noqa: E402
from core.report.figures import build_figures  # noqa: E402
from core.report.images import images_available  # noqa: E402

DEMO = ROOT / "data" / "demo" / "demo_cohort_long.csv"


def _timed(fn):
    wall, cpu = time.perf_counter(), time.process_time()
    out = fn()
    return out, time.perf_counter() - wall, time.process_time() - cpu


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=2)
    args = ap.parse_args(argv)
    print(f"images (PNG/SVG): {'yes' if images_available() else 'no Chromium: HTML only'}")
    print(f"{'run':>3} {'analyses':>14} {'figures':>14} {'zip':>14} {'total wall':>11}  files")
    for k in range(1, args.repeat + 1):
        print(f"{k:>3} " + _one_run())
    print("s = wall seconds, c = CPU seconds of this process (Chromium renders in its own).")
    return 0


def _one_run() -> str:
    run, wa, ca = _timed(_analyse)
    figures, wf, cf = _timed(lambda: build_figures(run))
    data, wz, cz = _timed(lambda: bundle_zip(run, figures))
    n = len(zipfile.ZipFile(BytesIO(data)).namelist())
    return (
        f"{wa:6.2f}s/{ca:5.2f}c {wf:6.2f}s/{cf:5.2f}c {wz:6.2f}s/{cz:5.2f}c "
        f"{wa + wf + wz:10.2f}s  {n} ({len(data) / 1e6:.1f} MB)"
    )


def _analyse():
    return run_analyses(load_path(DEMO), Settings(), Filters())


if __name__ == "__main__":
    sys.exit(main())
