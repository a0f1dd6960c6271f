"""A measure the user names, in a real browser: a wide file whose CD4 columns are at weeks 0,
20 and 96 (``cd40``, ``cd420``, ``cd496``) is mapped in the Data page's table — ``cd420`` to a
new measure ``cd4`` at week 20 in cells/µL, ``cd40`` to its baseline —, the mapping is
downloaded, a new session loads the file with the saved mapping, and CD4 is on the Labs page
(paired change baseline → week 20) and in Table 1 (Cohort page) at baseline.

The server is ``streamlit run app.py`` on a free port; the browser is Debian's Chromium.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))
from test_app_measures import WIDE  # noqa: E402  (the same file as the AppTest)

from ui.mapping_table import EDITOR_COLUMNS, WIDTHS  # noqa: E402

CHROMIUM = shutil.which("chromium")
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed"),
]
IDLE = '[data-test-script-state="notRunning"]'
HEADER, ROW = 35, 35  # the data editor's header and row heights (pixels)
W20 = 20 * 12 / 52


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    port = _free_port()
    env = {**os.environ, "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false"}
    cmd = [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port),
           "--server.headless", "true", "--server.address", "127.0.0.1",
           "--browser.serverAddress", "127.0.0.1", "--browser.gatherUsageStats", "false"]  # fmt: skip
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=1) as r:
                    if r.status == 200:
                        break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise RuntimeError("streamlit did not start") from None
                time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-background-networking", "--disable-dev-shm-usage"],
        )
        yield b
        b.close()


def new_session(browser, server: str):
    context = browser.new_context(viewport={"width": 1400, "height": 2400}, accept_downloads=True)
    pg = context.new_page()
    pg.set_default_timeout(90_000)
    pg.goto(server)
    idle(pg)
    return pg


def idle(pg) -> None:
    """Wait until the script runs the last action started have finished (the mapping table
    runs the script twice after an edit: once for the edit, once to show the new status)."""
    for _ in range(3):
        pg.wait_for_timeout(400)
        pg.wait_for_selector(IDLE, state="attached")


def cell(pg, row: int, col: str) -> str:
    grid = pg.get_by_test_id("stDataFrame").first
    k = EDITOR_COLUMNS.index(col)
    return grid.evaluate(f"g => (g.querySelector('#glide-cell-{k}-{row}') || {{}}).textContent")


def edit(pg, row: int, col: str, text: str) -> None:
    """Type ``text`` into the mapping table's cell (row, column); a pick list cell is opened
    and the option typed. Retried when a rerun replaced the table under the keystrokes."""
    x = sum(WIDTHS[c] for c in EDITOR_COLUMNS[: EDITOR_COLUMNS.index(col)]) + WIDTHS[col] / 2
    for _ in range(4):
        box = pg.get_by_test_id("stDataFrame").first.bounding_box()
        pg.mouse.click(box["x"] + x, box["y"] + HEADER + ROW * row + ROW / 2)
        pg.wait_for_timeout(200)
        if col == "time_unit":
            pg.keyboard.press("Enter")
            pg.wait_for_timeout(300)
        pg.keyboard.type(text)
        pg.wait_for_timeout(200)
        pg.keyboard.press("Enter")
        idle(pg)
        if cell(pg, row, col) == text:
            return
    raise AssertionError(f"the mapping table did not take {text!r} in row {row}, {col}")


def row_of(pg, column: str) -> int:
    for r in range(20):
        if cell(pg, r, "column") == column:
            return r
    raise AssertionError(f"no row for {column}")


def download(pg, menu: str | None, name: str, path: Path) -> Path:
    """Open the block's download menu, when the button sits in one (its first format is CSV
    for a table), then download."""
    if menu is not None:
        pg.locator(f".st-key-menu_{menu} button").first.click()
    with pg.expect_download(timeout=120_000) as info:
        pg.get_by_role("button", name=name, exact=True).first.click()
    info.value.save_as(path)
    return path


def upload(pg, selector: str, path: Path) -> None:
    pg.locator(f".st-key-{selector} input[type=file]").set_input_files(str(path))
    idle(pg)


def test_measure_typed_in_the_table_saved_reloaded_on_labs_and_table1(
    server: str, browser, tmp_path: Path
) -> None:
    wide = tmp_path / "wide.csv"
    wide.write_bytes(WIDE)
    pg = new_session(browser, server)
    upload(pg, "cohort_file", wide)
    pg.get_by_role("button", name="Confirm mapping").wait_for()
    r0, r20 = row_of(pg, "cd40"), row_of(pg, "cd420")
    assert cell(pg, r20, "status") == "unmatched"
    edit(pg, r20, "measure", "cd4")
    assert cell(pg, r20, "status") == "matched"  # brought up to date after the edit
    edit(pg, r20, "unit", "cells/µL")
    edit(pg, r20, "time", "20")
    edit(pg, r20, "time_unit", "weeks")
    edit(pg, r0, "measure", "cd4")
    edit(pg, r0, "time", "0")
    assert cell(pg, r0, "status") == "matched"
    shown = {c: cell(pg, r20, c) for c in ("field", "measure", "unit", "time", "time_unit")}
    assert shown == {"field": "", "measure": "cd4", "unit": "cells/µL", "time": "20",
                     "time_unit": "weeks"}

    saved = download(pg, None, "Mapping (JSON)", tmp_path / "wide.mapping.json")
    mapping = json.loads(saved.read_text("utf-8"))
    assert mapping["columns"]["cd420"] == "cd4_w20" and mapping["columns"]["cd40"] == "cd4_m0"
    assert mapping["units"] == {"cd4": "cells/µL"}

    # A new session: the saved mapping gives the same plan.
    pg = new_session(browser, server)
    upload(pg, "mapping_file", saved)
    upload(pg, "cohort_file", wide)
    pg.get_by_role("button", name="Confirm mapping").wait_for()  # cd496 is still unmatched
    r20 = row_of(pg, "cd420")
    again = {c: cell(pg, r20, c) for c in ("field", "measure", "unit", "time", "time_unit")}
    assert again == shown and cell(pg, r20, "status") == "from mapping file"
    pg.get_by_role("button", name="Confirm mapping").click()
    idle(pg)
    sidebar = pg.get_by_test_id("stSidebar")
    sidebar.get_by_text("wide.csv").first.wait_for(timeout=120_000)

    # Landmark at week 20, typed as weeks in the sidebar.
    combo = pg.locator(".st-key-landmark [role=combobox]")
    combo.click()
    pg.keyboard.type("20w")
    pg.keyboard.press("Enter")
    pg.keyboard.press("Escape")
    idle(pg)

    sidebar.get_by_role("link", name="Labs", exact=True).click()
    idle(pg)
    pg.get_by_text("week 20 (month 4.62)").first.wait_for()
    pg.get_by_role("heading", name="CD4 (cells/µL)").first.wait_for()
    paired = pd.read_csv(download(pg, "table_paired_changes_cd4",
                                "Change from baseline, all measures, CD4 (cells/µL) (CSV)",
                                  tmp_path / "paired.csv"))
    at20 = paired[np.isclose(paired["month"], W20, rtol=1e-12)].set_index("group")
    assert set(paired["measure"]) == {"cd4"}
    assert at20.loc["All", "n_pairs"] == 24

    sidebar.get_by_role("link", name="Cohort", exact=True).click()
    idle(pg)
    t1 = pd.read_csv(download(pg, "table_table1", "Baseline characteristics (CSV)", tmp_path / "t1.csv"))
    row = t1.set_index("variable").loc["cd4"]
    assert row["n_missing"] == 0 and row["test"] == "wilcoxon_rank_sum"
