"""The Report page's blocks: the Korean-font warning, the ZIP bundle, the methods text, the
code per table."""

from __future__ import annotations

import streamlit as st

from core.model.i18n import gettext as _
from ui.state import Key, get_source
from ui.view import View, title
from ui.widgets import file_name, guarded


def font_warning(v: View) -> None:
    """Warn when PNG/SVG figures would carry Korean text (group names, the Korean interface)
    but the server has no Korean font (``core.report.fonts``)."""
    from core.report.export import imaging
    from core.report.fonts import korean_font_warning
    from ui.language import current

    if not imaging.images_available():
        return  # no PNG/SVG at all: the bundle says so itself
    message = korean_font_warning(v.cohort.groups, current())
    if message:
        st.warning(message, icon=":material/font_download_off:")


def bundle(v: View) -> None:
    """One button builds the ZIP in memory; the download appears under it."""
    st.header(_("Everything in one file"), divider="gray")
    st.caption(
        _(
            "Every aggregate table (CSV and one Excel workbook), every figure (PNG, SVG when "
            "Chromium is installed; interactive HTML), journal tables (Word), an interactive "
            "HTML report, the methods text, provenance (file hash, settings, versions) and a "
            "script that reproduces the tables. Charts name no patient."
        )
    )
    patient_level = st.checkbox(
        _("Include patient-level tables (they identify patients)"),
        key=Key.INCLUDE_PATIENT_LEVEL,
        help=_(
            "Landmark visits and time to response per patient, one row per patient with the "
            "patient ID, in a folder patient_level/ of the ZIP. Off: the report is aggregate."
        ),
    )
    key = f"{v.key}|patient_level={patient_level}"
    warm_up()  # the browser for PNG/SVG starts now, while the user reads the page
    if st.button(_("Build the report"), type="primary", icon=":material/folder_zip:", key="build_zip"):
        with guarded(_("build the report")):
            st.session_state[Key.REPORT_ZIP] = (key, _build(v, patient_level))
    built = st.session_state.get(Key.REPORT_ZIP)
    if built is not None and built[0] == key:
        marked = "patient-level_" if patient_level else ""
        what = _("Report with patient-level tables") if patient_level else _("Report")
        st.download_button(
            _("{what} (ZIP, {size} MB)").format(what=what, size=f"{len(built[1]) / 1e6:.1f}"),
            built[1],
            file_name=marked + file_name("report", v.summary, "zip"), mime="application/zip",
            on_click="ignore", icon=":material/download:", key="dl_report_zip", type="primary",
        )  # fmt: skip
    elif built is not None:
        st.caption(_("Settings, filters or the patient-level choice changed since the last "
                     "report: build it again."))  # fmt: skip


def warm_up() -> None:
    """Start the image renderer in the background when images will be drawn (returns at
    once; nothing to do when it runs already)."""
    from core.report.export import imaging
    from core.report.images import warm_up as start_renderer

    if imaging.images_available():
        start_renderer()


def _build(v: View, patient_level: bool) -> bytes:
    """The ZIP, with a progress bar saying what is being made (figures draw in parallel
    while the tables, workbook and Word file are written)."""
    from core.report.export import bundle_zip

    bar = st.progress(0.0, text=_("Building the report…"))

    def progress(step: str, fraction: float) -> None:
        bar.progress(min(max(fraction, 0.0), 1.0), text=f"{step}…" if fraction < 1 else step)

    data = bundle_zip(v.run, v.figures(show_ids=False), include_patient_level=patient_level,
                      progress=progress)  # fmt: skip
    bar.empty()
    return data


def methods(v: View) -> None:
    """The methods and results paragraphs, ready to paste, with a Markdown download."""
    from core.report.export import methods_text

    st.header(_("Methods and results, ready to paste"), divider="gray")
    with guarded(_("write the methods text")):
        text = methods_text(v.run)
        with st.container(border=True):
            st.markdown(_for_screen(text))
        st.download_button(_("Methods (Markdown)"), text.encode("utf-8"),
                           file_name=file_name("methods", v.summary, "md"), mime="text/markdown",
                           on_click="ignore", icon=":material/download:", key="dl_methods")  # fmt: skip


def code(v: View) -> None:
    """Per table, the few lines of Python that make it from the data file."""
    from core.report.export import reproduce_script, table_snippet

    st.header(_("The code behind each table"), divider="gray")
    source = get_source()
    name = source.name if source else (v.cohort.source.name or "cohort.csv")
    drop = bool(source.drop_invalid) if source else False
    args = (name, v.cohort.mapping, v.settings, v.filters)
    with guarded(_("write the code")):
        st.download_button(_("Reproduce script (Python)"),
                           reproduce_script(*args, drop_invalid=drop).encode("utf-8"),
                           file_name="reproduce.py", mime="text/x-python", on_click="ignore",
                           icon=":material/download:", key="dl_reproduce")  # fmt: skip
        for table in v.results:
            with st.expander(_("Show the code: {table}").format(table=title(table))):
                st.code(table_snippet(table, *args, drop_invalid=drop), language="python")


def _for_screen(markdown: str) -> str:
    """The methods Markdown as the page shows it: headings one level under the page's, and
    ``$`` kept literal (R's ``fit$table``), not read as the start of a formula."""
    lines = [
        ("#### " + line[2:]) if line.startswith("# ") else line
        for line in markdown.replace("$", "\\$").splitlines()
    ]
    return "\n".join(lines)
