"""The bytes behind the download buttons, and their file names (AppTest cannot read them)."""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd
import pytest

from core.analyses.registry import table_title
from core.model.settings import Filters, Settings
from ui.widgets import figure_downloads, file_name, slug, summary_line, table_downloads

REF = Path(__file__).resolve().parent / "reference"


def test_file_names_carry_the_item_and_the_filter_summary() -> None:
    line = summary_line(Filters(classes=("IV", "IV+V")), Settings(criteria="kdigo2024"), 56)
    assert line == "Class IV, IV+V · KDIGO 2024 · complete-case · n = 56"
    assert slug(line) == "class-iv-iv+v_kdigo-2024_complete-case_n56"
    assert file_name("response_rates", line, "csv") == (
        "response_rates__class-iv-iv+v_kdigo-2024_complete-case_n56.csv"
    )
    assert "/" not in slug("Group a/b · recorded · n = 3") and ".." not in slug("x .. y")


def test_table_downloads_are_full_precision_csv_and_xlsx() -> None:
    table = pd.read_csv(REF / "expected" / "class_IV_IVV" / "response_rates.csv")
    csv, xlsx = table_downloads("response_rates", table_title("response_rates"), table, "All patients")
    assert (csv.label, xlsx.label) == ("Response rates (CSV)", "Response rates (XLSX)")
    back = pd.read_csv(io.BytesIO(csv.data()))
    pd.testing.assert_frame_equal(back, table, check_exact=False, rtol=1e-12)
    # The workbook: README, the table in the journal style under its header block, and the
    # full precision in the hidden "values" sheet (its table name, then the CSV's columns).
    book = pd.ExcelFile(io.BytesIO(xlsx.data()))
    assert book.sheet_names == ["README", "Response rates", "values"]
    values = pd.read_excel(book, "values", skiprows=1, nrows=len(table))
    assert values["orr_ci_low"].to_numpy() == pytest.approx(
        table["orr_ci_low"].to_numpy(), rel=1e-12
    )
    shown = pd.read_excel(book, "Response rates", header=None)
    assert shown.iloc[0, 0] == "Response rates" and "All patients" in shown[1].astype(str).tolist()


def test_figure_downloads_include_offline_html() -> None:
    import plotly.graph_objects as go

    fig = go.Figure(go.Bar(x=["refractory", "relapse"], y=[52.0, 76.0]))
    downloads = {d.label: d for d in figure_downloads("ttr_curve", "Time to response", fig, "x")}
    html = downloads["Time to response (HTML)"].data()
    text = html.decode() if isinstance(html, bytes) else html
    # plotly.js inlined (works offline), not fetched from a CDN.
    assert "<html" in text.lower() and 'src="https://cdn' not in text and len(text) > 1_000_000
    from core.report import images

    assert ("Time to response (PNG)" in downloads) == images.images_available()


@pytest.mark.parametrize("name", ["ttr_patients", "landmark_visits"])
def test_patient_level_tables_are_marked_in_label_and_file_name(name: str) -> None:
    table = pd.read_csv(REF / "expected" / f"{name}.csv", dtype={"patient_id": str})
    csv, xlsx = table_downloads(name, table_title(name), table, "All patients")
    assert csv.label == f"{table_title(name)} — patient-level (CSV)"
    assert xlsx.label == f"{table_title(name)} — patient-level (XLSX)"
    assert csv.file_name.startswith("patient-level_" + name)
    assert xlsx.file_name.startswith("patient-level_" + name)
    assert csv.file_name.endswith(".csv") and xlsx.file_name.endswith(".xlsx")


def test_any_table_with_patient_ids_is_marked_and_aggregates_are_not() -> None:
    per_patient = pd.DataFrame({"patient_id": ["S001"], "value": [1.0]})
    csv, _ = table_downloads("my_table", "My table", per_patient, "x")
    assert "patient-level" in csv.label and csv.file_name.startswith("patient-level_")
    rates = pd.read_csv(REF / "expected" / "response_rates.csv")
    csv, _ = table_downloads("response_rates", "Response rates", rates, "x")
    assert "patient-level" not in csv.label + csv.file_name
