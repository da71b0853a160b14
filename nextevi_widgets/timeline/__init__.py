"""Emotion timelines: samples, turns and interruptions over the session clock; static and
live plots; the per-turn latency waterfall.

``EmotionPlot`` (a widget) is imported lazily so the pure parts need no widget stack.
"""

from __future__ import annotations

from typing import Any

from .core import EmotionTimeline, Turn
from .feed import TimelineFeeder
from .latency import latency_table, plot_latency

__all__ = [
    "EmotionPlot",
    "EmotionTimeline",
    "TimelineFeeder",
    "Turn",
    "latency_table",
    "plot_latency",
]


def __getattr__(name: str) -> Any:
    if name == "EmotionPlot":
        from .live import EmotionPlot

        return EmotionPlot
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
