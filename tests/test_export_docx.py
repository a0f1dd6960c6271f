"""Word tables, methods text, provenance and the reproduce script.

Inputs are the R reference tables in tests/reference/expected (reference.R, default
settings, criteria ``recorded``) wrapped as Results, so every number checked here is the
reference number after the display rounding of data-contract §6.
"""

from __future__ import annotations

import importlib.util
import io
import json
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest
import reference_run
from docx import Document
from docx.oxml.ns import qn

from core.model.results import AnalysisRun, Result
from core.model.schema import SourceInfo
from core.model.settings import Filters, Settings
from core.report.export.display import (
    MINUS,
    format_measure,
    format_p,
    format_pct,
    format_ratio,
)
from core.report.export.docx_tables import docx_table_texts, journal_tables_docx
from core.report.export.methods import methods_text
from core.report.export.provenance import provenance, provenance_json
from core.report.export.reproduce import reproduce_script, table_snippet
from core.report.export.safe import FORMULA_TRIGGERS, is_number_text

ROOT = Path(__file__).resolve().parents[1]
EXPECTED = ROOT / "tests" / "reference" / "expected"
SETTINGS = Settings(criteria="recorded", reference="refractory")


def expected_results(folder: Path = EXPECTED) -> dict[str, Result]:
    return {p.stem: Result(p.stem, pd.read_csv(p)) for p in sorted(folder.glob("*.csv"))}


def as_run(results: dict[str, Result], settings: Settings = SETTINGS, *args, **kw) -> AnalysisRun:
    return reference_run.as_run(results, settings, *args, **kw)


@pytest.fixture(scope="module")
def results() -> dict[str, Result]:
    return expected_results()


@pytest.fixture(scope="module")
def docx_bytes(results: dict[str, Result]) -> bytes:
    return journal_tables_docx(as_run(results))


@pytest.fixture(scope="module")
def tables(docx_bytes: bytes) -> list[list[list[str]]]:
    return docx_table_texts(docx_bytes)


def _cells(table: list[list[str]]) -> set[str]:
    return {c for row in table for c in row}


def test_four_three_line_tables(docx_bytes: bytes) -> None:
    doc = Document(io.BytesIO(docx_bytes))
    assert len(doc.tables) == 4
    for t in doc.tables:
        borders = t._tbl.tblPr.find(qn("w:tblBorders"))
        val = {child.tag.split("}")[1]: child.get(qn("w:val")) for child in borders}
        assert val == {
            "top": "single",
            "bottom": "single",
            "left": "nil",
            "right": "nil",
            "insideH": "nil",
            "insideV": "nil",
        }
        header_rules = [
            tc.find(qn("w:tcPr")).find(qn("w:tcBorders")) for tc in t.rows[0]._tr.tc_lst
        ]
        assert all(
            b is not None and b.find(qn("w:bottom")).get(qn("w:val")) == "single"
            for b in header_rules
        )
        for row in t.rows[1:]:  # no other rule inside the table
            assert not row._tr.xpath(".//w:tcBorders")


def test_baseline_table_numbers(tables, results) -> None:
    t1 = results["table1"].table
    header = tables[0][0]
    assert header[1:4] == ["refractory (n = 49)", "relapse (n = 41)", "All (n = 90)"]
    by_label = {row[0]: row for row in tables[0][1:]}
    age = by_label["Age (years), median (IQR)"]
    r = t1[t1["variable"] == "age"].iloc[0]
    assert age[1:] == [
        r["refractory"],
        r["relapse"],
        r["All"],
        format_p(r["p_value"]),
        format_ratio(r["smd"]),  # SMD to 2 decimals, as journals print it
    ]
    sex = by_label["Sex, n (%)"]
    s = t1[t1["variable"] == "sex"].iloc[0]
    assert sex[-2:] == [format_p(s["p_value"]), format_ratio(s["smd"])] == ["0.064", "0.39"]


def test_response_table_numbers(tables, results) -> None:
    rates, tests = results["response_rates"].table, results["response_tests"].table
    cells = _cells(tables[1])
    for r in rates.itertuples():
        cr = f"{r.cr_n} ({format_pct(r.cr_pct)}%; {format_pct(r.cr_ci_low)}–{format_pct(r.cr_ci_high)})"
        orr = f"{r.orr_n} ({format_pct(r.orr_pct)}%; {format_pct(r.orr_ci_low)}–{format_pct(r.orr_ci_high)})"
        assert cr in cells and orr in cells
    assert "45 (54.2%; 42.9–65.2)" in cells  # README headline: 6-month ORR, All
    rows = {tuple(row[:1]) + (i,): row for i, row in enumerate(tables[1])}
    orr_rows = [row for key, row in rows.items() if key[0].startswith("CR or PR (ORR)")]
    assert [row[-1] for row in orr_rows] == [
        format_p(p) for p in tests[tests["outcome"] == "ORR"]["p_value"]
    ]
    assert orr_rows[0][-1] == "< 0.001"
    diff = [row for row in tables[1] if row[0].startswith("CR difference")][0]
    assert diff[2] == f"17.2 ({MINUS}1.0 to 35.0)"  # typographic minus, "to" beside it


