#!/usr/bin/env python3
"""CPU profile of ``python -m core report FILE --tables-only`` (cProfile, CPU clock).

Prints our own functions (``core/``) by cumulative CPU seconds, then the library calls
that cost most, each with the ``core/`` functions that called it, so a hotspot names the
line to change. Imports are done before profiling. CPU time (not wall) is used because the
bench machine is shared: wall time swings with other processes, CPU time much less.

Usage: python bench/profile_report.py [FILE] [--top 40] [--dump out.prof] [REPORT OPTIONS]
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


def _own(path: str) -> bool:
    return f"{ROOT}/core/" in path


def _short(key: tuple) -> str:
    path, line, name = key
    return f"{path.replace(str(ROOT) + '/', '').replace(str(Path(sys.prefix)), '<venv>')}:{line} {name}"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("file", nargs="?", default=str(HERE / "data" / "cohort_100000.csv"))
    p.add_argument("--top", type=int, default=40)
    p.add_argument("--dump", type=Path)
    args, extra = p.parse_known_args(argv)  # the rest goes to the report command
    sys.path.insert(0, str(ROOT))
    import core.analyses.run  # noqa: F401 - imports outside the profile
    import core.analyses.table1  # noqa: F401
    import core.analyses.time_to_response  # noqa: F401
    import core.ingest.load  # noqa: F401
    from core.__main__ import main as core_main

    extra = [a for a in extra if a != "--"]
    prof = cProfile.Profile(time.process_time)
    with tempfile.TemporaryDirectory() as out:
        c0 = time.process_time()
        prof.enable()
        core_main(["report", args.file, *extra, "--tables-only", "--out", out])
        prof.disable()
        total = time.process_time() - c0
    if args.dump:
        prof.dump_stats(str(args.dump))
    st = pstats.Stats(prof)
    stats = st.stats  # type: ignore[attr-defined]
    print(f"\nCPU {total:.2f} s (profiled; cProfile adds ~10-30 %)\n")
    print("## our functions by cumulative CPU s\n")
    own = sorted(((v[3], v[2], v[1], k) for k, v in stats.items() if _own(k[0])), reverse=True)
    for cum, tot, calls, key in own[: args.top]:
        print(f"{cum:7.3f} {tot:6.3f} {calls:6d}  {_short(key)}")
    print("\n## library functions by own CPU s, with the core/ callers\n")
    lib = sorted(((v[2], k) for k, v in stats.items() if not _own(k[0])), reverse=True)
    for tot, key in lib[: args.top // 2]:
        print(f"{tot:7.3f}  {_short(key)}")
        mine = _core_callers(stats, key, depth=6)
        for ckey, share in sorted(mine.items(), key=lambda kv: -kv[1])[:4]:
            print(f"           ← {share:6.3f}  {_short(ckey)}")
    return 0


def _core_callers(stats: dict, key: tuple, depth: int) -> dict:
    """The nearest core/ callers of ``key`` (through library frames), with the time they
    account for (the direct caller's cumulative share, attributed up the chain)."""
    found: dict = {}
    frontier = {key: stats[key][3]}
    for _ in range(depth):
        nxt: dict = {}
        for k, share in frontier.items():
            callers = stats.get(k, (0, 0, 0, 0, {}))[4]
            total = sum(c[3] for c in callers.values()) or 1.0
            for ck, cv in callers.items():
                part = share * cv[3] / total
                if _own(ck[0]):
                    found[ck] = found.get(ck, 0.0) + part
                else:
                    nxt[ck] = nxt.get(ck, 0.0) + part
        frontier = nxt
        if not frontier:
            break
    return found


if __name__ == "__main__":
    raise SystemExit(main())
