"""The one registry of session-state keys, with typed accessors.

Every page and widget reads and writes session state through this module, so a key is
spelled once. What lives here is in memory only (the uploaded bytes included): nothing is
written to disk, nothing is logged.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import streamlit as st

from core.model.i18n import gettext as _
from core.model.i18n import language
from core.model.schema import Cohort
from core.model.settings import (
    EVENT_NAME_MAX,
    CustomCriteria,
    Filters,
    Settings,
    landmark_settings,
)


class Key:
    """Session-state keys. Widget keys carry the widget's name in tests and the URL."""

    SOURCE = "source"  # the active Source (bytes + name + load options)
    COHORT = "cohort"  # the Cohort loaded from SOURCE
    STARTED = "session_started"  # first run of the session done (demo, URL seed)
    HANDLED = "handled_upload"  # key of the upload last loaded (not loaded again by itself)
    LOAD_ERROR = "load_error"  # a sentence to show on the data page after a failed load
    FINDINGS = "identifier_findings"  # direct identifiers found in the loaded file (no values)
    STUDY_KEY = "study_code_key"  # {study code: original patient ID}; memory only, never saved
    LANG = "lang"  # interface language, ko or en (ui.language; also the URL parameter)
    SHARED_LINK = "shared_link"  # filters of a link opened without its file (ui.shared_link)

    # Data-page widgets
    COHORT_FILE = "cohort_file"
    MAPPING_FILE = "mapping_file"
    USE_DEMO = "use_demo"
    DROP_INVALID = "drop_invalid"
    DROP_INVALID_FOR = "drop_invalid_for"  # the file the checkbox was last set for
    CONFIRM = "confirm_mapping"
    MAPPING_EDITOR = "mapping_editor"
    MAPPING_BASE = "mapping_base"  # the mapping table as last checked (statuses brought up to date)
    DROP_IDENTIFIERS = "drop_identifiers"  # button: drop the identifier columns
    PSEUDONYMISE = "pseudonymise_ids"  # checkbox: patient IDs → study codes

    # Privacy widgets elsewhere (not in the URL)
    SHOW_IDS = "show_ids"  # sidebar toggle: patient IDs in chart hover texts
    INCLUDE_PATIENT_LEVEL = "include_patient_level"  # Report page: patient-level tables in ZIP
    REPORT_ZIP = "report_zip"  # Report page: (view key, bytes) of the last bundle built
    DOWNLOAD_CONTEXT = "download_context"  # sidebar: file, filters and n on each download

    # Sidebar filter widgets; these keys are also the URL's query parameters
    CLASSES = "class"
    GROUPS = "group"
    SEXES = "sex"
    AGE = "age"
    AGE_BOUNDS = "age_bounds"  # the cohort ages the slider was last drawn for
    EXTRA_PREFIX = "filter__"  # + column name (not in the URL)

    # Sidebar settings widgets (URL parameters too, except the custom thresholds)
    CRITERIA = "criteria"
    LANDMARKS = "landmark"
    WINDOW = "window"
    MISSING = "missing"
    EVENT = "event"
    EVENT_NAME = "event_name"  # what the file's own time-to-event event is (empty: response)
    CI = "ci"
    REFERENCE = "ref"
    REFERENCE_DEFAULT = "ref_default"  # the default reference last offered (group order)
    GROUP_ORDER_PICK = "group_order_pick"  # Data page: groups picked in display order
    GROUP_ORDER_APPLY = "group_order_apply"  # Data page: reload with that order
    EXCLUDE_BASELINE_CR = "exclude_baseline_cr"
    SUPPRESS = "suppress"  # small-cell suppression on/off
    SUPPRESS_AT = "suppress_at"  # its threshold (5 by default)
    RMST_TAU = "rmst_tau"  # restricted mean horizon τ, months (empty: the default)
    MILESTONES = "milestone"  # milestone months (none chosen: the landmarks)
    ZPH_TRANSFORM = "zph"  # time scale of the proportional-hazards test
    MIXED_MEASURES = "mixed"  # labs modelled over all visits
    CONFIRM_WEEKS = "confirm_weeks"  # confirmed response: least gap to the next visit
    AUDIT_EVERY_VISIT = "audit_visits"  # response audit: every visit, not only landmarks
    FLARE_CONFIRMATION = "flare_confirm"  # renal flares confirmed at the next visit or not
    FLARE_FOLD = "flare_fold"  # custom flare: UPCR rise over the post-response nadir
    FLARE_FLOOR = "flare_floor"  # custom flare: least UPCR, g/g
    FLARE_CREATININE = "flare_creat"  # custom flare: creatinine rise %, 0 = not used
    DECLINE_AT_LAST = "decline_last"  # kidney outcomes: unconfirmed decline at the last visit
    CUSTOM_PREFIX = "custom__"  # + CustomCriteria field name
    DSDNA_CUTOFF = "dsdna_cutoff"  # anti-dsDNA positivity from the titre: cutoff (empty: none)
    DSDNA_CUTOFF_UNIT = "dsdna_unit"  # its unit

    # Cohort page: Table 1 variables added / left out (saved in the mapping's options)
    BASELINE_INCLUDE = "baseline_include"
    BASELINE_EXCLUDE = "baseline_exclude"
    OPTIONS_SEEDED = "mapping_options_seeded"  # the mapping options last copied into widgets


