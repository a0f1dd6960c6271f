"""Formula safety and precision of CSV/XLSX exports; rounding for display.

The hostile cells follow OWASP's CSV-injection guidance: text starting with = + - @ TAB CR is
prefixed with a single quote; numbers (also text such as "-1.5") stay as they are.
"""

from __future__ import annotations

import io

import numpy as np
import openpyxl
import pandas as pd
import pytest

from core.report.export.display import (
    MINUS,
    format_num,
    format_p,
    format_pct,
    format_ratio,
    round_for_display,
)
from core.report.export.safe import (
    safe_cell,
    safe_frame,
    sheet_name,
    table_to_csv_bytes,
    table_to_xlsx_bytes,
    tables_to_xlsx_bytes,
)

HOSTILE = ["=1+1", "+SUM(A1)", "-cmd", "@x", "\t=", "\r="]
HOSTILE_SAFE = ["'=1+1", "'+SUM(A1)", "'-cmd", "'@x", "'\t=", "'\r="]


def hostile_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "group": HOSTILE,
            "label": ["ok", "-1.5", "+2", "한글", "a=b", None],
            "value": [-1.5, 0.1 + 0.2, 1 / 3, 1e-300, -0.0, np.nan],
            "n": [1, 2, 3, 4, 5, 6],
        }
    )


def test_safe_cell_prefixes_triggers_and_leaves_numbers() -> None:
    assert [safe_cell(v) for v in HOSTILE] == HOSTILE_SAFE
    assert safe_cell(-1.5) == -1.5
    assert safe_cell("-1.5") == "-1.5"
    assert safe_cell("+2e-3") == "+2e-3"
    assert safe_cell("a=b") == "a=b"
    assert safe_cell(None) is None


def test_safe_frame_headers_and_dtypes() -> None:
    df = hostile_frame().rename(columns={"group": "=HYPERLINK(1)"})
    out = safe_frame(df)
    assert list(out.columns)[0] == "'=HYPERLINK(1)"
    assert out.iloc[:, 0].tolist() == HOSTILE_SAFE
    assert out["value"].dtype == np.float64 and out["n"].dtype == np.int64
    assert df.iloc[0, 0] == "=1+1"  # the input is not modified


def test_csv_is_safe_full_precision_with_bom() -> None:
    data = table_to_csv_bytes(hostile_frame())
    assert data.startswith(b"\xef\xbb\xbf")
    back = pd.read_csv(
        io.BytesIO(data), keep_default_na=False, na_values=[""], float_precision="round_trip"
    )
    assert list(back.columns) == ["group", "label", "value", "n"]
    assert back["group"].tolist() == HOSTILE_SAFE
    assert back["label"].iloc[1] == -1.5 or back["label"].iloc[1] == "-1.5"
    values = back["value"].to_numpy()
    assert values[0] == -1.5  # a number stays a number
    assert (
        values[1] == 0.1 + 0.2 and values[2] == 1 / 3 and values[3] == 1e-300
    )  # repr, no rounding
    assert np.isnan(values[5])
    assert "한글".encode() in data
    assert b"0.30000000000000004" in data


def _sheet_rows(data: bytes, sheet: str) -> list[tuple]:
    wb = openpyxl.load_workbook(io.BytesIO(data))
    return [tuple(c.value for c in row) for row in wb[sheet].iter_rows()]


def test_xlsx_is_safe_and_numbers_numeric() -> None:
    data = table_to_xlsx_bytes(hostile_frame(), "t")
    rows = _sheet_rows(data, "t")
    assert rows[0] == ("group", "label", "value", "n")
    assert [r[0] for r in rows[1:]] == HOSTILE_SAFE
    wb = openpyxl.load_workbook(io.BytesIO(data))
    cells = list(wb["t"].iter_rows(min_row=2))
    assert all(c[0].data_type == "s" for c in cells)  # text, never a formula ("f")
    assert cells[0][2].value == -1.5 and cells[0][2].data_type == "n"
    assert cells[1][1].value == "-1.5"  # numeric text is left as it is
    # openpyxl writes 16 significant digits: relative error < 1e-15
    assert cells[2][2].value == pytest.approx(1 / 3, rel=1e-15)
    assert cells[5][2].value is None


