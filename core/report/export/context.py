"""Where a file came from: the run's header block (:func:`run_context`: source file, date,
filters, settings, n, app version) for the workbook and the ZIP's README, and, for a single
download when the user asks, a caption line under a figure (PNG/SVG) or a commented first
line in a CSV.

Both are options (off by default) so scripts reading the CSVs stay clean; the line is the
same everywhere: ``source file · filters and settings · n = …`` (:func:`context_line`).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import pandas as pd
import plotly.graph_objects as go

from core.model.filters import MISSING_WORDS
from core.model.i18n import gettext as _
from core.model.results import AnalysisRun, Result
from core.model.schema import SourceInfo
from core.model.settings import Settings
from core.report.export.common import ALL, group_label, group_sizes
from core.report.export.methods import software_versions
from core.report.export.safe import table_to_csv_bytes
from core.report.export.wording import (
    criteria_name,
    filters_shown,
    landmarks_shown,
    suppression_shown,
)
from core.report.export.workbook import context_items

CAPTION_SIZE = 12  # px, under the figure
CAPTION_PX = 34  # height added under the figure for one caption line
CSV_COMMENT = "# "  # pandas: read_csv(comment="#"); R: read.csv(comment.char = "#")
SEPARATOR = " · "


def context_line(source: str | None, summary: str) -> str:
    """``'cohort.csv · Class IV · kdigo2024 · complete-case · n = 56'``: the file and the
    run's one-line summary (filters, settings, n)."""
    return SEPARATOR.join(part for part in (source or "", summary) if part)


def captioned(fig: go.Figure, caption: str) -> go.Figure:
    """A copy of ``fig`` with ``caption`` as one small line under everything (filters and n
    for a figure leaving the app); the figure grows by :data:`CAPTION_PX` so nothing moves."""
    out = go.Figure(fig)
    if not caption:
        return out
    margin = out.layout.margin
    bottom = (margin.b if margin and margin.b is not None else 80) + CAPTION_PX
    height = out.layout.height
    out.update_layout(margin=dict(b=bottom))
    if height is not None:
        out.update_layout(height=height + CAPTION_PX)
    out.add_annotation(
        text=caption, x=0, y=0, xref="paper", yref="paper", xanchor="left", yanchor="top",
        yshift=-(bottom - CAPTION_PX // 2 - 6), showarrow=False, align="left",
        font=dict(size=CAPTION_SIZE, color="#555555"), name="context_caption",
    )  # fmt: skip
    return out


def table_to_csv_with_context(df: pd.DataFrame, context: str | None = None) -> bytes:
    """The table's CSV (:func:`core.report.export.safe.table_to_csv_bytes`); with ``context``
    a first line ``# <context>`` (read with ``comment="#"`` in pandas, ``comment.char = "#"``
    in R). Without it the bytes are exactly the plain CSV."""
    data = table_to_csv_bytes(df)
    if not context:
        return data
    line = CSV_COMMENT + " ".join(str(context).split())  # one line, whatever it held
    bom = "\ufeff".encode()
    body = data[len(bom) :] if data.startswith(bom) else data
    return bom + (line + "\r\n").encode("utf-8") + body


def settings_line(settings: Settings) -> str:
    """The settings the numbers depend on, in one line (header blocks, captions), in the
    current language."""
    parts = [
        criteria_name(settings.criteria),
        _("landmarks {landmarks}").format(landmarks=landmarks_shown(settings)),
        _("missing landmark: {missing}").format(
            missing=_(MISSING_WORDS.get(settings.missing, settings.missing))
        ),
        _("CI {ci}").format(ci=settings.ci),
        _("event {event}").format(event=settings.event),
    ]
    if settings.reference:
        parts.append(_("reference {group}").format(group=settings.reference))
    if text := suppression_shown(settings):
        parts.append(text)
    return "; ".join(parts)


def patients_line(results: Mapping[str, Result], n_total: int | None = None) -> str:
    """``'90 (refractory 49, relapse 41)'``: the patients analysed and per group."""
    sizes = group_sizes(results)
    total = sizes.pop(ALL, n_total)
    if total is None:
        return ", ".join(f"{group_label(g)} {n}" for g, n in sizes.items())
    per = ", ".join(f"{group_label(g)} {n}" for g, n in sizes.items())
    return f"{total} ({per})" if per else str(total)


def _created() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def run_context(run: AnalysisRun, *, created: str | None = None) -> dict[str, Any]:
    """The header block of the run's files (:func:`core.report.export.workbook.context_items`):
    source file, date, filters, settings, patients, app version, then the file's SHA-256,
    the values set to missing and the precision note."""
    source = run.cohort.source or SourceInfo()
    n_analysed = run.n_patients if getattr(run, "filtered", None) is not None else None
    return context_items(
        source=source.name or "",
        created=created or _created(),
        filters=filters_shown(run.filters),
        settings=settings_line(run.settings),
        n=patients_line(run.results, n_analysed),
        app_version=software_versions()["app"],
        extra={
            "Source SHA-256": source.sha256 or "",
            _("Values set to missing (invalid)"): run.cohort.report.n_dropped,
        },
    )
