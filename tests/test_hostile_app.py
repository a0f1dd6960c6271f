"""Nothing crashes in the browser: hostile files through the Data page (AppTest).

A subset of the corpus (every "refuse" category, plus loads that stress text and layout):
no exception, no "Could not ..." sentence from the UI's last-resort guard (that means code
failed), a refused file shows an st.error naming the problem, a loaded file shows its patient
count, and afterwards the demo cohort loads and is analysed cleanly in the same session.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from hostile.make_corpus import by_name, corpus  # noqa: E402
from hostile.runner import mentions  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
TIMEOUT = 120
GUARD_FAILURE = "Something in the data or settings was not expected"
# The browser's uploader accepts only these extensions; other files never reach the app.
UPLOADABLE = (".csv", ".tsv", ".txt", ".xlsx", ".xlsm", ".xls", ".parquet")
LOADS = ("cp949_korean_values", "utf16le_bom_tab", "semicolon_decimal_comma", "script_labels",
         "emoji_rtl", "formula_ids", "dates_dmy_slash", "xlsx_workbook", "single_patient",
         "one_group", "trailing_notes", "mapping_korean_cp949")


def _subset() -> list:
    """The first case of every refuse category (uploadable), then the chosen loads."""
    firsts: dict[str, object] = {}
    for case in corpus():
        if case.expect == "refuse" and case.filename.endswith(UPLOADABLE):
            firsts.setdefault(case.category, case)
    return [*firsts.values(), *(by_name(n) for n in LOADS)]


SUBSET = _subset()


def _texts(elements) -> list[str]:
    return [str(e.value) for e in elements]


def _badge(at: AppTest) -> str:
    return " ".join(_texts(at.sidebar.markdown))


def _shown(at: AppTest) -> str:
    """Every error and warning sentence plus the messages of the validation table."""
    parts = _texts(at.error) + _texts(at.warning)
    for df in at.dataframe:
        if "message" in df.value.columns:
            parts += [str(v) for v in df.value["message"]]
    return "\n".join(parts)


def _healthy(at: AppTest) -> None:
    assert not at.exception, _texts(at.exception)
    assert not any(GUARD_FAILURE in t for t in _texts(at.error)), _texts(at.error)


def _upload(at: AppTest, case) -> AppTest:
    if case.mapping is not None:
        raw = case.mapping if isinstance(case.mapping, bytes) else case.mapping_text.encode()
        at.file_uploader(key="mapping_file").upload("mapping.json", raw, "application/json")
        at.run()
    at.file_uploader(key="cohort_file").upload(case.filename, case.data,
                                               "application/octet-stream")
    at.run()
    confirm = [b for b in at.button if b.key == "confirm_mapping"]
    if confirm and not at.error:
        confirm[0].click().run()
    return at


def test_subset_covers_every_refuse_category():
    assert len(SUBSET) >= 15
    covered = {c.category for c in SUBSET if c.expect == "refuse"}
    uploadable = {c.category for c in corpus()
                  if c.expect == "refuse" and c.filename.endswith(UPLOADABLE)}
    assert covered == uploadable


@pytest.mark.parametrize("case", SUBSET, ids=lambda c: c.name)
def test_hostile_upload_then_demo(case):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT).run()
    _healthy(at)
    _upload(at, case)
    _healthy(at)
    if case.expect == "refuse":
        assert at.error, f"{case.name}: no st.error shown"
        assert mentions(case.must_mention, _shown(at)), f"/{case.must_mention}/:\n{_shown(at)}"
    else:
        assert not at.error, _texts(at.error)
        assert case.filename in _badge(at), _badge(at)
        if case.n_patients is not None:
            assert f"{case.n_patients} patient" in _badge(at), _badge(at)
    at.button(key="use_demo").click().run()
    _healthy(at)
    assert "29 patients" in _badge(at), _badge(at)
    # the file stays in its uploader (with its message); the demo analyses run cleanly
    at.switch_page("app_pages/response.py").run()
    _healthy(at)
    assert not at.error and at.dataframe, _texts(at.error)


def test_script_labels_render_as_text():
    """Markup in labels reaches the page only through elements that escape it."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT).run()
    _upload(at, by_name("script_labels"))
    _healthy(at)
    assert "<script>alert(1)</script>" in at.sidebar.multiselect(key="group").options
    for page in ("cohort", "response"):
        at.switch_page(f"app_pages/{page}.py").run()
        _healthy(at)
        for kind in ("markdown", "caption", "html", "text"):
            for el in at.get(kind):
                proto = el.proto
                body = getattr(proto, "body", "") or ""
                unsafe = kind == "html" or getattr(proto, "allow_html", False)
                if unsafe:
                    assert "<script>alert" not in body and "onerror=" not in body, (kind, body)
