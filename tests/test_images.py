"""Static and HTML export (core.report.images). PNG/SVG need Debian's chromium: skipped without it.

One kaleido browser serves the whole module (startup ~2 s), so image tests stay few.
"""

from __future__ import annotations

import re
import struct
import threading
import xml.etree.ElementTree as ET
import zlib
from concurrent.futures import Future

import plotly.graph_objects as go
import pytest

from core.report import images
from core.report.figures import theme

needs_chromium = pytest.mark.skipif(not images.images_available(), reason="Chromium not installed")


def small_figure(title: str = "Renal response") -> go.Figure:
    fig = go.Figure(go.Bar(x=["refractory", "relapse"], y=[36.96, 75.68]))
    return theme.journal_layout(fig, title=title, height=300)


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == images.PNG_SIGNATURE
    return struct.unpack(">II", data[16:24])


def png_dpi(data: bytes) -> float:
    i = data.index(b"pHYs")
    ppm_x, _, unit = struct.unpack(">IIB", data[i + 4 : i + 13])
    assert unit == 1
    return ppm_x * 0.0254


@needs_chromium
def test_png_has_requested_size_and_300_dpi():
    data = images.to_png(small_figure(), width=600, height=300, scale=3)
    assert png_size(data) == (1800, 900)
    assert png_dpi(data) == pytest.approx(300, abs=0.1)
    i = data.index(b"pHYs")  # the inserted chunk carries a valid CRC
    (crc,) = struct.unpack(">I", data[i + 13 : i + 17])
    assert crc == zlib.crc32(data[i : i + 13]) & 0xFFFFFFFF
    PIL = pytest.importorskip("PIL.Image")
    import io

    with PIL.open(io.BytesIO(data)) as im:
        im.load()
        assert im.size == (1800, 900)
        assert round(im.info["dpi"][0]) == 300


@needs_chromium
def test_svg_parses_and_keeps_the_text():
    data = images.to_svg(small_figure("Overall response"))
    root = ET.fromstring(data)
    assert root.tag.endswith("svg")
    assert "Overall response" in data.decode("utf-8")


@needs_chromium
def test_hangul_labels_render_as_glyphs_not_boxes():
    """Two different Hangul titles must draw differently: missing-glyph boxes ('tofu')
    would look the same for strings of the same length (needs fonts-nanum)."""

    def title_pixels(text: str) -> bytes:
        fig = go.Figure()
        theme.journal_layout(fig, title=text, height=120)
        fig.update_xaxes(visible=False)
        fig.update_yaxes(visible=False)
        return images.to_png(fig, width=300, height=120, scale=1)

    # Same length, no spaces: with missing glyphs both would be six identical boxes
    # (checked: with fonts-nanum hidden from fontconfig the two PNGs are byte-identical).
    a, b = title_pixels("불응성재발성"), title_pixels("완전관해부분")
    assert png_size(a) == (300, 120)
    assert a != b


@needs_chromium
def test_renderer_is_shared_by_threads():
    out: list[bytes] = []

    def work() -> None:
        out.append(images.to_png(small_figure(), width=200, height=150, scale=1))

    threads = [threading.Thread(target=work) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert len(out) == 3 and all(png_size(d) == (200, 150) for d in out)


def test_without_chromium_images_unavailable_says_so(monkeypatch):
    monkeypatch.setattr(images, "browser_path", lambda: None)
    monkeypatch.setattr(images, "_renderer", None)
    assert images.images_available() is False
    with pytest.raises(images.ImagesUnavailable, match="Chromium"):
        images.to_png(small_figure())


def test_missing_browser_path_override_is_not_found(monkeypatch):
    monkeypatch.setenv("BROWSER_PATH", "/nonexistent/chromium")
    assert images.browser_path() is None


def test_html_is_self_contained_offline():
    html = images.to_html(small_figure())
    js = images.plotly_min_js()
    assert js in html and len(js) > 1_000_000
    page = html.replace(js, "")  # what is left must not load anything from outside
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page)
    assert "<script src" not in page


def test_html_can_share_one_plotly_js():
    html = images.to_html(small_figure(), include_plotlyjs="plotly.min.js")
    assert '<script charset="utf-8" src="plotly.min.js"></script>' in html
    assert len(html) < 100_000
    with pytest.raises(ValueError):
        images.to_html(small_figure(), include_plotlyjs="cdn")
    with pytest.raises(ValueError):
        images.to_html(small_figure(), include_plotlyjs="https://cdn.plot.ly/plotly.min.js")


def test_a_failed_render_is_reported_and_the_browser_replaced(monkeypatch):
    class CrashedRenderer:
        closed = False

        def submit(self, fig: dict, opts: dict) -> Future:
            failed: Future = Future()
            failed.set_exception(RuntimeError("browser went away"))
            return failed

        def close(self) -> None:
            CrashedRenderer.closed = True

    monkeypatch.setattr(images, "_renderer", CrashedRenderer())
    with pytest.raises(images.ImagesUnavailable, match="could not be drawn"):
        images.to_png(small_figure())
    assert images._renderer is None  # the next image starts a fresh browser


@needs_chromium
def test_images_drawn_in_a_batch_equal_images_drawn_alone():
    """Tabs are not reloaded after every image (images.RELOAD_EVERY): an image drawn after
    others, and many drawn at once on several tabs, are the bytes of one drawn first."""
    first = images.to_png(small_figure("Renal response"), width=300, height=200, scale=1)
    others = [images.start_png(small_figure(f"Figure {k}"), width=300, height=200, scale=1)
              for k in range(2 * images.TABS)]  # fmt: skip
    again = [images.start_png(small_figure("Renal response"), width=300, height=200, scale=1)
             for _ in range(images.TABS)]  # fmt: skip
    assert all(png_size(p.result()) == (300, 200) for p in others)
    assert all(p.result() == first for p in again)


@needs_chromium
def test_svg_drawn_after_others_equals_svg_drawn_first():
    """A used tab is reloaded before an SVG, so plotly's attribute order (and the bytes,
    but for the figure's random ids) is that of a fresh page."""
    legend = go.Figure([go.Scatter(x=[0, 1], y=[1, 0], name="refractory"),
                        go.Scatter(x=[0, 1], y=[0, 1], name="relapse")])  # fmt: skip
    theme.journal_layout(legend, title="Time to response", height=300)

    def ids_blanked(svg: bytes) -> bytes:
        for uid in set(re.findall(rb"defs-([0-9a-f]{6})", svg)):
            svg = svg.replace(uid, b"")
        return re.sub(rb"trace[0-9a-f]{6}", b"trace", svg)

    images.to_png(small_figure(), width=300, height=200, scale=1)  # the tab is used now
    first = ids_blanked(images.to_svg(legend))
    for k in range(2 * images.TABS):
        images.to_png(legend, width=300 + k, height=200, scale=1)
    assert ids_blanked(images.to_svg(legend)) == first
