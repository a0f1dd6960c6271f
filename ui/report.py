"""The Report page's blocks: the ZIP bundle, the methods text, the code per table."""

from __future__ import annotations

import streamlit as st

from ui import cache
from ui.state import Key, get_source
from ui.view import View, title
from ui.widgets import file_name, guarded

ZIP_KEY = "report_zip"  # (view key, bytes) of the last bundle built in this session


def bundle(v: View) -> None:
    """One button builds the ZIP in memory; the download appears under it."""
    st.header("Everything in one file", divider="gray")
    st.caption(
        "Every aggregate table (CSV and one Excel workbook), every figure (PNG, SVG when "
        "Chromium is installed; interactive HTML), journal tables (Word), an interactive HTML "
        "report, the methods text, provenance (file hash, settings, versions) and a script that "
        "reproduces the tables. Charts name no patient."
    )
    patient_level = st.checkbox(
        "Include patient-level tables (they identify patients)",
        key=Key.INCLUDE_PATIENT_LEVEL,
        help="Landmark visits and time to response per patient, one row per patient with "
        "the patient ID, in a folder patient_level/ of the ZIP. Off: the report is aggregate.",
    )
    key = f"{v.key}|patient_level={patient_level}"
    if st.button("Build the report", type="primary", icon=":material/folder_zip:", key="build_zip"):
        with (
            guarded("build the report"),
            st.spinner("Building the report (figures take a moment)…"),
        ):
            data = cache.report_zip(key, v.run, v.figures(show_ids=False), patient_level)
            st.session_state[ZIP_KEY] = (key, data)
    built = st.session_state.get(ZIP_KEY)
    if built is not None and built[0] == key:
        marked = "patient-level_" if patient_level else ""
        what = "Report with patient-level tables" if patient_level else "Report"
        st.download_button(
            f"{what} (ZIP, {len(built[1]) / 1e6:.1f} MB)", built[1],
            file_name=marked + file_name("report", v.summary, "zip"), mime="application/zip",
            on_click="ignore", icon=":material/download:", key="dl_report_zip", type="primary",
        )  # fmt: skip
    elif built is not None:
        st.caption("Settings, filters or the patient-level choice changed since the last "
                   "report: build it again.")  # fmt: skip


def methods(v: View) -> None:
    """The methods and results paragraphs, ready to paste, with a Markdown download."""
    from core.report.export import methods_text

    st.header("Methods and results, ready to paste", divider="gray")
    with guarded("write the methods text"):
        text = methods_text(v.run)
        with st.container(border=True):
            st.markdown(_for_screen(text))
        st.download_button("Methods (Markdown)", text.encode("utf-8"),
                           file_name=file_name("methods", v.summary, "md"), mime="text/markdown",
                           on_click="ignore", icon=":material/download:", key="dl_methods")  # fmt: skip


def code(v: View) -> None:
    """Per table, the few lines of Python that make it from the data file."""
    from core.report.export import reproduce_script, table_snippet

    st.header("The code behind each table", divider="gray")
    source = get_source()
    name = source.name if source else (v.cohort.source.name or "cohort.csv")
    drop = bool(source.drop_invalid) if source else False
    args = (name, v.cohort.mapping, v.settings, v.filters)
    with guarded("write the code"):
        st.download_button("Reproduce script (Python)",
                           reproduce_script(*args, drop_invalid=drop).encode("utf-8"),
                           file_name="reproduce.py", mime="text/x-python", on_click="ignore",
                           icon=":material/download:", key="dl_reproduce")  # fmt: skip
        for table in v.results:
            with st.expander(f"Show the code: {title(table)}"):
                st.code(table_snippet(table, *args, drop_invalid=drop), language="python")


def _for_screen(markdown: str) -> str:
    """The methods Markdown as the page shows it: headings one level under the page's, and
    ``$`` kept literal (R's ``fit$table``), not read as the start of a formula."""
    lines = [
        ("#### " + line[2:]) if line.startswith("# ") else line
        for line in markdown.replace("$", "\\$").splitlines()
    ]
    return "\n".join(lines)
