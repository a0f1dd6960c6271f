"""Static (PNG, SVG) and offline HTML export of plotly figures.

PNG and SVG are drawn by kaleido in a headless Chromium (Debian's ``chromium``; the
``BROWSER_PATH`` environment variable overrides the search). One browser is started
per process on first need (or ahead of it, :func:`warm_up`) and kept: the first image
takes ~2 s, later ones ~0.15 s. The browser has :data:`TABS` tabs (one per core, at most
4), so a batch of images (:func:`start_images`) draws that many at once. It runs on a
private event-loop thread, so any thread may ask for an image; a lock guards the start.
It is started with ``mathjax=False`` and the plotly.js bundled with the plotly package,
so rendering never touches the network; Chrome is never downloaded.

Why not ``kaleido.start_sync_server``: when its browser fails to start, the server thread
dies but the server still reports running and every later call blocks for ever. Here a
failed start and a render timeout both become :class:`ImagesUnavailable`.

HTML needs no browser: self-contained (plotly.js inlined, ~4.7 MB) by default, or pointing
at a shared ``plotly.min.js`` written beside the files (:func:`plotly_min_js`).
"""

from __future__ import annotations

import asyncio
import atexit
import contextvars
import os
import shutil
import struct
import threading
import zlib
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any

import plotly.graph_objects as go
from plotly.offline import get_plotlyjs

from core.model import i18n
from core.model.i18n import gettext as _
from core.report.figures.theme import DEFAULT_WIDTH

START_TIMEOUT_S = 60.0
RENDER_TIMEOUT_S = 120.0
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
HTML_CONFIG = {"displaylogo": False, "responsive": True}
TABS = max(1, min(os.cpu_count() or 1, 4))  # images drawn at once: one per core, at most 4
RELOAD_EVERY = 25  # PNGs a tab draws before its page (and plotly.js) is loaded afresh


class ImagesUnavailable(RuntimeError):
    """Static images cannot be drawn here (no Chromium, or it failed); the message says why
    in one sentence a user can act on. CSV, XLSX and HTML downloads still work."""


def browser_path() -> str | None:
    """The Chromium kaleido will use: ``BROWSER_PATH`` if set, else one on PATH or in the
    usual places; None when there is none. Never downloads anything."""
    override = os.environ.get("BROWSER_PATH")
    if override:
        return override if os.path.isfile(override) and os.access(override, os.X_OK) else None
    try:
        from choreographer.browsers.chromium import Chromium

        found = Chromium.find_browser(skip_local=False)
    except Exception:  # noqa: BLE001 - a broken install simply means "no images"
        found = None
    return found or shutil.which("chromium") or shutil.which("chromium-browser")


_FORMAT: contextvars.ContextVar[str | None] = contextvars.ContextVar("image_format", default=None)


def _kaleido_class() -> type:
    """kaleido's ``Kaleido`` loading a tab's page afresh only when it must.

    kaleido 1.5 reloads the page (parsing plotly.js again, ~0.3 s of CPU) after every image,
    before handing the image back; that was three quarters of a report's drawing time. A
    PNG is the same bytes on a page that drew other figures before (``tests/test_images.py``);
    an SVG is not (plotly writes some attributes in another order), so a used tab is
    reloaded before an SVG, and before a PNG after :data:`RELOAD_EVERY` images. A failed
    render discards the whole browser (:func:`_discard`).
    """
    import kaleido

    class _Kaleido(kaleido.Kaleido):
        async def _render_task(self, fig_arg: Any, **kw: Any) -> Any:
            _FORMAT.set((fig_arg.get("opts") or {}).get("format"))  # this task's image
            return await super()._render_task(fig_arg=fig_arg, **kw)

        async def _get_kaleido_tab(self) -> Any:
            tab = await super()._get_kaleido_tab()
            used = self.__dict__.setdefault("_images_since_load", {})
            n = used.get(id(tab), 0)
            if n and (_FORMAT.get() != "png" or n >= RELOAD_EVERY):
                await tab.reload()
                n = 0
            used[id(tab)] = n + 1
            return tab

        async def _return_kaleido_tab(self, tab: Any) -> None:
            await self.tabs_ready.put(tab)  # no reload here: see _get_kaleido_tab

    return _Kaleido


