"""The Data page with a measure the user names (AppTest): a wide file whose CD4 columns are
at weeks 0, 20 and 96 is mapped to a new measure ``cd4`` (unit cells/µL), the mapping saved
and loaded again in a new session, and CD4 appears on the Labs page (paired change from
baseline to week 20) and in Table 1 on the Cohort page. AppTest cannot type into a data
editor, so the mapping arrives as a mapping file here; tests/browser/test_measures.py types it
in the table."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

from core.ingest.mapping import mapping_to_json, parse_mapping_json

ROOT = Path(__file__).resolve().parent.parent
TIMEOUT = 180
WIDE = ("pid,arm,cd40,cd420,cd496\n" + "".join(
    f"P{i:02d},{('ZDV', 'ddI')[i % 2]},{300 + 7 * i},{330 + 9 * i - 40 * (i % 3)},"
    f"{320 + 5 * i}\n" for i in range(24))).encode("utf-8")
MAPPING = {"columns": {"cd40": "cd4_w0", "cd420": "cd4_w20", "cd496": "cd4_w96"},
           "units": {"cd4": "cells/µL"}}


def _app() -> AppTest:
    return AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT).run()


def _upload(at: AppTest, mapping: bytes) -> AppTest:
    at.file_uploader(key="mapping_file").upload("w.mapping.json", mapping, "application/json")
    at.run()
    at.file_uploader(key="cohort_file").upload("wide.csv", WIDE, "text/csv")
    return at.run()


def _ok(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]


def test_user_named_measure_mapped_saved_reloaded_on_labs_and_table1() -> None:
    at = _upload(_app(), mapping_to_json(MAPPING).encode("utf-8"))
    _ok(at)
    table = at.data_editor[0].value.set_index("column")
    row = table.loc["cd420"]
    assert (row["measure"], row["time"], row["time_unit"], row["unit"]) == (
        "cd4", 20.0, "weeks", "cells/µL")
    assert row["status"] == "from mapping file"
    source = at.session_state["source"]
    assert source.name == "wide.csv", "every column is known: loaded without a confirmation"
    saved = mapping_to_json(source.mapping)  # what the Mapping (JSON) button downloads
    assert any(b.label == "Mapping (JSON)" for b in at.get("download_button"))

    # a new session with the saved mapping gives the same plan and the same cohort
    again = _upload(_app(), saved.encode("utf-8"))
    _ok(again)
    assert again.data_editor[0].value.equals(at.data_editor[0].value)
    assert parse_mapping_json(saved)[0] == again.session_state["source"].mapping
    again.sidebar.multiselect(key="landmark").set_value(["20w", "96w"]).run()
    _ok(again)
    again.switch_page("app_pages/labs.py").run()
    _ok(again)
    box = again.selectbox(key="lab_measure")
    assert box.value == "cd4" and box.format_func("cd4") == "CD4 (cells/µL)"
    assert any("week 20 (month 4.62)" in c.value for c in again.caption)
    paired = next(d.value for d in again.dataframe if "n_pairs" in d.value.columns)
    at_w20 = paired[paired["month"].round(2) == 4.62]  # week 20, shown in months (contract)
    assert set(paired["measure"]) == {"cd4"} and set(at_w20["group"]) == {"ZDV", "ddI", "All"}
    assert at_w20.set_index("group").loc["All", "n_pairs"] == 24
    again.switch_page("app_pages/cohort.py").run()
    _ok(again)
    t1 = next(d.value for d in again.dataframe if "variable" in d.value.columns)
    row = t1.set_index("variable").loc["cd4"]  # at baseline (week 0)
    assert row["test"] == "Wilcoxon rank-sum test" and row["n_missing"] == 0  # shown as words
