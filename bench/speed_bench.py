#!/usr/bin/env python3
"""Speed a clinician feels, as ratios to R (issue 15): every figure as a time and as a
ratio to the yardstick measured in the same run on the same machine.

Yardstick: ``Rscript bench/r_survival.R`` reading the 100,000-patient cohort file with
``read.csv`` plus survfit + survdiff + coxph on its ttr_patients table (R's own timer).

Measured (each in a fresh process, wall seconds; CPU seconds of our process beside them,
Chromium's rendering is in its own processes and not counted there):

- ``report --tables-only`` at 100,000 patients (and 1,000,000 with ``--million``);
- the full report with every figure (PNG + SVG + HTML) at 160 patients;
- the demo bundle (the Report page's ZIP: figures + ``bundle_zip``), analyses excluded;
- the first PNG download: :func:`core.report.images.warm_up` when the page is shown, then
  one PNG at once (and without the warm-up, for comparison).

Usage: python bench/speed_bench.py [--million] [--no-r] [--before DIR]. ``--before DIR``
(an older tree, e.g. ``git archive COMMIT | tar -x -C DIR``) runs the same steps on that
code in the same run, so a shared machine's load falls on both alike. Cohorts come from
``bench/make_cohorts.py`` (made when missing, in the git-ignored ``bench/data/``).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DATA = HERE / "data"
PY = sys.executable
DEMO = ROOT / "data" / "demo" / "demo_cohort_long.csv"
# issue 15's targets, as ratios to the yardstick
TARGETS = {"full report, 160 patients": 1.0, "demo bundle": 0.5,
           "tables-only, 100,000 patients": 0.5, "tables-only, 1,000,000 patients": 3.0}  # fmt: skip


def _run(cmd: list[str], cwd: Path = ROOT) -> tuple[float, float, int, str]:
    """Wall s, CPU s (user + system, the process itself), peak RSS bytes, stdout."""
    w0 = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - w0
    out = proc.stdout.read().decode() if proc.stdout else ""
    err = proc.stderr.read().decode() if proc.stderr else ""
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed: {err[-500:]}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss * 1024, out


def cohort(n: int) -> Path:
    path = DATA / f"cohort_{n}.csv"
    if not path.is_file():
        subprocess.run([PY, str(HERE / "make_cohorts.py"), "--sizes", str(n), "--formats", "csv"],
                       cwd=ROOT, check=True)  # fmt: skip
    return path


def tables_only(n: int, out: Path, tree: Path = ROOT) -> dict:
    path = cohort(n)
    cmd = [PY, "-m", "core", "report", str(path), "--tables-only", "--out", str(out)]
    if n > 200_000:  # the command's default limits are for uploads
        cmd += ["--max-mb", "1000", "--max-rows", "20000000", "--max-read-seconds", "600"]
    wall, cpu, peak, _ = _run(cmd, tree)
    return {"step": f"tables-only, {n:,} patients", "wall": wall, "cpu": cpu, "peak": peak}


def full_report(n: int, tree: Path = ROOT) -> dict:
    with tempfile.TemporaryDirectory() as out:
        cmd = [PY, "-m", "core", "report", str(cohort(n)), "--out", out]
        wall, cpu, peak, _ = _run(cmd, tree)
        pngs = len(list(Path(out).glob("*.png")))
    return {"step": f"full report, {n} patients", "wall": wall, "cpu": cpu, "peak": peak,
            "note": f"{pngs} PNG + SVG"}  # fmt: skip


def yardstick(ttr_csv: Path, cohort_csv: Path) -> dict | None:
    rscript = shutil.which("Rscript")
    if rscript is None:
        return None
    _, _, _, out = _run([rscript, str(HERE / "r_survival.R"), str(ttr_csv), "refractory",
                         str(cohort_csv)])  # fmt: skip
    return {k: float(v) for k, v in (ln.split() for ln in out.splitlines() if ln.strip())}


# --------------------------------------------------------------------------- child steps


def child_demo(tree: Path) -> None:
    """Demo bundle as the Report page builds it: figures + ZIP (analyses before, apart)."""
    sys.path.insert(0, str(tree))
    from core.analyses.run import run_analyses
    from core.ingest.load import load_path
    from core.model.settings import Filters, Settings
    from core.report.export import bundle_zip
    from core.report.figures import build_figures

    w0 = time.perf_counter()
    run = run_analyses(load_path(DEMO), Settings(), Filters())
    w1 = time.perf_counter()
    data = bundle_zip(run, build_figures(run))
    w2 = time.perf_counter()
    print(json.dumps({"analyses": w1 - w0, "bundle": w2 - w1, "bytes": len(data)}))


def child_png(warm: bool) -> None:
    """The first PNG download of a process: with ``warm`` the browser was started ahead
    (:func:`core.report.images.warm_up` on an earlier page, kept running), else the click
    starts it."""
    sys.path.insert(0, str(ROOT))
    from core.analyses.run import run_analyses
    from core.ingest.load import load_path
    from core.model.settings import Filters, Settings
    from core.report import images
    from core.report.figures import build_figures

    run = run_analyses(load_path(DEMO), Settings(), Filters())
    fig = next(iter(build_figures(run, pages=["ttr"]).values()))
    if warm:
        images.warm_up()
        while images._renderer is None:  # noqa: SLF001 - waiting for the warm-up to finish
            time.sleep(0.05)
    w0 = time.perf_counter()
    png = images.to_png(fig)
    print(json.dumps({"first_png": time.perf_counter() - w0, "bytes": len(png)}))


def _child(kind: str, tree: Path = ROOT) -> dict:
    cmd = [PY, str(Path(__file__).resolve()), "--child", kind, "--tree", str(tree)]
    wall, cpu, peak, out = _run(cmd, tree)
    return {**json.loads(out.strip().splitlines()[-1]), "process_wall": wall, "cpu": cpu}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--million", action="store_true", help="also 1,000,000 patients")
    p.add_argument("--no-r", action="store_true")
    p.add_argument("--before", type=Path, help="an older tree to time in the same run")
    p.add_argument("--child", help=argparse.SUPPRESS)
    p.add_argument("--tree", type=Path, default=ROOT, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.child == "demo":
        child_demo(args.tree)
        return 0
    if args.child in ("png", "png-cold"):
        child_png(args.child == "png")
        return 0
    cpu = next((ln.split(":", 1)[1].strip() for ln in Path("/proc/cpuinfo").read_text()
                .splitlines() if ln.startswith("model name")), "unknown")  # fmt: skip
    print(
        f"# speed bench {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} · {cpu} · "
        f"{os.cpu_count()} CPUs · load average {os.getloadavg()[0]:.1f} at start"
    )
    steps = []
    with tempfile.TemporaryDirectory() as tmp:
        steps.append(tables_only(100_000, Path(tmp)))
        r = None if args.no_r else yardstick(Path(tmp) / "ttr_patients.csv", cohort(100_000))
    if args.million:
        with tempfile.TemporaryDirectory() as tmp:
            steps.append(tables_only(1_000_000, Path(tmp)))
    steps.append(full_report(160))
    demo = _child("demo")
    steps.append({"step": "demo bundle", "wall": demo["bundle"], "cpu": float("nan"),
                  "note": f"analyses {demo['analyses']:.2f} s before, not counted"})  # fmt: skip
    if args.before:
        before = args.before.resolve()
        with tempfile.TemporaryDirectory() as tmp:
            steps.append(tables_only(100_000, Path(tmp), before))
        steps.append(full_report(160, before))
        demo = _child("demo", before)
        steps.append({"step": "demo bundle", "wall": demo["bundle"], "cpu": float("nan")})
        for s in steps[-3:]:
            s["step"] = f"before: {s['step']}"
    for kind, label in (("png", "first PNG, browser kept warm"),
                        ("png-cold", "first PNG, browser started by the click")):  # fmt: skip
        png = _child(kind)
        steps.append({"step": label, "wall": png["first_png"], "cpu": float("nan"),
                      "note": "target ≤ 1 s" if kind == "png" else ""})  # fmt: skip
    ys = r["total"] if r else float("nan")
    if r:
        print(
            f"\nYardstick (R 4, survival): read.csv {r['read']:.2f} s + survfit {r['km']:.3f} + "
            f"survdiff {r['logrank']:.3f} + coxph {r['cox']:.3f} = **{ys:.2f} s**\n"
        )
    print("| step | wall s | ratio to R | target | CPU s | peak MB | note |")
    print("|---|---:|---:|---:|---:|---:|---|")
    for s in steps:
        target = TARGETS.get(s["step"])
        peak = f"{s['peak'] / 1024**2:,.0f}" if "peak" in s else ""
        tgt = f"≤ {target:g} ×" if target else ""
        print(
            f"| {s['step']} | {s['wall']:.2f} | {s['wall'] / ys:.2f} × | {tgt} | "
            f"{s['cpu']:.2f} | {peak} | {s.get('note', '')} |"
        )
    print(f"\nload average at end {os.getloadavg()[0]:.1f} (other processes share the CPUs)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
