"""Every file of a report, built once in memory, written to a folder or packed as a ZIP.

``report_files`` is the single list; :func:`write_report` (command line) writes it to DIR
(optionally ``report.zip`` too) and :func:`bundle_zip` (browser download) packs it without
touching the disk. Static images need kaleido and a Chromium: without them every other file
is still made and a note says why the PNG/SVG files are missing.

Patient-level tables (``landmark_visits``, ``ttr_patients``, any table with a ``patient_id``
column) identify patients: they are left out unless asked for (``include_patient_level``),
then written as CSV under ``patient_level/`` with a README saying so (the command line puts
them beside the other tables, as the data contract names them). ``report.xlsx`` and
``report.html`` hold the aggregate tables only. The ZIP (browser download, ``--zip``) puts
the files in folders with a ``README.txt`` (:mod:`core.report.export.layout`).
"""

from __future__ import annotations

import dataclasses
import io
import json
import re
import zipfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import plotly.graph_objects as go

from core.model.i18n import N_
from core.model.i18n import gettext as _
from core.model.results import AnalysisRun, FigureKey, Result
from core.model.schema import SourceInfo
from core.model.settings import remember_choices
from core.report.export import imaging
from core.report.export.common import split_patient_level
from core.report.export.context import run_context
from core.report.export.layout import (  # noqa: F401 (README_FILE, zip_path re-exported)
    PATIENT_LEVEL_DIR,
    PATIENT_LEVEL_README,
    README_FILE,
    zip_layout,
    zip_path,
)
from core.report.export.methods import methods_text
from core.report.export.provenance import provenance, provenance_json
from core.report.export.reproduce import MAPPING_FILE, reproduce_script
from core.report.export.safe import table_to_csv_bytes
from core.report.export.workbook import report_workbook

IMAGES_NOTE_FILE = "images-not-available.txt"
IMAGES_NOTE = N_(
    "PNG and SVG figures were not made: static images need kaleido and a Chromium browser, "
    "which were not available here. The interactive figures (*.html, report.html) are "
    "complete; install Chromium (Debian: apt install chromium fonts-nanum) to get the images."
)


@dataclasses.dataclass(frozen=True)
class WrittenReport:
    """What :func:`write_report` wrote: the folder, the file names and any notes."""

    out_dir: Path
    files: tuple[str, ...]
    notes: tuple[str, ...] = ()


_RESERVED = {"report", "tables", "methods", "provenance", "reproduce", "mapping", "plotly.min"}


def _patient_level_files(patient_level: Mapping[str, Result], folder: str) -> dict[str, bytes]:
    """The patient-level tables as CSV in ``folder`` (``""``: beside the others), with a
    README in that folder saying they identify patients."""
    files = {
        f"{folder}{name}.csv": table_to_csv_bytes(r.table) for name, r in patient_level.items()
    }
    if patient_level and folder:
        names = ", ".join(f"{n}.csv" for n in patient_level)
        listed = _("Files: {names}").format(names=names)
        text = f"{_(PATIENT_LEVEL_README)}\n{listed}\n"
        files[f"{folder}README.txt"] = text.encode("utf-8")
    return files


def _file_stem(name: str) -> str:
    """A safe file stem for a figure that never collides with the report's own files."""
    stem = re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("._") or "figure"
    return f"figure_{stem}" if stem.lower() in _RESERVED else stem


Progress = Callable[[str, float], None]
"""``progress(step, fraction)``: what the report is doing now (a sentence) and the share
done, 0 to 1. Called on the thread that asked for the report, never from the renderer's."""


def _stems(figures: Mapping[FigureKey, go.Figure]) -> dict[str, tuple[str, go.Figure]]:
    """File stem -> (figure name, figure); two names that sanitise alike stay apart."""
    out: dict[str, tuple[str, go.Figure]] = {}
    used: set[str] = set()
    for key, fig in figures.items():
        name = key.stem
        stem, k = _file_stem(name), 1
        while stem.lower() in used:
            k += 1
            stem = f"{_file_stem(name)}_{k}"
        used.add(stem.lower())
        out[stem] = (name, fig)
    return out


