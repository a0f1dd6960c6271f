"""One standalone, interactive HTML report (``report.html``).

Everything is inside the file: plotly.js is embedded once, inline; figures are plotly divs;
tables are HTML. There is no outside ``src``, ``href``, ``url()`` or ``@import`` (links are
in-page ``#anchors`` only), so the report opens offline and leaks nothing when opened. Every
label and cell is HTML-escaped; figure JSON is escaped by plotly (``<`` as ``\\u003c``).
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from datetime import UTC, datetime

import pandas as pd
import plotly.graph_objects as go

from core.analyses.registry import table_title
from core.model.i18n import gettext as _
from core.model.i18n import language
from core.model.results import AnalysisRun, FigureKey
from core.report.export import docx_content as content
from core.report.export.common import split_patient_level
from core.report.export.display import round_for_display, words_for_display
from core.report.export.docx_tables import JOURNAL_TABLES, journal_title
from core.report.export.headers import column_header
from core.report.export.imaging import figure_div, plotly_min_js
from core.report.export.wording import settings_footnote

MAX_HTML_ROWS = 500  # patient-level tables are long: the CSV/XLSX carry every row

_STYLE = """
body{font-family:Arial,Helvetica,sans-serif;margin:2em auto;max-width:1100px;color:#222;padding:0 1em}
h1{font-size:1.6em}h2{border-bottom:1px solid #ccc;padding-bottom:.2em;margin-top:2em}
table{border-collapse:collapse;margin:.5em 0 1em;font-size:.85em}
th,td{padding:.25em .6em;text-align:right;vertical-align:top}
th:first-child,td:first-child{text-align:left;white-space:pre-wrap}
table.three-line{border-top:2px solid #000;border-bottom:2px solid #000}
table.three-line thead th{border-bottom:1px solid #000}
table.data{border-top:1px solid #999;border-bottom:1px solid #999}
table.data thead th{border-bottom:1px solid #999;background:#f4f4f4}
td.span{text-align:left;font-weight:bold;padding-top:.6em}
p.note{font-size:.8em;color:#444;margin:.2em 0}
nav ul{columns:3;font-size:.9em}
.figure{margin:1em 0 2em}
.scroll{overflow-x:auto;max-width:100%}
"""

_OUTSIDE = re.compile(r"(?:\bsrc\s*=|\bhref\s*=|url\s*\(|@import)", re.IGNORECASE)


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _anchor(name: str) -> str:
    return "s-" + re.sub(r"[^A-Za-z0-9_-]", "-", name)


def journal_table_html(body: content.TableContent, title: str) -> str:
    """A :class:`TableContent` as a three-line HTML table with its footnotes."""
    head = "".join(f"<th>{_e(h)}</th>" for h in body.header)
    rows = []
    for row, span in zip(body.rows, body.spans or [False] * len(body.rows), strict=False):
        if span:
            rows.append(f'<tr><td class="span" colspan="{len(body.header)}">{_e(row[0])}</td></tr>')
        else:
            rows.append("<tr>" + "".join(f"<td>{_e(c)}</td>" for c in row) + "</tr>")
    notes = "".join(f'<p class="note">{_e(n)}</p>' for n in body.footnotes)
    return (
        f'<h3>{_e(title)}</h3><div class="scroll"><table class="three-line"><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table></div>{notes}"
    )


def data_table_html(name: str, df: pd.DataFrame) -> str:
    """A result table rounded for reading (at most ``MAX_HTML_ROWS`` rows), escaped."""
    shown = words_for_display(round_for_display(name, df.head(MAX_HTML_ROWS)))
    head = "".join(f"<th>{_e(column_header(str(c)))}</th>" for c in shown.columns)
    body = []
    for row in shown.itertuples(index=False, name=None):
        body.append(
            "<tr>" + "".join(f"<td>{'' if pd.isna(v) else _e(v)}</td>" for v in row) + "</tr>"
        )
    more = ""
    if len(df) > MAX_HTML_ROWS:
        more = f'<p class="note">First {MAX_HTML_ROWS} of {len(df)} rows; every row is in {_e(name)}.csv and report.xlsx.</p>'
    return f'<div class="scroll"><table class="data"><thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table></div>{more}'


def _inline_script(js: str) -> str:
    # A literal "</script" inside the bundle would end the element early.
    return "<script>" + js.replace("</script", "<\\/script") + "</script>"


def _paragraphs(markdown: str) -> str:
    out = []
    for block in markdown.strip().split("\n\n"):
        block = block.strip()
        if block.startswith("# "):
            out.append(f"<h3>{_e(block[2:])}</h3>")
        elif block:
            out.append(f"<p>{_e(block)}</p>")
    return "".join(out)


def report_html(
    run: AnalysisRun,
    figures: Mapping[FigureKey, go.Figure],
    methods: str = "",
    title: str | None = None,
    created: datetime | None = None,
    *,
    include_patient_level: bool = False,
) -> str:
    """The whole report as one self-contained HTML page.

    Parameters
    ----------
    run, figures
        The analysis run and its figures (``build_figures``).
    methods
        Markdown from :func:`core.report.export.methods.methods_text` (optional).
    include_patient_level
        Also list the patient-level tables (marked so in the registry, or any table with a
        ``patient_id`` column). Off by default: the page is an aggregate report.

    Returns
    -------
    str
        One page: settings, methods, every figure (interactive; plotly.js inline once), the
        four journal tables, then every aggregate result table in registry order, rounded for
        reading (at most ``MAX_HTML_ROWS`` rows) with its notes. No outside reference of any
        kind.
    """
    title = title or _("Lupus nephritis cohort report")
    results, settings, filters, source = run.results, run.settings, run.filters, run.cohort.source
    when = (created or datetime.now(UTC)).strftime("%Y-%m-%d %H:%M UTC")
    src = f" — {_e(source.name)}" if source and source.name else ""
    toc: list[tuple[str, str]] = []
    parts: list[str] = []

    def section(key: str, heading: str, inner: str) -> None:
        toc.append((key, heading))
        parts.append(f'<section id="{_anchor(key)}"><h2>{_e(heading)}</h2>{inner}</section>')

    if methods:
        section("methods", _("Methods and results"), _paragraphs(methods))
    for key, fig in figures.items():
        name = key.stem
        title_text = fig.layout.title.text if fig.layout.title else None
        # plotly titles may carry <br>/<sup> markup: plain words for the heading
        label = re.sub(r"\s+", " ", re.sub(r"<[^>]*>", " ", title_text or "")).strip()
        label = label or name.replace("_", " ")
        heading = _("Figure: {title}").format(title=label)
        section(f"fig-{name}", heading, f'<div class="figure">{figure_div(fig)}</div>')
    journal = []
    for key, build, _landscape in JOURNAL_TABLES:  # the Word document's tables, in its order
        body = build(results, settings, filters)
        if body is not None:
            journal.append(journal_table_html(body, journal_title(key, settings.event_name)))
    if journal:
        section("journal", _("Journal tables"), "".join(journal))
    listed = results if include_patient_level else split_patient_level(results)[0]
    for name in listed:  # registry order
        res = results[name]
        notes = "".join(f'<p class="note">{_e(n)}</p>' for n in res.notes)
        heading = _("Table: {title}").format(
            title=table_title(name, run.settings.event_name) if run.settings.event_name
            else _(table_title(name)))
        section(f"tab-{name}", heading, data_table_html(name, res.table) + notes)
    generated = _("Generated {when}.").format(when=when)
    nav = "".join(f'<li><a href="#{_anchor(k)}">{_e(h)}</a></li>' for k, h in toc)
    return (
        f'<!DOCTYPE html>\n<html lang="{language()}"><head><meta charset="utf-8">'
        f"<title>{_e(title)}</title><style>{_STYLE}</style>{_inline_script(plotly_min_js())}</head><body>"
        f'<h1>{_e(title)}{src}</h1><p class="note">{_e(generated)} '
        f"{_e(settings_footnote(settings, filters))}</p><nav><ul>{nav}</ul></nav>"
        + "".join(parts)
        + "</body></html>\n"
    )


def outside_references(page: str) -> list[str]:
    """Every ``src=``/``href=``/``url(``/``@import`` in ``page`` outside the inline plotly.js
    bundle that does not point inside the page (``#anchor``) — empty for a clean report."""
    bundle = _inline_script(plotly_min_js())
    rest = page.replace(bundle, "")
    bad = []
    for m in _OUTSIDE.finditer(rest):
        tail = rest[m.end() : m.end() + 200].lstrip(" \"'")
        if not tail.startswith("#"):
            bad.append(rest[max(0, m.start() - 40) : m.end() + 80])
    return bad
