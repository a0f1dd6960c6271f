"""Browser: on the Response page a reviewer picks a patient, sees the calls, and downloads
the whole response audit as a patient-level file that equals the command line's table."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pandas as pd
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

pytestmark = [pytest.mark.browser, pytest.mark.slow]
DEMO = Path(__file__).resolve().parents[2] / "data" / "demo" / "demo_cohort_long.csv"


def test_response_audit_downloads_as_a_patient_level_file(
    live_app,
    browser,
    tmp_path: Path,  # noqa: F811
) -> None:
    context = browser.new_context(viewport={"width": 1400, "height": 2400}, accept_downloads=True)
    try:
        page = open_app(context, live_app.url)
        wait_for_sidebar(page, "demo_cohort_long.csv")
        nav(page, "Response")
        wait_idle(page)
        section = page.get_by_text("Why each patient was called CR, PR or NR").first
        section.wait_for()
        section.click()  # a collapsed section: open it, then the table's download menu
        wait_idle(page)
        menu = page.locator(".st-key-menu_table_response_audit button").first
        menu.scroll_into_view_if_needed()  # the popover opens beside its trigger
        menu.click()
        button = page.get_by_role("button", name="Response audit — patient-level (CSV)")
        button.wait_for()
        with page.expect_download(timeout=120_000) as info:
            # a popover near the page's lower edge may sit partly outside the viewport:
            # the click event itself, not a pointer position
            button.dispatch_event("click")
        name = info.value.suggested_filename
        path = tmp_path / name
        info.value.save_as(path)
    finally:
        context.close()
    assert name.startswith("patient-level_response_audit") and name.endswith(".csv")
    got = pd.read_csv(io.BytesIO(path.read_bytes()), dtype={"patient_id": str})
    out = tmp_path / "cli"
    assert cli(["report", str(DEMO), "--tables-only", "--out", str(out)]) == 0
    want = pd.read_csv(out / "response_audit.csv", dtype={"patient_id": str})
    assert len(got) == len(want) > 0 and set(got["patient_id"]) == set(want["patient_id"])
    pd.testing.assert_frame_equal(got, want, check_dtype=False)
