"""A real ``streamlit run`` on loopback and Debian's Chromium, for the browser tests.

Import the fixtures into a test module (``from server import live_app, browser  # noqa``)
or call the helpers directly. Patterns from ecosystem-notes: Chromium from PATH (never
``playwright install``), wait for ``/_stcore/health``, and for the app root's
``data-test-script-state="notRunning"`` before the next action.

The app is copied into a fresh working folder (code, data, ``.streamlit`` config; no tests,
no venv) so that a test can prove the server writes nothing there.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-component-update",
                 "--lang=en-US",  # the app follows the browser language: tests expect English
                 "--no-first-run", "--disable-dev-shm-usage"]
APP_PARTS = ("app.py", "app_pages", "pages", "ui", "core", "data", ".streamlit")
IDLE = '[data-test-script-state="notRunning"]'


def needs_chromium() -> None:
    if CHROMIUM is None:
        pytest.skip("Chromium is not installed")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        pytest.skip("playwright is not installed")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def copy_app(dest: Path) -> Path:
    """The app's code, data and config in ``dest`` (a clean working folder)."""
    dest.mkdir(parents=True, exist_ok=True)
    skip = shutil.ignore_patterns("__pycache__", "*.pyc", ".pytest_cache")
    for part in APP_PARTS:
        src = ROOT / part
        if src.is_dir():
            shutil.copytree(src, dest / part, ignore=skip)
        elif src.is_file():
            shutil.copy2(src, dest / part)
    return dest


@dataclass
class Server:
    url: str
    proc: subprocess.Popen
    workdir: Path
    home: Path
    tmpdir: Path
    log: Path  # the server's stdout + stderr (outside the folders under watch)

    def log_text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")


def wait_healthy(url: str, proc: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"streamlit exited with {proc.returncode}")
        with contextlib.suppress(OSError):
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    return
        time.sleep(0.2)
    raise TimeoutError("streamlit did not answer /_stcore/health")


@contextlib.contextmanager
def run_server(base: Path, extra_env: dict[str, str] | None = None) -> Iterator[Server]:
    """``streamlit run app.py`` from a copy of the app in ``base/work``, on 127.0.0.1.

    HOME and TMPDIR are fresh empty folders under ``base``; no bytecode is written; the
    server's output goes to ``base/server.log`` (so a test can read what it logged).
    """
    workdir = copy_app(base / "work")
    home, tmpdir = base / "home", base / "tmp"
    home.mkdir(exist_ok=True)
    tmpdir.mkdir(exist_ok=True)
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "STREAMLIT"))}
    env.update(HOME=str(home), TMPDIR=str(tmpdir), PYTHONDONTWRITEBYTECODE="1",
               PYTHONPATH=str(workdir), **(extra_env or {}))
    cmd = [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port),
           "--server.address", "127.0.0.1", "--server.headless", "true",
           "--browser.gatherUsageStats", "false", "--browser.serverAddress", "127.0.0.1"]
    log = base / "server.log"
    with log.open("wb") as sink:
        proc = subprocess.Popen(cmd, cwd=workdir, env=env, stdout=sink, stderr=subprocess.STDOUT)
    try:
        url = f"http://127.0.0.1:{port}"
        wait_healthy(url, proc)
        yield Server(url, proc, workdir, home, tmpdir, log)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)


def launch(playwright):
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)


def open_app(context, url: str, timeout_ms: float = 60_000):
    page = context.new_page()
    page.set_default_timeout(timeout_ms)
    page.goto(url)
    wait_idle(page)
    return page


def wait_idle(page, timeout_ms: float = 90_000) -> None:
    """Wait until the script run triggered by the last action has finished."""
    page.wait_for_timeout(300)  # let the rerun start before waiting for its end
    page.wait_for_selector(IDLE, state="attached", timeout=timeout_ms)


def upload(page, path: Path, label: str = "Cohort file") -> None:
    """Put ``path`` into the file uploader whose label is ``label`` (waits until it exists)."""
    uploader = page.locator('[data-testid="stFileUploader"]').filter(has_text=label).first
    uploader.wait_for()
    uploader.locator('input[type="file"]').set_input_files(str(path))


def nav(page, title: str) -> None:
    """Click the sidebar navigation link of the page called ``title``."""
    page.locator('[data-testid="stSidebarNavLink"]', has_text=title).first.click()


def wait_for_sidebar(page, text: str, timeout_ms: float = 90_000) -> None:
    """Wait until the sidebar shows ``text`` (a loaded file's name, a patient count).

    On a timeout the error carries what the page showed instead.
    """
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    try:
        page.locator('[data-testid="stSidebar"]').get_by_text(text).first.wait_for(
            timeout=timeout_ms)
    except PlaywrightTimeout as exc:
        shown = page.locator("body").inner_text()[:3000]
        raise AssertionError(f"{text!r} never appeared in the sidebar; the page shows:\n"
                             f"{shown}") from exc
    wait_idle(page, timeout_ms)


def sidebar_text(page) -> str:
    return page.locator('[data-testid="stSidebar"]').inner_text()


def files_under(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


@pytest.fixture(scope="module")
def playwright_instance():
    needs_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="module")
def browser(playwright_instance):
    b = launch(playwright_instance)
    yield b
    b.close()


@pytest.fixture(scope="module")
def live_app(tmp_path_factory) -> Iterator[Server]:
    """One server per test module (its own working folder, HOME and TMPDIR)."""
    needs_chromium()
    with run_server(tmp_path_factory.mktemp("live_app")) as server:
        yield server
