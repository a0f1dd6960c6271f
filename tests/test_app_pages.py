"""Every page of the dashboard runs (AppTest) on the demo and on the validation cohort, and
the numbers on screen follow the class filter to the R reference.

Reference numbers: tests/reference/expected/{,class_IV_IVV/}response_rates.csv, made by
``Rscript reference.R`` (``binom.test`` intervals; see tests/reference/README.md).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parent.parent
REF = ROOT / "tests" / "reference"
EXPECTED = REF / "expected"
PAGES = ["cohort", "response", "labs", "ttr", "long_term", "report"]
TIMEOUT = 180


def new_app(query: dict | None = None) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)
    for k, v in (query or {}).items():
        at.query_params[k] = v
    return at.run()


def upload(at: AppTest, name: str, key: str = "cohort_file", data: bytes | None = None) -> AppTest:
    data = (REF / name).read_bytes() if data is None else data
    at.file_uploader(key=key).upload(name, data, "application/octet-stream")
    return at.run()


def assert_clean(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def badge(at: AppTest) -> str:
    return " ".join(m.value for m in at.sidebar.markdown)


def shown_table(at: AppTest, *columns: str) -> pd.DataFrame:
    """The first dataframe on the page having all ``columns``."""
    for df in at.dataframe:
        if set(columns) <= set(df.value.columns):
            return df.value
    raise AssertionError(f"no table with columns {columns}")


def assert_rates_equal(shown: pd.DataFrame, expected_csv: Path) -> None:
    """Counts exactly; percentages and intervals as rounded on screen (1 decimal)."""
    exp = pd.read_csv(expected_csv)
    got = shown.astype({"month": float}).set_index(["month", "group"])
    for _, row in exp.iterrows():
        g = got.loc[(float(row["month"]), row["group"])]
        for col in ("n_evaluable", "cr_n", "pr_n", "orr_n"):
            assert int(g[col]) == int(row[col]), (row["month"], row["group"], col)
        for col in ("cr_pct", "orr_pct", "orr_ci_low", "orr_ci_high", "cr_ci_low", "cr_ci_high"):
            assert float(g[col]) == pytest.approx(round(float(row[col]), 1), abs=1e-9), col
    assert len(got) == len(exp)


@pytest.fixture(scope="module")
def demo_app() -> AppTest:
    return new_app()


@pytest.fixture(scope="module")
def reference_app() -> AppTest:
    at = new_app()
    return upload(at, "cohort_long.csv")


def test_new_session_opens_with_the_demo_cohort(demo_app: AppTest) -> None:
    demo = pd.read_csv(ROOT / "data" / "demo" / "demo_cohort_long.csv")
    assert_clean(demo_app)
    assert "Demo" in badge(demo_app)
    assert f"{demo['patient_id'].nunique()} patients · {len(demo)} visits" in badge(demo_app)
    assert demo_app.sidebar.multiselect(key="class").options  # filters are there


@pytest.mark.parametrize("page", PAGES)
def test_every_page_runs_on_the_demo(demo_app: AppTest, page: str) -> None:
    demo_app.switch_page(f"app_pages/{page}.py").run()
    assert_clean(demo_app)
    assert demo_app.title, "the page drew its title"
    assert demo_app.caption[0].value.endswith("n = 29")


@pytest.mark.parametrize("page", PAGES)
def test_every_page_runs_on_the_validation_cohort(reference_app: AppTest, page: str) -> None:
    reference_app.switch_page(f"app_pages/{page}.py").run()
    assert_clean(reference_app)
    assert "cohort_long.csv" in badge(reference_app)
    assert any(c.value.endswith("n = 90") for c in reference_app.caption)


def test_response_numbers_follow_the_class_filter() -> None:
    at = upload(new_app(), "cohort_long.csv")
    at.switch_page("app_pages/response.py").run()
    assert_rates_equal(
        shown_table(at, "n_evaluable", "orr_ci_low"), EXPECTED / "response_rates.csv"
    )
    at.sidebar.multiselect(key="class").set_value(["IV", "IV+V"]).run()
    assert_clean(at)
    assert at.caption[0].value.startswith("Class IV, IV+V")
    assert at.caption[0].value.endswith("n = 56")
    assert_rates_equal(shown_table(at, "n_evaluable", "orr_ci_low"),
                       EXPECTED / "class_IV_IVV" / "response_rates.csv")  # fmt: skip
    # The filter survives a page switch and the loaded cohort stays loaded.
    at.switch_page("app_pages/cohort.py").run()
    at.switch_page("app_pages/response.py").run()
    assert at.sidebar.multiselect(key="class").value == ["IV", "IV+V"]
    assert_rates_equal(shown_table(at, "n_evaluable", "orr_ci_low"),
                       EXPECTED / "class_IV_IVV" / "response_rates.csv")  # fmt: skip


def test_kdigo_setting_changes_the_numbers_to_the_kdigo_reference() -> None:
    at = upload(new_app(), "cohort_long.csv")
    at.switch_page("app_pages/response.py").run()
    at.sidebar.selectbox(key="criteria").set_value("kdigo2024").run()
    assert_clean(at)
    assert_rates_equal(shown_table(at, "n_evaluable", "orr_ci_low"),
                       EXPECTED / "kdigo2024" / "response_rates.csv")  # fmt: skip


def test_a_shared_link_restores_the_class_filter_once_the_file_is_loaded() -> None:
    at = new_app({"class": ["IV", "IV+V"]})
    assert "Demo" not in badge(at)  # a link without source=demo opens without data
    upload(at, "cohort_long.csv")
    assert at.sidebar.multiselect(key="class").value == ["IV", "IV+V"]
    at.switch_page("app_pages/response.py").run()
    assert_rates_equal(shown_table(at, "n_evaluable", "orr_ci_low"),
                       EXPECTED / "class_IV_IVV" / "response_rates.csv")  # fmt: skip


def test_wide_workbook_with_mapping_file_loads_the_same_cohort() -> None:
    at = new_app()
    upload(at, "cohort_wide.mapping.json", key="mapping_file")
    upload(at, "cohort_wide.xlsx")
    assert_clean(at)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Patients"] == "90" and metrics["Visits"] == "427"
    assert metrics["Errors / warnings"].startswith("0 /")
    at.sidebar.multiselect(key="class").set_value(["IV", "IV+V"]).run()
    at.switch_page("app_pages/response.py").run()
    assert_rates_equal(shown_table(at, "n_evaluable", "orr_ci_low"),
                       EXPECTED / "class_IV_IVV" / "response_rates.csv")  # fmt: skip


def test_report_page_builds_the_zip_in_memory(monkeypatch) -> None:
    import io
    import zipfile

    from core.report.export import bundle

    # PNG/SVG rendering is tested with the exports; here the page's wiring (no Chromium: fast).
    monkeypatch.setattr(bundle.imaging, "images_available", lambda: False)
    at = upload(new_app(), "cohort_long.csv")
    at.sidebar.multiselect(key="class").set_value(["IV", "IV+V"]).run()
    at.switch_page("app_pages/report.py").run()
    assert_clean(at)
    assert any(c.label.startswith("Show the code: Response rates") for c in at.expander)
    at.button(key="build_zip").click().run()
    assert_clean(at)
    labels = [b.label for b in at.get("download_button")]
    assert any(label.startswith("Report (ZIP") for label in labels)
    data = at.session_state["report_zip"][1]
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        names = set(zf.namelist())
        assert {"tables/response_rates.csv", "tables/report.xlsx", "manuscript/methods.md",
                "reproduce/reproduce.py", "README.txt"} <= names  # fmt: skip
        got = pd.read_csv(io.BytesIO(zf.read("tables/response_rates.csv")))
    exp = pd.read_csv(EXPECTED / "class_IV_IVV" / "response_rates.csv")
    assert got["orr_n"].tolist() == exp["orr_n"].tolist()
    assert got["orr_ci_low"].to_numpy() == pytest.approx(exp["orr_ci_low"].to_numpy(), rel=1e-5)


def test_long_term_page_on_a_filtered_demo(demo_app: AppTest) -> None:
    """The long-term page under a class filter: its tables and charts follow the filter."""
    demo_app.switch_page("app_pages/long_term.py").run()
    demo_app.sidebar.multiselect(key="class").set_value(["IV", "IV+V"]).run()
    assert_clean(demo_app)
    caption = demo_app.caption[0].value
    assert "Class IV, IV+V" in caption and not caption.endswith("n = 29")
    assert demo_app.get("plotly_chart"), "the page drew its charts"
    assert demo_app.dataframe, "the page shows its tables"


def test_small_cell_suppression_toggle_reaches_the_page(demo_app: AppTest) -> None:
    """Switched on in the sidebar, suppression is named in the caption and no table of the
    Response page prints a count from 1 to 4."""
    demo_app.switch_page("app_pages/response.py").run()
    demo_app.sidebar.toggle(key="suppress").set_value(True).run()
    assert_clean(demo_app)
    assert "counts < 5 suppressed" in demo_app.caption[0].value
    rates = demo_app.dataframe[0].value
    counts = rates[["cr_n", "pr_n", "orr_n", "n_evaluable"]].apply(pd.to_numeric, errors="coerce")
    assert not ((counts >= 1) & (counts <= 4)).any().any()


def test_long_term_rules_in_the_sidebar_change_the_tables(demo_app: AppTest) -> None:
    """The custom flare fold and the flare confirmation chosen in the sidebar reach the
    long-term page's flare table; the audit of every visit reaches the Response page."""
    demo_app.switch_page("app_pages/long_term.py").run()
    before = demo_app.dataframe[0].value.copy()
    demo_app.sidebar.number_input(key="flare_fold").set_value(1.5).run()
    demo_app.sidebar.selectbox(key="flare_confirm").set_value("next-visit").run()
    assert_clean(demo_app)
    after = demo_app.dataframe[0].value
    assert not after.equals(before), "the flare table follows the sidebar rules"
    demo_app.sidebar.checkbox(key="audit_visits").check().run()
    demo_app.switch_page("app_pages/response.py").run()
    assert_clean(demo_app)
