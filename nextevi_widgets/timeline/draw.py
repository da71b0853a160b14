"""Drawing an :class:`EmotionTimeline` on a matplotlib Axes (no pyplot: safe on a private
Figure in a worker thread)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from .core import EmotionTimeline

__all__ = ["EMOTION_COLORS", "draw_timeline"]

EMOTION_COLORS: dict[str, str] = {
    "joy": "#f2b701",
    "sadness": "#3969ac",
    "anger": "#e73f74",
    "fear": "#7f3c8d",
    "surprise": "#11a579",
    "disgust": "#80ba5a",
    "neutral": "#a5aa99",
    "empathy": "#f97b72",
    "confusion": "#e68310",
}
_FALLBACK = ("#008695", "#cf1c90", "#4b4b8f", "#d2691e", "#556b2f")
_TURN_COLORS = {"user": "#4c72b0", "assistant": "#8c8c8c"}


def color_for(name: str, index: int) -> str:
    return EMOTION_COLORS.get(name, _FALLBACK[index % len(_FALLBACK)])


def draw_timeline(
    ax: Axes,
    timeline: EmotionTimeline,
    *,
    style: str = "line",
    top: int | None = None,
    title: str | None = None,
    window: float | None = None,
) -> None:
    """Draw samples in ``style`` (``line``, ``area`` stacked, ``heatmap``), shade turns and
    mark interruptions. ``window`` (seconds) shows only the most recent span."""
    if style not in ("line", "area", "heatmap"):
        raise ValueError("style must be 'line', 'area' or 'heatmap'")
    times, values = timeline.times, timeline.values
    names = timeline.names
    columns = list(range(len(names)))
    if top is not None:
        keep = {name for name, _ in timeline.top(top)}
        columns = [i for i in columns if names[i] in keep]
    first, last = timeline.span()
    if window is not None and last - first > window:
        first = last - window
    if last <= first:
        last = first + 1.0
    ax.set_xlim(first, last)
    for turn in timeline.turns:
        if turn.end < first or turn.start > last:
            continue
        ax.axvspan(
            turn.start,
            max(turn.end, turn.start + 0.05),
            color=_TURN_COLORS.get(turn.role, "#bbbbbb"),
            alpha=0.12,
            hatch="//" if turn.interrupted else None,
            lw=0,
            zorder=0,
        )
    for t in timeline.interruptions:
        if first <= t <= last:
            ax.axvline(t, color="#d62728", ls="--", lw=1.2, zorder=3)
    if style == "heatmap":
        _heatmap(ax, times, values, [names[i] for i in columns], columns, first, last)
    elif len(times):
        data = values[:, columns]
        labels = [names[i] for i in columns]
        colors = [color_for(n, i) for i, n in enumerate(labels)]
        if style == "area":
            filled = np.nan_to_num(data, nan=0.0)
            if len(times) > 1:
                ax.stackplot(times, filled.T, labels=labels, colors=colors, alpha=0.85)
            ax.set_ylim(0, max(1.0, float(filled.sum(axis=1).max()) if len(filled) else 1.0))
        else:
            for col, (label, color) in enumerate(zip(labels, colors, strict=True)):
                ax.plot(times, data[:, col], label=label, color=color, lw=1.6, marker=".", ms=3)
            ax.set_ylim(0, 1)
        if ax.get_legend_handles_labels()[0]:
            ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=7, frameon=False)
    else:
        ax.set_ylim(0, 1)
    if style != "heatmap":
        ax.set_ylabel("score")
    ax.set_xlabel("session time (s)")
    if title:
        ax.set_title(title, fontsize=10)
    ax.grid(alpha=0.2)


def _heatmap(
    ax: Axes,
    times: Any,
    values: Any,
    labels: list[str],
    columns: list[int],
    first: float,
    last: float,
) -> None:
    if len(times) == 0 or not columns:
        ax.set_yticks([])
        return
    data = values[:, columns].T
    edges = np.empty(len(times) + 1)
    if len(times) > 1:
        mids = (times[1:] + times[:-1]) / 2.0
        edges[1:-1] = mids
        edges[0] = times[0] - (mids[0] - times[0])
        edges[-1] = times[-1] + (times[-1] - mids[-1])
    else:
        edges[:] = [times[0] - 0.25, times[0] + 0.25]
    mesh = ax.pcolormesh(
        edges,
        np.arange(len(columns) + 1),
        np.ma.masked_invalid(data),
        cmap="magma",
        vmin=0.0,
        vmax=1.0,
        shading="flat",
        zorder=1,
    )
    ax.set_yticks(np.arange(len(columns)) + 0.5, labels, fontsize=7)
    ax.set_xlim(first, last)
    ax.figure.colorbar(mesh, ax=ax, pad=0.01, fraction=0.03)
