"""The report bundle in a real browser.

1. ``report.html`` opened from disk in Chromium with every non-local request aborted
   (Playwright route): no request leaves the file, and every figure renders.
2. The *Report* page builds the ZIP and the download holds the same files as the
   command line's report of the same cohort (patient-level tables apart: the page leaves
   them out by default).
"""

from __future__ import annotations

import io
import sys
import zipfile
from pathlib import Path

import openpyxl
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from server import (  # noqa: E402, F401 (fixtures are used by name)
    browser,
    live_app,
    nav,
    open_app,
    playwright_instance,
    wait_for_sidebar,
    wait_idle,
)

from core.__main__ import main as cli  # noqa: E402
from core.analyses.registry import TABLES  # noqa: E402
from core.report.export.bundle import README_FILE, zip_path  # noqa: E402

pytestmark = [pytest.mark.browser, pytest.mark.slow]
DEMO = Path(__file__).resolve().parents[2] / "data" / "demo" / "demo_cohort_long.csv"
# the registry marks the tables that identify patients (the browser ZIP leaves them out)
PATIENT_LEVEL = {f"{t.name}.csv" for t in TABLES.values() if t.patient_level}


@pytest.fixture(scope="module")
def cli_report(tmp_path_factory) -> Path:
    """``python -m core report`` on the demo cohort, default settings."""
    out = tmp_path_factory.mktemp("cli_report")
    assert cli(["report", str(DEMO), "--out", str(out)]) == 0
    return out


def test_report_html_makes_no_outside_request_and_renders_every_figure(
    cli_report: Path,
    browser,  # noqa: F811
) -> None:
    html_path = cli_report / "report.html"
    n_figures = len(list(cli_report.glob("*.html"))) - 1  # one page per figure + the report
    outside: list[str] = []

    def route(r) -> None:
        if r.request.url.startswith(("file:", "data:", "blob:", "about:")):
            r.continue_()
        else:
            outside.append(r.request.url)
            r.abort()

    context = browser.new_context(viewport={"width": 1400, "height": 1200})
    try:
        page = context.new_page()
        page.route("**/*", route)
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(html_path.as_uri())
        page.wait_for_load_state("load")
        page.wait_for_function(
            "n => document.querySelectorAll('.js-plotly-plot .main-svg').length >= n",
            arg=n_figures, timeout=60_000,
        )  # fmt: skip
        drawn = page.evaluate("document.querySelectorAll('.js-plotly-plot').length")
    finally:
        context.close()
    assert outside == []
    assert errors == []
    assert drawn == n_figures > 10


def test_report_page_download_holds_the_cli_report_files(
    live_app,
    browser,
    cli_report: Path,
    tmp_path: Path,  # noqa: F811
) -> None:
    context = browser.new_context(viewport={"width": 1400, "height": 2400}, accept_downloads=True)
    try:
        page = open_app(context, live_app.url)
        wait_for_sidebar(page, "demo_cohort_long.csv")
        nav(page, "Report")
        wait_idle(page)
        page.get_by_role("button", name="Build the report").click()
        button = page.get_by_role("button", name="Report (ZIP")
        button.wait_for(timeout=240_000)
        with page.expect_download(timeout=120_000) as info:
            button.click()
        path = tmp_path / "bundle.zip"
        info.value.save_as(path)
    finally:
        context.close()
    with zipfile.ZipFile(io.BytesIO(path.read_bytes())) as zf:
        assert zf.testzip() is None
        in_zip = set(zf.namelist())
        readme = zf.read(README_FILE).decode("utf-8")
        workbook = openpyxl.load_workbook(io.BytesIO(zf.read("tables/report.xlsx")))
    # The CLI's files, in the ZIP's folders (data-contract §6), with README.txt naming each.
    from_cli = {p.name for p in cli_report.iterdir()} - {"notes.txt"} - PATIENT_LEVEL
    expected = {zip_path(n) for n in from_cli} | {README_FILE}
    assert in_zip == expected, (sorted(in_zip - expected), sorted(expected - in_zip))
    assert {n.split("/")[0] for n in in_zip if "/" in n} == {
        "figures", "tables", "manuscript", "reproduce"
    }  # fmt: skip
    for name in from_cli:
        assert f"  - {name}\n" in readme, name
    assert "Source file: demo_cohort_long.csv" in readme
    # The workbook: README, one sheet per table with its header block and frozen header row,
    # the hidden full-precision values sheet.
    assert workbook.sheetnames[0] == "README" and workbook.sheetnames[-1] == "values"
    assert workbook["values"].sheet_state == "hidden"
    rates = workbook["Response rates"]
    assert rates["A2"].value == "Source file" and rates["B2"].value == "demo_cohort_long.csv"
    header_row = rates.freeze_panes  # e.g. "A12": the row under the column headers
    headers = [c.value for c in rates[int(header_row[1:]) - 1]]
    assert headers[:3] == ["Month", "Group", "Evaluable (n)"]
    assert all(len(s) <= 31 for s in workbook.sheetnames)
