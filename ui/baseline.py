"""Cohort page: which variables Table 1 shows. The user adds a variable that is not a row by
default (free text, a canonical field) or leaves one out; the choice is a setting
(``Settings.baseline_include`` / ``baseline_exclude``) and is saved with the mapping
(contract §3 ``options``).

The widgets are drawn on the Cohort page only, so their values are kept under keys of their
own (``Key.BASELINE_INCLUDE`` / ``BASELINE_EXCLUDE``) that outlive a visit to another page.
"""

from __future__ import annotations

import streamlit as st

from core.analyses.table1 import baseline_variables
from core.model.i18n import N_
from core.model.i18n import gettext as _
from core.model.schema import LABELS, Cohort
from core.model.settings import remember_choices
from ui.state import Key, get_settings

WIDGET = "__widget"
_REASONS = {
    "free text": N_("free text"),
    "not a baseline characteristic": N_("not shown by default"),
}


def _label(name: str) -> str:
    return _(LABELS.get(name, name))


def _keep(key: str, options: list[str]) -> None:
    """The widget starts from the stored choice (what is still offered); a change is stored."""
    wkey = key + WIDGET
    if wkey not in st.session_state:
        st.session_state[wkey] = [v for v in st.session_state.get(key) or [] if v in options]


def _store(key: str) -> None:
    st.session_state[key] = list(st.session_state.get(key + WIDGET) or [])


def choose_variables(cohort: Cohort) -> None:
    """Two pickers under Table 1: variables to add, variables to leave out; and the mapping
    (JSON) that remembers them."""
    candidates = [v for v in baseline_variables(cohort) if v.includable]
    stored = bool(
        st.session_state.get(Key.BASELINE_INCLUDE) or st.session_state.get(Key.BASELINE_EXCLUDE)
    )
    addable = [v.name for v in candidates if not v.default]
    removable = [v.name for v in candidates if v.default]
    reasons = {v.name: _(_REASONS.get(v.reason, v.reason)) for v in candidates if v.reason}
    with st.expander(_("Variables in this table"), expanded=stored):
        st.caption(_("Free-text columns (notes, comments, mostly distinct or long texts) are "
                     "not tabulated; add any variable or leave one out. The choice is saved "
                     "with the mapping file."))  # fmt: skip
        left, right = st.columns(2)
        _keep(Key.BASELINE_INCLUDE, addable)
        left.multiselect(
            _("Add to the table"), addable, key=Key.BASELINE_INCLUDE + WIDGET,
            format_func=lambda n: f"{_label(n)} ({reasons[n]})" if n in reasons else _label(n),
            on_change=_store, args=(Key.BASELINE_INCLUDE,), placeholder=_("None"),
        )  # fmt: skip
        _keep(Key.BASELINE_EXCLUDE, removable)
        right.multiselect(
            _("Leave out of the table"), removable, key=Key.BASELINE_EXCLUDE + WIDGET,
            format_func=_label, on_change=_store, args=(Key.BASELINE_EXCLUDE,),
            placeholder=_("None"),
        )  # fmt: skip
        mapping = remember_choices(cohort.mapping, get_settings())
        if mapping:
            from core.ingest.mapping import mapping_to_json

            stem = (cohort.source.name or "cohort").rsplit(".", 1)[0]
            st.download_button(
                _("Mapping with this choice (JSON)"), mapping_to_json(mapping).encode("utf-8"),
                file_name=f"{stem}.mapping.json", mime="application/json", on_click="ignore",
                icon=":material/download:", key="dl_baseline_mapping",
            )  # fmt: skip
