"""The interface language: chosen once per run, before anything is drawn.

A fresh session takes the language of the link (``?lang=ko``), else the browser's
(``st.context.locale``), else English. The selector at the top of the sidebar (한국어 /
English) changes it; the chosen language is always in the URL as ``lang``, so a shared link
opens in the language it was made in. ``Key.LANG`` is the one place that holds it; the
translation itself is :mod:`core.model.i18n` (which every layer may import).
"""

from __future__ import annotations

import streamlit as st

from core.model import i18n
from core.model.i18n import gettext as _
from ui.state import Key

PARAM = Key.LANG  # the URL's query parameter


def initial() -> str:
    """The language of a fresh session: the link's, else the browser's, else English."""
    return (
        i18n.normalise(st.query_params.get(PARAM))
        or i18n.normalise(st.context.locale)
        or i18n.DEFAULT
    )


def current() -> str:
    """The session's language (set by :func:`select`)."""
    return st.session_state.get(Key.LANG) or i18n.DEFAULT


def _relabel() -> None:
    """After a switch: set the URL-bound settings whose labels are translated to their own
    value again, so Streamlit writes them into the URL with the new language's labels (a bound
    selectbox keeps its shown label there; an old-language label would not be found when the
    link is opened in the language it names, and the setting would be lost)."""
    from ui.sidebar import RELABEL_ON_SWITCH

    ss = st.session_state
    for key in RELABEL_ON_SWITCH:
        if key in ss:
            ss[key] = ss[key]


def select() -> str:
    """Settle the language of this run: draw the selector at the top of the sidebar, make the
    choice the current language of :mod:`core.model.i18n` and keep it in the URL."""
    ss = st.session_state
    if ss.get(Key.LANG) not in i18n.LANGUAGES:
        ss[Key.LANG] = initial()  # a fresh session (a reloaded or shared link is one too)
    i18n.set_language(ss[Key.LANG])  # the selector's own label is translated
    with st.sidebar:
        st.selectbox(
            _("Language"),
            list(i18n.LANGUAGES),
            key=Key.LANG,
            format_func=i18n.NAMES.get,
            label_visibility="collapsed",
            on_change=_relabel,
        )
    lang = i18n.set_language(ss[Key.LANG])
    if st.query_params.get(PARAM) != lang:
        st.query_params[PARAM] = lang
    return lang


__all__ = ["PARAM", "current", "initial", "select"]
