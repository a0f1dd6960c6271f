"""The report bundle: open the ZIP and check every part; write_report on disk.

Tables are the R reference tables (tests/reference/expected, reference.R) with one group
label replaced by hostile text, so formula safety and HTML escaping are checked in every
format at once. Figures are built once per module.
"""

from __future__ import annotations

import io
import json
import re
import struct
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import plotly.graph_objects as go
import pytest
import reference_run
from docx import Document

from core.model.results import AnalysisRun, FigureKey, Result
from core.model.schema import SourceInfo
from core.model.settings import Filters, Settings
from core.report.export import bundle_zip, write_report
from core.report.export.bundle import IMAGES_NOTE_FILE, PATIENT_LEVEL_DIR, README_FILE, zip_path
from core.report.export.imaging import JOURNAL_WIDTH_PX, images_available, plotly_min_js

ROOT = Path(__file__).resolve().parents[1]
EXPECTED = ROOT / "tests" / "reference" / "expected"
SETTINGS = Settings(criteria="recorded", reference="refractory")
SOURCE = SourceInfo("cohort_long.csv", "0" * 64, "long", 35044)
MAPPING = {"columns": {"환자번호": "patient_id"}, "units": {"upcr": "mg/mmol"}}
EVIL = "=1+1<b>x</b>"
IMAGES = images_available()


def hostile_results() -> dict[str, Result]:
    out = {}
    for p in sorted(EXPECTED.glob("*.csv")):
        df = pd.read_csv(p)
        if "group" in df:
            df["group"] = df["group"].replace({"relapse": EVIL})
        out[p.stem] = Result(p.stem, df, notes=("Note with <tag> & ampersand.",))
    return out


def as_run(results: dict[str, Result], settings: Settings = SETTINGS, *args, **kw) -> AnalysisRun:
    return reference_run.as_run(results, settings, *args, **kw)


def figures(run: AnalysisRun) -> dict[FigureKey, go.Figure]:
    results = run.results
    rr = results["response_rates"].table
    bar = go.Figure(
        go.Bar(x=rr["group"].astype(str), y=rr["orr_pct"]),
        layout={"title": {"text": "ORR 반응률 <script>alert(1)</script>"}, "width": 700},
    )
    curve = results["ttr_curve"].table
    line = go.Figure(
        go.Scatter(x=curve["time"], y=curve["cum_incidence"], mode="lines"),
        layout={"title": {"text": "Time to response"}},
    )
    return {FigureKey("response_rates"): bar, FigureKey("ttr_curve"): line}


@pytest.fixture(scope="module")
def parts() -> dict[str, bytes]:
    run = as_run(
        hostile_results(), filters=Filters(classes=("IV", "IV+V")), source=SOURCE,
        mapping=MAPPING, n_dropped=2,
    )  # fmt: skip
    data = bundle_zip(run, figures(run))
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


PATIENT_LEVEL = {"landmark_visits.csv", "ttr_patients.csv"}


def test_zip_holds_every_part(parts: dict[str, bytes]) -> None:
    """Every aggregate table, figure and document; no patient-level table by default."""
    tables = {f"{p.stem}.csv" for p in EXPECTED.glob("*.csv")} - PATIENT_LEVEL
    fixed = {
        "report.xlsx",
        "tables.docx",
        "report.html",
        "methods.md",
        "provenance.json",
        "reproduce.py",
        "mapping.json",
        "plotly.min.js",
        "response_rates.html",
        "ttr_curve.html",
    }
    images = {"response_rates.png", "response_rates.svg", "ttr_curve.png", "ttr_curve.svg"}
    expected = tables | fixed | (images if IMAGES else {IMAGES_NOTE_FILE})
    assert set(parts) == {zip_path(n) for n in expected} | {README_FILE}
    # the folders of data-contract §6, and a README naming every file
    assert {p.split("/")[0] for p in parts if "/" in p} == {
        "figures", "tables", "manuscript", "reproduce"
    }  # fmt: skip
    assert zip_path("cox.csv") == "tables/cox.csv" and zip_path("ttr_curve.png") == "figures/ttr_curve.png"
    assert zip_path("tables.docx") == "manuscript/tables.docx"
    assert zip_path("reproduce.py") == "reproduce/reproduce.py"
    readme = parts[README_FILE].decode()
    for name in expected:
        assert f"  - {name}\n" in readme, name
    assert "Source file: cohort_long.csv" in readme and "Patients analysed:" in readme


