"""The Data page (AppTest): demo, uploads, mapping confirmation, validation report, fixes,
and that no user file ever ends in a traceback."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parent.parent
REF = ROOT / "tests" / "reference"
TIMEOUT = 180


def new_app() -> AppTest:
    return AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT).run()


def upload(at: AppTest, name: str, data: bytes, key: str = "cohort_file") -> AppTest:
    at.file_uploader(key=key).upload(name, data, "application/octet-stream")
    return at.run()


def badge(at: AppTest) -> str:
    return " ".join(m.value for m in at.sidebar.markdown)


def no_exception(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]


def long_csv() -> pd.DataFrame:
    return pd.read_csv(REF / "cohort_long.csv", dtype=str, keep_default_na=False)


def csv_bytes(df: pd.DataFrame) -> bytes:
    return df.to_csv(index=False).encode("utf-8")


@pytest.fixture
def invalid_file() -> bytes:
    """The validation cohort with two impossible values (row 2: UPCR −3; row 7: albumin 'abc')."""
    d = long_csv()
    d.loc[0, "upcr"] = "-3"
    d.loc[5, "albumin"] = "abc"
    return csv_bytes(d)


def test_use_demo_button_brings_the_demo_back() -> None:
    at = upload(new_app(), "cohort_long.csv", (REF / "cohort_long.csv").read_bytes())
    assert "cohort_long.csv" in badge(at)
    at.button(key="use_demo").click().run()
    no_exception(at)
    assert "Demo" in badge(at) and "29 patients" in badge(at)


def test_validation_report_lists_errors_and_blocks_until_values_are_dropped(invalid_file) -> None:
    at = upload(new_app(), "invalid.csv", invalid_file)
    no_exception(at)
    report = next(df.value for df in at.dataframe if "message" in df.value.columns)
    assert list(report.columns[:5]) == ["severity", "row", "column", "value", "message"]
    assert set(report["severity"]) == {"Error"}  # shown as a word (the report keeps "error")
    assert {"-3", "abc"} <= set(report["value"].astype(str))
    assert "2 errors" in badge(at)
    # Analysis pages refuse, with a sentence and a link back.
    at.switch_page("app_pages/response.py").run()
    assert any("block the analysis" in w.value for w in at.warning)
    assert not at.dataframe
    at.switch_page("app_pages/data.py").run()
    at.checkbox(key="drop_invalid").check().run()
    no_exception(at)
    assert any("2 invalid value(s) were set to missing" in i.value for i in at.info)
    at.switch_page("app_pages/response.py").run()
    no_exception(at)
    assert not at.error and at.dataframe


def test_unrecognised_column_waits_for_confirmation() -> None:
    d = long_csv()
    d["hospital"] = d["patient_id"].map(lambda p: "A" if int(p[2:]) % 2 else "B")
    at = upload(new_app(), "hospital.csv", csv_bytes(d))
    no_exception(at)
    assert "Demo" in badge(at), "nothing is analysed before the mapping is confirmed"
    assert any("1 column is not recognised" in w.value for w in at.warning)
    at.button(key="confirm_mapping").click().run()
    no_exception(at)
    assert "hospital.csv" in badge(at)
    # The pass-through column becomes a filter.
    assert at.sidebar.multiselect(key="filter__hospital").options == ["A", "B"]


def test_mapping_table_flags_the_unknown_column_and_the_mapping_can_be_saved() -> None:
    d = long_csv().rename(columns={"upcr": "prot ratio"})
    at = upload(new_app(), "renamed.csv", csv_bytes(d))
    table = next(df.value for df in at.dataframe if "status" in df.value.columns)
    row = table.set_index("column").loc["prot ratio"]
    assert row["status"] == "unmatched" and row["field"] is None
    assert table.set_index("column").loc["creatinine", "field"] == "creatinine"
    assert "Demo" in badge(at)
    at.button(key="confirm_mapping").click().run()
    no_exception(at)
    assert "renamed.csv" in badge(at)
    assert any(b.label == "Mapping (JSON)" for b in at.get("download_button"))


@pytest.mark.parametrize(
    "name, data",
    [
        ("garbage.xlsx", b"PK\x03\x04 this is not really a workbook"),
        ("empty.csv", b""),
        ("binary.csv", bytes(range(256)) * 20),
        ("one_column.csv", b"hello\n1\n2\n"),
    ],
)
def test_unreadable_files_give_a_sentence_not_a_traceback(name: str, data: bytes) -> None:
    at = upload(new_app(), name, data)
    no_exception(at)
    assert at.error or at.warning
    for page in ("response", "cohort"):
        at.switch_page(f"app_pages/{page}.py").run()
        no_exception(at)


def test_invalid_mapping_file_is_refused_in_one_sentence() -> None:
    at = new_app()
    upload(at, "bad.mapping.json", b'{"columns": {"x": "No such field!"}}', key="mapping_file")
    upload(at, "cohort_long.csv", (REF / "cohort_long.csv").read_bytes())
    no_exception(at)
    assert any(e.value.startswith("bad.mapping.json: ") for e in at.error)
    assert "Demo" in badge(at), "a refused mapping loads nothing"


def test_remove_data_then_pages_prompt_for_a_file() -> None:
    at = new_app()
    next(b for b in at.button if b.label == "Remove data").click().run()
    no_exception(at)
    assert not badge(at)
    at.switch_page("app_pages/labs.py").run()
    no_exception(at)
    assert any("No cohort is loaded yet" in i.value for i in at.info)


def test_time_to_response_toggle_is_the_sidebar_setting() -> None:
    at = new_app()
    at.switch_page("app_pages/ttr.py").run()
    at.segmented_control(key="ttr_event_toggle").set_value("cr").run()
    no_exception(at)
    assert at.sidebar.radio(key="event").value == "cr"


def test_choosing_the_unit_of_an_unlabelled_upcr_column_fixes_the_cohort() -> None:
    """UPCR written in mg/g with no unit anywhere: an error asking for the unit; choosing
    mg/g on the page converts it (÷ 1000), and the KDIGO 2024 rates equal the reference
    (tests/reference/expected/kdigo2024/response_rates.csv, Rscript reference.R)."""
    d = long_csv()
    d["upcr"] = d["upcr"].map(lambda x: "" if x == "" else str(round(float(x) * 1000)))
    at = upload(new_app(), "upcr_mg_g.csv", csv_bytes(d))
    report = next(df.value for df in at.dataframe if "message" in df.value.columns)
    assert report["message"].str.contains("state the unit").any()
    at.selectbox(key="unit__upcr").set_value("mg/g").run()
    no_exception(at)
    assert "errors" not in badge(at)
    at.sidebar.selectbox(key="criteria").set_value("kdigo2024").run()
    at.switch_page("app_pages/response.py").run()
    shown = next(df.value for df in at.dataframe if "orr_n" in df.value.columns)
    exp = pd.read_csv(REF / "expected" / "kdigo2024" / "response_rates.csv")
    assert shown["orr_n"].tolist() == exp["orr_n"].tolist()
    assert shown["n_evaluable"].tolist() == exp["n_evaluable"].tolist()


@pytest.mark.parametrize(
    "name, mapping",
    [
        ("cohort_long.csv", None),
        ("cohort_wide.xlsx", "cohort_wide.mapping.json"),
        ("cohort_korean_cp949.csv", "cohort_korean.mapping.json"),
        ("cohort_workbook.xlsx", None),
    ],
)
def test_every_file_form_loads_the_validation_cohort(name: str, mapping: str | None) -> None:
    """tests/reference/README.md: each form decodes to 90 patients, 427 visits, no errors."""
    at = new_app()
    if mapping:
        upload(at, mapping, (REF / mapping).read_bytes(), key="mapping_file")
    upload(at, name, (REF / name).read_bytes())
    no_exception(at)
    assert f"{name}" in badge(at) and "90 patients · 427 visits" in badge(at)
    assert {m.label: m.value for m in at.metric}["Errors / warnings"].startswith("0 /")
    assert at.sidebar.multiselect(key="class").options == ["III", "IV", "V", "III+V", "IV+V"]
