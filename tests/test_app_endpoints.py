"""The time-to-event page names the file's own event and says where its times come from
(issue 11 point 2; AppTest). Data: tests/reference/endpoints/own_times.csv (days, no
response column) with its mapping."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parent.parent
HERE = ROOT / "tests" / "reference" / "endpoints"
TIMEOUT = 180
SOURCE = "times as given in the file, column 'days', converted from days to months"


def _app(query: dict | None = None) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)
    for k, v in (query or {}).items():
        at.query_params[k] = v
    at.run()
    for key, name in (("mapping_file", "own_times.mapping.json"), ("cohort_file", "own_times.csv")):
        at.file_uploader(key=key).upload(name, (HERE / name).read_bytes(), "application/octet-stream")
        at.run()
    at.switch_page("app_pages/ttr.py").run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    return at


def _captions(at: AppTest) -> str:
    return " ".join(c.value for c in at.caption)


def test_ttr_page_names_the_event_and_the_source() -> None:
    at = _app()
    assert at.title[0].value == "Time to response"
    assert f"Source of the times: {SOURCE}." in _captions(at)
    assert any(df.value.shape[0] == 4 for df in at.dataframe)  # ttr_summary: 3 arms and All
    at.sidebar.text_input(key="event_name").input("death").run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.title[0].value == "Time to death"
    assert "Cumulative incidence of death when death" in _captions(at)


def test_event_name_from_the_url() -> None:
    at = _app({"event_name": "renal flare"})
    assert at.sidebar.text_input(key="event_name").value == "renal flare"
    assert at.title[0].value == "Time to renal flare"
    assert f"Source of the times: {SOURCE}." in _captions(at)