def test_patient_level_tables_stay_out_unless_asked(parts: dict[str, bytes]) -> None:
    """Default bundle: no patient-level CSV, no patient-level sheet in report.xlsx, no
    patient-level table in report.html, and no patient ID anywhere in those two."""
    ids = set(pd.read_csv(EXPECTED / "ttr_patients.csv", dtype=str)["patient_id"])
    assert not any(n.startswith("patient_level/") for n in parts)
    wb = openpyxl.load_workbook(io.BytesIO(parts[zip_path("report.xlsx")]))
    assert not {"landmark_visits", "ttr_patients"} & set(wb.sheetnames)
    cells = {str(c.value) for ws in wb.worksheets for row in ws.iter_rows() for c in row}
    assert not ids & cells
    page = parts[zip_path("report.html")].decode()
    assert "Table: ttr_patients" not in page and "Table: landmark_visits" not in page
    assert not [i for i in ids if f">{i}<" in page]


def test_patient_level_tables_on_request_go_to_their_folder() -> None:
    run = as_run(hostile_results(), source=SOURCE)
    data = bundle_zip(run, {}, include_patient_level=True)
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        names = set(zf.namelist())
        readme = zf.read(PATIENT_LEVEL_DIR + "README.txt").decode()
        ttr = pd.read_csv(io.BytesIO(zf.read(PATIENT_LEVEL_DIR + "ttr_patients.csv")), dtype=str)
    assert {PATIENT_LEVEL_DIR + n for n in PATIENT_LEVEL} <= names
    assert not PATIENT_LEVEL & names  # not at the top level as well
    assert "identify patients" in readme and "ttr_patients.csv" in readme
    exp = pd.read_csv(EXPECTED / "ttr_patients.csv", dtype=str)
    assert ttr["patient_id"].tolist() == exp["patient_id"].tolist()


@pytest.mark.skipif(not IMAGES, reason="no Chromium: static images unavailable")
def test_png_decode_at_print_size(parts: dict[str, bytes]) -> None:
    for name in ("response_rates.png", "ttr_curve.png"):
        png = parts[zip_path(name)]
        assert png[:8] == b"\x89PNG\r\n\x1a\n" and png[12:16] == b"IHDR"
        width, height = struct.unpack(">II", png[16:24])
        assert width == JOURNAL_WIDTH_PX and height > 1000  # 7 in at 300 dpi


@pytest.mark.skipif(not IMAGES, reason="no Chromium: static images unavailable")
def test_svg_parses_with_korean_text(parts: dict[str, bytes]) -> None:
    root = ET.fromstring(parts[zip_path("response_rates.svg")])
    assert root.tag.endswith("svg")
    texts = " ".join(
        t.text or "" for t in root.iter() if t.tag.endswith("text") or t.tag.endswith("tspan")
    )
    assert "반응률" in texts
    ET.fromstring(parts[zip_path("ttr_curve.svg")])


def test_figure_pages_share_one_plotly_js(parts: dict[str, bytes]) -> None:
    assert parts[zip_path("plotly.min.js")].decode() == plotly_min_js()
    for name in ("response_rates.html", "ttr_curve.html"):
        page = parts[zip_path(name)].decode()
        assert re.findall(r"src\s*=\s*\"([^\"]*)\"", page) == ["plotly.min.js"]
        assert "://" not in page.replace("http://www.w3.org", "")
        assert len(page) < 100_000  # plotly.js is not inlined in each figure


def _outside(page: str) -> list[str]:
    """src/href/url()/@import targets that are not in-page anchors."""
    targets = re.findall(r"""(?:src|href)\s*=\s*["']?([^"'\s>]*)""", page, re.IGNORECASE)
    targets += re.findall(r"url\(\s*([^)]*)\)", page, re.IGNORECASE)
    targets += ["@import"] * len(re.findall(r"@import", page, re.IGNORECASE))
    return [t for t in targets if not t.startswith("#")]


def test_report_html_is_standalone_and_escaped(parts: dict[str, bytes]) -> None:
    page = parts[zip_path("report.html")].decode()
    js = plotly_min_js()
    assert page.count(js[:300]) == 1  # plotly.js inline, exactly once
    rest = page.replace(js, "")
    assert _outside(rest) == []
    assert "://" not in rest
    assert len(re.findall(r"<script[^>]*\bsrc", page, re.IGNORECASE)) == 0
    assert "<b>x</b>" not in rest and "&lt;b&gt;x&lt;/b&gt;" in rest
    assert "<script>alert(1)" not in rest and "&lt;tag&gt; &amp; ampersand" in rest
    assert rest.count("Plotly.newPlot") == 2
    assert "Table 2. Renal response at each landmark" in rest and "45 (54.2%; 42.9–65.2)" in rest


