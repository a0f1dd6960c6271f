"""A shared link opened in a new session: it carries filters and settings, never the data.

The sidebar keeps its filters and settings in the URL (``ui.sidebar``), so a link restores a
view once the same file is loaded. Opened elsewhere, without that file, the link must not
show the demo cohort's numbers under its filters: the session starts empty and every page
says which filters the link carries and asks for the file. The demo opens only when the
link says so: ``source=demo``, which the app writes while the demo cohort is loaded
(``ui.state.set_cohort``).
"""

from __future__ import annotations

from collections.abc import Mapping

import streamlit as st

from core.model.i18n import N_
from core.model.i18n import gettext as _
from ui.state import Key

SOURCE_PARAM = "source"  # ?source=demo: the link was made on the demo cohort
DEMO = "demo"
# Parameters that are not a filter or a setting: the language, the source, Streamlit's own.
NOT_SETTINGS = frozenset({SOURCE_PARAM, Key.LANG, "embed", "embed_options"})

PARAM_LABELS: dict[str, str] = {
    Key.CLASSES: N_("Nephritis class"), Key.GROUPS: N_("Group"), Key.SEXES: N_("Sex"),
    Key.AGE: N_("Age (years)"), Key.CRITERIA: N_("Response criteria"),
    Key.LANDMARKS: N_("Landmarks (months)"), Key.WINDOW: N_("Landmark window (± months)"),
    Key.MISSING: N_("Missing data"), Key.EVENT: N_("Event"), Key.CI: N_("Interval for a proportion"),
    Key.REFERENCE: N_("Reference group"), Key.SUPPRESS: N_("Small-cell suppression"),
    Key.SUPPRESS_AT: N_("Suppress counts below"),
}  # fmt: skip


def carried(params: Mapping[str, list[str]]) -> dict[str, list[str]]:
    """The filters and settings a link carries: its parameters less language and source."""
    return {k: list(v) for k, v in params.items() if k not in NOT_SETTINGS and v}


def says_demo(params: Mapping[str, list[str]]) -> bool:
    return DEMO in params.get(SOURCE_PARAM, [])


def _url_params() -> dict[str, list[str]]:
    qp = st.query_params
    return {k: qp.get_all(k) for k in qp}


def remember_at_start() -> bool:
    """First run of a session: True (and the link's filters remembered) when the URL carries
    filters or settings but does not say demo; the caller then leaves the demo unloaded."""
    params = _url_params()
    shared = carried(params)
    if not shared or says_demo(params):
        return False
    st.session_state[Key.SHARED_LINK] = shared
    return True


def _value_words(key: str, values: list[str]) -> str:
    from ui.sidebar import CI_LABELS, CRITERIA_LABELS, EVENT_LABELS, MISSING_LABELS, SEX_WORDS

    words = {Key.CRITERIA: CRITERIA_LABELS, Key.MISSING: MISSING_LABELS,
             Key.EVENT: EVENT_LABELS, Key.CI: CI_LABELS, Key.SEXES: SEX_WORDS}.get(key, {})  # fmt: skip
    # a bound selectbox carries its shown label (in the link's language), other widgets the value
    return ", ".join(_(words.get(v, v)) for v in values)


def describe(shared: Mapping[str, list[str]]) -> list[str]:
    """'Nephritis class: IV, IV+V' per filter or setting of the link, in the session's
    language; a setting without a label here is counted, not named."""
    lines, others = [], 0
    for key, values in shared.items():
        if key in PARAM_LABELS:
            lines.append(f"{_(PARAM_LABELS[key])}: {_value_words(key, values)}")
        else:
            others += 1
    if others:
        lines.append(_("{n} further analysis settings").format(n=others))
    return lines


def notice() -> bool:
    """While no cohort is loaded and the session was opened by a shared link: say which
    filters the link carries and ask for the file (on every page). True when shown."""
    from ui.state import get_cohort

    shared = st.session_state.get(Key.SHARED_LINK)
    if not shared or get_cohort() is not None:
        return False
    st.info(
        _(
            "This link carries filters and settings but not the data. Load the file it was "
            "made from on the Data page and the results appear under these choices:"
        )
        + "\n"
        + "\n".join(f"- {line}" for line in describe(shared)),
        icon=":material/link:",
    )
    return True