def test_lab_table_numbers(tables, results) -> None:
    pc = results["paired_changes"].table
    body = tables[2][1:]
    assert len(body) == len(pc)
    for row, r in zip(body, pc.itertuples(), strict=True):
        assert row[2] == r.group and row[3] == str(r.n_pairs)
        assert row[6] == format_measure(r.measure, r.median_change, minus=MINUS)
        assert row[8] == format_p(r.wilcoxon_p) and row[9] == format_p(r.ttest_p)
    assert body[0][7] == f"{MINUS}0.17 ({MINUS}0.89 to 0.56)"  # UPCR: 2 decimals


def test_ttr_table_numbers(tables) -> None:
    rows = {row[0]: row for row in tables[3][1:]}
    assert rows["refractory"][3:5] == ["6 (6–9)", "1 (reference)"]
    assert rows["relapse"][3:] == ["3 (3–6)", "2.16 (1.35–3.44)", "0.001"]
    assert rows["All"][2] == "72 (80.0%)"
    logrank = [r for r in tables[3] if r[0].startswith("Log-rank")][0][0]
    assert "χ² = 10.45, df = 1, p = 0.001" in logrank


def test_midpoint_median_shown() -> None:
    res = expected_results(EXPECTED / "class_IV_IVV")
    rows = {row[0]: row for row in docx_table_texts(journal_tables_docx(as_run(res)))[3]}
    assert rows["All"][3] == "5.5 (3–6)"  # README: survfit midpoint rule


def test_docx_cells_are_formula_safe(results) -> None:
    hostile = {}
    for name, res in results.items():
        df = res.table.copy()
        for col in ("group", "level"):
            if col in df:
                df[col] = df[col].replace({"relapse": "=1+1", "F": "@x"})
        df = df.rename(columns={"relapse": "=1+1"})
        hostile[name] = Result(name, df)
    hostile["cox"] = Result("cox", hostile["cox"].table.assign(term="=1+1 vs refractory"))
    texts = docx_table_texts(journal_tables_docx(as_run(hostile)))
    cells = [c for t in texts for row in t for c in row]
    assert "'=1+1" in cells and "  @x" in cells  # leading spaces: not a trigger
    assert any(c.startswith("'=1+1 (n = 41)") for c in cells)
    assert not [c for c in cells if c.startswith(FORMULA_TRIGGERS) and not is_number_text(c)]


def test_methods_text_states_settings_and_tests(results) -> None:
    settings = Settings(
        criteria="eular2019",
        reference="refractory",
        missing="non-responder",
        ci="wilson",
        landmarks=(3.0, 6.0),
        window=2.0,
    )
    run = as_run(
        results,
        settings,
        Filters(classes=("IV", "IV+V")),
        SourceInfo("cohort.csv", "a" * 64),
        n_dropped=3,
    )
    text = methods_text(
        run,
        versions={
            "python": "3.11",
            "pandas": "2.3.3",
            "scipy": "1.17.1",
            "lifelines": "0.30.3",
            "plotly": "7.1.0",
            "numpy": "2",
            "app": "0.1.0",
        },
    )
    for phrase in (
        "EULAR/ERA-EDTA 2019",
        "eGFR ≥ 90 or ≥ 90% of baseline (an analysis choice)",
        "3 and 6 months (± 2 months)",
        "non-responder imputation",
        "Wilson score",
        "Fisher's exact test",
        "R fisher.test",
        "Newcombe",
        "Wilcoxon signed-rank",
        "digits.rank = 7",
        "t.test(paired = TRUE)",
        "friedman.test",
        "Holm",
        "mcnemar.test",
        "survdiff",
        'coxph(ties = "efron")',
        "unadjusted",
        "3 implausible values were set to missing",
        "ISN/RPS class IV, IV+V",
        "interval-censored",
        "kept in the denominators (an analysis choice)",
        "scipy 1.17.1",
        "pandas 2.3.3",
        "version 0.1.0",
    ):
        assert phrase in text, phrase
    # software named: the packages that computed the numbers only (not plotly, not lifelines)
    assert "numpy 2," in text
    assert "lifelines" not in text and "plotly" not in text
    # results paragraph: headline numbers of tests/reference/README.md
    for phrase in (
        "45 of 83 evaluable",
        "ORR 54.2%, 95% CI 42.9 to 65.2",
        "CR 19 (22.9%",
        "47 of 82",
        "57.3%",
        "p < 0.001",
        "38.7 percentage points (95% CI 17.3 to 55.3)",
        "refractory 6 months (95% CI 6 to 9)",
        "relapse 3 months (95% CI 3 to 6)",
        "χ² = 10.45",
        "p = 0.001.",
        "2.16 (95% CI 1.35 to 3.44), Wald p = 0.001.",
        "90 patients were analysed (49 refractory, 41 relapse)",
    ):
        assert phrase in text, phrase