def test_csv_xlsx_docx_are_formula_safe(parts: dict[str, bytes]) -> None:
    csv = pd.read_csv(io.BytesIO(parts[zip_path("response_rates.csv")]))
    assert ("'" + EVIL) in csv["group"].tolist()
    assert csv["orr_pct"].dtype.kind == "f"
    wb = openpyxl.load_workbook(io.BytesIO(parts[zip_path("report.xlsx")]))
    assert wb.sheetnames[0] == "README" and "Response rates" in wb.sheetnames
    every = {str(c.value) for ws in wb.worksheets for row in ws.iter_rows() for c in row}
    assert ("'" + EVIL) in every and EVIL not in every
    # full precision in the hidden values sheet, under the CSV's column names
    values = wb["values"]
    assert values.sheet_state == "hidden"
    rows = list(values.iter_rows(values_only=True))
    start = next(i for i, r in enumerate(rows) if r[0] == "response_rates")
    header = list(rows[start + 1])
    ref = pd.read_csv(EXPECTED / "response_rates.csv")["orr_pct"].tolist()
    orr = [r[header.index("orr_pct")] for r in rows[start + 2 : start + 2 + len(ref)]]
    assert orr == pytest.approx(ref, rel=1e-15)
    doc = Document(io.BytesIO(parts[zip_path("tables.docx")]))
    assert len(doc.tables) == 4
    cells = {c.text for t in doc.tables for row in t.rows for c in row.cells}
    assert any(c.startswith("'" + EVIL) for c in cells)


def test_methods_provenance_reproduce(parts: dict[str, bytes]) -> None:
    methods = parts[zip_path("methods.md")].decode()
    assert "investigator-recorded response" in methods and "Fisher's exact test" in methods
    assert "Clopper–Pearson" in methods and "log-rank" in methods and "113.12" in methods
    assert "2 implausible values" in methods
    prov = json.loads(parts[zip_path("provenance.json")])
    assert prov["source"]["sha256"] == "0" * 64 and prov["n_dropped"] == 2
    assert prov["mapping"] == MAPPING and prov["filters"]["classes"] == ["IV", "IV+V"]
    assert json.loads(parts[zip_path("mapping.json")]) == MAPPING
    script = parts[zip_path("reproduce.py")].decode()
    compile(script, "reproduce.py", "exec")
    assert "drop_invalid=True" in script and "'cohort_long.csv'" in script


def test_write_report_without_images_and_zip(tmp_path: Path) -> None:
    run = as_run(hostile_results(), source=SOURCE, mapping=None)
    out = write_report(
        tmp_path / "r",
        run,
        figures(run),
        make_zip=True,
        images=False,
        include_patient_level=True,
    )
    names = set(out.files)
    assert PATIENT_LEVEL <= names  # beside the others, as the command line writes them
    assert any("identify patients" in n for n in out.notes)
    assert IMAGES_NOTE_FILE in names and not any(n.endswith((".png", ".svg")) for n in names)
    assert "mapping.json" not in names and "report.zip" in names and out.notes
    assert (tmp_path / "r" / "ttr_curve.html").exists() and (
        tmp_path / "r" / "plotly.min.js"
    ).exists()
    with zipfile.ZipFile(tmp_path / "r" / "report.zip") as zf:
        assert set(zf.namelist()) == {zip_path(n) for n in names - {"report.zip"}} | {README_FILE}
        assert zf.read("tables/cox.csv") == (tmp_path / "r" / "cox.csv").read_bytes()
        # the command line writes patient-level tables beside the others; the ZIP files them
        assert {PATIENT_LEVEL_DIR + n for n in PATIENT_LEVEL} <= set(zf.namelist())


def test_write_report_tables_only(tmp_path: Path) -> None:
    results = hostile_results()
    run = as_run(results)
    out = write_report(tmp_path / "t", run, figures(run), tables_only=True)
    assert sorted(p.name for p in (tmp_path / "t").iterdir()) == sorted(out.files)
    assert all(n.endswith(".csv") for n in out.files)
    assert set(out.files) == {f"{n}.csv" for n in results} - PATIENT_LEVEL
    every = write_report(tmp_path / "a", run, {}, tables_only=True, include_patient_level=True)
    assert set(every.files) == {f"{n}.csv" for n in results}


def test_renderer_failure_keeps_the_report(monkeypatch: pytest.MonkeyPatch) -> None:
    """A Chromium that fails to start (core.report.images.ImagesUnavailable) costs only the images."""
    from core.report.export import imaging
    from core.report.images import ImagesUnavailable

    def broken(fig: go.Figure) -> bytes:
        raise ImagesUnavailable("Chromium could not be started")

    monkeypatch.setattr(imaging, "start_png", broken)
    run = as_run(hostile_results())
    with zipfile.ZipFile(io.BytesIO(bundle_zip(run, figures(run), images=True))) as zf:
        names = set(zf.namelist())
        note = zf.read(zip_path(IMAGES_NOTE_FILE)).decode()
    assert "Chromium could not be started" in note
    assert {zip_path(n) for n in ("report.html", "tables.docx", "report.xlsx", "ttr_curve.html")} <= names
    assert not any(n.endswith((".png", ".svg")) for n in names)
