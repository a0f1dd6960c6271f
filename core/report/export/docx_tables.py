"""Journal-style Word tables (python-docx): three-line tables with footnotes.

Four tables: baseline characteristics (``table1``), renal response (``response_rates`` +
``response_tests`` + ``response_difference``), laboratory changes (``paired_changes``) and
time to response (``ttr_summary`` + ``ttr_tests`` + ``cox``). A three-line table has only a
rule above the header, one below it and one under the last row. Numbers are rounded for
reading (:mod:`core.report.export.display`, typographic minus); every text cell is formula-safe.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Mapping, Sequence

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Inches, Pt

from core.model.i18n import N_
from core.model.i18n import gettext as _
from core.model.results import AnalysisRun, Result
from core.model.settings import Filters, Settings
from core.report.export import docx_content as content
from core.report.export.longterm_content import long_term_content
from core.report.export.safe import safe_text

RULE_OUTER = 12  # eighths of a point: 1.5 pt top and bottom rules
RULE_HEADER = 6  # 0.75 pt rule under the header
FONT_PT = 9

TABLE_TITLES: dict[str, str] = {  # English msgids: _() where written
    "table1": N_("Table 1. Baseline characteristics"),
    "response": N_("Table 2. Renal response at each landmark"),
    "labs": N_("Table 3. Change in laboratory measures from baseline"),
    "ttr": N_("Table 4. Time to renal response"),
    "long_term": N_(
        "Table 5. Outcomes after response: renal flares, kidney outcomes, steroid exposure"
    ),
}


def journal_title(key: str, event_name: str | None = None) -> str:
    """The heading of journal table ``key``; Table 4 names the user's event when set."""
    if key == "ttr" and event_name:
        return _("Table 4. Time to {event}").format(event=event_name)
    return _(TABLE_TITLES[key])


def _edge(tag: str, size: int | None) -> OxmlElement:
    el = OxmlElement(f"w:{tag}")
    el.set(qn("w:val"), "single" if size else "nil")
    if size:
        el.set(qn("w:sz"), str(size))
        el.set(qn("w:space"), "0")
        el.set(qn("w:color"), "000000")
    return el


def _three_line_borders(tbl) -> None:
    """Top and bottom rules on the table, nothing else (schema order kept in tblPr)."""
    tbl_pr = tbl._tbl.tblPr
    borders = OxmlElement("w:tblBorders")
    for tag, size in (
        ("top", RULE_OUTER),
        ("left", None),
        ("bottom", RULE_OUTER),
        ("right", None),
        ("insideH", None),
        ("insideV", None),
    ):
        borders.append(_edge(tag, size))
    later = [
        c
        for c in tbl_pr
        if c.tag
        in {qn("w:shd"), qn("w:tblLayout"), qn("w:tblCellMar"), qn("w:tblLook"), qn("w:tblCaption")}
    ]
    if later:
        later[0].addprevious(borders)
    else:
        tbl_pr.append(borders)


def _header_rule(row) -> None:
    """The rule under the header row, and the header repeated on every page."""
    for cell in row.cells:
        tc_pr = cell._tc.get_or_add_tcPr()
        tc_borders = OxmlElement("w:tcBorders")
        tc_borders.append(_edge("bottom", RULE_HEADER))
        tc_pr.append(tc_borders)
    tr_pr = row._tr.get_or_add_trPr()
    header = OxmlElement("w:tblHeader")
    header.set(qn("w:val"), "true")
    tr_pr.append(header)


def _write_cell(cell, text: str, bold: bool = False, align_right: bool = False) -> None:
    para = cell.paragraphs[0]
    run = para.add_run(safe_text(text))
    run.bold = bold
    run.font.size = Pt(FONT_PT)
    para.paragraph_format.space_after = Pt(0)
    if align_right:
        para.alignment = WD_ALIGN_PARAGRAPH.CENTER


def add_three_line_table(
    doc, header: Sequence[str], rows: Sequence[Sequence[str]], spans: Sequence[bool] = ()
) -> None:
    """A three-line table; a row flagged in ``spans`` is one merged cell (a section label)."""
    tbl = doc.add_table(rows=1 + len(rows), cols=len(header))
    _three_line_borders(tbl)
    for j, text in enumerate(header):
        _write_cell(tbl.rows[0].cells[j], text, bold=True, align_right=j > 0)
    _header_rule(tbl.rows[0])
    for i, row in enumerate(rows, start=1):
        cells = tbl.rows[i].cells
        if i - 1 < len(spans) and spans[i - 1]:
            merged = cells[0].merge(cells[-1])
            _write_cell(merged, row[0], bold=True)
            continue
        for j, text in enumerate(row):
            _write_cell(cells[j], text, align_right=j > 0)


def _footnote(doc, text: str) -> None:
    para = doc.add_paragraph()
    run = para.add_run(text)
    run.font.size = Pt(FONT_PT - 1)
    para.paragraph_format.space_after = Pt(2)


def _section(doc, landscape: bool) -> None:
    section = doc.add_section()
    section.orientation = WD_ORIENT.LANDSCAPE if landscape else WD_ORIENT.PORTRAIT
    long_side, short_side = Inches(11), Inches(8.5)
    section.page_width, section.page_height = (
        (long_side, short_side) if landscape else (short_side, long_side)
    )


Builder = Callable[[Mapping[str, Result], Settings, Filters], content.TableContent | None]

JOURNAL_TABLES: tuple[tuple[str, Builder, bool], ...] = (  # key, builder, landscape
    ("table1", content.baseline_content, False),
    ("response", content.response_content, False),
    ("labs", content.labs_content, True),
    ("ttr", content.ttr_content, False),
    ("long_term", long_term_content, True),
)


def journal_tables_docx(run: AnalysisRun) -> bytes:
    """Tables 1-5 of a manuscript as one Word document, from the run's results.

    Uses ``table1``, ``response_rates``, ``response_tests``, ``response_difference``,
    ``paired_changes``, ``ttr_summary``, ``ttr_tests``, ``cox``, the long-term tables
    (``flares``, ``kidney_outcomes``, ``steroid_thresholds`` and their tests) and, for the n in
    the headers, ``landmark_visits``; the run's settings and filters are named in every table's
    footnotes.

    Returns
    -------
    bytes
        A .docx with Tables 1-5, each a three-line table (rules above and below the header
        and under the last row) followed by footnotes naming the tests (and their R calls)
        and the settings. A table whose results are missing (for example one group only: no
        Cox model) is replaced by a sentence, so the four headings are always there.
    """
    results, settings, filters = run.results, run.settings, run.filters
    doc = Document()
    style = doc.styles["Normal"]
    style.font.name = "Arial"
    style.font.size = Pt(10)
    for k, (key, build, landscape) in enumerate(JOURNAL_TABLES):
        if k > 0:
            _section(doc, landscape)
        doc.add_paragraph().add_run(journal_title(key, settings.event_name)).bold = True
        body = build(results, settings, filters)
        if body is None:
            doc.add_paragraph(_("Not available for this cohort and these settings."))
            continue
        add_three_line_table(doc, body.header, body.rows, body.spans)
        for note in body.footnotes:
            _footnote(doc, note)
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def docx_table_texts(data: bytes) -> list[list[list[str]]]:
    """Every table of a .docx as rows of cell texts (for tests and checks)."""
    doc = Document(io.BytesIO(data))
    return [[[c.text for c in row.cells] for row in t.rows] for t in doc.tables]


__all__ = [
    "JOURNAL_TABLES",
    "TABLE_TITLES",
    "journal_title",
    "add_three_line_table",
    "docx_table_texts",
    "journal_tables_docx",
]
