#!/usr/bin/env python3
"""Registry-scale timings: load, outcomes, every analysis and the report command.

For each size (patients × 5 visits; cohorts from ``bench/make_cohorts.py`` in
``bench/data/``, made when missing) every measured step runs in a fresh subprocess, so a
step's peak memory is its own: the child resets its peak-RSS mark (``/proc/self/clear_refs``)
before each step and reads ``VmHWM`` after it; the report command is measured from outside
(``os.wait4`` rusage: wall, CPU, max RSS, interpreter start and imports included).
With ``Rscript`` + survival, ``bench/r_survival.R`` times survfit + survdiff + coxph on
the same ttr_patients table and the ratio ours / R's is printed.

Usage: python bench/run.py [--sizes 1000 10000 100000 | --full] [--repeat N] [--no-r]
       [--formats csv parquet] [--json FILE]

Times are wall seconds (CPU seconds beside them: the machine may be shared, and CPU time
is less disturbed by other processes). Not part of ``make test``.
"""

from __future__ import annotations

import argparse
import json
import os
import re
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

# Targets (issue "Registry-scale speed"): patients -> (whole report seconds, peak bytes)
TARGETS = {100_000: (5.0, 2 * 1024**3), 1_000_000: (60.0, 8 * 1024**3)}
SURVIVAL_RATIO_TARGET = 2.0
# core.ingest.io.Limits refuses files over 200 MB or 2,000,000 rows (a 1,000,000-patient cohort is
# 431 MB / 5,000,000 rows) and the report command can raise only --max-rows; from this size
# on the bench loads with these raised limits (and says so in the step name).
RAISED_FROM = 1_000_000
RAISED = dict(max_file_bytes=4_000_000_000, max_rows=20_000_000,
              max_decompressed_bytes=8_000_000_000, max_cells=400_000_000,
              max_read_cpu_seconds=600.0)  # fmt: skip

# --------------------------------------------------------------------------- child side


def _status(field: str) -> int:
    """VmHWM / VmRSS of this process, bytes."""
    text = Path("/proc/self/status").read_text()
    return int(re.search(rf"{field}:\s+(\d+)", text).group(1)) * 1024


def _reset_peak() -> None:
    try:
        Path("/proc/self/clear_refs").write_text("5")  # peak RSS := current RSS
    except OSError:
        pass


def _measure(name: str, fn, out: list[dict], repeat: int = 1):
    """Run ``fn`` ``repeat`` times; record the fastest wall time, its CPU time, the peak."""
    best, value = None, None
    for _ in range(repeat):
        _reset_peak()
        base = _status("VmRSS")
        w0, c0 = time.perf_counter(), time.process_time()
        value = fn()
        wall, cpu = time.perf_counter() - w0, time.process_time() - c0
        peak = _status("VmHWM")
        if best is None or wall < best["wall"]:
            best = {"step": name, "wall": wall, "cpu": cpu, "peak": peak, "base": base}
    out.append(best)
    return value


def _load_kw(path: Path) -> dict:
    """Raised input limits for the registry-scale cohorts (see RAISED)."""
    n = int(re.sub(r"\D", "", path.stem) or 0)
    if n < RAISED_FROM:
        return {}
    from core.ingest.io import Limits

    return {"limits": Limits(**RAISED)}


def _child_load(path: Path) -> list[dict]:
    from core.ingest.load import load_path

    out: list[dict] = []
    kw = _load_kw(path)
    cohort = _measure("load (read + map + validate)", lambda: load_path(path, **kw), out)
    errors = len(cohort.report.errors)
    out[-1]["info"] = (
        f"{len(cohort.patients)} patients, {len(cohort.visits)} visits, {errors} errors"
    )
    return out


def _survival_fits(ttr):
    """Our equivalents of R's survfit (per group and overall), survdiff and coxph."""
    from core.stats.survival import cox_efron, kaplan_meier, logrank

    d = ttr.loc[ttr["time"].notna() & ttr["event"].notna()]
    grp = d["group"].astype(str)

    def km():
        for g in sorted(grp.unique()):
            s = d[grp == g]
            kaplan_meier(s["time"], s["event"])
        kaplan_meier(d["time"], d["event"])

    return {
        "km": km,
        "logrank": lambda: logrank(d["time"], d["event"], grp),
        "cox": lambda: cox_efron(d["time"], d["event"], grp, "refractory"),
    }


