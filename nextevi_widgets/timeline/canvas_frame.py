"""What the browser needs to draw one frame of a live emotion plot itself (``js/plot/``):
the page of the x axis, series names and colours, the samples reduced to screen resolution,
turns and interruptions, as a small JSON header plus binary buffers.

Building a frame is a few numpy operations on the event loop (well under a millisecond for an
hour of data); drawing happens in the browser, so a live plot costs the kernel almost nothing.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._comm import PlotFrameMsg
from .core import EmotionTimeline
from .draw import TURN_COLORS, envelope, merge_close, plan_view
from .gaps import line_data
from .paging import AxisPager

__all__ = ["PLOT_MARGINS", "build_frame"]

PLOT_MARGINS = {"left": 52, "right": 96, "top": 22, "bottom": 36}
"""Pixels around the plot area, the same in ``js/plot/layout.ts``."""

_ROLES = ("user", "assistant")


def build_frame(
    timeline: EmotionTimeline,
    pager: AxisPager,
    *,
    width: int,
    top: int | None = None,
    window: float | None = None,
    title: str = "",
) -> tuple[PlotFrameMsg, list[bytes]]:
    """``(content, buffers)`` of a ``frame`` message.

    Buffers: sample times (float64), values (float32, row-major samples x series, NaN where a
    score is missing or across a silence, see :mod:`.gaps`), turns (float64 rows ``start, end,
    role index, interrupted``) and interruption times (float64)."""
    first, last = timeline.span()
    view = plan_view(timeline, top=top, xlim=pager.page(first, last, window))
    plot_px = max(16, width - PLOT_MARGINS["left"] - PLOT_MARGINS["right"])
    if len(timeline) and view.columns:
        # Gap rows (NaN) where nobody spoke: the browser breaks its lines there (.gaps).
        times, values, _ = envelope(*line_data(timeline, view.columns), view.x0, view.x1, plot_px)
    else:
        times, values = np.empty(0), np.empty((0, len(view.columns)))
    turns = _turn_rows(timeline, view.x0, view.x1, (view.x1 - view.x0) / plot_px)
    marks = np.array([t for t in timeline.interruptions if view.x0 <= t <= view.x1], dtype="<f8")
    content: PlotFrameMsg = {
        "kind": "frame",
        "x0": view.x0,
        "x1": view.x1,
        "title": title,
        "names": list(view.labels),
        "colors": list(view.colors),
        "roles": list(_ROLES),
        "role_colors": [TURN_COLORS[role] for role in _ROLES],
        "samples": len(times),
    }
    buffers = [
        np.ascontiguousarray(times, dtype="<f8").tobytes(),
        np.ascontiguousarray(values, dtype="<f4").tobytes(),
        turns.tobytes(),
        marks.tobytes(),
    ]
    return content, buffers


def _turn_rows(timeline: EmotionTimeline, x0: float, x1: float, pixel: float) -> Any:
    """Visible turns as ``start, end, role index, interrupted`` rows; turns of one kind less
    than a pixel apart are joined (the browser could not tell them apart)."""
    table = timeline.turn_table()
    visible = table.visible(x0, x1)
    rows: list[Any] = []
    for role_index, role in enumerate(_ROLES):
        of_role = visible & (table.roles == role)
        for interrupted in (False, True):
            keep = of_role & (table.interrupted == interrupted)
            if not keep.any():
                continue
            starts = table.starts[keep]
            spans = np.stack([starts, np.maximum(table.ends[keep], starts + 0.05)], axis=1)
            merged = merge_close(spans, pixel)
            kind = np.tile([float(role_index), float(interrupted)], (len(merged), 1))
            rows.append(np.hstack([merged, kind]))
    if not rows:
        return np.empty((0, 4), dtype="<f8")
    return np.ascontiguousarray(np.vstack(rows), dtype="<f8")
