#!/usr/bin/env python3
"""Dashboard timings: a sidebar filter change (AppTest) and the first chart in a browser.

1. AppTest, N patients (default 10,000, ``bench/data/cohort_<N>.csv``): the cohort is
   uploaded on the Data page exactly as a user does (``file_uploader(key="cohort_file")``),
   the Response and Time-to-response pages are opened once, then the class filter changes
   (``multiselect(key="class")``) and the rerun is timed; every choice is new, so nothing
   is served from the cache. Target: ≤ 0.5 s.
2. Playwright with Debian's chromium: ``streamlit run app.py`` on a free port, wait for
   ``/_stcore/health``, then from ``page.goto`` to the first visible Plotly chart on the
   Time to response page (``/ttr``) and on the Response page (``/response``), each in a
   fresh browser context (a new session: the demo cohort loads). Target: ≤ 3 s.

   The time to the page title (the Streamlit shell and the first elements) is shown too:
   the rest is the chart's own work, mostly the browser loading plotly.js (4.7 MB).

Usage: python bench/app_bench.py [--patients 10000] [--skip-browser] [--skip-apptest]
Machine load disturbs both numbers: run it on a quiet machine for the final figures.
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
FILTER_TARGET = 0.5
CHART_TARGET = 3.0
CHART = '[data-testid="stPlotlyChart"], .js-plotly-plot'


def _ensure_cohort(n: int) -> Path:
    path = HERE / "data" / f"cohort_{n}.csv"
    if not path.is_file():
        sys.path.insert(0, str(HERE))
        from make_cohorts import make_cohort

        make_cohort(n, path.parent, ("csv",))
    return path


class _Clock:
    """Wall and CPU seconds of this process (AppTest runs the script in a thread of it, so
    CPU time is the rerun's own work, much less disturbed by other processes)."""

    def __enter__(self) -> _Clock:
        self.w0, self.c0 = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc) -> None:
        self.wall = time.perf_counter() - self.w0
        self.cpu = time.process_time() - self.c0


def apptest_filter_change(n: int, timeout: float = 600) -> dict[str, tuple[float, float]]:
    """(wall, CPU) seconds of each rerun after a class-filter change, on two pages."""
    from streamlit.testing.v1 import AppTest

    path = _ensure_cohort(n)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=timeout)
    with _Clock() as first:
        at.run()
    with _Clock() as upload:
        at.file_uploader(key="cohort_file").upload(path.name, path.read_bytes(), "text/csv")
        at.run()
    badge = " ".join(m.value for m in at.sidebar.markdown)
    assert f"{n:,} patients" in badge, f"cohort not loaded: {badge!r}"
    out = {
        "first run (demo)": (first.wall, first.cpu),
        f"upload {n:,} patients (Data page)": (upload.wall, upload.cpu),
    }
    choices = {  # a new filter each time: no cached analyses
        "response": [["IV", "IV+V"], ["IV"], ["III", "IV"], ["V"], ["III+V", "IV+V"]],
        "ttr": [["III"], ["IV", "V"], ["III", "IV+V"]],
    }
    for page in ("response", "ttr"):
        with _Clock() as opened:
            at.switch_page(f"app_pages/{page}.py").run()
        out[f"open {page} page (analyses for all patients)"] = (opened.wall, opened.cpu)
        times = []
        for classes in choices[page]:
            with _Clock() as c:
                at.sidebar.multiselect(key="class").set_value(classes).run()
            times.append((c.wall, c.cpu))
            assert not at.exception, [e.value for e in at.exception]
        times.sort()
        out[f"filter change on {page} page (median of {len(times)})"] = times[len(times) // 2]
        out[f"filter change on {page} page (fastest)"] = times[0]
    return out


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def browser_first_chart(pages: tuple[str, ...] = ("ttr", "response"), repeat: int = 2) -> dict:
    """Seconds from ``goto`` to the first visible chart, per page (fastest of ``repeat``)."""
    from playwright.sync_api import sync_playwright

    port = _free_port()
    cmd = [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port),
           "--server.headless", "true", "--server.address", "127.0.0.1",
           "--browser.serverAddress", "127.0.0.1", "--browser.gatherUsageStats", "false"]  # fmt: skip
    server = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    out: dict[str, float] = {}
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.time() + 60
        while True:
            try:
                with urllib.request.urlopen(base + "/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                if time.time() > deadline:
                    raise RuntimeError("streamlit did not start") from None
                time.sleep(0.2)
        with sync_playwright() as p:
            browser = p.chromium.launch(
                executable_path=shutil.which("chromium"),
                args=[
                    "--no-sandbox",
                    "--disable-background-networking",
                    "--disable-component-update",
                    "--no-first-run",
                ],  # fmt: skip
            )
            for run in range(repeat + 1):  # run 0 warms the server (imports, first session)
                for name in pages:
                    ctx = browser.new_context(viewport={"width": 1400, "height": 2000})
                    page = ctx.new_page()
                    t0 = time.perf_counter()
                    page.goto(f"{base}/{name}")
                    page.get_by_role("heading").first.wait_for(state="visible", timeout=120_000)
                    shell = time.perf_counter() - t0
                    page.locator(CHART).first.wait_for(state="visible", timeout=120_000)
                    dt = time.perf_counter() - t0
                    ctx.close()
                    cold = " (cold server)" if run == 0 else ""
                    for what, secs in (("first chart", dt), ("page title", shell)):
                        key = f"{name} page: goto → {what}{cold}"
                        out[key] = secs if run == 0 else min(out.get(key, secs), secs)
            browser.close()
    finally:
        server.terminate()
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            server.kill()
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--patients", type=int, default=10_000)
    p.add_argument("--skip-apptest", action="store_true")
    p.add_argument("--skip-browser", action="store_true")
    args = p.parse_args(argv)
    os.chdir(ROOT)
    sys.path.insert(0, str(ROOT))
    print(f"# app bench {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} · "
          f"load average {os.getloadavg()[0]:.1f}")  # fmt: skip
    rows: list[tuple[str, float, float | None, float | None]] = []
    if not args.skip_apptest:
        what = "AppTest"
        for k, (wall, cpu) in apptest_filter_change(args.patients).items():
            target = FILTER_TARGET if k.startswith("filter") else None
            rows.append((f"{what}: {k}", wall, cpu, target))
    if not args.skip_browser:
        for k, v in browser_first_chart().items():
            target = None if "cold" in k or "title" in k else CHART_TARGET
            rows.append((f"browser: {k}", v, None, target))
    w = max(len(r[0]) for r in rows) if rows else 10
    print(f"\n| {'step':<{w}} | seconds | CPU s | target |")
    print(f"|{'-' * (w + 2)}|--------:|------:|-------:|")
    for name, secs, cpu, target in rows:
        verdict = "" if target is None else f"≤ {target:g} {'MET' if secs <= target else 'MISSED'}"
        cpu_text = "" if cpu is None else f"{cpu:5.2f}"
        print(f"| {name:<{w}} | {secs:7.2f} | {cpu_text:>5} | {verdict} |")
    print(f"\nload average at end {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
