"""Korean and English: the one translation module of the app and the CLI (plain Python).

The messages are gettext catalogues with English msgids, ``core/model/locales/<lang>/
LC_MESSAGES/messages.po``, read at run time with Babel's ``read_po`` (no compiled ``.mo``
to keep in step: the ``.po`` is the one source). English is the source language: its
catalogue may leave a msgstr empty, and an empty msgstr reads as the msgid.

Use::

    from core.model.i18n import gettext as _
    st.header(_("Response rates"))
    _("{n} patients").format(n=12)           # placeholders are filled after translation

The language is per session (Streamlit) or per command (CLI): :func:`set_language` sets it
for the current thread/context (a :class:`contextvars.ContextVar`), :func:`use` for a block.
Strings decided at import time (registry titles, option labels) are translated where they
are shown, ``_(table_title(name))``: their keys stay English.

Adding a string: wrap it in ``_()`` (or mark a constant with ``N_()``), run
``pybabel extract -F babel.cfg -o core/model/locales/messages.pot .`` then
``pybabel update -i core/model/locales/messages.pot -d core/model/locales``, and fill the
Korean msgstr in ``ko/LC_MESSAGES/messages.po``. ``tests/test_i18n.py`` fails while any
msgid lacks its Korean msgstr or a marked string is missing from the catalogue.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import lru_cache
from pathlib import Path

LOCALES = Path(__file__).with_name("locales")
DOMAIN = "messages"
LANGUAGES: tuple[str, ...] = ("ko", "en")
DEFAULT = "en"
NAMES = {"ko": "한국어", "en": "English"}  # each language in its own words (the selector)

_current: ContextVar[str] = ContextVar("ln_language", default=DEFAULT)


def normalise(code: str | None) -> str | None:
    """``"ko-KR"``, ``"ko_KR.UTF-8"``, ``"KO"`` → ``"ko"``; ``"en-GB"`` → ``"en"``; a language
    the app does not have (or nothing) → None."""
    if not code:
        return None
    base = str(code).strip().replace("_", "-").split("-")[0].split(".")[0].lower()
    return base if base in LANGUAGES else None


def language() -> str:
    """The language of the current session or command (``ko`` or ``en``)."""
    return _current.get()


def set_language(lang: str | None) -> str:
    """Make ``lang`` (any spelling :func:`normalise` reads; otherwise English) the current
    language; returns the one set."""
    chosen = normalise(lang) or DEFAULT
    _current.set(chosen)
    return chosen


@contextmanager
def use(lang: str | None) -> Iterator[str]:
    """The block runs in ``lang``; the previous language is back afterwards."""
    token = _current.set(normalise(lang) or DEFAULT)
    try:
        yield _current.get()
    finally:
        _current.reset(token)


@lru_cache(maxsize=len(LANGUAGES))
def catalogue(lang: str) -> dict[str, str]:
    """``{msgid: msgstr}`` of one language's ``.po`` (non-empty, non-fuzzy entries only)."""
    from babel.messages.pofile import read_po

    path = LOCALES / lang / "LC_MESSAGES" / f"{DOMAIN}.po"
    if not path.is_file():
        return {}
    with path.open("rb") as fh:
        cat = read_po(fh, locale=lang, domain=DOMAIN)
    return {
        str(m.id): str(m.string)
        for m in cat
        if m.id and isinstance(m.id, str) and isinstance(m.string, str) and m.string and not m.fuzzy
    }


def gettext(message: str, lang: str | None = None) -> str:
    """``message`` (an English msgid) in ``lang`` (default: the current language); the
    English itself when the catalogue has no translation."""
    return catalogue(normalise(lang) or language()).get(message, message)


def N_(message: str) -> str:  # noqa: N802 (the gettext convention)
    """Mark a constant for extraction without translating it (translate where shown)."""
    return message


_ = gettext

__all__ = [
    "DEFAULT",
    "LANGUAGES",
    "NAMES",
    "N_",
    "catalogue",
    "gettext",
    "language",
    "normalise",
    "set_language",
    "use",
]
