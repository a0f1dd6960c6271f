"""Nothing crashes: every hostile file through ``load_cohort`` and the default analyses.

The corpus and what each case must give are in ``tests/hostile/make_corpus.py``. A refused
file gives an error Issue naming the problem; a loaded file gives the stated numbers.
Resource limits (``core.ingest.io.Limits``) are checked separately with small limits.
"""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from hostile import base as B  # noqa: E402
from hostile import builders as X  # noqa: E402
from hostile.case import TOO_BIG, csv_base  # noqa: E402
from hostile.make_corpus import corpus  # noqa: E402
from hostile.runner import (  # noqa: E402
    deadline,
    issue_text,
    load_case,
    loaded_problems,
    many_rows_xlsx,
    mentions,
    rate_problems,
)

CASES = corpus()
LOADS = [c for c in CASES if c.expect == "load"]


def test_corpus_is_large_and_stated():
    assert len(CASES) >= 50
    refuse_kinds = {c.category for c in CASES if c.expect == "refuse"}
    assert {"empty", "binary", "corrupt_xlsx", "huge_xlsx", "encrypted", "mapping"} <= refuse_kinds
    for case in CASES:
        assert case.expect in ("load", "refuse")
        assert case.expect == "load" or case.must_mention, case.name


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_case_loads_or_is_refused_with_a_sentence(case, capfd):
    import warnings

    from core.model.schema import Cohort

    with warnings.catch_warnings(record=True) as leaked:
        warnings.simplefilter("always")
        cohort, mapping_error = load_case(case)
    # no library warning or print reaches the user's terminal (issue 11 point 5)
    assert [str(w.message) for w in leaked] == []
    assert capfd.readouterr() == ("", "")
    if mapping_error:
        assert case.expect == "refuse", f"valid mapping refused: {mapping_error}"
        assert mentions(case.must_mention, mapping_error), mapping_error
        return
    assert isinstance(cohort, Cohort)
    errors = [issue_text(i) for i in cohort.report.errors]
    if case.expect == "refuse":
        assert errors, f"{case.name}: loaded {len(cohort.patients)} patients, expected refusal"
        assert any(mentions(case.must_mention, e) for e in errors), (
            f"{case.name}: no error matches /{case.must_mention}/: {errors[:3]}")
        return
    assert not errors, f"{case.name}: {errors[:3]}"
    assert loaded_problems(case, cohort) == []
    if case.must_mention:
        warnings = [issue_text(i) for i in cohort.report.warnings]
        assert any(mentions(case.must_mention, w) for w in warnings), warnings


@pytest.mark.parametrize("case", LOADS, ids=lambda c: c.name)
def test_loaded_case_runs_every_default_analysis(case):
    from core.analyses.run import run_analyses
    from core.model.results import Result
    from core.model.settings import Filters, Settings

    cohort, _ = load_case(case)
    assert cohort is not None and cohort.ok
    with deadline(60):
        results = run_analyses(cohort, Settings(), Filters()).results
    assert results and all(isinstance(r, Result) for r in results.values())
    if case.rates:
        assert "response_rates" in results
        assert rate_problems(case, results["response_rates"].table) == []


def test_refused_file_leaves_an_empty_cohort_not_partial_data():
    from core.ingest.load import load_cohort

    cohort = load_cohort(b"\x89PNG\r\n\x1a\n" + bytes(300), "cohort.csv")
    assert not cohort.ok
    assert len(cohort.patients) == 0 and len(cohort.visits) == 0


def test_invalid_values_can_be_set_to_missing_and_counted():
    """Contract §2: drop_invalid sets each invalid value to missing and counts it."""
    from core.ingest.load import load_cohort

    rows = B.long_rows()
    rows[4]["upcr"] = 999  # PT02 month 6
    cohort = load_cohort(csv_base(rows).encode(), "cohort.csv", drop_invalid=True)
    assert cohort.ok, [i.message for i in cohort.report.errors]
    assert cohort.report.n_dropped == 1
    visit = cohort.visits[(cohort.visits.patient_id == "PT02") & (cohort.visits.month == 6)]
    assert visit["upcr"].isna().all()


# ----------------------------------------------------------------------------- resource limits
def _limits_fields() -> dict[str, dataclasses.Field]:
    from core.ingest.io import Limits

    assert dataclasses.is_dataclass(Limits), "core.ingest.io.Limits should be a (frozen) dataclass"
    return {f.name: f for f in dataclasses.fields(Limits)}


def _field(pattern: str) -> str:
    import re

    names = [n for n in _limits_fields() if re.search(pattern, n)]
    assert names, f"core.ingest.io.Limits has no field matching /{pattern}/: {list(_limits_fields())}"
    return names[0]


ROWS, COLS, CELL, UNZIP = r"row", r"col", r"cell|char", r"decompress|uncompress|inflat|unzip|xml"


@pytest.mark.parametrize("pattern", [ROWS, COLS, CELL, UNZIP])
def test_limits_are_settings_with_stated_defaults(pattern):
    from core.ingest.io import Limits

    value = getattr(Limits(), _field(pattern))
    assert isinstance(value, int) and value > 0


