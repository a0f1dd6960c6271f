"""Figure rendering for exports, over :mod:`core.report.images` (one Chromium per process, no
MathJax, no CDN). PNGs are rendered for print: ``JOURNAL_WIDTH_PX`` wide at 300 dpi
(7 inches, a two-column journal page)."""

from __future__ import annotations

import html

import plotly.graph_objects as go

from core.report import images
from core.report.figures.theme import DEFAULT_WIDTH
from core.report.images import images_available, plotly_min_js

__all__ = [
    "JOURNAL_WIDTH_PX",
    "figure_div",
    "figure_page",
    "images_available",
    "is_unavailable_error",
    "plotly_min_js",
    "png_scale",
    "start_png",
    "start_svg",
    "to_png",
    "to_svg",
]

DPI = 300
JOURNAL_WIDTH_IN = 7.0
JOURNAL_WIDTH_PX = int(DPI * JOURNAL_WIDTH_IN)  # 2100 px
_CONFIG = {"displaylogo": False, "responsive": True}


def png_scale(fig: go.Figure) -> float:
    """Scale factor that makes the figure ``JOURNAL_WIDTH_PX`` pixels wide (~300 dpi at 7 in),
    whatever its layout width (the figure's own, else the figures' default export width)."""
    return JOURNAL_WIDTH_PX / float(fig.layout.width or DEFAULT_WIDTH)


def is_unavailable_error(exc: BaseException) -> bool:
    """True for the renderer's "no Chromium / could not start" error."""
    return isinstance(exc, images.ImagesUnavailable)


def start_png(fig: go.Figure) -> images.PendingImage:
    """Start drawing :func:`to_png`'s image; many started together are drawn in parallel
    (``images.TABS`` at a time). Raises ``ImagesUnavailable`` when there is no browser."""
    return images.start_png(fig, scale=png_scale(fig), dpi=DPI)


def start_svg(fig: go.Figure) -> images.PendingImage:
    """Start drawing :func:`to_svg`'s image, as :func:`start_png`."""
    return images.start_svg(fig)


def to_png(fig: go.Figure) -> bytes:
    """PNG bytes for print (~300 dpi at journal width)."""
    return start_png(fig).result()


def to_svg(fig: go.Figure) -> bytes:
    """SVG bytes (vector; text stays text)."""
    return start_svg(fig).result()


def figure_div(fig: go.Figure) -> str:
    """The figure as a ``<div>`` + ``<script>`` fragment that expects plotly.js loaded already."""
    return fig.to_html(full_html=False, include_plotlyjs=False, config=_CONFIG)


def figure_page(fig: go.Figure, title: str) -> str:
    """A standalone page that loads ``plotly.min.js`` from the same folder (relative src)."""
    page = images.to_html(fig, include_plotlyjs="plotly.min.js")
    return page.replace("<head>", f"<head>\n    <title>{html.escape(title)}</title>", 1)
