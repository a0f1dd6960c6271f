"""Session start-up and the load actions shared by the frame and the Data page."""

from __future__ import annotations

import os

import streamlit as st

from core.model.i18n import gettext as _
from core.model.schema import Cohort
from ui import cache
from ui.state import Key, Source, get_cohort, set_cohort
from ui.widgets import guarded

# A deployment that should open empty sets LN_DEMO_ON_START=0.
DEMO_ON_START = os.environ.get("LN_DEMO_ON_START", "1") != "0"


def start() -> None:
    """First run of a session: load the demo cohort so ``make run`` shows something at once."""
    if st.session_state.get(Key.STARTED):
        return
    st.session_state[Key.STARTED] = True
    from ui import shared_link

    # A link with filters but without ?source=demo was made on someone's file: no demo
    # numbers under its filters; the pages ask for the file instead (ui.shared_link).
    if shared_link.remember_at_start():
        return
    if DEMO_ON_START and get_cohort() is None:
        load_demo()


def load_demo() -> bool:
    """Load the bundled demo cohort; False (with a message) when it is not there."""
    source = cache.demo_source()
    if source is None:
        st.session_state[Key.LOAD_ERROR] = _("The demo cohort is not installed with this copy.")
        return False
    activate(source)
    return True


def activate(source: Source) -> Cohort | None:
    """Load, map and validate ``source`` (cached), look for direct identifiers, apply the
    privacy choices (drop columns, study codes) and make it the session's cohort.

    A file the core cannot read still gives a Cohort (empty, with an error issue); only a
    failure of the code itself ends here with a sentence instead of a cohort.
    """
    cohort = None
    with guarded(_("load this file")):
        cohort = cache.load(source.load_key, source)
    if cohort is None:
        return None
    findings, study_key = [], {}
    with guarded(_("check the file for direct identifiers")):
        findings = cache.identifiers(source.load_key, cohort, _headers(source))
    if source.cleaned:
        cohort, study_key = cache.cleaned(source.key, cohort, source)
    set_cohort(source, cohort, findings, study_key)
    st.session_state.pop(Key.LOAD_ERROR, None)
    return cohort


def seed_options(cohort: Cohort) -> None:
    """Copy the mapping's remembered choices (contract §3 ``options``: anti-dsDNA cutoff,
    Table 1 include/exclude) into their widgets, once per distinct set of options, so a
    reload for another reason (units, invalid values) keeps what the user changed since.
    Called before the sidebar draws its widgets (a drawn widget's value cannot be set)."""
    from core.model.settings import options_settings

    options = (cohort.mapping or {}).get("options") or {}
    seen = repr(sorted(options.items(), key=str))
    ss = st.session_state
    if ss.get(Key.OPTIONS_SEEDED) == seen:
        return
    ss[Key.OPTIONS_SEEDED] = seen
    chosen = options_settings(options)
    for key, name in ((Key.BASELINE_INCLUDE, "baseline_include"),
                      (Key.BASELINE_EXCLUDE, "baseline_exclude")):
        ss[key] = list(chosen.get(name, ()))
    if "dsdna_cutoff" in chosen:
        ss[Key.DSDNA_CUTOFF] = chosen["dsdna_cutoff"]
        ss[Key.DSDNA_CUTOFF_UNIT] = chosen["dsdna_cutoff_unit"]
    else:  # a cutoff an earlier mapping brought does not stay with another file
        ss.pop(Key.DSDNA_CUTOFF, None)


def _headers(source: Source) -> tuple[str, ...]:
    """The file's own column headers (a record-number header changes what counts as one)."""
    if source.demo:
        return ()
    raw = cache.read_raw(source.sha256, source.name, source.data)
    return tuple(str(c) for sheet in raw.sheets for c in sheet.frame.columns)
