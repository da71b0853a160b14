"""Rendering a timeline to PNG bytes on a private Agg figure (safe in a worker thread: the
figure belongs to one renderer and pyplot is never touched).

:class:`PngRenderer` draws everything each time. :class:`LiveRenderer` is what a live plot
uses: its x axis moves in pages (:class:`.paging.AxisPager`), so while the axes, legend and
title stay the same it keeps the rendered frame as a background and only redraws the data on it
(blitting). The frame itself is two layers: the parts that only change with the series or the
size (y axis, grid, legend, labels: most of the text layout) are kept as a "chrome" image, and
a new page or title redraws just the x axis, spines and title over it. PNGs are encoded from the
Agg buffer with fast zlib settings.
"""

from __future__ import annotations

import io
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from PIL import Image

from .core import EmotionTimeline
from .draw import View, draw_data, draw_frame, plan_view
from .paging import AxisPager
from .theme import apply_theme, is_transparent

if TYPE_CHECKING:
    from matplotlib.artist import Artist
    from matplotlib.axes import Axes

__all__ = ["LiveRenderer", "PngRenderer", "RenderResult"]

PNG_COMPRESS_LEVEL = 1
"""zlib level 1: a few percent larger than the default 6 and about twice as fast."""


@dataclass(frozen=True)
class RenderResult:
    png: bytes
    wall_ms: float
    cpu_ms: float
    """CPU time of the rendering thread (``time.thread_time``)."""
    blitted: bool = False
    """True when only the data was redrawn onto the kept background."""


class PngRenderer:
    """Draws timelines on one reusable Figure. Use it from a single thread at a time."""

    def __init__(
        self, width: int = 720, height: int = 260, dpi: int = 100, *, theme: str = "light"
    ) -> None:
        self.dpi = dpi
        self.size = (width, height)
        """The requested size in pixels."""
        self.theme = theme
        """``light`` (opaque white) or ``dark`` (light text on a transparent figure)."""
        self.figure = Figure(figsize=(width / dpi, height / dpi), dpi=dpi)
        # Any: the Agg canvas's drawing and blitting methods carry no type hints.
        self.canvas: Any = FigureCanvasAgg(self.figure)

    def resize(self, width: int, height: int) -> None:
        self.size = (width, height)
        self.figure.set_size_inches(width / self.dpi, height / self.dpi)

    def render(
        self,
        timeline: EmotionTimeline,
        *,
        style: str = "line",
        top: int | None = None,
        window: float | None = None,
        title: str | None = None,
    ) -> RenderResult:
        wall, cpu = time.perf_counter(), time.thread_time()
        view = plan_view(timeline, style=style, top=top, window=window)
        ax = self._fresh_axes()
        draw_frame(ax, timeline, view, title=title)
        draw_data(ax, timeline, view)
        apply_theme(self.figure, self.theme)
        self.canvas.draw()
        return _result(self._png(), wall, cpu)

    def _fresh_axes(self) -> Axes:
        self.figure.clear()
        # Fixed margins in inches: a constrained layout costs about a third of each redraw.
        width, height = self.figure.get_size_inches()
        self.figure.subplots_adjust(
            left=0.7 / width, right=1 - 1.3 / width, bottom=0.55 / height, top=1 - 0.3 / height
        )
        return self.figure.add_subplot()

    def _png(self) -> bytes:
        width, height = self.canvas.get_width_height()
        image = Image.frombuffer("RGBA", (width, height), self.canvas.buffer_rgba(), "raw")
        out = io.BytesIO()
        if not is_transparent(self.theme):
            image = image.convert("RGB")
        image.save(out, "PNG", compress_level=PNG_COMPRESS_LEVEL)
        return out.getvalue()