def _child_analyses(path: Path, ttr_out: Path | None) -> list[dict]:
    from core.analyses import response as R
    from core.analyses.criteria_sensitivity import criteria_sensitivity
    from core.analyses.dsdna import dsdna_shift
    from core.analyses.flow import flow_table
    from core.analyses.labs_values import landmark_values, steroid_trajectory
    from core.analyses.paired import change_between_groups, paired_changes, repeated_measures
    from core.analyses.run import run_analyses
    from core.analyses.table1 import baseline_table
    from core.analyses.time_to_response import time_to_response
    from core.ingest.load import load_path
    from core.model.filters import filter_cohort
    from core.model.settings import Filters, Settings
    from core.outcomes.derive import derive_outcomes

    cohort = load_path(path, **_load_kw(path))
    if cohort.report.errors:
        raise SystemExit(f"cannot load {path.name}: {cohort.report.errors[0].message}")
    out: list[dict] = []
    filtered = _measure("filter_cohort (no filter)", lambda: filter_cohort(cohort, Filters()), out)
    o = _measure("derive_outcomes", lambda: derive_outcomes(filtered, Settings()), out)
    s = o.settings
    _measure("flow_table", lambda: flow_table(cohort, filtered, o), out)
    _measure("response_rates", lambda: R.response_rates(o), out)
    _measure("response_tests", lambda: R.response_tests(o), out)
    _measure("response_difference", lambda: R.response_difference(o), out)
    _measure("response_transitions", lambda: R.response_transitions(o), out)
    _measure("criteria_sensitivity", lambda: criteria_sensitivity(filtered, s, o), out)
    values = _measure("landmark_values", lambda: landmark_values(filtered, o), out)
    _measure("paired_changes", lambda: paired_changes(filtered, o, values), out)
    _measure("repeated_measures (+ pairwise)", lambda: repeated_measures(filtered, o, values), out)
    _measure("change_between_groups", lambda: change_between_groups(filtered, o, values), out)
    _measure("dsdna_shift", lambda: dsdna_shift(filtered, o, values), out)
    _measure("steroid_trajectory", lambda: steroid_trajectory(filtered, o), out)
    _measure("time_to_response (all ttr tables)", lambda: time_to_response(o.ttr_patients, s), out)
    _measure("table1", lambda: baseline_table(filtered, s), out)
    _measure("run_analyses (all of the above)", lambda: run_analyses(cohort, Settings()), out)
    fits = _survival_fits(o.ttr_patients)
    for name, fn in fits.items():  # fastest of 5, like r_survival.R's fastest of >= 3
        _measure(f"survival: {name}", fn, out, repeat=5)
    if ttr_out is not None:
        o.ttr_patients[["patient_id", "group", "time", "event"]].to_csv(ttr_out, index=False)
    return out


def child_report(path: str, out: str) -> int:
    """The report command with the raised limits (RAISED): ``core.ingest.load.load_path`` gets
    them unless the command line set its own."""
    sys.path.insert(0, str(ROOT))
    import core.ingest.load
    from core.__main__ import main

    real = core.ingest.load.load_path
    core.ingest.load.load_path = lambda p, m=None, **kw: real(p, m, **{**_load_kw(Path(p)), **kw})
    return main(["report", path, "--tables-only", "--out", out])


def child_main(kind: str, path: str, ttr_out: str | None) -> int:
    sys.path.insert(0, str(ROOT))
    if kind.startswith("report:"):
        return child_report(path, kind.removeprefix("report:"))
    steps = (
        _child_load(Path(path))
        if kind == "load"
        else _child_analyses(Path(path), Path(ttr_out) if ttr_out else None)
    )
    print("BENCH " + json.dumps(steps))
    return 0


# --------------------------------------------------------------------------- parent side


