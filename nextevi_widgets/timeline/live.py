"""``EmotionPlot``: a live emotion timeline widget.

By default (``renderer="browser"``, line style) the browser draws the plot itself
(``js/plot/``): each update sends the visible data, reduced to screen resolution, as binary
buffers (:mod:`.canvas_frame`), so a live plot costs the kernel well under a millisecond per
update. The display bundle and :meth:`EmotionPlot.render` still draw with matplotlib.

With ``renderer="png"`` (and for the area and heatmap styles) matplotlib renders in the
kernel, never on the event loop: each redraw snapshots the timeline on the loop, draws it with
Agg on a private Figure in a one-thread executor (a :class:`LiveRenderer`: paged x axis, data
blitted onto the kept frame) and assigns the PNG to the ``image`` trait on the loop (the front
end shows it through a Blob URL). Redraws start at most ``max_fps`` times a second; changes
that arrive meanwhile coalesce into one pending redraw (in both modes).

With the ``%matplotlib widget`` (ipympl) backend active, the plot is an interactive ipympl
canvas instead (zoom and pan); ipympl's canvas must be drawn on the kernel thread, so that mode
draws on the loop at the same capped rate.

Saved and exported notebooks: the display bundle carries a static PNG beside the widget view,
under a display id. :meth:`EmotionPlot.snapshot` (called by itself when the followed session
ends) redraws that PNG from the data and updates every display of the plot, so a notebook
executed headless (nbclient, no front end) or exported shows the data, not the empty axes drawn
when the cell ran.
"""

from __future__ import annotations

import asyncio
import base64
import html
import logging
import statistics
import time
import uuid
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import anywidget
import traitlets

from .._comm import PlotBrowserMessage
from .._comm_validate import CommMessageError, UnionValidator, validator
from .canvas_frame import build_frame
from .core import EmotionTimeline
from .paging import AxisPager
from .render import LiveRenderer, PngRenderer, RenderResult

if TYPE_CHECKING:
    from ..session import VoiceSession

__all__ = ["EmotionPlot"]

logger = logging.getLogger(__name__)

_STATIC = Path(__file__).resolve().parent.parent / "static"
_TIMINGS_KEPT = 500
_PLOT_MESSAGES: UnionValidator[PlotBrowserMessage] = validator("PlotBrowserMessage")


def _ipympl_active() -> bool:
    import matplotlib

    backend = str(matplotlib.get_backend()).lower()
    return "ipympl" in backend or backend.endswith("widget")


