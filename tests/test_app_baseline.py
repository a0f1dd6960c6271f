"""Cohort page (AppTest): Table 1 leaves the free-text column out and shows the extra measure
at baseline; the user adds and leaves out variables, the choice survives a visit to another
page, and a mapping file's ``options`` restore it (data-contract §3). The Data page says that
eGFR was computed from creatinine and reads ``options.drop_invalid``."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
from streamlit.testing.v1 import AppTest
from test_baseline_options import csv_bytes, long_frame

ROOT = Path(__file__).resolve().parent.parent
TIMEOUT = 180


def new_app() -> AppTest:
    return AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT).run()


def no_exception(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]


def table1(at: AppTest) -> pd.DataFrame:
    return next(df.value for df in at.dataframe if {"variable", "level"} <= set(df.value.columns))


def load(at: AppTest, data: bytes, mapping: dict | None = None) -> AppTest:
    if mapping is not None:
        at.file_uploader(key="mapping_file").upload(
            "export.mapping.json", json.dumps(mapping).encode("utf-8"), "application/json")
    at.file_uploader(key="cohort_file").upload("export.csv", data, "text/csv").run()
    if any(b.key == "confirm_mapping" for b in at.button):
        at.button(key="confirm_mapping").click().run()
    no_exception(at)
    return at


def test_cohort_page_include_exclude_survives_page_switches() -> None:
    at = load(new_app(), csv_bytes(long_frame()))
    assert any("eGFR computed from creatinine" in i.value for i in at.info)
    assert any("anti-dsDNA titre(s) are censored" in i.value for i in at.info)
    at.switch_page("app_pages/cohort.py").run()
    no_exception(at)
    shown = set(table1(at)["variable"].astype(str))
    # the screen shows clinical labels ("Age (years)"); user-named and pass-through names as given
    assert "comment" not in shown and {"cd4", "centre", "Age (years)"} <= shown
    add = at.multiselect(key="baseline_include__widget")
    assert add.options == ["comment (free text)"]
    add.set_value(["comment"]).run()
    at.multiselect(key="baseline_exclude__widget").set_value(["age"]).run()
    no_exception(at)
    shown = set(table1(at)["variable"].astype(str))
    assert "comment" in shown and "Age (years)" not in shown
    at.switch_page("app_pages/response.py").run()
    at.switch_page("app_pages/cohort.py").run()
    no_exception(at)
    shown = set(table1(at)["variable"].astype(str))
    assert "comment" in shown and "Age (years)" not in shown
    assert any(b.label == "Mapping with this choice (JSON)" for b in at.get("download_button"))
    # the free-text column is no filter either; the centre column is
    keys = {m.key for m in at.sidebar.multiselect}
    assert "filter__centre" in keys and "filter__comment" not in keys


def test_mapping_options_restore_the_choice_and_drop_invalid() -> None:
    df = long_frame()
    df.loc[4, "upcr"] = 80.0  # an error unless invalid values are set to missing
    options = {"baseline_exclude": ["cd4"], "baseline_include": ["comment"],
               "drop_invalid": True, "anti_dsdna_cutoff": {"value": 15, "unit": "IU/mL"}}
    at = load(new_app(), csv_bytes(df), {"columns": {}, "options": options})
    assert "export.csv" in " ".join(m.value for m in at.sidebar.markdown)
    assert at.checkbox(key="drop_invalid").value is True
    assert any("1 invalid value(s) were set to missing" in i.value for i in at.info)
    at.switch_page("app_pages/cohort.py").run()
    no_exception(at)
    shown = set(table1(at)["variable"].astype(str))
    assert "comment" in shown and "cd4" not in shown
    assert at.sidebar.number_input(key="dsdna_cutoff").value == 15
    at.switch_page("app_pages/data.py").run()  # back on the Data page: still ticked
    assert at.checkbox(key="drop_invalid").value is True
    assert any("1 invalid value(s) were set to missing" in i.value for i in at.info)