def test_methods_text_recorded_and_unit_choice(results) -> None:
    text = methods_text(as_run(results, mapping={"units": {"upcr": "mg/mmol"}}))
    assert "investigator-recorded response" in text and "all patients" in text
    assert "113.12" in text and "No value was set to missing" in text
    custom = methods_text(as_run(results, replace(SETTINGS, criteria="custom")))
    assert "user-defined criteria: CR UPCR < 0.5 g/g with eGFR ≥ 0.85 × baseline" in custom


def test_provenance_has_hash_not_content() -> None:
    src = SourceInfo("cohort_long.csv", "f" * 64, "long", 35044)
    rec = provenance(src, {"units": {"upcr": "mg/g"}}, Filters(classes=("IV",)), SETTINGS, "9.9")
    text = provenance_json(rec)
    back = json.loads(text)
    assert back["source"] == {
        "name": "cohort_long.csv",
        "sha256": "f" * 64,
        "form": "long",
        "size_bytes": 35044,
    }
    assert back["filters"]["classes"] == ["IV"] and back["settings"]["criteria"] == "recorded"
    assert back["settings"]["landmarks"] == [6.0, 12.0]
    assert back["app_version"] == "9.9" and back["created_utc"].endswith("Z")
    assert back["mapping"] == {"units": {"upcr": "mg/g"}}
    assert "PT001" not in text


def test_reproduce_script_is_valid_python() -> None:
    settings = Settings(criteria="kdigo2024", landmarks=(6.0,), reference="refractory")
    script = reproduce_script(
        "cohort.csv", {"units": {}}, settings, Filters(classes=("IV", "IV+V"))
    )
    compile(script, "reproduce.py", "exec")
    assert "Settings(criteria='kdigo2024', landmarks=(6.0,), reference='refractory')" in script
    assert "Filters(classes=('IV', 'IV+V'))" in script and "mapping.json" in script
    snippet = table_snippet("cox", "cohort.csv", None, settings, Filters())
    compile(snippet, "snippet.py", "exec")
    assert "results['cox'].table" in snippet and "mapping_path=None" in snippet


NEEDS_PIPELINE = pytest.mark.skipif(
    importlib.util.find_spec("core.ingest.load") is None
    or importlib.util.find_spec("core.analyses.run") is None,
    reason="core.ingest.load / core.analyses.run (helpers ingest, outcomes) not present yet",
)


@NEEDS_PIPELINE
@pytest.mark.slow
def test_reproduce_script_prints_response_table(tmp_path: Path) -> None:
    data = ROOT / "tests" / "reference" / "cohort_long.csv"
    script = tmp_path / "reproduce.py"
    script.write_text(reproduce_script(data.name, None, SETTINGS, Filters()), encoding="utf-8")
    run = subprocess.run(
        [sys.executable, str(script), str(data), str(tmp_path / "out")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    assert "n_evaluable" in run.stdout and "orr_pct" in run.stdout
    lines = [ln.split() for ln in run.stdout.splitlines()]
    assert any(ln[:4] == ["6.0", "All", "83", "19"] for ln in lines), run.stdout
    written = pd.read_csv(tmp_path / "out" / "response_rates.csv")
    ref = pd.read_csv(EXPECTED / "response_rates.csv")
    assert written["orr_n"].tolist() == ref["orr_n"].tolist()


def test_docx_every_trigger_neutralised(results) -> None:
    """OWASP triggers = + - @ TAB CR as group labels; '-1.5' is a number and stays."""
    hostile = ["=1+1", "+SUM(A1)", "-cmd", "@x", "\t=", "\r=", "-1.5"]
    summary = results["ttr_summary"].table
    rows = pd.concat([summary.iloc[[0]]] * len(hostile), ignore_index=True).assign(group=hostile)
    texts = docx_table_texts(
        journal_tables_docx(as_run({"ttr_summary": Result("ttr_summary", rows)}))
    )
    first_column = [row[0] for row in texts[0][1:]]
    # python-docx stores a CR as a line break, read back as "\n": the quote still leads
    assert first_column == ["'=1+1", "'+SUM(A1)", "'-cmd", "'@x", "'\t=", "'\n=", "-1.5"]


def test_methods_interval_with_an_unreached_bound_says_so() -> None:
    """A median CI whose upper log-log band never reaches 0.5 (R prints NA) reads
    'not reached', not an empty bound."""
    from core.report.export.display import format_num
    from core.report.export.methods import _ci

    assert _ci(6, float("nan"), format_num) == "95% CI 6 to not reached"