class _Renderer:
    """One kaleido browser on its own event-loop thread."""

    def __init__(self, path: str) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, name="kaleido-renderer", daemon=True
        )
        self._thread.start()
        try:
            self._kaleido = _kaleido_class()(
                n=TABS, mathjax=False, timeout=RENDER_TIMEOUT_S, path=path
            )
            self._call(self._kaleido.open(), START_TIMEOUT_S)
        except BaseException:
            self._loop.call_soon_threadsafe(self._loop.stop)
            raise

    def _call(self, coro: Any, timeout: float) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(timeout=timeout)

    def render(self, fig: dict, opts: dict) -> bytes:
        return self.submit(fig, opts).result(timeout=RENDER_TIMEOUT_S)

    def submit(self, fig: dict, opts: dict, lang: str | None = None) -> Future:
        """Start drawing one image on the next free tab; the future gives its bytes. The
        renderer's thread draws it under ``lang`` (default: the caller's language): the
        language is a context variable, which the event-loop thread does not inherit."""
        lang = lang or i18n.language()

        async def job() -> Any:
            with i18n.use(lang):
                return await self._kaleido.calc_fig(fig, opts=opts)

        return asyncio.run_coroutine_threadsafe(job(), self._loop)

    def close(self) -> None:
        try:
            self._call(self._kaleido.close(), 10)
        except Exception:  # noqa: BLE001 - closing at exit is best effort
            pass
        self._loop.call_soon_threadsafe(self._loop.stop)


_lock = threading.Lock()
_renderer: _Renderer | None = None
_failure: tuple[str, str] | None = None  # (browser path, error type) of a failed start


def _failure_text(path: str, error: str) -> str:
    return _(
        "The Chromium browser at {path} could not be started to draw images ({error}); "
        "tables and HTML charts still download."
    ).format(path=path, error=error)


def images_available() -> bool:
    """True when a Chromium is installed and has not failed to start in this process.

    Cheap: looks for the browser without starting it.
    """
    return _failure is None and browser_path() is not None


def _get_renderer() -> _Renderer:
    global _renderer, _failure
    with _lock:
        if _renderer is not None:
            return _renderer
        if _failure is not None:
            raise ImagesUnavailable(_failure_text(*_failure))
        path = browser_path()
        if path is None:
            raise ImagesUnavailable(_(
                "PNG and SVG images need the Chromium browser, which is not installed on "
                "this computer; tables and the interactive HTML charts still download."
            ))
        try:
            _renderer = _Renderer(path)
        except (Exception, FutureTimeout) as exc:  # noqa: BLE001
            _failure = (path, type(exc).__name__)
            raise ImagesUnavailable(_failure_text(*_failure)) from exc
        atexit.register(_renderer.close)
        return _renderer


def warm_up() -> None:
    """Start the browser in the background if it is not running yet, so the first image
    asked for later does not wait for it (~2 s). Returns at once; never raises: a browser
    that cannot start is reported by the first image, as without the warm-up."""
    if _renderer is not None or _failure is not None or browser_path() is None:
        return

    def start() -> None:
        try:
            _get_renderer()
        except (ImagesUnavailable, FutureTimeout):  # said again by the first image asked for
            pass

    threading.Thread(target=start, name="kaleido-warm-up", daemon=True).start()


def _discard(renderer: _Renderer) -> None:
    """Forget a renderer that failed, closing its browser in the background (once)."""
    global _renderer
    with _lock:
        if _renderer is not renderer:
            return
        _renderer = None
    threading.Thread(target=renderer.close, daemon=True).start()


class PendingImage:
    """One image being drawn on a tab of the shared browser; :meth:`result` waits for it."""

    def __init__(self, renderer: _Renderer, future: Future, dpi: float | None,
                 lang: str | None = None) -> None:  # fmt: skip
        self._renderer, self._future, self._dpi = renderer, future, dpi
        self._lang = lang or i18n.language()  # messages in the language it was asked in

    def done(self) -> bool:
        """True once the image is drawn (or failed): :meth:`result` will not wait."""
        return self._future.done()

    def result(self) -> bytes:
        """The image's bytes (PNG with its pHYs resolution, or SVG text as UTF-8).

        Raises
        ------
        ImagesUnavailable
            The render failed or took longer than ``RENDER_TIMEOUT_S``; the browser is
            replaced for the next image.
        """
        try:
            data = self._future.result(timeout=RENDER_TIMEOUT_S)
        except Exception as exc:  # noqa: BLE001 - timeout, crashed browser, plotly.js error
            _discard(self._renderer)  # the next image starts a fresh browser
            if isinstance(exc, FutureTimeout):
                raise ImagesUnavailable(
                    _("Drawing the image took too long and was stopped.", self._lang)
                ) from exc
            raise ImagesUnavailable(
                _("The image could not be drawn ({error}); tables and HTML charts still "
                  "download.", self._lang).format(error=type(exc).__name__)
            ) from exc
        data = data if isinstance(data, bytes) else str(data).encode("utf-8")
        return data if self._dpi is None else _with_dpi(data, self._dpi)


