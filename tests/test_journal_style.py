"""Issue 12, points 3 and 4: one journal style (core.report.export.display) and files that
carry their context (the report workbook, figure captions, CSV context lines)."""

from __future__ import annotations

import io

import openpyxl
import pandas as pd
import plotly.graph_objects as go
import pytest

from core.report.export.context import (
    captioned,
    context_line,
    table_to_csv_with_context,
)
from core.report.export.display import (
    MINUS,
    NOT_REACHED,
    estimate_ci,
    format_ci,
    format_measure,
    format_p,
    format_ratio,
    mean_sd,
    median_iqr,
    n_pct_ci,
)
from core.report.export.docx_content import used_tests_note
from core.report.export.safe import table_to_csv_bytes
from core.report.export.workbook import (
    README_SHEET,
    VALUES_SHEET,
    context_items,
    report_workbook,
)


def test_intervals_use_an_en_dash_and_never_round_up_to_100():
    assert estimate_ci(12.34, 4.46, 20.149) == "12.3 (4.5–20.1)"
    assert estimate_ci(96.7, 82.8, 99.8) == "96.7 (82.8–99.8)"
    assert estimate_ci(99.96, 98.1, 99.97) == "100.0 (98.1–100.0)"  # only what is 100.0
    assert "-" not in estimate_ci(1.0634, 0.9698, 1.207, fmt=format_ratio)
    assert format_ci(-0.894, 0.556, minus=MINUS) == f"({MINUS}0.894 to 0.556)"
    assert n_pct_ci(7, 15.217, 6.3, 28.9) == "7 (15.2%; 6.3–28.9)"
    assert median_iqr(1.0634, 0.9698, 1.207) == "1.06 (0.97–1.21)"
    assert mean_sd(63.24, 12.11) == "63.2 (12.1)"


def test_not_reached_is_nr_everywhere():
    assert NOT_REACHED == "NR"
    assert (
        estimate_ci(float("nan"), 6.0, float("nan"), fmt=lambda x, **k: format_ratio(x, **k))
        == "NR (6.00–NR)"
    )
    assert format_ci(6, float("nan")) == "(6–NR)"


@pytest.mark.parametrize(
    ("p", "text"),
    [(1.0, "> 0.999"), (0.9995, "> 0.999"), (0.999, "0.999"), (0.05, "0.050"),
     (0.0004, "< 0.001"), (0.00123, "0.001")],
)  # fmt: skip
def test_p_values_three_decimals_never_1_000(p, text):
    assert format_p(p) == text


def test_lab_values_use_the_decimals_of_their_measure():
    assert format_measure("egfr", 63.44) == "63"
    assert format_measure("upcr", 1.0634) == "1.06"
    assert format_measure("albumin", 3.46) == "3.5"
    assert format_measure("unknown_lab", 1.0634) == "1.06"  # 3 significant digits


def test_tests_used_footnote_has_no_empty_entry():
    tests = pd.Series(["", "fisher_exact", None, "wilcoxon_rank_sum", "", "fisher_exact"])
    note = used_tests_note(tests)
    assert note.startswith("Tests used: ") and ": ;" not in note and "; ;" not in note
    assert note.count(";") == 1
    assert used_tests_note(pd.Series(["", None])) == ""


TABLES = {
    "response_rates": pd.DataFrame(
        {
            "month": [6.0, 6.0],
            "group": ["=evil()", "relapse"],
            "n_evaluable": [40, 41],
            "orr_pct": [54.21686746987952, 99.8],
            "orr_ci_low": [42.9, 87.1],
            "orr_ci_high": [65.2, 99.9],
        }
    ),  # fmt: skip
    "cox": pd.DataFrame(
        {"term": ["relapse vs refractory"], "hr": [2.15579232137464], "p_value": [0.0013]}
    ),  # fmt: skip
}
CONTEXT = context_items(
    source="cohort.csv", created="2026-12-08T00:00:00Z", filters="class IV",
    settings="kdigo2024", n="81 (refractory 40, relapse 41)", app_version="0.1.0",
)  # fmt: skip


@pytest.fixture(scope="module")
def workbook():
    return openpyxl.load_workbook(io.BytesIO(report_workbook(TABLES, CONTEXT)))


