"""``st.cache_data`` / ``st.cache_resource`` wrappers around the core pipeline.

Every cache of a user's data is per session (``scope="session"``: one user's data never
serves another's), expires, holds a few entries, and lives in memory only (never
``persist``). The one exception is the bundled demo cohort (shipped with the app, nobody's
data, the same for everyone): its analyses and figures are shared by all sessions of the
process (:func:`shared_demo`), so a new visitor's first chart does not wait for them. Arguments whose
names start with ``_`` are not hashed: each function takes a short text key that decides the
result (the file's SHA-256, the load options, ``repr`` of the frozen filters and settings)
and the objects themselves unhashed, so a 100,000-patient frame is never hashed per rerun.
"""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path

import pandas as pd
import streamlit as st

from core.model.i18n import language
from core.model.results import AnalysisRun
from core.model.schema import Cohort
from core.model.settings import Filters, Settings
from ui.state import Source, make_source

DEMO_PATH = Path(__file__).resolve().parent.parent / "data" / "demo" / "demo_cohort_long.csv"

_CACHE = dict(scope="session", ttl=3600, max_entries=6, show_spinner=False)


def demo_source() -> Source | None:
    """The bundled demo cohort as a Source, or None when the file is not there."""
    if not DEMO_PATH.is_file():
        return None
    return make_source(DEMO_PATH.read_bytes(), DEMO_PATH.name, demo=True)


# A resource cache (per session too): the raw table is only read, never changed, and at
# 100,000 patients copying it out of a data cache on every rerun of the Data page costs seconds.
@st.cache_resource(scope="session", ttl=3600, max_entries=2, show_spinner=False)
def read_raw(sha256: str, name: str, _data: bytes):
    """The file as read (sheets, encoding, delimiter, issues) before mapping:
    ``core.ingest.io.read_table``. Read-only."""
    from core.ingest.io import read_table

    return read_table(_data, name)


@st.cache_data(**_CACHE)
def suggested_mapping(sha256: str, name: str, _data: bytes) -> pd.DataFrame:
    """One row per source column (column, field, month, unit, status)."""
    from core.ingest.mapping import suggest_mapping

    return suggest_mapping(read_raw(sha256, name, _data))


@st.cache_data(**_CACHE)
def load(load_key: str, _source: Source) -> Cohort:
    """Map, convert and validate the source: ``core.ingest.load.load_cohort`` (``load_key``:
    ``Source.load_key``; the privacy choices are applied by :func:`cleaned`)."""
    from core.ingest.load import load_cohort

    return load_cohort(
        _source.data,
        _source.name,
        _source.mapping,
        drop_invalid=_source.drop_invalid,
        unit_overrides=dict(_source.unit_overrides) or None,
    )


@st.cache_data(**_CACHE)
def identifiers(load_key: str, _cohort: Cohort, _headers: tuple[str, ...]) -> list:
    """Direct identifiers in the loaded cohort: ``core.ingest.identifiers.find_identifier_columns``
    (column names and kinds, never values)."""
    from core.ingest.identifiers import find_identifier_columns

    return find_identifier_columns(_cohort.patients, _cohort.visits, _headers)


@st.cache_data(**_CACHE)
def cleaned(key: str, _cohort: Cohort, _source: Source) -> tuple[Cohort, dict[str, str]]:
    """The loaded cohort without the dropped identifier columns and, when asked, with
    study codes for patient IDs (``core.ingest.identifiers``); returns it with the study-code key
    (empty when IDs are kept). Held in this session's memory only."""
    from core.ingest.identifiers import drop_identifier_columns, pseudonymise_ids

    cohort = _cohort
    drop = [c for c in _source.drop_columns if c != "patient_id"]
    if drop:
        cohort = drop_identifier_columns(cohort, drop)
    if _source.pseudonymise:
        return pseudonymise_ids(cohort)
    return cohort, {}


def view_key(source: Source, filters: Filters, settings: Settings | None = None) -> str:
    """Text key of one view of the data: source, filters, (optionally) settings and the
    interface language: results carry translated words (the summary line, notes) and the
    figures built from them translated titles and labels, so a Korean run is never served
    to an English page or the other way round."""
    return f"{source.key}|{filters!r}|{settings!r}|{language()}"


@st.cache_resource(scope="session", ttl=3600, max_entries=6, show_spinner=False)
def analyses(
    key: str, _cohort: Cohort, _settings: Settings, _filters: Filters, page: str | None = None
) -> AnalysisRun:
    """The run for this view: ``core.analyses.run.run_analyses`` (unfiltered cohort in, the
    filters applied inside, as the command line does); with ``page`` only that page's
    analyses (the registry's), so a page pays for what it shows. Read-only."""
    from core.analyses.run import run_analyses

    return run_analyses(_cohort, _settings, _filters, only=_page_analyses(page))


def _page_analyses(page: str | None) -> tuple[str, ...] | None:
    from core.analyses.registry import analyses_of_page

    return None if page is None else tuple(a.name for a in analyses_of_page(page))


# Figures are cached as resources (per session): they are only read (the screen copy is
# ``theme.for_app``'s copy), and a data cache would pickle thirty plotly figures on every
# store and unpickle them (with plotly's validation) on every rerun.
@st.cache_resource(scope="session", ttl=3600, max_entries=16, show_spinner=False)
def figures(key: str, page: str, show_ids: bool, _run: AnalysisRun) -> dict:
    """One page's figures (``page``, one of ``core.analyses.spec.PAGES``) for this view:
    ``core.report.figures.build_figures(run, pages=[page])``; patient IDs in hover texts
    only with ``show_ids``. Read-only."""
    from core.report.figures import build_figures

    return build_figures(_run, pages=[page], show_ids=show_ids)


# --- the bundled demo, shared by every session -------------------------------------------
# Global caches (no ``scope``): ONLY for the demo cohort shipped in data/demo/, which holds
# no one's data. ``shared_demo`` admits a view only when its source is that file,
# byte for byte (SHA-256), unmodified by privacy choices; the key still carries the
# file's hash, mapping, load options, filters and settings. Uploads never come here.


@cache
def _demo_sha256() -> str | None:
    return hashlib.sha256(DEMO_PATH.read_bytes()).hexdigest() if DEMO_PATH.is_file() else None


def shared_demo(source: Source | None) -> bool:
    """True when ``source`` is the bundled demo file as shipped (same SHA-256), without
    dropped columns or study codes: its results may be shared across sessions."""
    return (
        source is not None
        and source.demo
        and not source.cleaned
        and source.sha256 == _demo_sha256()
    )


@st.cache_resource(ttl=3600, max_entries=16, show_spinner=False)  # global: the demo only
def demo_analyses(
    key: str, _cohort: Cohort, _settings: Settings, _filters: Filters, page: str | None = None
) -> AnalysisRun:
    """:func:`analyses` for the bundled demo, shared by all sessions (read-only)."""
    from core.analyses.run import run_analyses

    return run_analyses(_cohort, _settings, _filters, only=_page_analyses(page))


@st.cache_resource(ttl=3600, max_entries=32, show_spinner=False)  # global: the demo only
def demo_figures(key: str, page: str, show_ids: bool, _run: AnalysisRun) -> dict:
    """:func:`figures` for the bundled demo, shared by all sessions (read-only)."""
    from core.report.figures import build_figures

    return build_figures(_run, pages=[page], show_ids=show_ids)