class _Images:
    """PNG and SVG of every figure, drawn by the shared browser while the caller writes the
    other files; :meth:`collect` waits for them in figure order."""

    def __init__(self, stems: Mapping[str, tuple[str, go.Figure]], wanted: bool) -> None:
        self.notes: list[str] = []
        self.note_file: bytes | None = None
        self._pending: dict[str, tuple[str, Any, Any]] = {}
        if not (wanted and stems):
            return
        try:
            for stem, (name, fig) in stems.items():  # all queued now, drawn TABS at a time
                self._pending[stem] = (name, imaging.start_png(fig), imaging.start_svg(fig))
        except Exception as exc:  # noqa: BLE001 - a renderer failure must not lose the report
            self._pending = {}
            self._unavailable(exc)

    @property
    def busy(self) -> bool:
        """True when images are being drawn."""
        return bool(self._pending)

    def _unavailable(self, exc: BaseException) -> None:
        if imaging.is_unavailable_error(exc):  # no browser: say so once
            self.notes.append(f"{_(IMAGES_NOTE)} ({exc})")
            self.note_file = f"{_(IMAGES_NOTE)}\n{exc}\n".encode()
        else:
            self.notes.append(f"The static images could not be made ({type(exc).__name__}).")

    def collect(self, progress: Progress, start: float) -> dict[str, tuple[bytes, bytes]]:
        done: dict[str, tuple[bytes, bytes]] = {}
        total = len(self._pending)
        for k, (stem, (name, png, svg)) in enumerate(self._pending.items()):
            progress(f"Drawing figure {k + 1} of {total}: {name}", start + (1 - start) * k / total)
            if self.note_file is not None:
                continue  # the browser is gone: the others would fail alike
            try:
                done[stem] = (png.result(), svg.result())
            except Exception as exc:  # noqa: BLE001
                if imaging.is_unavailable_error(exc):  # failed or gone: stop, say so once
                    self._unavailable(exc)
                else:
                    self.notes.append(
                        f"Figure {name}: the static image could not be made ({type(exc).__name__})."
                    )
        return done


def _quiet(step: str, fraction: float) -> None:
    """A progress callback that shows nothing."""


def _figure_pages(stems: Mapping[str, tuple[str, go.Figure]]) -> dict[str, bytes]:
    return {
        stem: imaging.figure_page(fig, name).encode("utf-8") for stem, (name, fig) in stems.items()
    }


def _figure_files(
    stems: Mapping[str, tuple[str, go.Figure]],
    pages: Mapping[str, bytes],
    drawing: _Images,
    drawn: Mapping[str, tuple[bytes, bytes]],
) -> dict[str, bytes]:
    """The figures' files in the report's order: per figure HTML, PNG, SVG."""
    files: dict[str, bytes] = {}
    if drawing.note_file is not None:
        files[IMAGES_NOTE_FILE] = drawing.note_file
    for stem in stems:
        files[f"{stem}.html"] = pages[stem]
        if stem in drawn:
            files[f"{stem}.png"], files[f"{stem}.svg"] = drawn[stem]
    if stems:
        files["plotly.min.js"] = imaging.plotly_min_js().encode("utf-8")
    return files


def report_files(
    run: AnalysisRun,
    figures: Mapping[FigureKey, go.Figure],
    tables_only: bool = False,
    images: bool | None = None,
    *,
    include_patient_level: bool = False,
    patient_level_dir: str = PATIENT_LEVEL_DIR,
    progress: Progress | None = None,
) -> tuple[dict[str, bytes], list[str]]:
    """Every report file as ``{file name: bytes}`` plus notes (e.g. images unavailable).

    The run gives the tables (registry order), settings, filters, and the source file,
    mapping and dropped-value count. ``tables_only``: the CSV tables alone. ``images=None``
    renders PNG/SVG when :func:`core.report.export.imaging.images_available`; they are
    queued first and drawn in parallel by the browser while the tables, workbook, Word
    file and HTML report are written here. ``include_patient_level``: also the
    patient-level tables, as CSV under ``patient_level_dir`` (``"patient_level/"``; ``""``
    puts them beside the others) with a README there saying they identify patients; left
    out by default. ``progress(step, fraction)`` hears what is being made (:data:`Progress`).
    """
    say = progress or _quiet
    results, settings, filters = run.results, run.settings, run.filters
    source = run.cohort.source or SourceInfo()
    mapping, n_dropped = remember_choices(run.cohort.mapping, settings), run.cohort.report.n_dropped
    aggregate, patient_level = split_patient_level(results)
    stems: dict[str, tuple[str, go.Figure]] = {}
    drawing = _Images({}, False)
    if not tables_only:
        want_images = imaging.images_available() if images is None else images
        stems = _stems(figures)
        say("Starting the figure images", 0.0)
        drawing = _Images(stems, want_images)
        if stems and not want_images:
            drawing.notes.append(_(IMAGES_NOTE))
            drawing.note_file = (_(IMAGES_NOTE) + "\n").encode("utf-8")
    share = 0.3 if drawing.busy else 1.0  # images take most of a full report's time
    say("Writing the tables", 0.0)
    files = {f"{name}.csv": table_to_csv_bytes(res.table) for name, res in aggregate.items()}
    notes: list[str] = []
    if include_patient_level and patient_level:
        say("Writing the patient-level tables", 0.1 * share)
        files.update(_patient_level_files(patient_level, patient_level_dir))
        names = ", ".join(f"{patient_level_dir}{n}.csv" for n in patient_level)
        notes.append(_("{tables}: patient-level tables; they identify patients.").format(tables=names))
    if tables_only:
        say("Done", 1.0)
        return files, notes
    # Word and HTML writers load python-docx and plotly: only when a full report is made.
    from core.report.export.docx_tables import journal_tables_docx
    from core.report.export.html_report import report_html

    say("Writing the interactive figures (HTML)", 0.2 * share)
    pages = _figure_pages(stems)
    say("Writing the Excel workbook", 0.4 * share)
    workbook = report_workbook({n: r.table for n, r in aggregate.items()}, run_context(run))
    say("Writing the Word tables", 0.6 * share)
    docx = journal_tables_docx(run)
    methods = methods_text(run)
    say("Writing the HTML report", 0.8 * share)
    html_report = report_html(run, figures, methods).encode("utf-8")
    drawn = drawing.collect(say, share)
    files.update(_figure_files(stems, pages, drawing, drawn))
    notes += drawing.notes
    files["report.xlsx"] = workbook
    files["tables.docx"] = docx
    files["methods.md"] = methods.encode("utf-8")
    files["report.html"] = html_report
    record = provenance(source, mapping, filters, settings, n_dropped=n_dropped)
    files["provenance.json"] = provenance_json(record).encode("utf-8")
    files["reproduce.py"] = reproduce_script(
        source.name or "cohort.csv", mapping, settings, filters, drop_invalid=n_dropped > 0
    ).encode("utf-8")
    if mapping:
        files[MAPPING_FILE] = (json.dumps(mapping, ensure_ascii=False, indent=2) + "\n").encode(
            "utf-8"
        )
    say("Done", 1.0)
    return files, notes