def test_workbook_sheets_header_block_and_frozen_header(workbook):
    assert workbook.sheetnames[0] == README_SHEET and workbook.sheetnames[-1] == VALUES_SHEET
    sheets = workbook.sheetnames[1:-1]
    assert len(sheets) == len(TABLES) and all(len(s) <= 31 for s in sheets)
    assert len({s.lower() for s in workbook.sheetnames}) == len(workbook.sheetnames)
    ws = workbook[sheets[0]]
    block = {r[0]: r[1] for r in ws.iter_rows(min_row=2, max_row=7, values_only=True)}
    assert block == {
        "Source file": "cohort.csv", "Created (UTC)": "2026-12-08T00:00:00Z",
        "Patients (filters)": "class IV", "Settings": "kdigo2024",
        "Patients analysed": "81 (refractory 40, relapse 41)", "App version": "0.1.0",
    }  # fmt: skip
    header_row = int(ws.freeze_panes[1:]) - 1
    headers = [c.value for c in ws[header_row]][:4]
    assert headers == ["Month", "Group", "Evaluable (n)", "ORR %"]
    first = [c.value for c in ws[header_row + 1]]
    assert first[1] == "'=evil()"  # formula-safe
    assert first[3] == 54.2  # percentages to 1 decimal, as on screen
    assert [c.value for c in ws[header_row + 2]][5] == 99.9  # never rounded up to 100
    assert all(ws.column_dimensions[c].width >= 8 for c in "ABCDEF")
    cox = workbook[sheets[1]]
    row = [c.value for c in cox[int(cox.freeze_panes[1:])]]
    assert row[1] == 2.16 and row[2] == "0.001"
    readme = [r for r in workbook[README_SHEET].iter_rows(values_only=True)]
    assert ("Source file", "cohort.csv", None) in readme
    assert any(r[2] == "response_rates.csv" for r in readme)


def test_workbook_values_sheet_holds_full_precision(workbook):
    ws = workbook[VALUES_SHEET]
    assert ws.sheet_state == "hidden"
    rows = list(ws.iter_rows(values_only=True))
    i = next(k for k, r in enumerate(rows) if r[0] == "response_rates")
    assert list(rows[i + 1][:4]) == ["month", "group", "n_evaluable", "orr_pct"]
    assert rows[i + 2][3] == 54.21686746987952 and rows[i + 2][1] == "'=evil()"


def test_csv_context_line_only_when_asked():
    df = TABLES["response_rates"]
    plain = table_to_csv_with_context(df)
    assert plain == table_to_csv_bytes(df)
    line = context_line("cohort.csv", "Class IV · kdigo2024 · n = 81")
    marked = table_to_csv_with_context(df, line)
    text = marked.decode("utf-8-sig")
    assert text.splitlines()[0] == "# cohort.csv · Class IV · kdigo2024 · n = 81"
    back = pd.read_csv(io.BytesIO(marked), comment="#", encoding="utf-8-sig")
    assert back["orr_pct"].tolist() == df["orr_pct"].tolist()


def test_figure_caption_is_an_option_under_the_figure():
    fig = go.Figure(go.Scatter(x=[0, 1], y=[0, 1]), layout={"height": 500})
    out = captioned(fig, "cohort.csv · Class IV · n = 81")
    notes = [a for a in out.layout.annotations if a.name == "context_caption"]
    assert len(notes) == 1 and notes[0].text == "cohort.csv · Class IV · n = 81"
    assert notes[0].yref == "paper" and notes[0].y == 0 and notes[0].yshift < 0
    assert out.layout.height > fig.layout.height
    assert not fig.layout.annotations  # the original is untouched
    assert captioned(fig, "").layout.annotations == ()


def test_screen_tables_round_lab_values_by_measure():
    from core.report.export.display import round_for_display

    df = pd.DataFrame({"measure": ["egfr", "upcr", "sledai_x"], "month": [6.0] * 3,
                       "group": ["All"] * 3, "n": [40, 40, 40],
                       "median": [63.44, 1.0634, 4.5678], "q1": [50.5, 0.9698, 2.0]})  # fmt: skip
    out = round_for_display("lab_trajectories", df)
    assert out["median"].tolist() == [63.0, 1.06, 4.57]
    assert out["q1"].tolist() == [50.0, 0.97, 2.0]  # 50.5 -> 50 (half to even), as numpy
