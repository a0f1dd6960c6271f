"""The dashboard in a real browser: upload the wide workbook with its mapping, filter the
nephritis class, open Response, download the table and a figure.

Reference: tests/reference/expected/class_IV_IVV/response_rates.csv (``Rscript reference.R``
on the class IV / IV+V patients; ``binom.test`` intervals). The server is ``streamlit run
app.py`` on a free port; the browser is Debian's Chromium (never downloaded).
"""

from __future__ import annotations

import base64
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[2]
REF = ROOT / "tests" / "reference"
CHROMIUM = shutil.which("chromium")

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed"),
]
IDLE = '[data-test-script-state="notRunning"]'


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
def page(server: str):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-background-networking", "--disable-dev-shm-usage"],
        )
        context = browser.new_context(
            viewport={"width": 1400, "height": 2400}, accept_downloads=True
        )
        pg = context.new_page()
        pg.set_default_timeout(90_000)
        pg.goto(server)
        idle(pg)
        yield pg
        browser.close()


def idle(pg) -> None:
    """Wait until the script run that the last action started has finished."""
    pg.wait_for_timeout(300)
    pg.wait_for_selector(IDLE, state="attached")


def pick(pg, key: str, option: str) -> None:
    pg.locator(f".st-key-{key} [role=combobox]").click()
    pg.get_by_role("option", name=option, exact=True).click()
    pg.keyboard.press("Escape")
    idle(pg)


def test_upload_filter_and_download_match_the_reference(page, tmp_path: Path) -> None:
    page.locator(".st-key-mapping_file input[type=file]").set_input_files(
        str(REF / "cohort_wide.mapping.json")
    )
    idle(page)
    page.locator(".st-key-cohort_file input[type=file]").set_input_files(
        str(REF / "cohort_wide.xlsx")
    )
    idle(page)
    sidebar = page.get_by_test_id("stSidebar")
    # An upload's rerun may start after the first idle check on a busy machine: wait for it.
    sidebar.get_by_text("cohort_wide.xlsx").first.wait_for(timeout=120_000)
    idle(page)
    assert "90 patients" in sidebar.inner_text()

    pick(page, "class", "IV")
    pick(page, "class", "IV+V")
    assert "class=IV&class=IV%2BV" in page.url  # the view is in the shareable link

    sidebar.get_by_role("link", name="Response", exact=True).click()
    idle(page)
    page.get_by_text("Class IV, IV+V").first.wait_for()

    # One download menu per block: open the table's, CSV is its first format.
    page.locator(".st-key-menu_table_response_rates button").first.click()
    with page.expect_download() as info:
        page.get_by_role("button", name="Response rates (CSV)").click()
    csv = tmp_path / "rates.csv"
    info.value.save_as(csv)
    assert info.value.suggested_filename.startswith("response_rates__class-iv-iv+v")
    got = pd.read_csv(csv).set_index(["month", "group"]).sort_index()
    exp = pd.read_csv(REF / "expected" / "class_IV_IVV" / "response_rates.csv")
    exp = exp.set_index(["month", "group"]).sort_index()
    assert list(got.index) == list(exp.index)
    for col in ("n_evaluable", "cr_n", "pr_n", "orr_n"):
        assert (got[col] == exp[col]).all(), col
    for col in ("cr_pct", "orr_pct", "orr_ci_low", "orr_ci_high", "cr_ci_low", "cr_ci_high"):
        assert got[col].to_numpy() == pytest.approx(exp[col].to_numpy(), rel=1e-5), col

    page.keyboard.press("Escape")  # close the table's menu, open the figure's (PNG first)
    page.locator(".st-key-menu_figure_response_rates button").first.click()
    with page.expect_download(timeout=120_000) as info:
        page.get_by_role("button", name="Response rates (PNG)").click()
    png = tmp_path / "rates.png"
    info.value.save_as(png)
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    # The browser itself decodes it: a real image with a size.
    probe = page.context.new_page()
    size = probe.evaluate(
        """src => new Promise(ok => { const i = new Image();
              i.onload = () => ok([i.naturalWidth, i.naturalHeight]);
              i.onerror = () => ok([0, 0]); i.src = src; })""",
        "data:image/png;base64," + base64.b64encode(data).decode(),
    )
    probe.close()
    assert size[0] >= 600 and size[1] >= 300


def test_identifier_columns_are_named_dropped_and_ids_replaced(
    server: str, page, tmp_path: Path
) -> None:
    """A file with names and resident registration numbers: the warning names the columns
    (never a value), one click drops them, the study-code option replaces the IDs, and the
    key is offered as a patient-level download."""
    sys.path.insert(0, str(ROOT / "tests"))
    from test_app_privacy import identifier_cohort

    data, names, rrn = identifier_cohort()
    path = tmp_path / "ids.csv"
    path.write_bytes(data)
    page = page.context.new_page()  # a new session: no mapping file from the test above
    page.set_default_timeout(90_000)
    page.goto(server)
    idle(page)
    page.locator(".st-key-cohort_file input[type=file]").set_input_files(str(path))
    idle(page)
    confirm = page.get_by_role("button", name="Confirm mapping")
    warning = page.get_by_text("This file carries direct identifiers").first
    confirm.or_(warning).first.wait_for()  # the upload's rerun has drawn one or the other
    if confirm.count():
        confirm.click()
        idle(page)
    warning = page.get_by_text("This file carries direct identifiers").first
    warning.wait_for()
    body = page.get_by_test_id("stAlert").all_inner_texts()
    text = "\n".join(body)
    assert "'name' holds names" in text and "resident registration numbers" in text
    assert not [v for v in [*names.values(), *rrn.values()] if v in text]
    page.get_by_role("button", name="Drop identifier columns").click()
    idle(page)
    page.get_by_text("Dropped for this session").first.wait_for()
    page.get_by_text("Replace patient IDs by study codes").click()
    idle(page)
    with page.expect_download() as info:
        page.get_by_role("button", name="Study-code key — patient-level (CSV)").click()
    assert info.value.suggested_filename.startswith("patient-level_")
    key = tmp_path / "key.csv"
    info.value.save_as(key)
    got = pd.read_csv(key, dtype=str)
    assert list(got.columns) == ["study_code", "patient_id"] and got["study_code"][0] == "S001"
