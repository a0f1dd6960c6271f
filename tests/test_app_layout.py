"""Pages a clinician can read (issue 12, points 5, 2 and 6), through AppTest:

- one download menu per block, the format chosen inside it, not a row of buttons;
- the filter/settings caption once per page, sections collapsible with the key result open;
- internal diagnostics (``p_method``, ``wilcoxon_V``…) only in a table's Details view;
- a shared link opened without its file names its filters and asks for the file; the demo
  opens only when the link says ``source=demo``.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from core.analyses.spec import DIAGNOSTIC_COLUMNS

ROOT = Path(__file__).resolve().parent.parent
REF = ROOT / "tests" / "reference"
TIMEOUT = 180


def new_app(query: dict | None = None) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)
    for k, v in (query or {}).items():
        at.query_params[k] = v
    return at.run()


def assert_clean(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def badge(at: AppTest) -> str:
    return " ".join(m.value for m in at.sidebar.markdown)


@pytest.fixture(scope="module")
def response_app() -> AppTest:
    at = new_app()
    at.switch_page("app_pages/response.py").run()
    assert_clean(at)
    return at


def test_one_download_menu_per_block_with_the_format_inside(response_app: AppTest) -> None:
    at = response_app
    menus = at.get("popover")
    formats = at.get("button_group")  # st.segmented_control
    buttons = at.get("download_button")
    # One menu, one format choice and one download button per block: no row of buttons.
    assert len(menus) >= 5 and len(menus) == len(buttons)
    assert all(m.proto.popover.label == "Download" for m in menus)
    fmt = {f.key: f for f in formats if str(f.key).startswith("fmt_")}
    assert len(fmt) == len(buttons)
    table_fmt = fmt["fmt_table_response_rates"]
    assert list(table_fmt.options) == ["CSV", "XLSX"]
    assert list(fmt["fmt_figure_response_rates"].options)[-1] == "HTML"
    labels = [b.label for b in buttons]
    assert "Response rates (CSV)" in labels and "Response rates (XLSX)" not in labels
    # Choosing XLSX in the menu turns its one button into the workbook.
    at.button_group(key="fmt_table_response_rates").set_value("XLSX").run()
    assert_clean(at)
    labels = [b.label for b in at.get("download_button")]
    assert "Response rates (XLSX)" in labels and "Response rates (CSV)" not in labels
    at.button_group(key="fmt_table_response_rates").set_value("CSV").run()


def test_the_filter_caption_is_shown_once_per_page(response_app: AppTest) -> None:
    summary = response_app.caption[0].value
    assert summary.endswith("n = 29")
    assert sum(c.value == summary for c in response_app.caption) == 1


def test_sections_are_collapsible_with_the_key_result_open(response_app: AppTest) -> None:
    at = response_app
    labels = [e.label for e in at.expander]
    for section in ("Between groups", "Response criteria compared",
                    "Transitions between landmarks", "Does the response last?",
                    "Why each patient was called CR, PR or NR"):  # fmt: skip
        assert section in labels, section
    # The key result (response rates) is outside every expander: the first table of the page.
    outside = [df for df in at.dataframe if "orr_ci_low" in df.value.columns]
    assert outside, "the response-rate table is on the page"
    assert [h.value for h in at.header][:1] == ["Response rates"]


def test_diagnostics_live_in_a_details_view_only() -> None:
    at = new_app()
    at.switch_page("app_pages/labs.py").run()
    assert_clean(at)
    paired = [df.value for df in at.dataframe if "wilcoxon_p" in df.value.columns]
    assert paired, "the paired-change table is shown"
    main, details = paired[0], paired[1:]
    assert not set(main.columns) & set(DIAGNOSTIC_COLUMNS), list(main.columns)
    assert details and {"wilcoxon_V", "wilcoxon_method"} <= set(details[0].columns)
    assert any(e.label == "Details: test variants and statistics" for e in at.expander)
    at.switch_page("app_pages/cohort.py").run()
    assert_clean(at)
    for df in at.dataframe:
        if "smd" in df.value.columns and "p_method" not in df.value.columns:
            break
    else:
        raise AssertionError("Table 1 without p_method is not on the Cohort page")


def test_a_shared_link_without_its_file_names_the_filters_and_asks_for_the_file() -> None:
    at = new_app({"class": ["IV", "IV+V"], "criteria": "kdigo2024"})
    assert_clean(at)
    assert "Demo" not in badge(at)  # the demo's numbers never appear under the link's filters
    notice = " ".join(i.value for i in at.info)
    assert "This link carries filters and settings but not the data" in notice
    assert "Nephritis class: IV, IV+V" in notice
    assert "Response criteria: KDIGO 2024" in notice or "Response criteria: " in notice
    at.switch_page("app_pages/response.py").run()
    assert_clean(at)
    assert not at.dataframe, "no numbers without the file"
    assert "This link carries filters" in " ".join(i.value for i in at.info)
    # Loading a file ends the notice; the link's filter applies to it.
    at.switch_page("app_pages/data.py").run()
    at.file_uploader(key="cohort_file").upload(
        "cohort_long.csv", (REF / "cohort_long.csv").read_bytes(), "text/csv"
    )
    at.run()
    at.switch_page("app_pages/response.py").run()
    assert_clean(at)
    assert at.caption[0].value.startswith("Class IV, IV+V")
    assert "This link carries filters" not in " ".join(i.value for i in at.info)
    assert "source" not in at.query_params


def test_a_demo_link_opens_the_demo_and_the_demo_marks_its_links() -> None:
    at = new_app()
    assert "Demo" in badge(at)
    assert at.query_params["source"] == ["demo"] or at.query_params["source"] == "demo"
    at = new_app({"class": ["IV", "IV+V"], "source": "demo"})
    assert_clean(at)
    assert "Demo" in badge(at)
    assert at.sidebar.multiselect(key="class").value == ["IV", "IV+V"]
    assert not any("This link carries" in i.value for i in at.info)