def _start(
    fig: go.Figure, fmt: str, width: int | None, height: int | None, scale: float,
    dpi: float | None,
) -> PendingImage:  # fmt: skip
    layout = fig.layout
    opts = {
        "format": fmt,
        "width": int(width or layout.width or DEFAULT_WIDTH),
        "height": int(height or layout.height or 600),
        "scale": scale,
    }
    renderer = _get_renderer()
    lang = i18n.language()
    return PendingImage(renderer, renderer.submit(fig.to_dict(), opts), dpi, lang)



def start_png(
    fig: go.Figure, width: int | None = None, height: int | None = None, scale: float = 3,
    dpi: float = 300,
) -> PendingImage:  # fmt: skip
    """Start drawing :func:`to_png`'s image and return at once; many started together are
    drawn :data:`TABS` at a time. Raises :class:`ImagesUnavailable` when there is no
    browser; a failed render raises it from :meth:`PendingImage.result`."""
    return _start(fig, "png", width, height, scale, dpi)


def start_svg(fig: go.Figure, width: int | None = None, height: int | None = None) -> PendingImage:
    """Start drawing :func:`to_svg`'s image and return at once, as :func:`start_png`."""
    return _start(fig, "svg", width, height, 1, None)


def _with_dpi(png: bytes, dpi: float) -> bytes:
    """Insert a pHYs chunk so Word and journals read the intended resolution."""
    if not png.startswith(PNG_SIGNATURE) or b"pHYs" in png[:64]:
        return png
    ppm = round(dpi / 0.0254)
    body = b"pHYs" + struct.pack(">IIB", ppm, ppm, 1)
    chunk = struct.pack(">I", 9) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)
    ihdr_end = 8 + 8 + 13 + 4  # signature + IHDR length/type + data + CRC
    return png[:ihdr_end] + chunk + png[ihdr_end:]


def to_png(
    fig: go.Figure,
    width: int | None = None,
    height: int | None = None,
    scale: float = 3,
    dpi: float = 300,
) -> bytes:
    """PNG bytes of ``fig``: ``width``/``height`` in layout px (default: the figure's own,
    else 1000 × 600), ``scale`` 3 gives ≥ 300 dpi printed at column width; ``dpi`` is
    written in the file's pHYs chunk.

    Raises
    ------
    ImagesUnavailable
        No Chromium, or it could not start or render.
    """
    return start_png(fig, width, height, scale, dpi).result()


def to_svg(fig: go.Figure, width: int | None = None, height: int | None = None) -> bytes:
    """SVG bytes (UTF-8) of ``fig``; raises :class:`ImagesUnavailable` as :func:`to_png`."""
    return start_svg(fig, width, height).result()


def to_html(fig: go.Figure, include_plotlyjs: bool | str = True) -> str:
    """A complete HTML page of the interactive ``fig`` that works offline.

    ``include_plotlyjs=True`` inlines plotly.js (self-contained, ~4.7 MB); a string ending
    in ``.js`` (e.g. ``"plotly.min.js"``) is used as the script's relative ``src`` so many
    pages share one copy written with :func:`plotly_min_js`. CDN loading is refused.
    """
    if include_plotlyjs is not True and not (
        isinstance(include_plotlyjs, str)
        and include_plotlyjs.endswith(".js")
        and "://" not in include_plotlyjs
        and not include_plotlyjs.startswith("//")
    ):
        raise ValueError("include_plotlyjs must be True or a relative path to plotly.min.js.")
    return fig.to_html(
        include_plotlyjs=include_plotlyjs,
        include_mathjax=False,
        full_html=True,
        config=HTML_CONFIG,
    )


def plotly_min_js() -> str:
    """The plotly.js bundled with the installed plotly package (no network)."""
    return get_plotlyjs()
