"""The interface language in a real browser (Chromium's own locale, not a test double).

A Korean browser (``locale="ko-KR"``) opens the app in Korean and gets ``lang=ko`` in the
URL; the selector at the top of the sidebar switches to English (the URL follows); a link
with ``lang=en`` opens in English whatever the browser says. Screenshots of the converted
pages in both languages are written to ``$LN_SCREENSHOTS`` when that is set.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from server import (  # noqa: E402, F401 (fixtures are used by name)
    browser,
    live_app,
    nav,
    open_app,
    playwright_instance,
    wait_idle,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]
PAGES = {"반응": "신장 반응", "검사 수치": "검사 수치", "반응까지의 시간": "반응까지의 시간",
         "장기 결과": "장기 결과", "보고서": "보고서"}  # fmt: skip


def _shot(page, name: str) -> None:
    folder = os.environ.get("LN_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)


def _title(page) -> str:
    return page.locator("h1").first.inner_text().strip()


def test_korean_browser_gets_korean_and_the_selector_switches(browser, live_app) -> None:  # noqa: F811
    context = browser.new_context(locale="ko-KR", viewport={"width": 1400, "height": 1600})
    page = open_app(context, live_app.url)
    assert "lang=ko" in page.url
    for link, title in PAGES.items():
        nav(page, link)
        wait_idle(page)
        page.locator("h1").first.wait_for()
        assert _title(page) == title, (link, _title(page))
        assert "lang=ko" in page.url
        _shot(page, f"ko_{page.url.split('?')[0].rstrip('/').rsplit('/', 1)[-1] or 'data'}")
    nav(page, "반응")
    wait_idle(page)
    page.locator('[data-testid="stSidebar"] [data-testid="stSelectbox"]').first.click()
    page.get_by_role("option", name="English", exact=True).click()
    wait_idle(page)
    page.get_by_role("heading", name="Renal response").first.wait_for()
    assert "lang=en" in page.url
    context.close()


def test_link_language_wins_over_the_browser(browser, live_app) -> None:  # noqa: F811
    context = browser.new_context(locale="ko-KR", viewport={"width": 1400, "height": 1600})
    page = open_app(context, live_app.url.rstrip("/") + "/response?lang=en")
    page.get_by_role("heading", name="Renal response").first.wait_for()
    assert "lang=en" in page.url
    for link in ("Response", "Labs", "Time to response", "Long-term outcomes", "Report"):
        nav(page, link)
        wait_idle(page)
        name = link.lower().replace(" ", "_").replace("-", "_")
        _shot(page, f"en_{name}")
    context.close()


def test_a_switch_rewrites_the_url_settings_in_the_new_language(browser, live_app) -> None:  # noqa: F811
    """A bound setting is in the URL as its shown label: after a switch to Korean the URL carries
    the Korean label, and that URL opened in a new browser restores the setting."""
    from urllib.parse import parse_qs, urlsplit

    context = browser.new_context(locale="en-GB", viewport={"width": 1400, "height": 1600})
    url = (live_app.url.rstrip("/")
           + "/response?lang=en&source=demo&missing=Last+response+carried+forward")
    page = open_app(context, url)
    page.get_by_role("heading", name="Renal response").first.wait_for()
    wait_idle(page)
    page.locator('[data-testid="stSidebar"] [data-testid="stSelectbox"]').first.click()
    page.get_by_role("option", name="한국어", exact=True).click()
    wait_idle(page)
    page.get_by_role("heading", name="신장 반응").first.wait_for()
    page.wait_for_function("() => location.search.includes('LOCF')", timeout=30_000)
    query = parse_qs(urlsplit(page.url).query)
    assert query["lang"] == ["ko"] and query["missing"] == ["마지막 반응 이월 (LOCF)"], query
    shared = page.url
    context.close()
    context = browser.new_context(locale="en-GB", viewport={"width": 1400, "height": 1600})
    page = open_app(context, shared)
    page.get_by_role("heading", name="신장 반응").first.wait_for()
    wait_idle(page)
    box = page.locator('[data-testid="stSidebar"] [data-testid="stSelectbox"]').filter(
        has_text="랜드마크 결측 처리")
    assert box.first.locator("input").input_value() == "마지막 반응 이월 (LOCF)"
    assert "missing" in parse_qs(urlsplit(page.url).query)  # kept, not dropped as invalid
    context.close()
