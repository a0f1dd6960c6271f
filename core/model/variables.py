"""Which pass-through columns are variables: free text is never a baseline variable or a filter.

A clinician's export often carries a notes column (``비고``, ``comment``, a sentence per
patient). Tabulating it gives a categorical row per sentence and a meaningless Fisher p; as a
filter it offers one tick box per sentence. :func:`is_free_text` is the one rule (data-contract
§2, pass-through columns) that Table 1 and the sidebar filters share.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

# A text column is free text when any of these holds (documented in data-contract §2):
FREE_TEXT_HEADER = re.compile(
    r"(?<![a-z])(notes?|comments?|remarks?|memos?|free[ _-]?text|annotations?)(?![a-z])"
    r"|비고|메모|특이\s*사항|코멘트",
    re.IGNORECASE,
)  # 1. the header names notes
FREE_TEXT_MIN_N = 10  # 2. at least this many values, and
FREE_TEXT_DISTINCT = 0.5  # more than this share of them distinct non-numeric texts, or
FREE_TEXT_LENGTH = 30  # 3. the median text is longer than this many characters


def is_free_text(name: object, values: pd.Series) -> bool:
    """True when a pass-through column holds free text, not categories.

    A numeric (or boolean, or date) column never is. A text column is free text when its
    header names notes (``note``, ``comment``, ``remark``, ``memo``, ``비고``, ``메모``,
    ``특이사항``), or when it has at least ``FREE_TEXT_MIN_N`` values of which more than
    half are distinct non-numeric texts, or when its median text is longer than
    ``FREE_TEXT_LENGTH`` characters.
    """
    if (pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values)
            or pd.api.types.is_datetime64_any_dtype(values)):
        return False
    if FREE_TEXT_HEADER.search(str(name)):
        return True
    text = values.dropna().astype(str).str.strip()
    text = text[text != ""]
    if text.empty:
        return False
    if float(np.median(text.str.len().to_numpy())) > FREE_TEXT_LENGTH:
        return True
    if len(text) < FREE_TEXT_MIN_N:
        return False
    numeric = pd.to_numeric(text.str.replace(",", ".", regex=False), errors="coerce").notna()
    return text[~numeric].nunique() > FREE_TEXT_DISTINCT * len(text)


def free_text_columns(frame: pd.DataFrame, skip: set[str] | frozenset[str] = frozenset()) -> list[str]:
    """The columns of ``frame`` (except ``skip`` and ``_``-prefixed ones) that hold free text."""
    return [c for c in frame.columns
            if c not in skip and not str(c).startswith("_") and is_free_text(c, frame[c])]
