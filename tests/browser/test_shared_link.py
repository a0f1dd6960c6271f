"""Browser: a shared link never shows someone else's numbers (issue 12, point 6).

A link with filters opened in a new session without its file names the filters and asks for
the file (no demo numbers under them); once the file is loaded the link's filters apply. A
link made on the demo (``source=demo``) opens the demo under its filters. The Response page's
sections are collapsible and each block has one download menu.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from server import (  # noqa: E402, F401 (fixtures are used by name)
    browser,
    live_app,
    open_app,
    playwright_instance,
    upload,
    wait_for_sidebar,
    wait_idle,
)

REF = Path(__file__).resolve().parents[1] / "reference"
pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_a_link_without_its_file_asks_for_it_then_applies_its_filters(live_app, browser) -> None:
    context = browser.new_context(viewport={"width": 1400, "height": 1600})
    try:
        page = open_app(context, live_app.url + "/response?class=IV&class=IV%2BV")
        notice = page.get_by_text("This link carries filters and settings but not the data")
        notice.first.wait_for()
        body = page.locator("body").inner_text()
        assert "Nephritis class: IV, IV+V" in body
        assert "demo_cohort_long.csv" not in body and "n = 29" not in body
        assert "class=IV" in page.url  # the filters stay in the URL until the file comes
        page.goto(live_app.url + "/?class=IV&class=IV%2BV")
        wait_idle(page)
        upload(page, REF / "cohort_long.csv")
        wait_for_sidebar(page, "cohort_long.csv")
        page.locator('[data-testid="stSidebarNavLink"]', has_text="Response").first.click()
        wait_idle(page)
        page.get_by_text("Class IV, IV+V").first.wait_for()
        assert "n = 56" in page.locator("body").inner_text()
        assert "source=demo" not in page.url
    finally:
        context.close()


def test_a_demo_link_opens_the_demo_under_its_filters(live_app, browser) -> None:
    context = browser.new_context(viewport={"width": 1400, "height": 1600})
    try:
        page = open_app(context, live_app.url + "/response?source=demo&class=IV")
        wait_for_sidebar(page, "demo_cohort_long.csv")
        page.get_by_text("Class IV").first.wait_for()
        assert not page.get_by_text("This link carries filters").count()
        # The Response page: the key result open, the other sections collapsed, one menu per
        # block.
        assert page.locator('[data-testid="stExpander"]').count() >= 5
        assert not page.locator('[data-testid="stDownloadButton"]').count()  # in the menus
        assert page.locator('[data-testid="stPopover"]').count() >= 2
    finally:
        context.close()
