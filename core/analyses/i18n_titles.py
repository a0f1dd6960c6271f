"""The English strings the screen translates at display time, for Babel extraction.

Registry titles (tables and figures), the event names and the canonical fields' labels are
defined as plain English constants (their keys stay English) and translated where shown,
``_(table_title(name))``. Babel cannot see them as ``_()`` calls, so ``babel.cfg`` runs
:func:`extract` on ``core/analyses/registry.py``: it yields every one of them as a msgid.
"""

from __future__ import annotations

from collections.abc import Iterator


def display_strings() -> list[str]:
    """Every registry title, event name and field label, once each, in registry order."""
    from core.analyses.registry import FIGURES, TABLES
    from core.model.schema import LABELS
    from core.model.vocabulary import EVENT_SHORT

    out = [spec.title for spec in TABLES.values()]
    out += [ref.title for _page, ref in FIGURES.values()]
    out += list(EVENT_SHORT.values()) + list(LABELS.values())
    return list(dict.fromkeys(s for s in out if s))


def extract(fileobj, keywords, comment_tags, options) -> Iterator[tuple]:
    """Babel extraction method (``[core.analyses.i18n_titles.extract: core/analyses/registry.py]``
    in ``babel.cfg``): ``(lineno, funcname, message, comments)`` per display-time string."""
    for text in display_strings():
        yield 0, "_", text, ["Shown at display time (registry title, event or field label)."]
