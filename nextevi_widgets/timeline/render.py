"""Rendering a timeline to PNG bytes on a private Agg figure (safe in a worker thread: the
figure belongs to one renderer and pyplot is never touched)."""

from __future__ import annotations

import io
import time
from dataclasses import dataclass

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from .core import EmotionTimeline
from .draw import draw_timeline

__all__ = ["PngRenderer", "RenderResult"]


@dataclass(frozen=True)
class RenderResult:
    png: bytes
    wall_ms: float
    cpu_ms: float
    """CPU time of the rendering thread (``time.thread_time``)."""


class PngRenderer:
    """Draws timelines on one reusable Figure. Use it from a single thread at a time."""

    def __init__(self, width: int = 720, height: int = 260, dpi: int = 100) -> None:
        self.dpi = dpi
        self.figure = Figure(figsize=(width / dpi, height / dpi), dpi=dpi)
        FigureCanvasAgg(self.figure)

    def resize(self, width: int, height: int) -> None:
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
        self.figure.clear()
        # Fixed margins in inches: a constrained layout costs about a third of each redraw.
        width, height = self.figure.get_size_inches()
        self.figure.subplots_adjust(
            left=0.7 / width, right=1 - 1.3 / width, bottom=0.55 / height, top=1 - 0.3 / height
        )
        ax = self.figure.add_subplot()
        draw_timeline(ax, timeline, style=style, top=top, window=window, title=title)
        buffer = io.BytesIO()
        self.figure.savefig(buffer, format="png", dpi=self.dpi)
        return RenderResult(
            buffer.getvalue(),
            (time.perf_counter() - wall) * 1000.0,
            (time.thread_time() - cpu) * 1000.0,
        )