@dataclass(frozen=True)
class Source:
    """What was loaded and how: enough to load it again (cached) after a setting changes."""

    data: bytes
    name: str
    sha256: str
    mapping: dict | None = None
    drop_invalid: bool = False
    unit_overrides: tuple[tuple[str, str], ...] = ()
    demo: bool = False
    # Privacy choices applied after loading (Data page): identifier columns dropped for the
    # session, patient IDs replaced by study codes.
    drop_columns: tuple[str, ...] = ()
    pseudonymise: bool = False

    @property
    def load_key(self) -> str:
        """A short text key of everything that decides the cohort as loaded (no content)."""
        return "|".join(
            [
                self.sha256,
                self.name,
                repr(sorted((self.mapping or {}).items(), key=str)),
                str(self.drop_invalid),
                repr(self.unit_overrides),
                language(),  # the validation messages are written in the session's language
            ]
        )

    @property
    def key(self) -> str:
        """:attr:`load_key` plus the privacy choices: the key of the cohort analysed."""
        return f"{self.load_key}|{self.drop_columns!r}|{self.pseudonymise}"

    @property
    def cleaned(self) -> bool:
        """True when identifier columns are dropped or patient IDs replaced."""
        return bool(self.drop_columns) or self.pseudonymise


def make_source(data: bytes, name: str, **options) -> Source:
    """A :class:`Source` for these bytes, hashed once."""
    return Source(data=data, name=name, sha256=hashlib.sha256(data).hexdigest(), **options)


# --- the loaded cohort -------------------------------------------------------------------


def get_source() -> Source | None:
    return st.session_state.get(Key.SOURCE)


def get_cohort() -> Cohort | None:
    return st.session_state.get(Key.COHORT)


def set_cohort(
    source: Source,
    cohort: Cohort,
    findings: list | None = None,
    study_key: dict[str, str] | None = None,
) -> None:
    """Make ``cohort`` (already cleaned as ``source`` says) the session's cohort, with the
    identifier findings of the file as loaded and the study-code key (when IDs were replaced)."""
    ss = st.session_state
    ss[Key.SOURCE] = source
    ss[Key.COHORT] = cohort
    ss.pop(Key.SHARED_LINK, None)
    _mark_source(source.demo)
    ss[Key.FINDINGS] = list(findings or [])
    if study_key:
        ss[Key.STUDY_KEY] = study_key
    else:
        ss.pop(Key.STUDY_KEY, None)


def clear_cohort() -> None:
    for key in (Key.SOURCE, Key.COHORT, Key.FINDINGS, Key.STUDY_KEY):
        st.session_state.pop(key, None)
    _mark_source(False)


def _mark_source(demo: bool) -> None:
    """``?source=demo`` in the URL while the demo is loaded: a link shared then opens the
    demo; any other link opens without data and asks for the file (``ui.shared_link``)."""
    if demo:
        st.query_params["source"] = "demo"
    elif "source" in st.query_params:
        del st.query_params["source"]


def get_findings() -> list:
    """Direct identifiers found in the loaded file (``core.ingest.identifiers.IdentifierFinding``),
    before any column was dropped: column names and kinds, never values."""
    return st.session_state.get(Key.FINDINGS) or []


def get_study_key() -> dict[str, str]:
    """``{study code: original patient ID}`` when IDs were replaced, else empty. In memory
    only: offered as a patient-level download, never part of the report."""
    return st.session_state.get(Key.STUDY_KEY) or {}


def show_ids() -> bool:
    """Whether charts may name patients on hover (sidebar toggle, off by default)."""
    return bool(st.session_state.get(Key.SHOW_IDS, False))


def download_context() -> bool:
    """Whether single downloads carry their context: a caption line under PNG/SVG figures and
    a commented first line in CSVs (sidebar checkbox, off by default: scripts stay clean)."""
    return bool(st.session_state.get(Key.DOWNLOAD_CONTEXT, False))


def require_cohort() -> Cohort:
    """The loaded cohort; otherwise a friendly prompt with a link to the Data page, and stop.

    A cohort whose validation found errors also stops here (the contract: errors block the
    analysis until fixed or set to missing).
    """
    cohort = get_cohort()
    if cohort is None or cohort.patients.empty:
        st.info(_("No cohort is loaded yet. Load a file (or the demo cohort) on the Data page."))
        st.page_link("app_pages/data.py", label=_("Go to the Data page"), icon=":material/upload:")
        st.stop()
    if not cohort.ok:
        n = len(cohort.report.errors)
        st.warning(
            (
                _("The loaded file has 1 error that blocks the analysis.")
                if n == 1
                else _("The loaded file has {n} errors that block the analysis.").format(n=n)
            )
            + " "
            + _("Fix the file, or on the Data page choose to set every invalid value to missing.")
        )
        st.page_link("app_pages/data.py", label=_("Go to the Data page"), icon=":material/upload:")
        st.stop()
    return cohort