class EmotionPlot(anywidget.AnyWidget):
    """Live emotion timeline of a session (or of a timeline you feed), redrawn as data arrives.

    ``source`` is a :class:`~nextevi_widgets.session.VoiceSession`, a ``VoiceChat`` (its
    session is used) or an :class:`EmotionTimeline`. ``style`` is ``"line"``, ``"area"``
    (stacked) or ``"heatmap"``; ``window`` shows only the last ``window`` seconds; ``top`` keeps
    the ``top`` emotions by mean. ``interactive=None`` uses ipympl when ``%matplotlib widget``
    is active.

    ``renderer="browser"`` (the default) lets the browser draw the line style from data the
    kernel sends; ``"png"`` renders every update with matplotlib in the kernel (the area and
    heatmap styles always do).

    Saved notebooks keep a static copy: the display bundle also holds the PNG and the
    transcript (``image/png``, ``text/html``, ``text/plain``), shown when no kernel is there;
    :meth:`render` refreshes the ``image`` trait, which the saved widget state keeps.
    """

    _esm = _STATIC / "emotion_plot.js"

    image = traitlets.Bytes(b"").tag(sync=True)
    """The latest PNG (each update with ``renderer="png"``; at display and :meth:`render`
    otherwise)."""
    renderer = traitlets.Enum(("browser", "png"), default_value="browser").tag(sync=True)
    width = traitlets.Int(720).tag(sync=True)
    height = traitlets.Int(260).tag(sync=True)
    alt = traitlets.Unicode("Emotion timeline").tag(sync=True)
    style = traitlets.Enum(("line", "area", "heatmap"), default_value="line")
    max_fps = traitlets.Float(5.0, min=0.1)
    window = traitlets.Float(None, allow_none=True)
    top = traitlets.Int(None, allow_none=True)
    title = traitlets.Unicode("")
    theme = traitlets.Enum(("auto", "light", "dark"), default_value="auto")
    """Colours of kernel-rendered PNGs: ``auto`` follows the page (live) and stays light in
    the saved copy; ``dark`` draws light text on a transparent figure."""

    def __init__(
        self,
        source: VoiceSession | EmotionTimeline | Any,
        *,
        style: str = "line",
        max_fps: float = 5.0,
        window: float | None = None,
        top: int | None = None,
        width: int = 720,
        height: int = 260,
        title: str = "",
        interactive: bool | None = None,
        renderer: str = "browser",
        theme: str = "auto",
    ) -> None:
        super().__init__(
            theme=theme,
            renderer=renderer,
            style=style,
            max_fps=max_fps,
            window=window,
            top=top,
            width=width,
            height=height,
            title=title,
        )
        session = getattr(source, "session", source)
        if isinstance(source, EmotionTimeline):
            self.timeline, self.session = source, None
        elif hasattr(session, "on_event"):
            self.session = session
            self.timeline = EmotionTimeline.attach(cast("VoiceSession", session))
        else:
            raise TypeError("EmotionPlot needs a VoiceSession, a VoiceChat or an EmotionTimeline")
        self._interactive = _ipympl_active() if interactive is None else interactive
        self._renderer: LiveRenderer | None = None
        self._executor: ThreadPoolExecutor | None = None
        self._canvas_figure: Any = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._timer: asyncio.TimerHandle | None = None
        self._inflight = False
        self._pending = False
        self._dirty = True
        self._last_start = float("-inf")
        self._redraws = 0
        self._coalesced = 0
        self._blits = 0
        self._static_renders = 0
        self._static_png = b""
        """The saved copy (display bundle): drawn in the saved theme, which the live view's
        theme may differ from."""
        self._wall_ms: deque[float] = deque(maxlen=_TIMINGS_KEPT)
        self._cpu_ms: deque[float] = deque(maxlen=_TIMINGS_KEPT)
        self._pager = AxisPager()
        self._page_dark: bool | None = None
        self._display_id: str | None = None
        self._unsubscribe: Callable[[], None] = self.timeline.on_change(self._on_data)
        self.observe(
            self._on_option,
            names=["style", "window", "top", "title", "width", "height", "renderer", "theme"],
        )
        self.on_msg(self._on_front_end_msg)
        if self.session is not None and hasattr(self.session, "observe"):
            self.session.observe(self._on_session_state, names=["state"])

    # ------------------------------------------------------------------ scheduling

    def _on_option(self, _change: dict[str, Any]) -> None:
        self._on_data()  # a new size reaches the renderer in its own thread (_render)

    def _on_front_end_msg(self, _widget: Any, content: Any, _buffers: Any) -> None:
        try:
            msg = _PLOT_MESSAGES.validate(content)
        except CommMessageError as exc:
            # The plot has no error area in the kernel; the view keeps its last frame.
            logger.error("EmotionPlot: a message from the page was not used: %s", exc)
            return
        if msg["kind"] == "ready":
            self._on_data()  # a new view: send it the current frame
        elif msg["kind"] == "theme":
            dark = msg["dark"]
            changed, self._page_dark = dark != self._page_dark, dark
            if changed and not self._in_browser:
                self._on_data()  # kernel-rendered PNGs follow the page (the canvas does itself)

    def _on_session_state(self, change: dict[str, Any]) -> None:
        ended = change["new"] in ("disconnected", "error") and change["old"] != change["new"]
        if ended and self._display_id is not None:
            self.snapshot()

    def _live_theme(self) -> str:
        if self.theme != "auto":
            return str(self.theme)
        return "dark" if self._page_dark else "light"

    def _saved_theme(self) -> str:
        return "dark" if self.theme == "dark" else "light"

    @property
    def _in_browser(self) -> bool:
        return self.renderer == "browser" and self.style == "line" and not self._interactive

    def _on_data(self) -> None:
        """A change: redraw now, later (rate cap) or after the redraw in flight."""
        self._dirty = True
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return  # no loop: drawn on display or by render()
        self._loop = loop
        if self._inflight:
            self._coalesced += int(not self._pending)
            self._pending = True
            return
        if self._timer is not None:
            self._coalesced += 1
            return
        delay = self._last_start + 1.0 / self.max_fps - loop.time()
        if delay > 0:
            self._timer = loop.call_later(delay, self._start)
        else:
            self._start()

    def _start(self) -> None:
        self._timer = None
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        self._last_start = loop.time()
        self._dirty = False
        if self._in_browser:
            self._send_frame()
            return
        snapshot = self.timeline.snapshot()
        if self._interactive:
            self._draw_interactive(snapshot)
            return
        self._inflight = True
        future = loop.run_in_executor(self._worker(), self._render, snapshot)
        future.add_done_callback(self._finish)

    def _finish(self, future: asyncio.Future[RenderResult]) -> None:
        self._inflight = False
        if future.cancelled():
            return
        if future.exception() is not None:
            logger.error("EmotionPlot render failed", exc_info=future.exception())
        else:
            self._publish(future.result())
        if self._pending:
            self._pending = False
            self._on_data()

    def _publish(self, result: RenderResult, *, live: bool = True) -> None:
        if live:
            self._redraws += 1
            self._blits += int(result.blitted)
            self._wall_ms.append(result.wall_ms)
            self._cpu_ms.append(result.cpu_ms)
        else:
            self._static_renders += 1
        with self.hold_sync():  # one comm message for both
            self.alt = self._alt_text()
            self.image = result.png

    # ------------------------------------------------------------------ rendering

    def _send_frame(self) -> None:
        """Build the browser's frame on the loop (cheap) and send it."""
        wall, cpu = time.perf_counter(), time.thread_time()
        content, buffers = build_frame(
            self.timeline,
            self._pager,
            width=self.width,
            top=self.top,
            window=self.window,
            title=self.title,
        )
        self.send(content, buffers)
        self._redraws += 1
        self._wall_ms.append((time.perf_counter() - wall) * 1000.0)
        self._cpu_ms.append((time.thread_time() - cpu) * 1000.0)

    def _worker(self) -> ThreadPoolExecutor:
        if self._executor is None:
            self._executor = ThreadPoolExecutor(1, thread_name_prefix="nextevi-emotion-plot")
        return self._executor

    def _render(self, snapshot: EmotionTimeline) -> RenderResult:
        if self._renderer is None:
            self._renderer = LiveRenderer(self.width, self.height)
        elif self._renderer.size != (self.width, self.height):
            self._renderer.resize(self.width, self.height)
        self._renderer.set_theme(self._live_theme())
        return self._renderer.render(
            snapshot,
            style=self.style,
            top=self.top,
            window=self.window,
            title=self.title or None,
        )

    def render(self) -> bytes:
        """Draw now in the calling thread and return the PNG (redraws are automatic while a
        loop runs; this is for scripts and saving)."""
        self._sync_render()
        return self._static_png

    def snapshot(self) -> bytes:
        """Redraw the static copy from the data now and update every display of this plot, so
        a saved, exported or headless-executed notebook shows it. Called by itself when the
        followed session ends; call it at the end of a notebook that feeds a timeline itself.
        Returns the PNG."""
        self._sync_render()
        if self._display_id is not None and not self._interactive:
            data, metadata = self._bundle()
            _update_display(data, metadata, self._display_id)
        return self._static_png

    def _draw_interactive(self, snapshot: EmotionTimeline) -> None:
        from .draw import draw_timeline

        figure = self._canvas()
        start, cpu = time.perf_counter(), time.thread_time()
        figure.clear()
        ax = figure.add_subplot()
        draw_timeline(
            ax, snapshot, style=self.style, top=self.top, window=self.window, title=self.title
        )
        figure.canvas.draw_idle()
        self._redraws += 1
        self._wall_ms.append((time.perf_counter() - start) * 1000.0)
        self._cpu_ms.append((time.thread_time() - cpu) * 1000.0)

    def _canvas(self) -> Any:
        if self._canvas_figure is None:
            import matplotlib.pyplot as plt

            with plt.ioff():
                self._canvas_figure = plt.figure(
                    figsize=(self.width / 100, self.height / 100), layout="constrained"
                )
        return self._canvas_figure

    # ------------------------------------------------------------------ stats and display

    @property
    def stats(self) -> dict[str, Any]:
        """``redraws`` (frames sent to the browser, or background renders), ``blits`` (renders
        that drew only the data onto the kept frame),
        ``coalesced`` (changes folded into another redraw),
        ``static_renders`` (drawn for display or :meth:`render`), render wall and
        render-thread CPU milliseconds (median, p95, last) over the recent redraws (building
        the frame, in browser mode), ``mode`` (``browser``, ``png`` or ``ipympl``)."""
        wall, cpu = sorted(self._wall_ms), sorted(self._cpu_ms)

        def p95(values: list[float]) -> float | None:
            return values[min(len(values) - 1, int(0.95 * len(values)))] if values else None

        return {
            "redraws": self._redraws,
            "blits": self._blits,
            "coalesced": self._coalesced,
            "static_renders": self._static_renders,
            "render_ms_median": statistics.median(wall) if wall else None,
            "render_ms_p95": p95(wall),
            "render_ms_last": self._wall_ms[-1] if self._wall_ms else None,
            "render_cpu_ms_median": statistics.median(cpu) if cpu else None,
            "render_cpu_ms_last": self._cpu_ms[-1] if self._cpu_ms else None,
            "mode": "ipympl" if self._interactive else "browser" if self._in_browser else "png",
        }

    def _alt_text(self) -> str:
        top = ", ".join(f"{name} {score:.2f}" for name, score in self.timeline.top(3))
        return f"Emotion timeline ({len(self.timeline)} samples){': ' + top if top else ''}"

    def transcript_lines(self) -> list[str]:
        """``role: text`` per final message of the session (empty without a session)."""
        messages = getattr(self.session, "messages", None) or []
        return [
            f"{m.get('role', '?')}: {m.get('heard_text') or m.get('text', '')}"
            for m in messages
            if m.get("text")
        ]

    def _ipython_display_(self) -> None:
        """Display under a display id, so :meth:`snapshot` can replace the static copy."""
        from IPython.display import display

        if self._display_id is None:
            self._display_id = f"nextevi-emotion-plot-{uuid.uuid4().hex}"
        data, metadata = self._bundle()
        display(data, metadata=metadata, raw=True, display_id=self._display_id)  # type: ignore[no-untyped-call]

    def _bundle(self) -> tuple[dict[str, Any], dict[str, Any]]:
        bundle = self._repr_mimebundle_()
        data, meta = bundle if isinstance(bundle, tuple) else (bundle, None)
        return dict(data or {}), dict(meta or {})

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        if self._interactive:
            return self._canvas().canvas._repr_mimebundle_(**kwargs)
        if self._dirty or not self._static_png:
            self._sync_render()
        bundle = super()._repr_mimebundle_(**kwargs)
        data, meta = bundle if isinstance(bundle, tuple) else (bundle, None)
        data = dict(data or {})
        lines = self.transcript_lines()
        png_b64 = base64.b64encode(self._static_png).decode("ascii")
        data["image/png"] = png_b64
        data["text/plain"] = "\n".join([self.alt, *lines])
        items = "".join(f"<li>{html.escape(line)}</li>" for line in lines)
        data["text/html"] = (
            f'<div><img alt="{html.escape(self.alt)}" src="data:image/png;base64,{png_b64}"/>'
            + (f"<ul>{items}</ul>" if items else "")
            + "</div>"
        )
        return (data, meta) if meta is not None else data

    def _sync_render(self) -> None:
        """Draw the saved copy for a display bundle, on a renderer of its own (a background
        redraw may be using the shared one). It is the live image too when the themes agree."""
        theme = self._saved_theme()
        result = PngRenderer(self.width, self.height, theme=theme).render(
            self.timeline.snapshot(),
            style=self.style,
            top=self.top,
            window=self.window,
            title=self.title or None,
        )
        self._static_png = result.png
        self._dirty = False
        if theme == self._live_theme():
            self._publish(result, live=False)
        else:
            self._static_renders += 1
            self._on_data()  # the view keeps an image in the page's theme

    def close(self) -> None:
        """Stop following the data and release the render thread."""
        self._unsubscribe()
        if self.session is not None and hasattr(self.session, "unobserve"):
            self.session.unobserve(self._on_session_state, names=["state"])
        if self.session is not None:
            self.timeline.detach()
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._executor is not None:
            self._executor.shutdown(wait=False)
            self._executor = None
        super().close()


def _update_display(data: dict[str, Any], metadata: dict[str, Any], display_id: str) -> None:
    """``update_display`` now and once more at the end of the cell that runs next (or now).

    A session usually ends in its background task, whose messages carry the header of the cell
    that started it, long finished; clients record display updates only for the running cell
    (nbclient drops the others), so a headless run would keep the empty plot. IPython's
    ``post_run_cell`` event runs inside a cell, with that cell's header."""
    from IPython import get_ipython
    from IPython.display import update_display

    def publish(*_args: Any) -> None:
        update_display(data, metadata=metadata, raw=True, display_id=display_id)  # type: ignore[no-untyped-call]

    publish()
    shell = get_ipython()
    events = getattr(shell, "events", None)
    if events is None:
        return

    def once(*args: Any) -> None:
        events.unregister("post_run_cell", once)
        publish(*args)

    events.register("post_run_cell", once)