def test_default_limits_leave_room_for_large_cohorts():
    """100,000 patients x 13 visits must load (brief: scale to 100,000 patients)."""
    from core.ingest.io import Limits

    assert getattr(Limits(), _field(ROWS)) >= 1_300_000
    assert getattr(Limits(), _field(COLS)) >= 300  # a wide file: ~17 fields x 14 months


def _refused_with(limits_kw: dict, data: bytes, filename: str, pattern: str) -> None:
    from core.ingest.io import Limits
    from core.ingest.load import load_cohort

    with deadline(10):
        cohort = load_cohort(data, filename, limits=Limits(**limits_kw))
    errors = [issue_text(i) for i in cohort.report.errors]
    assert errors and any(mentions(pattern, e) for e in errors), errors


def test_row_limit_refuses_csv():
    _refused_with({_field(ROWS): 10}, csv_base().encode(), "cohort.csv", r"row|visit|record")


def test_column_limit_refuses_csv():
    _refused_with({_field(COLS): 5}, csv_base().encode(), "cohort.csv", r"column")


def test_cell_limit_refuses_long_cell():
    rows = B.long_rows()
    rows[3]["group"] = "refractory" + "x" * 500
    _refused_with({_field(CELL): 100}, csv_base(rows).encode(), "cohort.csv", TOO_BIG)


def test_decompressed_size_limit_refuses_xlsx():
    data = X.xlsx({"Cohort": [list(B.LONG_HEADER)] + B.table(B.long_rows())[1]})
    _refused_with({_field(UNZIP): 2_000}, data, "cohort.xlsx", TOO_BIG)


def test_row_limit_stops_an_xlsx_without_a_dimension_early():
    """No <dimension> to trust: the limit must stop the row stream, not count after it."""
    data = many_rows_xlsx(4000)  # 72,000 rows: parsing them all takes ~8 s
    # The reader's refusal ("over 1,000 rows"), not a count after the whole sheet was read.
    _refused_with({_field(ROWS): 1000}, data, "cohort.xlsx", r"over 1,000 rows")


def test_declared_giant_sheet_with_a_small_table_loads():
    """A declared dimension is a hint (issue 11 point 5): A1:XFD1048576 around 19 rows."""
    from core.ingest.load import load_cohort

    rows = [list(B.LONG_HEADER)] + B.table(B.long_rows())[1]
    data = X.xlsx({"Cohort": X.sheet_xml(rows, dimension="A1:XFD1048576")})
    with deadline(10):
        cohort = load_cohort(data, "cohort.xlsx")
    assert cohort.ok, [i.message for i in cohort.report.errors]
    assert len(cohort.patients) == B.N_PATIENTS and len(cohort.visits) == B.N_VISITS


def test_formatted_empty_rows_and_columns_count_toward_no_limit():
    """50,000 formatted empty rows and styled cells out to XFD load under limits of 30 rows
    and 20 columns: only cells with a value count."""
    from hostile.make_corpus import by_name

    from core.ingest.io import Limits
    from core.ingest.load import load_cohort

    case = by_name("xlsx_formatted_empty_rows_cols")
    cohort = load_cohort(case.data, case.filename, limits=Limits(max_rows=30, max_columns=20))
    assert cohort.ok, [i.message for i in cohort.report.errors]
    assert len(cohort.visits) == B.N_VISITS
    notes = [i.message for i in cohort.report.warnings if "formatted but empty" in i.message]
    assert notes == ["Sheet 'Cohort': 50,000 formatted but empty row(s) below the table and "
                     "16,370 formatted but empty column(s) to its right were skipped; they "
                     "count toward no limit."]


def test_long_cell_is_refused_in_an_analysed_column_and_cut_elsewhere():
    from core.ingest.io import Limits
    from core.ingest.load import load_cohort

    rows = [dict(r, note="short") for r in B.long_rows()]
    rows[3]["note"] = "n" * 500
    data = csv_base(rows, B.LONG_HEADER + ("note",)).encode()
    cohort = load_cohort(data, "cohort.csv", limits=Limits(max_cell_chars=100))
    assert cohort.ok, [i.message for i in cohort.report.errors]
    assert cohort.visits["note"].str.len().max() == 100
    [cut] = [i for i in cohort.report.warnings if "cut to 100 characters" in i.message]
    assert (cut.row, cut.column) == (5, "note")
    mapped = load_cohort(data, "cohort.csv", {"columns": {"note": "group"}},
                         limits=Limits(max_cell_chars=100))
    assert [i.message for i in mapped.report.errors][:1] == [
        "A cell holds 500 characters; the limit is 100 (column 'note' is analysed as group)."]


# ----------------------------------------------------------------------------- output escaping
def test_report_html_escapes_script_labels():
    """Group labels and IDs with markup come out as text in the HTML report, never as tags."""
    from hostile.make_corpus import by_name

    from core.analyses.run import run_analyses
    from core.model.settings import Filters, Settings
    from core.report.export import report_html
    from core.report.figures import build_figures

    cohort, _ = load_case(by_name("script_labels"))
    assert cohort.ok
    run = run_analyses(cohort, Settings(), Filters())
    figures = build_figures(run)
    page = report_html(run, figures)
    for raw in ("<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "</td><td>PT04"):
        assert raw not in page, raw
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page  # shown, as text