_PACKED = (".png",)  # compressed already (deflate inside): stored, not deflated again


def _zip(files: Mapping[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, data in files.items():
            packed = name.endswith(_PACKED)
            zf.writestr(name, data, zipfile.ZIP_STORED if packed else zipfile.ZIP_DEFLATED)
    return buf.getvalue()


def bundle_zip(
    run: AnalysisRun,
    figures: Mapping[FigureKey, go.Figure],
    images: bool | None = None,
    *,
    include_patient_level: bool = False,
    progress: Progress | None = None,
) -> bytes:
    """The report files as ZIP bytes built in memory (no disk). Patient-level tables only
    with ``include_patient_level``, then in the folder ``patient_level/`` with a README.
    ``progress(step, fraction)`` hears each step (:data:`Progress`), packing last."""
    say = progress or _quiet
    files, _notes = report_files(
        run,
        figures,
        images=images,
        include_patient_level=include_patient_level,
        progress=lambda step, fraction: say(step, 0.95 * fraction),
    )
    say("Packing the ZIP", 0.95)
    data = _zip(zip_layout(files, run_context(run)))
    say("Done", 1.0)
    return data


def write_report(
    out_dir: str | Path,
    run: AnalysisRun,
    figures: Mapping[FigureKey, go.Figure],
    tables_only: bool = False,
    make_zip: bool = False,
    images: bool | None = None,
    *,
    include_patient_level: bool = False,
    progress: Progress | None = None,
) -> WrittenReport:
    """Write every report file into ``out_dir`` (data-contract §7 ``report``).

    Parameters
    ----------
    out_dir
        Folder, created if needed.
    run, figures
        The analysis run and its figures.
    tables_only
        Only ``<name>.csv`` per table (``--tables-only``).
    make_zip
        Also ``report.zip`` in ``out_dir`` holding the same files (``--zip``).
    images
        None: PNG/SVG when a Chromium is available; False: never.
    include_patient_level
        Also write the patient-level tables (``landmark_visits.csv``, ``ttr_patients.csv``…)
        beside the others, as the data contract's command line does; a note names them.
        Off by default: they identify patients.
    progress
        ``progress(step, fraction)`` hears each step (:data:`Progress`).

    Returns
    -------
    WrittenReport
        The folder, the file names written, and notes (e.g. images not available).
        Files: every aggregate table as CSV; per figure ``.png`` (~300 dpi at 7 in), ``.svg`` and
        ``.html`` sharing one ``plotly.min.js``; ``report.xlsx``, ``tables.docx``,
        ``report.html``, ``methods.md``, ``provenance.json``, ``reproduce.py`` and
        ``mapping.json`` when a mapping was used.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    files, notes = report_files(
        run,
        figures,
        tables_only=tables_only,
        images=images,
        include_patient_level=include_patient_level,
        patient_level_dir="",
        progress=progress,
    )
    for name, data in files.items():
        (out / name).write_bytes(data)
    names = list(files)
    if make_zip:
        (out / "report.zip").write_bytes(_zip(zip_layout(files, run_context(run))))
        names.append("report.zip")
    return WrittenReport(out, tuple(names), tuple(notes))
