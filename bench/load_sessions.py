"""Load check: N browser sessions on the demo cohort against a server started on loopback.

    .venv/bin/python bench/load_sessions.py [--sessions 20] [--batch 5] [--budget 600]

Starts ``streamlit run app.py`` on 127.0.0.1 (a copy of the app, fresh HOME and TMPDIR),
opens the sessions in batches with Debian's Chromium (each session loads the demo cohort
and opens the Response and Time-to-response pages), and reports errors (exceptions,
st.error boxes, timeouts), the time per session and the server's peak resident memory
(VmHWM). Bounded: at most 50 sessions, loopback only, stops at the time budget. Not part of
``make test``.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "browser"))

from server import CHROMIUM, launch, nav, open_app, run_server, wait_idle  # noqa: E402

MAX_SESSIONS = 50
PAGES = ("Response", "Time to response")


def rss_mb(pid: int) -> tuple[float, float]:
    """(current RSS, peak RSS) of a process in MB, from /proc/<pid>/status."""
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            fields[key] = int(value.split()[0]) / 1024
    return fields.get("VmRSS", float("nan")), fields.get("VmHWM", float("nan"))


def errors_on(page) -> int:
    return (page.locator('[data-testid="stException"]').count()
            + page.locator('[data-testid="stAlertContentError"]').count())


def run(sessions: int, batch: int, budget: float) -> int:
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import sync_playwright

    if CHROMIUM is None:
        print("Chromium is not installed: nothing to measure.")
        return 1
    sessions = min(sessions, MAX_SESSIONS)
    started = time.monotonic()
    done, errors, timings = 0, [], []
    with tempfile.TemporaryDirectory() as tmp, run_server(Path(tmp)) as server, \
            sync_playwright() as p:
        print(f"server {server.url} pid {server.proc.pid}; idle RSS "
              f"{rss_mb(server.proc.pid)[0]:.0f} MB")
        browser = launch(p)
        while done < sessions and time.monotonic() - started < budget:
            n = min(batch, sessions - done)
            contexts = [browser.new_context() for _ in range(n)]
            t0 = time.monotonic()
            try:
                pages = [open_app(c, server.url, timeout_ms=120_000) for c in contexts]
                for title in PAGES:
                    for page in pages:
                        nav(page, title)
                    for page in pages:
                        wait_idle(page, timeout_ms=120_000)
                for i, page in enumerate(pages):
                    if count := errors_on(page):
                        errors.append(f"session {done + i + 1}: {count} error element(s)")
            except PlaywrightError as exc:
                errors.append(f"batch at session {done + 1}: {type(exc).__name__}: "
                              f"{str(exc).splitlines()[0]}")
            timings.append((time.monotonic() - t0) / n)
            done += n
            now, peak = rss_mb(server.proc.pid)
            print(f"{done:3d} sessions open: RSS {now:.0f} MB, peak {peak:.0f} MB, "
                  f"{timings[-1]:.1f} s per session in this batch")
            for c in contexts:
                c.close()
        now, peak = rss_mb(server.proc.pid)
        browser.close()
    print(f"\n{done} sessions in {time.monotonic() - started:.0f} s; "
          f"mean {sum(timings) / max(len(timings), 1):.1f} s per session; "
          f"server peak RSS {peak:.0f} MB (now {now:.0f} MB); {len(errors)} error(s)")
    for e in errors:
        print("  " + e)
    return 1 if errors else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=20, help=f"at most {MAX_SESSIONS}")
    parser.add_argument("--batch", type=int, default=5, help="sessions opened at once")
    parser.add_argument("--budget", type=float, default=600, help="seconds before stopping")
    args = parser.parse_args(argv)
    return run(args.sessions, max(1, args.batch), args.budget)


if __name__ == "__main__":
    sys.exit(main())
