"""Two people at once on one server: each sees only the cohort they uploaded.

Two browser contexts (separate sessions, as two users) upload different files at the same
time; each sidebar shows its own patient and visit counts, before and after the other's
upload finished, and on the other pages of their sessions.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from hostile import base as B  # noqa: E402
from hostile.case import csv_base  # noqa: E402
from server import (  # noqa: E402, F401 (fixtures are used by name)
    browser,
    live_app,
    nav,
    open_app,
    playwright_instance,
    sidebar_text,
    upload,
    wait_for_sidebar,
    wait_idle,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]
REF = Path(__file__).resolve().parents[1] / "reference" / "cohort_long.csv"


def test_two_sessions_each_see_only_their_own_cohort(live_app, browser, tmp_path):  # noqa: F811
    small = tmp_path / "six_patients.csv"
    small.write_bytes(csv_base(columns=B.LONG_HEADER[:-1]).encode())  # no LDH: no mapping step
    ctx_a, ctx_b = browser.new_context(), browser.new_context()
    try:
        page_a, page_b = open_app(ctx_a, live_app.url), open_app(ctx_b, live_app.url)
        upload(page_a, REF)
        upload(page_b, small)  # while A's file is being read
        wait_for_sidebar(page_a, "cohort_long.csv")
        wait_for_sidebar(page_b, "six_patients.csv")
        for target in ("Response", "Cohort", None):  # and on other pages of the same sessions
            a, b = sidebar_text(page_a), sidebar_text(page_b)
            assert "cohort_long.csv" in a and "90 patients" in a and "427 visits" in a, a
            assert "six_patients.csv" in b and "6 patients" in b and "18 visits" in b, b
            assert "six_patients" not in a and "cohort_long" not in b
            if target:
                for page in (page_a, page_b):
                    nav(page, target)
                wait_idle(page_a)
                wait_idle(page_b)
    finally:
        ctx_a.close()
        ctx_b.close()