def _run(cmd: list[str], timeout: float) -> tuple[dict, str]:
    """Run ``cmd`` from the repo root; wall, CPU and max RSS of that process alone."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        w0 = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=ROOT, stdout=out, stderr=err)
        deadline = w0 + timeout
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() > deadline:
                proc.kill()
                pid, status, usage = os.wait4(proc.pid, 0)
                break
            time.sleep(0.01)
        wall = time.perf_counter() - w0
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        text, errors = out.read(), err.read()
    res = {
        "wall": wall,
        "cpu": usage.ru_utime + usage.ru_stime,
        "peak": usage.ru_maxrss * 1024,
        "rc": proc.returncode,
    }
    if proc.returncode != 0:
        res["error"] = (errors or text).strip().splitlines()[-1:] or ["killed (timeout)"]
    return res, text


def _child(kind: str, path: Path, ttr_out: Path | None, timeout: float) -> list[dict]:
    cmd = [PY, str(Path(__file__).resolve()), "--child", kind, str(path)]
    if ttr_out is not None:
        cmd += ["--ttr-out", str(ttr_out)]
    res, text = _run(cmd, timeout)
    for line in text.splitlines():
        if line.startswith("BENCH "):
            return json.loads(line[6:])
    return [{"step": kind, "wall": res["wall"], "cpu": res["cpu"], "peak": res["peak"],
             "error": res.get("error")}]  # fmt: skip


def _best(runs: list[list[dict]]) -> list[dict]:
    """Per step, the fastest wall time of the repeats (with the largest peak seen)."""
    best = []
    for i in range(len(runs[0])):
        alts = [r[i] for r in runs if i < len(r)]
        b = dict(min(alts, key=lambda s: s["wall"]))
        b["peak"] = max(s["peak"] for s in alts)
        best.append(b)
    return best


def ensure_cohorts(sizes: list[int], formats: list[str]) -> dict[int, dict[str, Path]]:
    sys.path.insert(0, str(HERE))
    from make_cohorts import make_cohort

    paths = {}
    for n in sizes:
        want = {f: DATA / f"cohort_{n}.{f}" for f in formats}
        missing = tuple(f for f, p in want.items() if not p.is_file())
        if missing:
            print(f"making cohort_{n} ({', '.join(missing)}) ...", flush=True)
            make_cohort(n, DATA, missing)
        paths[n] = want
    return paths


def r_survival(ttr_csv: Path, timeout: float) -> dict[str, float] | None:
    rscript = shutil.which("Rscript")
    if rscript is None:
        return None
    probe = subprocess.run([rscript, "-e", "library(survival)"], capture_output=True)
    if probe.returncode != 0:
        return None
    res, text = _run([rscript, str(HERE / "r_survival.R"), str(ttr_csv)], timeout)
    if res["rc"] != 0:
        return None
    return {k: float(v) for k, v in (line.split() for line in text.splitlines() if line.strip())}


def _mb(b: float) -> str:
    return f"{b / 1024**2:,.0f}"


def print_size(n: int, r: dict) -> None:
    print(f"\n## {n:,} patients × 5 visits ({n * 5:,} rows)\n")
    w = max(len(s["step"]) for s in r["steps"])
    print(f"| {'step':<{w}} | wall s | CPU s | peak RSS MB |")
    print(f"|{'-' * (w + 2)}|-------:|------:|------------:|")
    for s in r["steps"]:
        err = f"  ERROR {s['error']}" if s.get("error") else ""
        peak = _mb(s["peak"])
        print(f"| {s['step']:<{w}} | {s['wall']:6.2f} | {s['cpu']:5.2f} | {peak:>11} |{err}")
    ours, rr = r.get("survival_ours"), r.get("survival_r")
    if ours is not None:
        line = f"\nKM + log-rank + Cox: ours {ours:.4f} s"
        if rr:
            line += (
                f", R {rr['total']:.4f} s (survfit {rr['km']:.4f}, survdiff {rr['logrank']:.4f}, "
            )
            line += f"coxph {rr['cox']:.4f}) → ours / R = {ours / rr['total']:.2f}"
        else:
            line += " (Rscript with survival not found: no R comparison)"
        print(line)


def bench_size(n: int, paths: dict[str, Path], args) -> dict:
    timeout = 1800 if n >= 1_000_000 else 600
    steps: list[dict] = []
    for fmt, path in paths.items():
        runs = [_child("load", path, None, timeout) for _ in range(args.repeat)]
        for s in _best(runs):
            raised = " (limits raised)" if n >= RAISED_FROM else ""
            s["step"] = f"{s['step']}{raised} [{fmt}]"
            steps.append(s)
    first = next(iter(paths.values()))
    ttr_csv = DATA / f"ttr_patients_{n}.csv"
    runs = [_child("analyses", first, ttr_csv, timeout) for _ in range(args.repeat)]
    analyses = _best(runs)
    surv = [s for s in analyses if s["step"].startswith("survival: ")]
    steps += [s for s in analyses if not s["step"].startswith("survival: ")]
    for fmt, path in paths.items():
        best = None
        for _ in range(args.repeat):
            with tempfile.TemporaryDirectory() as out:
                cmd = [PY, "-m", "core", "report", str(path), "--tables-only", "--out", out]
                if n >= RAISED_FROM:
                    cmd = [PY, str(Path(__file__).resolve()), "--child", f"report:{out}", str(path)]
                res, _ = _run(cmd, timeout)
            if best is None or res["wall"] < best["wall"]:
                best = res
        raised = " (limits raised)" if n >= RAISED_FROM else ""
        steps.append({"step": f"python -m core report --tables-only{raised} [{fmt}]", **best})
    result = {"patients": n, "steps": steps}
    if surv:
        result["survival_ours"] = sum(s["wall"] for s in surv)
        result["survival_ours_steps"] = {s["step"][10:]: s["wall"] for s in surv}
        if not args.no_r and ttr_csv.is_file():
            result["survival_r"] = r_survival(ttr_csv, timeout)
    return result


def verdicts(results: list[dict]) -> list[str]:
    lines = []
    for r in results:
        n = r["patients"]
        if n in TARGETS:
            t_max, m_max = TARGETS[n]
            for s in r["steps"]:
                if s["step"].startswith("python -m core report"):
                    ok = s["wall"] <= t_max and s["peak"] <= m_max and not s.get("error")
                    lines.append(
                        f"{n:,} report [{s['step'].rsplit('[', 1)[-1]} {s['wall']:.1f} s "
                        f"(CPU {s['cpu']:.1f} s) "
                        f"(≤ {t_max:g}), peak {_mb(s['peak'])} MB (≤ {_mb(m_max)}) → "
                        f"{'MET' if ok else 'MISSED'}"
                    )
        rr = r.get("survival_r")
        if rr and r.get("survival_ours") is not None:
            ratio = r["survival_ours"] / rr["total"]
            lines.append(
                f"{n:,} KM + log-rank + Cox: ours / R = {ratio:.2f} (≤ {SURVIVAL_RATIO_TARGET:g}) → "
                f"{'MET' if ratio <= SURVIVAL_RATIO_TARGET else 'MISSED'}"
            )
    return lines


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 100000])
    p.add_argument("--full", action="store_true", help="also 1,000,000 patients")
    p.add_argument("--formats", nargs="+", choices=["csv", "parquet"], default=["csv", "parquet"])
    p.add_argument("--repeat", type=int, default=1, help="runs per step; the fastest is kept")
    p.add_argument("--no-r", action="store_true", help="skip the R survival comparison")
    p.add_argument("--json", type=Path, help="also write the measurements as JSON here")
    p.add_argument("--child", nargs=2, metavar=("KIND", "FILE"), help=argparse.SUPPRESS)
    p.add_argument("--ttr-out", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.child:
        return child_main(*args.child, args.ttr_out)
    sizes = sorted(set(args.sizes + ([1_000_000] if args.full else [])))
    paths = ensure_cohorts(sizes, args.formats)
    cpu = next(
        (ln.split(":", 1)[1].strip() for ln in Path("/proc/cpuinfo").read_text().splitlines()
         if ln.startswith("model name")), "unknown")  # fmt: skip
    load = os.getloadavg()
    print(f"# bench {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} · {cpu} · "
          f"{os.cpu_count()} CPUs · load average {load[0]:.1f} at start")  # fmt: skip
    results = []
    for n in sizes:
        r = bench_size(n, paths[n], args)
        results.append(r)
        print_size(n, r)
        sys.stdout.flush()
    print("\n## Targets\n")
    for line in verdicts(results):
        print(f"- {line}")
    print(f"\nload average at end {os.getloadavg()[0]:.1f} (other processes share the CPUs)")
    if args.json:
        args.json.write_text(json.dumps({"cpu": cpu, "results": results}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
