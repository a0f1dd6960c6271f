"""An upload over 1 MB touches the disk only as Starlette's unnamed spool file in $TMPDIR.

A real server (HOME and TMPDIR fresh empty folders, working folder a copy of the app) gets a
cohort file of more than 1 MB through the browser's uploader. Meanwhile the server's open
files are sampled from ``/proc/<pid>/fd``: every file opened for writing lives under
TMPDIR, no file outside TMPDIR is opened but the app's own code, Python and system files,
and nothing under TMPDIR stays open afterwards. After the session no new file exists in the
working folder, HOME (``~/.streamlit`` included) or TMPDIR, and the server's log names no
patient.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from hostile import base as B  # noqa: E402
from hostile import builders as X  # noqa: E402
from server import (  # noqa: E402, F401 (fixtures are used by name)
    browser,
    files_under,
    needs_chromium,
    open_app,
    playwright_instance,
    run_server,
    sidebar_text,
    upload,
    wait_for_sidebar,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]
NOT_FILES = ("pipe:", "socket:", "anon_inode:", "/dev/", "/proc/", "/sys/")


def big_cohort(path: Path, copies: int = 250) -> tuple[int, int]:
    """The base cohort ``copies`` times (distinct IDs, no LDH column), each row padded with
    spaces (stripped on reading) so that a modest cohort still makes > 1 MB of CSV."""
    header, body = B.table(B.long_rows(), B.LONG_HEADER[:-1])
    pad = " " * 220
    rows = [[f"{r[0]}-{k:05d}", *r[1:-1], r[-1] + pad] for k in range(copies) for r in body]
    path.write_bytes(X.delimited(header, rows).encode())
    return copies * B.N_PATIENTS, len(rows)


class FdSampler(threading.Thread):
    """Samples /proc/<pid>/fd every millisecond: (path, writable) of every regular file seen."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid, self.seen, self.halt = pid, set(), threading.Event()

    def snapshot(self) -> set[tuple[str, bool]]:
        out = set()
        base = f"/proc/{self.pid}/fd"
        try:
            fds = os.listdir(base)
        except OSError:
            return out
        for fd in fds:
            try:
                target = os.readlink(f"{base}/{fd}")
                flags = int(Path(f"/proc/{self.pid}/fdinfo/{fd}").read_text().split("flags:")[1]
                            .split()[0], 8)
            except (OSError, IndexError, ValueError):
                continue  # closed between listdir and readlink
            if not target.startswith(NOT_FILES):
                out.add((target, bool(flags & (os.O_WRONLY | os.O_RDWR))))
        return out

    def run(self) -> None:
        while not self.halt.is_set():
            self.seen |= self.snapshot()
            time.sleep(0.001)


def _allowed_reads(workdir: Path) -> tuple[str, ...]:
    return (str(workdir), sys.prefix, sys.base_prefix, "/usr/", "/etc/", "/var/cache/fontconfig",
            "/lib", "/opt/")


def test_big_upload_spools_only_to_tmpdir_and_leaves_nothing(browser, tmp_path):  # noqa: F811
    needs_chromium()
    cohort = tmp_path / "big_cohort.csv"
    n_patients, _ = big_cohort(cohort)
    assert cohort.stat().st_size > 1_200_000
    with run_server(tmp_path / "srv") as server:
        before = files_under(server.workdir)
        sampler = FdSampler(server.proc.pid)
        sampler.start()
        context = browser.new_context()
        try:
            page = open_app(context, server.url)
            upload(page, cohort)
            wait_for_sidebar(page, cohort.name, timeout_ms=180_000)
            assert f"{n_patients:,} patients".replace(",", "") in sidebar_text(page).replace(",", "")
            time.sleep(1.0)
        finally:
            context.close()
            sampler.halt.set()
            sampler.join(5)
        after = sampler.snapshot()
        tmp = str(server.tmpdir)
        sampler.seen = {(p, w) for p, w in sampler.seen if p != str(server.log)}  # its stdout
        writes_elsewhere = sorted(p for p, w in sampler.seen if w and not p.startswith(tmp))
        assert writes_elsewhere == []
        strange = sorted(p for p, _ in sampler.seen
                         if not p.startswith((tmp, *_allowed_reads(server.workdir))))
        assert strange == []
        assert [p for p, _ in after if p.startswith(tmp)] == [], "a spool file stayed open"
        spooled = sorted(p for p, _ in sampler.seen if p.startswith(tmp))
        print(f"files seen under TMPDIR during the upload: {spooled}")
    assert B.SENTINEL_ID not in server.log_text() and "PT02-000" not in server.log_text()
    assert files_under(server.workdir) == before
    assert files_under(server.home) == []  # ~/.streamlit included
    assert files_under(server.tmpdir) == []
