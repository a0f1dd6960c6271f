"""Nothing leaks (AppTest): direct identifiers are named, dropped in one click, patient IDs
replaced by study codes on every page and in the report; charts name no patient unless the
sidebar says so; patient-level downloads are marked.

The cohort is the validation cohort (tests/reference/cohort_long.csv) with two identifier
columns added in the test: Korean names and resident registration numbers (made up, with
valid month and day fields, as ``core.ingest.identifiers`` requires).
"""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parent.parent
REF = ROOT / "tests" / "reference"
TIMEOUT = 180
SURNAMES = "김이박최정강조윤장임"
GIVEN = ["민준", "서연", "지호", "하은", "도윤", "서윤", "예준", "지우", "시우", "수아"]


def identifier_cohort() -> tuple[bytes, dict[str, str], dict[str, str]]:
    """CSV bytes of the validation cohort plus a name and an RRN column; the two maps."""
    d = pd.read_csv(REF / "cohort_long.csv", dtype=str, keep_default_na=False)
    ids = sorted(d["patient_id"].unique())
    names = {p: SURNAMES[i % 10] + GIVEN[(i // 10) % 10] for i, p in enumerate(ids)}
    rrn = {
        p: f"{80 + i % 19:02d}{1 + i % 12:02d}{1 + i % 28:02d}-{1 + i % 2}{100000 + i:06d}"
        for i, p in enumerate(ids)
    }
    d.insert(1, "name", d["patient_id"].map(names))
    d.insert(2, "주민등록번호", d["patient_id"].map(rrn))
    return d.to_csv(index=False).encode("utf-8"), names, rrn


@pytest.fixture(scope="module")
def cohort_file() -> tuple[bytes, dict[str, str], dict[str, str]]:
    return identifier_cohort()


def loaded(data: bytes) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT).run()
    at.file_uploader(key="cohort_file").upload("ids.csv", data, "text/csv")
    at.run()
    if any(b.key == "confirm_mapping" for b in at.button):
        at.button(key="confirm_mapping").click().run()
    assert_clean(at)
    assert "ids.csv" in " ".join(m.value for m in at.sidebar.markdown)
    return at


def assert_clean(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def page_text(at: AppTest) -> str:
    """Every message, caption and markdown on the page (where a warning could quote)."""
    parts = [*at.warning, *at.success, *at.info, *at.caption, *at.markdown]
    return "\n".join(str(p.value) for p in parts)


def preview(at: AppTest, table: str) -> pd.DataFrame:
    """The canonical patients or visits preview of the Data page."""
    frames = [df.value for df in at.dataframe if "patient_id" in df.value.columns]
    want = "month" if table == "visits" else "isn_class"
    return next(f for f in frames if want in f.columns)


def chart_specs(at: AppTest) -> list[str]:
    return [c.proto.spec for c in at.get("plotly_chart")]


def test_identifiers_are_named_without_values_and_dropped_in_one_click(cohort_file) -> None:
    data, names, rrn = cohort_file
    at = loaded(data)
    warning = next(w.value for w in at.warning if "direct identifiers" in w.value)
    assert "'name' holds names" in warning
    assert "'주민등록번호' holds resident registration numbers" in warning
    text = page_text(at)
    assert not [v for v in [*names.values(), *rrn.values()] if v in text]
    assert {"name", "주민등록번호"} <= set(preview(at, "patients").columns)

    at.button(key="drop_identifiers").click().run()
    assert_clean(at)
    cohort = at.session_state["cohort"]
    for frame in (cohort.patients, cohort.visits):
        assert not {"name", "주민등록번호"} & set(frame.columns)
    assert not {"name", "주민등록번호"} & set(preview(at, "patients").columns)
    assert not any("direct identifiers" in w.value for w in at.warning)
    assert any("Dropped for this session" in s.value for s in at.success)
    assert not any(b.key == "drop_identifiers" for b in at.button)
    # The analysis pages use the cleaned cohort.
    at.switch_page("app_pages/cohort.py").run()
    assert_clean(at)
    table1 = next(df.value for df in at.dataframe if "variable" in df.value.columns)
    assert not {"name", "주민등록번호"} & set(table1["variable"].astype(str))


def test_study_codes_replace_ids_everywhere_and_the_key_stays_out_of_the_report(
    cohort_file, monkeypatch
) -> None:
    from core.report.export import bundle

    monkeypatch.setattr(bundle.imaging, "images_available", lambda: False)
    data, _, _ = cohort_file
    original = set(pd.read_csv(REF / "cohort_long.csv", dtype=str)["patient_id"])
    at = loaded(data)
    at.checkbox(key="pseudonymise_ids").check().run()
    assert_clean(at)
    shown = preview(at, "patients")["patient_id"].astype(str)
    assert shown.str.fullmatch(r"S\d{3}").all() and not set(shown) & original
    key = at.session_state["study_code_key"]
    assert len(key) == 90 and set(key.values()) == original and "S001" in key
    labels = [b.label for b in at.get("download_button")]
    assert "Study-code key — patient-level (CSV)" in labels

    at.switch_page("app_pages/ttr.py").run()
    assert_clean(at)
    ttr = next(df.value for df in at.dataframe if {"patient_id", "event"} <= set(df.value))
    assert ttr["patient_id"].astype(str).str.fullmatch(r"S\d{3}").all()
    assert not set(ttr["patient_id"].astype(str)) & original
    labels = [b.label for b in at.get("download_button")]
    assert "Time to response per patient — patient-level (CSV)" in labels

    at.switch_page("app_pages/report.py").run()
    assert_clean(at)
    assert at.checkbox(key="include_patient_level").value is False
    at.button(key="build_zip").click().run()
    assert_clean(at)
    names, texts = _zip(at.session_state["report_zip"][1])
    assert not any(n.startswith("patient_level/") for n in names)
    assert not {"landmark_visits.csv", "ttr_patients.csv"} & {n.split("/")[-1] for n in names}
    at.checkbox(key="include_patient_level").check().run()
    at.button(key="build_zip").click().run()
    assert_clean(at)
    assert any("patient-level" in b.label for b in at.get("download_button"))
    names, texts = _zip(at.session_state["report_zip"][1])
    assert {"patient_level/ttr_patients.csv", "patient_level/README.txt"} <= names
    assert "S001" in texts["patient_level/ttr_patients.csv"]
    # Neither the original IDs nor the key are anywhere in the report.
    everything = "\n".join(texts.values())
    assert not [i for i in original if i in everything]
    assert not any("key" in n.lower() and "study" in n.lower() for n in names)


def _zip(data: bytes) -> tuple[set[str], dict[str, str]]:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        names = set(zf.namelist())
        texts = {
            n: zf.read(n).decode("utf-8", "ignore")
            for n in names
            if n.endswith((".csv", ".txt", ".md", ".py", ".json", ".html")) and not n.endswith("plotly.min.js")
        }
    return names, texts


def test_charts_name_patients_only_when_the_sidebar_says_so() -> None:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT).run()
    ids = set(pd.read_csv(ROOT / "data" / "demo" / "demo_cohort_long.csv", dtype=str)["patient_id"])
    at.switch_page("app_pages/cohort.py").run()
    assert_clean(at)
    assert at.sidebar.toggle(key="show_ids").value is False
    specs = chart_specs(at)
    assert specs and not [i for i in ids if any(f'"{i}"' in s for s in specs)]
    at.sidebar.toggle(key="show_ids").set_value(True).run()
    assert_clean(at)
    swimmer = [s for s in chart_specs(at) if "Follow-up and response" in s]
    assert swimmer and {i for i in ids if f'"{i}"' in swimmer[0]} == ids
    json.loads(swimmer[0])  # a real plotly spec, not a string that happens to match
