"""Shared widgets: the error guard, captions, download menus, figure and table blocks.

The sidebar (badge, filters, settings, URL) is in :mod:`ui.sidebar`.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import pandas as pd
import streamlit as st

from core.model.i18n import gettext as _
from core.model.results import Result
from core.model.settings import Filters, Settings
from ui.columns import column_config

log = logging.getLogger(__name__)


@contextmanager
def guarded(what: str, *, stop: bool = False) -> Iterator[None]:
    """Turn any unexpected exception inside into one ``st.error`` sentence, never a traceback.

    ``what`` completes "Could not ..." (an English msgid, or already translated). Only the exception's type is logged: its message may
    quote patient values. ``st.stop``/``st.rerun`` pass through (they are BaseExceptions).
    With ``stop`` the page stops after the message; otherwise the page goes on without it.
    """
    try:
        yield
    except Exception as exc:
        log.warning("UI section failed (%s): %s", what, type(exc).__name__)
        st.error(
            _(
                "Could not {what}. Something in the data or settings was not expected "
                "({error}). Try other settings or check the file on the Data page."
            ).format(what=_(what), error=type(exc).__name__)
        )
        if stop:
            st.stop()


# --- captions and file names --------------------------------------------------------------


def summary_line(filters: Filters, settings: Settings, n: int) -> str:
    """'Class IV, IV+V · kdigo2024 · complete-case · n = 56' (``core.model.filters.filter_summary``)."""
    from core.model.filters import filter_summary

    return filter_summary(filters, settings, n)


def slug(text: str) -> str:
    """A file-name-safe, lower-case form of a summary line. Letters of any script stay
    (Korean group names and labels keep their Hangul, NFC); only what is unsafe in a file
    name (spaces, ``/ \\ : * ? " < > |``, control characters, other punctuation) becomes ``-``."""
    text = unicodedata.normalize("NFC", text).lower().replace(" · ", "_").replace("n = ", "n")
    text = re.sub(r"[^\w+.-]+", "-", text)
    text = re.sub(r"\.{2,}", ".", re.sub(r"-{2,}", "-", text))  # no ".." in a file name
    return text.strip("-_.")


def file_name(item: str, summary: str, ext: str) -> str:
    """``response_rates__class-iv-iv+v_kdigo2024_complete-case_n56.csv``."""
    return f"{item}__{slug(summary)}.{ext}"


# --- downloads ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Download:
    """One download button: label, file name, MIME type and the bytes (made on click)."""

    label: str
    file_name: str
    mime: str
    data: Callable[[], bytes]
    key: str


PATIENT_LEVEL_PREFIX = "patient-level_"


def patient_level(name: str, table: pd.DataFrame | None) -> bool:
    """True for a table that identifies patients (``landmark_visits``, ``ttr_patients``,
    any table with a ``patient_id`` column): ``core.report.export.common.is_patient_level``."""
    from core.report.export.common import is_patient_level

    return is_patient_level(name, table)


def table_downloads(name: str, title: str, table: pd.DataFrame, summary: str) -> list[Download]:
    """CSV and XLSX of a result table at full precision (``core.report.export``). A patient-level
    table says so in the label ("… — patient-level (CSV)") and the file name
    (``patient-level_…``)."""
    from core.report.export.context import table_to_csv_with_context
    from core.report.export.workbook import report_workbook

    marked = patient_level(name, table)
    label = _("{title} — patient-level").format(title=title) if marked else title
    prefix = PATIENT_LEVEL_PREFIX if marked else ""
    csv_context = _context(summary) if _with_context() else None
    block = _context_block(summary)
    return [
        Download(_("{title} (CSV)").format(title=label), prefix + file_name(name, summary, "csv"),
                 "text/csv", lambda: table_to_csv_with_context(table, csv_context), f"dl_{name}_csv"),
        Download(_("{title} (XLSX)").format(title=label), prefix + file_name(name, summary, "xlsx"),
                 "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                 lambda: report_workbook({name: table}, block), f"dl_{name}_xlsx"),
    ]  # fmt: skip


def _with_context() -> bool:
    from ui import state

    return state.download_context()


def _source_name() -> str:
    from ui import state

    source = state.get_source()
    return source.name if source is not None else ""


def _context(summary: str) -> str:
    """``'cohort.csv · Class IV · kdigo2024 · complete-case · n = 56'``."""
    from core.report.export.context import context_line

    return context_line(_source_name(), summary)


def _context_block(summary: str) -> dict:
    """The header block of a single XLSX download: file, date, filters and settings, app."""
    from datetime import UTC, datetime

    from core.report.export.methods import software_versions
    from core.report.export.workbook import context_labels

    created = datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
    label = context_labels()
    return {
        label["source"]: _source_name(),
        label["created"]: created,
        _("Filters, settings, n"): summary,
        label["app_version"]: software_versions()["app"],
    }


def figure_downloads(name: str, title: str, fig, summary: str) -> list[Download]:
    """PNG and SVG (when Chromium is there for kaleido) and standalone HTML of a figure."""
    from core.report import images

    if _with_context():  # the caption line of filters and n under the exported figure
        from core.report.export.context import captioned

        fig = captioned(fig, _context(summary))
    out = []
    if images.images_available():
        images.warm_up()  # started while the page is read, so the first PNG is quick
        out += [
            Download(_("{title} (PNG)").format(title=title), file_name(name, summary, "png"), "image/png",
                     lambda: images.to_png(fig), f"dl_{name}_png"),
            Download(_("{title} (SVG)").format(title=title), file_name(name, summary, "svg"), "image/svg+xml",
                     lambda: images.to_svg(fig), f"dl_{name}_svg"),
        ]  # fmt: skip
    out.append(
        Download(_("{title} (HTML)").format(title=title), file_name(name, summary, "html"), "text/html",
                 lambda: images.to_html(fig), f"dl_{name}_html")
    )  # fmt: skip
    return out


def download_menu(downloads: list[Download], key: str) -> None:
    """One download menu for a block: the format is chosen inside it (PNG, SVG, HTML for a
    figure; CSV, XLSX for a table), then one button downloads that file. The bytes are made
    only when clicked, and no rerun follows the click."""
    if not downloads:
        return
    formats = [d.file_name.rsplit(".", 1)[-1].upper() for d in downloads]
    with st.popover(_("Download"), icon=":material/download:", type="tertiary", key=f"menu_{key}"):
        chosen = st.segmented_control(
            _("Format"), formats, default=formats[0], key=f"fmt_{key}", selection_mode="single"
        )
        d = downloads[formats.index(chosen) if chosen in formats else 0]
        st.download_button(
            d.label, data=d.data, file_name=d.file_name, mime=d.mime, key=d.key,
            on_click="ignore", icon=":material/download:", type="tertiary",
        )  # fmt: skip


# --- blocks ------------------------------------------------------------------------------


def notes(result: Result) -> None:
    """The result's notes (method, variant, caveats), small, under its table or figure."""
    if result.notes:
        st.caption("\n".join(f"- {n}" for n in result.notes))


def show_table(
    name: str,
    title: str,
    table: pd.DataFrame,
    summary: str,
    *,
    result: Result | None = None,
    height: int | None = None,
    item: str | None = None,
) -> None:
    """A result table rounded for reading, its notes and a CSV/XLSX download menu (the
    filter/settings caption is the page's, once, under its title).

    ``name`` is the contract table (it decides the rounding); ``item`` names the downloaded
    file when only part of the table is shown (``paired_changes_upcr``).
    """
    from core.report.export import round_for_display
    from core.report.export.display import words_for_display

    if table is None or table.empty:
        st.info(_("{title}: nothing to show for this selection.").format(title=title))
        if result is not None:
            notes(result)
        return
    from core.analyses.registry import diagnostic_columns

    shown = words_for_display(round_for_display(name, table))  # codes as words
    diagnostics = diagnostic_columns(name, shown.columns)
    # Whole table up to ~15 rows, then it scrolls; a missing value is an empty cell.
    height = height or min(38 + 35 * len(shown), 38 + 35 * 15)
    main = shown.drop(columns=diagnostics)
    st.dataframe(main, hide_index=True, height=height, placeholder="",
                 column_config=column_config(main))  # fmt: skip
    if diagnostics:  # test variants and statistics: asked for, not in the way
        with st.expander(_("Details: test variants and statistics"), icon=":material/tune:"):
            st.dataframe(shown, hide_index=True, height=height, placeholder="",
                         column_config=column_config(shown), key=f"details_{item or name}")  # fmt: skip
    if patient_level(name, table):
        st.caption(":material/badge: " + _("Patient-level table: one row per patient, with "
                                           "the patient ID. Its downloads identify patients."))  # fmt: skip
    if result is not None:
        notes(result)
    download_menu(table_downloads(item or name, title, table, summary), f"table_{item or name}")


def show_figure(name: str, title: str, fig, summary: str, exported=None) -> None:
    """A figure and its PNG/SVG/HTML download menu (``None`` shows nothing).
    ``exported``: the figure the downloads are made of, when not ``fig`` itself (the
    screen copy may name patients on hover; the downloads never do)."""
    if fig is None:
        return
    from core.report.figures.theme import for_app

    # Exports keep the white journal look; the screen copy follows the light/dark theme.
    # The browser reports its theme from the second run on; before that, the configured one.
    kind = st.context.theme.type or st.get_option("theme.base") or "light"
    screen = for_app(fig, dark=kind == "dark")
    st.plotly_chart(screen, key=f"fig_{name}", config={"displaylogo": False})
    download_menu(figure_downloads(name, title, fig if exported is None else exported, summary),
                  f"figure_{name}")
