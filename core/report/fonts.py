"""Is there a Korean font for image export?

PNG and SVG are drawn by kaleido in Chromium, which finds its fonts through fontconfig: a
Hangul character without a Korean-capable font installed becomes an empty box ("tofu").
``fc-list :lang=ko`` lists the fonts fontconfig offers for Korean (Debian's fonts-nanum
gives NanumGothic; ``deploy/install.sh`` and ``make run`` install or check it). The app's
Report page and the CLI call :func:`korean_font_warning` and say so when figures would
carry Korean text but no such font is there.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Iterable
from functools import lru_cache

HANGUL = re.compile("[\u1100-\u11ff\u3130-\u318f\uac00-\ud7a3]")


@lru_cache(maxsize=1)
def korean_fonts() -> tuple[str, ...]:
    """Family names fontconfig offers for Korean (empty: none, or no fontconfig)."""
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        return ()
    try:
        done = subprocess.run(
            [fc_list, ":lang=ko", "family"], capture_output=True, text=True, timeout=20
        )
    except (OSError, subprocess.SubprocessError):
        return ()
    if done.returncode != 0:
        return ()
    return tuple(sorted({line.split(",")[0].strip() for line in done.stdout.splitlines()} - {""}))


def korean_font_available() -> bool:
    return bool(korean_fonts())


def has_korean(texts: Iterable[object]) -> bool:
    """True when any of ``texts`` holds a Hangul character."""
    return any(HANGUL.search(str(t)) for t in texts if t is not None)


def korean_font_warning(texts: Iterable[object], lang: str | None = None) -> str | None:
    """A sentence for the user when figures would carry Korean (any of ``texts``, e.g. group
    names, or the interface language ``ko``) but no Korean font is installed; else None."""
    from core.model.i18n import gettext as _

    korean = lang == "ko" or has_korean(texts)
    if not korean or korean_font_available():
        return None
    return _(
        "No Korean font is installed on this server: Korean text in PNG and SVG figures "
        "(group names, labels) will show as empty boxes. Install one (Debian: apt-get install "
        "fonts-nanum, or run deploy/install.sh --system) and restart the app; the interactive "
        "HTML figures are not affected."
    )


__all__ = ["HANGUL", "has_korean", "korean_font_available", "korean_font_warning", "korean_fonts"]