def test_workbook_readme_and_sheet_names() -> None:
    long = "a_table_name_that_is_far_too_long_for_excel"
    data = tables_to_xlsx_bytes(
        {"response_rates": hostile_frame(), long: hostile_frame(), long + "_2": hostile_frame()},
        readme={"response criteria": "KDIGO 2024", "source file": "=evil.csv", "n": 3},
    )
    wb = openpyxl.load_workbook(io.BytesIO(data))
    assert wb.sheetnames[0] == "README"
    assert all(len(n) <= 31 for n in wb.sheetnames)
    assert len(set(wb.sheetnames)) == 4
    readme = {r[0]: r[1] for r in _sheet_rows(data, "README")}
    assert readme["response criteria"] == "KDIGO 2024"
    assert readme["source file"] == "'=evil.csv"
    assert readme["n"] == 3
    assert readme["response_rates"] == "response_rates"  # the sheet index
    assert [r[0] for r in _sheet_rows(data, "response_rates")[1:]] == HOSTILE_SAFE


def test_sheet_name_rules() -> None:
    taken: set[str] = set()
    assert sheet_name("a/b:c", taken) == "a_b_c"
    assert sheet_name("x" * 40, taken) == "x" * 31
    assert sheet_name("x" * 40, taken) == "x" * 29 + "~2"


@pytest.mark.parametrize(
    ("p", "text"),
    [
        (0.000775116633188193, "< 0.001"),
        (0.0725337843163518, "0.073"),
        (0.14, "0.140"),
        (0.00122530670590627, "0.001"),
        (0.001, "0.001"),
        (0.0009999, "< 0.001"),
        (0.9994, "0.999"),
        (0.99996, "> 0.999"),
        (1.0, "> 0.999"),
        (np.nan, ""),
    ],
)
def test_format_p(p: float, text: str) -> None:
    assert format_p(p) == text


def test_format_pct_and_num() -> None:
    assert format_pct(53.84615) == "53.8" and format_pct(55.5555) == "55.6"
    assert format_pct(-2.5049, minus=MINUS) == MINUS + "2.5"
    assert format_pct(-0.01) == "0.0"  # no negative zero
    assert format_num(2.4196) == "2.42" and format_num(0.4726) == "0.473"
    assert format_num(112.6) == "113" and format_num(6.0) == "6" and format_num(5.5) == "5.5"
    assert format_num(-0.169302325581395, minus=MINUS) == MINUS + "0.169"
    assert format_num(0.0000123) == "0.0000123" and format_num(0.8300001) == "0.83"
    assert format_num(0.99996) == "1"
    assert format_ratio(2.15579232137464) == "2.16" and format_ratio(4.7) == "4.70"
    assert format_ratio(0.158) == "0.16" and format_ratio(float("inf")) == "Inf"


def test_round_for_display_rules() -> None:
    df = pd.DataFrame(
        {
            "month": [6.0],
            "group": ["All"],
            "n_evaluable": [83],
            "orr_pct": [54.2168674698795],
            "orr_ci_low": [42.916083467787],
            "p_value": [0.000775],
            "hr": [2.15579232137464],
        }
    )
    out = round_for_display("response_rates", df)
    assert out["orr_pct"].iloc[0] == 54.2 and out["orr_ci_low"].iloc[0] == 42.9
    assert out["p_value"].iloc[0] == "< 0.001"
    assert out["hr"].iloc[0] == 2.16
    assert out["n_evaluable"].iloc[0] == 83
    assert df["orr_pct"].iloc[0] == 54.2168674698795  # input untouched


def test_unreached_median_and_bound_read_not_reached() -> None:
    """ttr_summary from ``core.analyses.time_to_response`` (R ``summary(survfit(...))$table`` gives NA for them):
    a median or upper bound the cumulative incidence never reaches reads "NR" on
    screen, not an empty cell; reached values keep 3 significant digits."""
    from core.analyses.time_to_response import time_to_response
    from core.model.settings import Settings

    # Group a: 2 of 10 respond (incidence 20%): median and its upper bound not reached.
    patients = pd.DataFrame(
        {
            "patient_id": [f"P{i}" for i in range(20)],
            "group": ["a"] * 10 + ["b"] * 10,
            "time": [3, 3] + [12] * 8 + [1, 2, 3, 3, 4, 5, 6, 6, 7, 9],
            "event": [1, 1] + [0] * 8 + [1] * 10,
        }
    )
    summary = time_to_response(patients, Settings())["ttr_summary"].table.set_index("group")
    assert summary.loc["a", ["median_time", "median_ci_high"]].isna().all()
    out = round_for_display("ttr_summary", summary.reset_index()).set_index("group")
    assert out.loc["a", "median_time"] == "NR"
    assert out.loc["a", "median_ci_high"] == "NR"
    assert float(out.loc["a", "median_ci_low"]) == 3 and out.loc["b", "median_time"] == "4.5"
    assert out.loc["All", "median_ci_high"] == "NR"
    # Another table's missing value stays missing (an empty cell, not "not reached").
    other = round_for_display("cox", pd.DataFrame({"hr": [np.nan], "ci_low": [np.nan]}))
    assert other["hr"].isna().all()
