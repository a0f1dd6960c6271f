"""The report ZIP's folders (data-contract §6): ``figures/``, ``tables/``, ``manuscript/``,
``reproduce/`` (and ``patient_level/`` when asked for), with a ``README.txt`` naming each file.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from core.model.i18n import N_
from core.model.i18n import gettext as _
from core.report.export.common import is_patient_level
from core.report.export.reproduce import MAPPING_FILE

PATIENT_LEVEL_DIR = "patient_level/"
PATIENT_LEVEL_README = N_(
    "These tables identify patients: one row per patient (or patient and landmark), with "
    "the patient ID. Keep them with the patient records; do not share them as a supplement."
)

# The ZIP's folders (data-contract §6): where each report file goes, and what README.txt
# says about each folder: English msgids, translated when the README is written (the folder
# names themselves stay English ASCII in every language).
FOLDERS = {
    "figures/": N_("Figures: PNG (~300 dpi at 7 in) and SVG for print, HTML to explore "
    "(they load plotly.min.js from this folder)."),
    "tables/": N_("Tables: one CSV per table at full precision (UTF-8 with BOM), and report.xlsx "
    "(one sheet per table in the journal style, a header block naming file, filters, settings "
    "and n; the hidden sheet 'values' at full precision)."),
    "manuscript/": N_("For the manuscript: tables.docx (journal Tables), methods.md (methods and "
    "results paragraphs), report.html (every table and figure, offline)."),
    "reproduce/": N_("To reproduce: reproduce.py (the same run as a script), provenance.json "
    "(source SHA-256, mapping, filters, settings, versions; no data), mapping.json."),
    PATIENT_LEVEL_DIR: PATIENT_LEVEL_README,
}
_MANUSCRIPT = {"tables.docx", "methods.md", "report.html"}
_REPRODUCE = {"reproduce.py", "provenance.json", MAPPING_FILE}
README_FILE = "README.txt"
README_HEAD = N_("Lupus nephritis cohort report. Folders and files:")


def zip_path(name: str) -> str:
    """The folder of a report file in the ZIP: ``ttr_curve.png`` -> ``figures/ttr_curve.png``;
    a name already in a folder (``patient_level/…``) stays where it is."""
    if "/" in name:
        return name
    if name in _MANUSCRIPT:
        return f"manuscript/{name}"
    if name in _REPRODUCE:
        return f"reproduce/{name}"
    if name.endswith(".csv") and is_patient_level(name[: -len(".csv")], None):
        return f"{PATIENT_LEVEL_DIR}{name}"  # the command line writes them beside the others
    if name.endswith((".csv", ".xlsx")):
        return f"tables/{name}"
    return f"figures/{name}"  # figure .png/.svg/.html, plotly.min.js, the images note


def zip_layout(
    files: Mapping[str, bytes], context: Mapping[str, Any] | None = None
) -> dict[str, bytes]:
    """The report files in their folders with ``README.txt`` first: the context block, then
    each folder's purpose and its files by name, in the current language."""
    placed = {zip_path(name): data for name, data in files.items()}
    lines = [_(README_HEAD), ""]
    lines += [f"{k}: {v}" for k, v in (context or {}).items()]
    for folder, about in FOLDERS.items():
        inside = [p[len(folder) :] for p in placed if p.startswith(folder)]
        if not inside:
            continue
        lines += ["", folder, f"  {_(about)}"] + [f"  - {n}" for n in inside]
    text = "\n".join(lines) + "\n"
    return {README_FILE: text.encode("utf-8"), **placed}