class LiveRenderer(PngRenderer):
    """A :class:`PngRenderer` for repeated redraws of a growing timeline: paged x axis, and
    blitting of the line style onto a kept background while the frame is unchanged."""

    def __init__(
        self, width: int = 720, height: int = 260, dpi: int = 100, *, theme: str = "light"
    ) -> None:
        super().__init__(width, height, dpi, theme=theme)
        self.pager = AxisPager()
        self._frame_key: tuple[Any, ...] | None = None
        self._chrome_key: tuple[Any, ...] | None = None
        self._chrome: Any = None
        self._background: Any = None
        self._ax: Axes | None = None
        self._page_artists: list[Artist] = []
        self._data_artists: list[Artist] = []
        self.full_redraws = 0
        """Frames drawn (a new page, title, size or series), chrome included or not."""
        self.chrome_redraws = 0
        """Frames that also drew the chrome (a new size or series, or another style)."""
        self.blits = 0

    @property
    def page(self) -> tuple[float, float] | None:
        """The x range of the current page (None before the first render)."""
        return self.pager.current

    @property
    def axes(self) -> Axes | None:
        """The Axes drawn on (None before the first render)."""
        return self._ax

    def resize(self, width: int, height: int) -> None:
        super().resize(width, height)
        self._frame_key = None
        self._chrome_key = None

    def set_theme(self, theme: str) -> None:
        if theme != self.theme:
            self.theme = theme
            self._frame_key = None
            self._chrome_key = None
            self._ax = None  # new axes: the kept frame has the old colours

    def render(
        self,
        timeline: EmotionTimeline,
        *,
        style: str = "line",
        top: int | None = None,
        window: float | None = None,
        title: str | None = None,
    ) -> RenderResult:
        wall, cpu = time.perf_counter(), time.thread_time()
        xlim = self.pager.page(*timeline.span(), window)
        view = plan_view(timeline, style=style, top=top, xlim=xlim)
        key = (view.style, view.labels, view.x0, view.x1, title, self.canvas.get_width_height())
        blit = key == self._frame_key and style == "line" and self._ax is not None
        if blit:
            assert self._ax is not None
            for artist in self._data_artists:
                artist.remove()
            self.canvas.restore_region(self._background)
            self._data_artists = draw_data(self._ax, timeline, view, animated=True)
            for artist in self._data_artists:
                self._ax.draw_artist(artist)
            self.blits += 1
        else:
            self._draw_frame(timeline, view, title)
            self._frame_key = key
            self.full_redraws += 1
        return _result(self._png(), wall, cpu, blitted=blit)

    def _draw_frame(self, timeline: EmotionTimeline, view: View, title: str | None) -> None:
        if view.style != "line":
            self._chrome_key = None
            self._ax = self._fresh_axes()
            draw_frame(self._ax, timeline, view, title=title)
            self._data_artists = draw_data(self._ax, timeline, view)
            apply_theme(self.figure, self.theme)  # after the heatmap's colour bar
            self.canvas.draw()
            return
        chrome_key = (view.style, view.labels, self.canvas.get_width_height())
        if self._ax is None or chrome_key != self._chrome_key:
            ax = self._ax = self._fresh_axes()
            draw_frame(ax, timeline, view, title=title)
            apply_theme(self.figure, self.theme)
            # What changes with the page or title is left out of the chrome image (animated
            # artists are skipped by canvas.draw) and drawn over it below, in the order a full
            # draw would use: x axis (ticks, labels, grid), then spines, then the title.
            self._page_artists = [ax.xaxis, *ax.spines.values(), ax.title]
            for artist in self._page_artists:
                artist.set_animated(True)
            self.canvas.draw()
            self._chrome = self.canvas.copy_from_bbox(self.figure.bbox)
            self._chrome_key = chrome_key
            self.chrome_redraws += 1
        else:
            ax = self._ax
            for artist in self._data_artists:
                artist.remove()
            ax.set_xlim(view.x0, view.x1)
            ax.set_title(title or "", fontsize=10)
            apply_theme(self.figure, self.theme)  # the new page's ticks and grid lines
            self.canvas.restore_region(self._chrome)
        for artist in self._page_artists:
            ax.draw_artist(artist)
        # Keep the frame, then draw the data on top (animated: not in the kept copy).
        self._background = self.canvas.copy_from_bbox(self.figure.bbox)
        self._data_artists = draw_data(ax, timeline, view, animated=True)
        for artist in self._data_artists:
            ax.draw_artist(artist)


def _result(png: bytes, wall: float, cpu: float, *, blitted: bool = False) -> RenderResult:
    return RenderResult(
        png,
        (time.perf_counter() - wall) * 1000.0,
        (time.thread_time() - cpu) * 1000.0,
        blitted,
    )