# --- filters and settings (read from the sidebar widgets) --------------------------------


def get_filters() -> Filters:
    """The filters chosen in the sidebar (none before a cohort is loaded)."""
    ss = st.session_state
    age = ss.get(Key.AGE)
    cohort = get_cohort()
    age_min = age_max = None
    if age is not None and cohort is not None and "age" in cohort.patients:
        lo, hi = _age_bounds(cohort)
        # A range that still spans every age is no filter (it keeps missing ages too).
        if float(age[0]) > lo:
            age_min = float(age[0])
        if float(age[1]) < hi:
            age_max = float(age[1])
    extra = tuple(
        (k[len(Key.EXTRA_PREFIX) :], tuple(v))
        for k, v in sorted(ss.items())
        if isinstance(k, str) and k.startswith(Key.EXTRA_PREFIX) and v
    )
    return Filters(
        classes=tuple(ss.get(Key.CLASSES) or ()),
        groups=tuple(ss.get(Key.GROUPS) or ()),
        sexes=tuple(ss.get(Key.SEXES) or ()),
        age_min=age_min,
        age_max=age_max,
        extra=extra,
    )


def _age_bounds(cohort: Cohort) -> tuple[float, float]:
    ages = cohort.patients["age"].dropna()
    if ages.empty:
        return 0.0, 0.0
    return float(ages.min()), float(ages.max())


def age_bounds(cohort: Cohort) -> tuple[float, float]:
    """Whole-year bounds of the cohort's ages, for the slider."""
    lo, hi = _age_bounds(cohort)
    return float(int(lo)), float(int(hi) + (hi > int(hi)))


def _landmarks(chosen) -> dict:
    """``landmarks`` and ``landmark_names`` from the sidebar (months, or 20w / 180d)."""
    try:
        marks = landmark_settings(chosen or ("6", "12"))
    except ValueError:
        return landmark_settings(("6", "12"))
    return marks if all(m > 0 for m in marks["landmarks"]) else landmark_settings(("6", "12"))


def get_settings() -> Settings:
    """The analysis settings chosen in the sidebar, with the contract's defaults."""
    ss = st.session_state
    criteria = ss.get(Key.CRITERIA)
    custom = CustomCriteria(
        **{
            name: ss[Key.CUSTOM_PREFIX + name]
            for name in CustomCriteria.__dataclass_fields__
            if Key.CUSTOM_PREFIX + name in ss
        }
    )
    return Settings(
        criteria=criteria or None,
        **_landmarks(ss.get(Key.LANDMARKS)),
        window=float(ss.get(Key.WINDOW, 1.0)),
        missing=ss.get(Key.MISSING, "complete-case"),
        event=ss.get(Key.EVENT, "cr-or-pr"),
        event_name=str(ss.get(Key.EVENT_NAME) or "")[:EVENT_NAME_MAX] or None,
        ci=ss.get(Key.CI, "clopper-pearson"),
        reference=ss.get(Key.REFERENCE) or None,
        custom=custom,
        exclude_baseline_cr=bool(ss.get(Key.EXCLUDE_BASELINE_CR, False)),
        suppression_threshold=int(ss.get(Key.SUPPRESS_AT, 5)) if ss.get(Key.SUPPRESS) else None,
        rmst_tau=float(tau) if (tau := ss.get(Key.RMST_TAU)) else None,
        milestone_months=tuple(float(m) for m in miles) if (miles := ss.get(Key.MILESTONES)) else None,
        zph_transform=ss.get(Key.ZPH_TRANSFORM) or "km",
        mixed_measures=tuple(ss.get(Key.MIXED_MEASURES) or ("egfr",)),
        confirm_weeks=float(ss.get(Key.CONFIRM_WEEKS, 4.0)),
        audit_every_visit=bool(ss.get(Key.AUDIT_EVERY_VISIT, False)),
        flare_confirmation=ss.get(Key.FLARE_CONFIRMATION) or "none",
        flare_fold=float(ss.get(Key.FLARE_FOLD, 2.0)),
        flare_floor_upcr=float(ss.get(Key.FLARE_FLOOR, 1.0)),
        flare_creatinine_rise_pct=float(ss[Key.FLARE_CREATININE]) or None
        if ss.get(Key.FLARE_CREATININE) else None,
        decline_at_last_visit=not ss.get(Key.DECLINE_AT_LAST, False),
        dsdna_cutoff=float(cut) if (cut := ss.get(Key.DSDNA_CUTOFF)) else None,
        dsdna_cutoff_unit=ss.get(Key.DSDNA_CUTOFF_UNIT) or "IU/mL",
        baseline_include=tuple(ss.get(Key.BASELINE_INCLUDE) or ()),
        baseline_exclude=tuple(ss.get(Key.BASELINE_EXCLUDE) or ()),
    )
