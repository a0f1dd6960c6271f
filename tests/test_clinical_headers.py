"""Clinical headers and words (core.report.export.headers, display.words_for_display).

- every column of every registry table has a clinical header, and it reads in Korean in the
  Korean interface (no contract name such as ``rate_per_100py`` reaches a reader);
- Table 1's ``variable`` and the ``measure`` column read as labels with units, in the current
  language; the flare definitions as words; the codes stay in the table that is not displayed.
"""

from __future__ import annotations

import pandas as pd
import pytest

from core.analyses.registry import TABLES
from core.model.i18n import catalogue, use
from core.report.export.display import words_for_display
from core.report.export.headers import HEADERS, column_header, value_words


def _specs():
    return TABLES.values() if isinstance(TABLES, dict) else TABLES


def _columns() -> list[str]:
    return sorted({c for spec in _specs() for c in spec.columns})


def test_every_registry_column_has_a_clinical_header() -> None:
    missing = [(spec.name, c) for spec in _specs() for c in spec.columns if c not in HEADERS]
    assert missing == []


@pytest.mark.parametrize("column", _columns())
def test_every_header_reads_in_korean(column: str) -> None:
    ko = catalogue("ko")
    assert ko.get(HEADERS[column]), f"{column}: {HEADERS[column]!r} has no Korean"
    with use("ko"):
        header = column_header(column)
    assert header == ko[HEADERS[column]]
    assert "_" not in header, header


def test_headers_carry_units() -> None:
    with use("en"):
        assert column_header("rate_per_100py") == "Rate per 100 patient-years"
        assert column_header("patient_years") == "Patient-years"
        assert column_header("nadir_upcr") == "Nadir UPCR (g/g)"
        assert column_header("egfr_0") == "eGFR at month 0 (mL/min/1.73 m²)"
        assert column_header("cumulative_g") == "Cumulative dose (g)"
    with use("ko"):
        assert column_header("rate_per_100py") == "100인년당 발생률"
        assert column_header("patient_years") == "인년"
        assert column_header("All") == "전체"


FRAME = pd.DataFrame(
    {
        "variable": ["age", "isn_class", "upcr", "cd4_count", None],
        "measure": ["egfr", "cumulative_g", "mean_daily_mg", "cd4_count", "creatinine"],
        "definition": ["aurora2", "custom", "aurora2", "custom", None],
    }
)


def test_variables_measures_and_definitions_read_as_words_in_english() -> None:
    with use("en"):
        shown = words_for_display(FRAME)
    assert shown["variable"].tolist()[:4] == ["Age (years)", "ISN/RPS class", "UPCR (g/g)", "cd4_count"]
    assert shown["measure"].tolist() == [
        "eGFR (mL/min/1.73 m²)", "Cumulative dose (g)", "Mean daily dose (mg/day)", "cd4_count",
        "Creatinine (mg/dL)",
    ]  # fmt: skip
    assert shown["definition"].tolist()[:4] == ["AURORA 2", "Custom definition"] * 2
    assert pd.isna(shown["variable"].iloc[4]) and pd.isna(shown["definition"].iloc[4])
    assert FRAME["variable"].iloc[0] == "age"  # the table itself keeps its codes


def test_variables_measures_and_definitions_read_as_words_in_korean() -> None:
    with use("ko"):
        shown = words_for_display(FRAME)
        cli = value_words(FRAME)
    assert shown["variable"].tolist()[:3] == ["나이 (세)", "ISN/RPS 분류", "UPCR (g/g)"]
    assert shown["measure"].iloc[4] == "크레아티닌 (mg/dL)"
    assert shown["measure"].iloc[2] == "일평균 용량 (mg/일)"
    assert shown["definition"].tolist()[:2] == ["AURORA 2", "사용자 정의 기준"]
    assert cli["definition"].tolist()[:2] == ["AURORA 2", "사용자 정의 기준"]  # --labels clinical


def test_test_and_criteria_codes_read_as_words_in_every_displayed_table() -> None:
    frame = pd.DataFrame({"test": ["fisher_exact"], "criteria": ["kdigo2024"], "p_method": ["normal_cc"]})
    with use("en"):
        shown = words_for_display(frame)
    assert shown.iloc[0].tolist() == [
        "Fisher's exact test", "KDIGO 2024", "Normal approximation with continuity correction",
    ]  # fmt: skip
