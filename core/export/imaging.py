"""Figure rendering for exports: a thin adapter over ``core.images`` (helper "figures").

When ``core.images`` is importable its ``to_png``/``to_svg``/``plotly_min_js``/
``images_available`` are used; otherwise plotly's own writers (kaleido with one server per
process, MathJax off so nothing is fetched from a CDN). PNGs are rendered for print: a figure
``JOURNAL_WIDTH_PX`` wide at 300 dpi (7 inches, a two-column journal page).
"""

from __future__ import annotations

import html
import inspect
import os
import shutil
import threading
from typing import Any

import plotly.graph_objects as go
import plotly.io as pio
import plotly.offline

DPI = 300
JOURNAL_WIDTH_IN = 7.0
JOURNAL_WIDTH_PX = int(DPI * JOURNAL_WIDTH_IN)  # 2100 px
DEFAULT_FIG_WIDTH = 700  # plotly's default layout width

_server_lock = threading.Lock()
_server_started = False


def _images_module() -> Any | None:
    try:
        from core import images  # type: ignore[attr-defined]
    except ImportError:
        return None
    return images


def images_available() -> bool:
    """True when static images (PNG/SVG) can be rendered here (kaleido + a Chromium)."""
    mod = _images_module()
    if mod is not None and hasattr(mod, "images_available"):
        return bool(mod.images_available())
    try:
        import kaleido  # noqa: F401
    except ImportError:
        return False
    browser = os.environ.get("BROWSER_PATH")
    if browser and os.path.exists(browser):
        return True
    return any(shutil.which(name) for name in ("chromium", "chromium-browser", "google-chrome"))


def _ensure_server() -> None:
    """Start kaleido's sync server once (0.15 s per image instead of ~2 s; no MathJax CDN)."""
    global _server_started
    with _server_lock:
        if not _server_started:
            import kaleido

            kaleido.start_sync_server(mathjax=False, silence_warnings=True)
            _server_started = True


def _default_width() -> int:
    try:
        from core.figures.theme import DEFAULT_WIDTH
    except ImportError:
        return DEFAULT_FIG_WIDTH
    return int(DEFAULT_WIDTH)


def png_scale(fig: go.Figure) -> float:
    """Scale factor that makes the figure ``JOURNAL_WIDTH_PX`` pixels wide (~300 dpi at 7 in),
    whatever its layout width (the figure's own, else the figures' default export width)."""
    width = fig.layout.width or _default_width()
    return JOURNAL_WIDTH_PX / float(width)


def is_unavailable_error(exc: BaseException) -> bool:
    """True for the renderer's "no Chromium / could not start" error (``ImagesUnavailable``)."""
    return type(exc).__name__ == "ImagesUnavailable"


def _call(func: Any, fig: go.Figure, **kw: Any) -> bytes:
    params = inspect.signature(func).parameters
    accepted = {
        k: v
        for k, v in kw.items()
        if k in params or any(p.kind == p.VAR_KEYWORD for p in params.values())
    }
    return func(fig, **accepted)


def to_png(fig: go.Figure) -> bytes:
    """PNG bytes for print (~300 dpi at journal width)."""
    mod = _images_module()
    if mod is not None and hasattr(mod, "to_png"):
        return _call(mod.to_png, fig, scale=png_scale(fig))
    _ensure_server()
    return pio.to_image(fig, format="png", scale=png_scale(fig))


def to_svg(fig: go.Figure) -> bytes:
    """SVG bytes (vector; text stays text)."""
    mod = _images_module()
    if mod is not None and hasattr(mod, "to_svg"):
        return mod.to_svg(fig)
    _ensure_server()
    return pio.to_image(fig, format="svg")


def plotly_min_js() -> str:
    """The plotly.js bundle shipped with the installed plotly (no network)."""
    mod = _images_module()
    if mod is not None and hasattr(mod, "plotly_min_js"):
        return mod.plotly_min_js()
    return plotly.offline.get_plotlyjs()


def figure_div(fig: go.Figure) -> str:
    """The figure as a ``<div>`` + ``<script>`` fragment that expects plotly.js loaded already."""
    return fig.to_html(full_html=False, include_plotlyjs=False, config=_CONFIG)


def figure_page(fig: go.Figure, title: str) -> str:
    """A standalone page that loads ``plotly.min.js`` from the same folder (relative src)."""
    mod = _images_module()
    if mod is not None and hasattr(mod, "to_html"):
        page = mod.to_html(fig, include_plotlyjs="plotly.min.js")
    else:
        page = fig.to_html(full_html=True, include_plotlyjs="directory", config=_CONFIG)
    return page.replace("<head>", f"<head>\n    <title>{html.escape(title)}</title>", 1)


_CONFIG = {"displaylogo": False, "responsive": True}
