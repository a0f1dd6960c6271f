"""ISN/RPS lupus-nephritis class texts normalised to `I`…`VI`, `III+V`, `IV+V` (clinical-rules §4).

Arabic, Roman and Unicode numerals (`4`, `IV`, `Ⅳ`), prefixes (`class`, `WHO`, `LN`, `형`),
subclasses and activity (`IV-G (A)`, `III (A/C)`) and combinations in any order and separator
(`V+IV`, `IV/V`, `4+5`) are recognised; the original text stays in ``isn_class_detail``.
"""

from __future__ import annotations

import re
import unicodedata

import numpy as np
import pandas as pd

from core.ingest.validation import by_unique, strip_text
from core.model.i18n import gettext as _

_ROMAN = {"I": 1, "V": 5, "X": 10, "L": 50}
_NAMES = {1: "I", 2: "II", 3: "III", 4: "IV", 5: "V", 6: "VI"}
_PREFIX = re.compile(
    r"^(?:ISN\s*/\s*RPS|ISN|RPS|WHO|LUPUS\s+NEPHRITIS|LN|CLASS|TYPE|GRADE|병리|조직형|분류)"
    r"[\s:.\-]*"
)
# One part: a numeral, then optional subclass (G/S, segmental/global) and activity letters.
_PART = re.compile(
    r"^(?P<num>[IVXL]+|\d+)\s*(?:형)?\s*(?:[-\s]*(?:[GS]|SEGMENTAL|GLOBAL))?"
    r"(?:[\s\-]*(?:AC|A|C))?\s*(?:형)?$"
)


def _roman_value(s: str) -> int | None:
    total, prev = 0, 0
    for ch in reversed(s):
        v = _ROMAN.get(ch)
        if v is None:
            return None
        total = total - v if v < prev else total + v
        prev = max(prev, v)
    return total


def normalise_class(text: object) -> tuple[str | None, str | None]:
    """``(class, problem)`` for one class text.

    ``class`` is the normalised label or None; ``problem`` is None when the text was
    understood (or empty), otherwise a sentence for the clinician.

    >>> normalise_class("IV-G (A) + V")
    ('IV+V', None)
    """
    if text is None or (isinstance(text, float) and np.isnan(text)):
        return None, None
    raw = str(text).strip()
    if not raw:
        return None, None
    s = unicodedata.normalize("NFKC", raw).upper()
    s = re.sub(r"\([^)]*\)|\[[^\]]*\]", " ", s)  # activity in brackets: (A), (A/C)
    s = re.sub(r"\bA\s*/\s*C\b", " AC ", s)
    s = s.replace("AND", "+").replace("및", "+").replace("&", "+").replace(",", "+")
    numbers: list[int] = []
    for part in re.split(r"[+/]", s):
        p = part.strip()
        for _pass in range(3):
            p = _PREFIX.sub("", p).strip()
        if not p:
            continue
        m = _PART.match(p)
        if not m:
            return None, _("'{raw}' is not an ISN/RPS class (expected III, IV, V, III+V, IV+V …).").format(raw=raw)
        num = m.group("num")
        n = int(num) if num.isdigit() else _roman_value(num)
        if n is None or not 1 <= n <= 6:
            return None, _("'{raw}' is not an ISN/RPS class: classes run from I to VI.").format(raw=raw)
        numbers.append(n)
    found = sorted(set(numbers))
    if not found:
        return None, _("'{raw}' is not an ISN/RPS class (expected III, IV, V, III+V, IV+V …).").format(raw=raw)
    if len(found) == 1:
        return _NAMES[found[0]], None
    if found in ([3, 5], [4, 5]):
        return f"{_NAMES[found[0]]}+V", None
    return None, _("'{raw}' combines classes that ISN/RPS does not combine (only III+V, IV+V).").format(raw=raw)


def normalise_classes(texts: pd.Series) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Vectorised :func:`normalise_class` (one call per distinct text).

    Returns ``(isn_class, isn_class_detail, problem)``, aligned with ``texts``; detail is
    the original text (stripped), problem the sentence for unreadable texts, else None.
    """
    detail = strip_text(texts)
    cls = by_unique(detail, lambda u: [normalise_class(v)[0] for v in u])
    problem = by_unique(detail, lambda u: [normalise_class(v)[1] for v in u])
    return cls, detail, problem
