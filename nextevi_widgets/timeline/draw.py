"""Drawing an :class:`EmotionTimeline` on a matplotlib Axes (no pyplot: safe on a private
Figure in a worker thread).

Drawing is split in two so a live plot can redraw only what data changes
(:mod:`.render`): :func:`draw_frame` sets up the axes (limits, labels, legend, grid, title) and
:func:`draw_data` adds the data artists (turn shading, interruption marks, lines or areas).
Costs stay bounded however long the session: turns are a few collections rather than a patch
each, and dense lines are reduced to a per-pixel min/max envelope, so a one-sample spike an hour
in still shows.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
from matplotlib.collections import LineCollection
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, PathPatch
from matplotlib.path import Path

from .gaps import isolated, line_data

if TYPE_CHECKING:
    from matplotlib.artist import Artist
    from matplotlib.axes import Axes

    from ._drawable import Drawable


__all__ = [
    "EMOTION_COLORS",
    "TURN_COLORS",
    "View",
    "draw_data",
    "draw_frame",
    "draw_timeline",
    "envelope",
    "merge_close",
    "plan_view",
]

FloatArray = npt.NDArray[np.float64]

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
TURN_COLORS = {"user": "#4c72b0", "assistant": "#8c8c8c"}
_STYLES = ("line", "area", "heatmap")
_MARKER_SPACING_PX = 8
"""Markers are drawn while samples are at least this far apart on screen."""


def color_for(name: str, index: int) -> str:
    return EMOTION_COLORS.get(name, _FALLBACK[index % len(_FALLBACK)])


@dataclass(frozen=True)
class View:
    """What a drawing shows: the columns (by index into ``timeline.names``) with their labels
    and colours, the x range and the style."""

    style: str
    columns: tuple[int, ...]
    labels: tuple[str, ...]
    colors: tuple[str, ...]
    x0: float
    x1: float


def plan_view(
    timeline: Drawable,
    *,
    style: str = "line",
    top: int | None = None,
    window: float | None = None,
    xlim: tuple[float, float] | None = None,
) -> View:
    """The columns and x range to draw: ``top`` keeps the ``top`` emotions by mean, ``window``
    the most recent span; ``xlim`` overrides the range (a live plot pages its axis)."""
    if style not in _STYLES:
        raise ValueError("style must be 'line', 'area' or 'heatmap'")
    names = timeline.names
    columns = list(range(len(names)))
    if top is not None:
        keep = {name for name, _ in timeline.top(top)}
        columns = [i for i in columns if names[i] in keep]
    labels = tuple(names[i] for i in columns)
    colors = tuple(color_for(n, i) for i, n in enumerate(labels))
    if xlim is not None:
        first, last = xlim
    else:
        first, last = timeline.span()
        if window is not None and last - first > window:
            first = last - window
    if last <= first:
        last = first + 1.0
    return View(style, tuple(columns), labels, colors, float(first), float(last))


def draw_timeline(
    ax: Axes,
    timeline: Drawable,
    *,
    style: str = "line",
    top: int | None = None,
    title: str | None = None,
    window: float | None = None,
) -> None:
    """Draw samples in ``style`` (``line``, ``area`` stacked, ``heatmap``), shade turns and
    mark interruptions. ``window`` (seconds) shows only the most recent span."""
    view = plan_view(timeline, style=style, top=top, window=window)
    draw_frame(ax, timeline, view, title=title)
    draw_data(ax, timeline, view)


def draw_frame(ax: Axes, timeline: Drawable, view: View, *, title: str | None) -> None:
    """Limits, labels, legend (proxy handles, so data artists can come and go), grid, title."""
    ax.set_xlim(view.x0, view.x1)
    if view.style == "area":
        ax.set_ylim(0, area_top(timeline, view))
    elif view.style == "line":
        ax.set_ylim(0, 1)
    if view.style != "heatmap":
        ax.set_ylabel("score")
        handles: list[Artist] = [
            Patch(color=c, alpha=0.85) if view.style == "area" else Line2D([], [], color=c, lw=1.6)
            for c in view.colors
        ]
        if handles and len(timeline):
            ax.legend(
                handles,
                view.labels,
                loc="upper left",
                bbox_to_anchor=(1.0, 1.0),
                fontsize=7,
                frameon=False,
            )
    ax.set_xlabel("session time (s)")
    if title:
        ax.set_title(title, fontsize=10)
    ax.grid(alpha=0.2)


def area_top(timeline: Drawable, view: View) -> float:
    """The stacked areas' y limit: 1, or the largest stacked total above it."""
    if not len(timeline) or not view.columns:
        return 1.0
    totals = np.nan_to_num(timeline.values[:, list(view.columns)], nan=0.0).sum(axis=1)
    return max(1.0, float(totals.max()))


def draw_data(ax: Axes, timeline: Drawable, view: View, *, animated: bool = False) -> list[Artist]:
    """Turn shading, interruption marks and the samples; returns the artists added.
    ``animated`` artists are left out of ``canvas.draw()`` (for blitting)."""
    artists: list[Artist] = [*_turns(ax, timeline, view), *_interruptions(ax, timeline, view)]
    if view.style == "heatmap":
        artists += _heatmap(ax, timeline, view)
    elif len(timeline) and view.columns:
        data = timeline.values[:, list(view.columns)]
        if view.style == "area":
            if len(timeline) > 1:
                filled = np.nan_to_num(data, nan=0.0)
                artists += ax.stackplot(
                    timeline.times, filled.T, labels=view.labels, colors=view.colors, alpha=0.85
                )
        else:
            artists += _lines(ax, *line_data(timeline, view.columns), view)
    for artist in artists:
        artist.set_animated(animated)
    return artists


def _lines(ax: Axes, times: FloatArray, data: FloatArray, view: View) -> list[Artist]:
    width_px = max(16, int(ax.bbox.width))
    # An envelope point every other pixel: finer is invisible, and stroking costs per point.
    t, values, dense = envelope(times, data, view.x0, view.x1, width_px // 2)
    spacing = width_px * np.median(np.diff(times)) / (view.x1 - view.x0) if len(times) > 1 else 1e9
    marker = "." if not dense and spacing >= _MARKER_SPACING_PX else ""
    width = 1.0 if dense else 1.6
    lines: list[Artist] = [
        ax.plot(t, values[:, col], label=label, color=color, lw=width, marker=marker, ms=3)[0]
        for col, (label, color) in enumerate(zip(view.labels, view.colors, strict=True))
    ]
    if not marker:
        # A score alone between gaps has no segment to stroke: show it as a dot.
        lone = isolated(values)
        for col, color in enumerate(view.colors):
            rows = lone[:, col]
            if rows.any():
                lines += ax.plot(t[rows], values[rows, col], ls="none", marker="o", ms=2.5, c=color)
    return lines


def envelope(
    times: FloatArray, data: FloatArray, x0: float, x1: float, bins: int
) -> tuple[FloatArray, FloatArray, bool]:
    """The samples within ``[x0, x1]`` (plus one on each side, so lines reach the edges), or,
    when there are more than two per bin, each bin's minimum and maximum per column (NaN
    ignored; an all-NaN bin stays NaN, a gap). Returns ``(times, values, reduced)``."""
    lo = max(int(np.searchsorted(times, x0)) - 1, 0)
    hi = min(int(np.searchsorted(times, x1, side="right")) + 1, len(times))
    t, d = times[lo:hi], data[lo:hi]
    if len(t) <= 2 * bins:
        return t, d, False
    edges = np.searchsorted(t, np.linspace(x0, x1, bins + 1))
    starts = np.unique(edges[:-1][edges[:-1] < edges[1:]])
    lows = np.fmin.reduceat(d, starts, axis=0)
    highs = np.fmax.reduceat(d, starts, axis=0)
    ends = np.append(starts[1:], len(t)) - 1
    out_t = np.empty(2 * len(starts))
    out_t[0::2], out_t[1::2] = t[starts], t[ends]
    out_v = np.empty((2 * len(starts), d.shape[1]))
    # Low then high, or high then low, following the bin's own order keeps the trace honest.
    rising = d[ends] >= d[starts]
    out_v[0::2] = np.where(rising, lows, highs)
    out_v[1::2] = np.where(rising, highs, lows)
    return out_t, out_v, True


def _turns(ax: Axes, timeline: Drawable, view: View) -> list[Artist]:
    """One compound path per (role, interrupted): hundreds of turns cost about one patch."""
    table = timeline.turn_table()
    visible = table.visible(view.x0, view.x1)
    roles, interrupted_rows = table.roles[visible], table.interrupted[visible]
    starts_all, ends_all = table.starts[visible], table.ends[visible]
    # One group per kind, drawn in the order of each kind's first visible turn.
    groups: list[tuple[int, str, bool, npt.NDArray[np.bool_]]] = []
    for role in np.unique(roles):
        for interrupted in (False, True):
            keep = (roles == role) & (interrupted_rows == interrupted)
            if keep.any():
                groups.append((int(keep.argmax()), str(role), interrupted, keep))
    pixel = (view.x1 - view.x0) / max(1.0, ax.bbox.width)
    artists: list[Artist] = []
    for _, role, interrupted, keep in sorted(groups, key=lambda group: group[0]):
        starts = starts_all[keep]
        spans = np.stack([starts, np.maximum(ends_all[keep], starts + 0.05)], axis=1)
        color = TURN_COLORS.get(role, "#bbbbbb")
        shading = PathPatch(
            _rectangles(merge_close(spans, pixel)),
            transform=ax.get_xaxis_transform(),
            facecolor=color,
            edgecolor="none",
            alpha=0.12,
            hatch="//" if interrupted else None,
            linewidth=0,
            zorder=0,
        )
        artists.append(ax.add_artist(shading))  # add_patch would walk every vertex for limits
    return artists


def merge_close(spans: FloatArray, gap: float) -> FloatArray:
    """Sorted spans with neighbours less than ``gap`` apart joined (what a pixel cannot
    separate costs nothing to fill as one)."""
    spans = spans[np.argsort(spans[:, 0])]
    ends = np.maximum.accumulate(spans[:, 1])
    breaks = np.flatnonzero(spans[1:, 0] - ends[:-1] >= gap) + 1
    first = np.concatenate([[0], breaks])
    last = np.concatenate([breaks - 1, [len(spans) - 1]])
    return np.stack([spans[first, 0], ends[last]], axis=1)


def _rectangles(spans: FloatArray) -> Path:
    """Full-height rectangles ``[start, end] x [0, 1]`` (axes y) as one path."""
    starts, ends = spans[:, 0], spans[:, 1]
    zeros, ones = np.zeros_like(starts), np.ones_like(starts)
    corners = np.stack(
        [
            np.stack([starts, zeros], axis=1),
            np.stack([starts, ones], axis=1),
            np.stack([ends, ones], axis=1),
            np.stack([ends, zeros], axis=1),
            np.stack([starts, zeros], axis=1),
        ],
        axis=1,
    ).reshape(-1, 2)
    codes = np.tile(
        np.array([Path.MOVETO, Path.LINETO, Path.LINETO, Path.LINETO, Path.CLOSEPOLY], np.uint8),
        len(spans),
    )
    return Path(corners, codes)


def _interruptions(ax: Axes, timeline: Drawable, view: View) -> list[Artist]:
    marks = [[(t, 0.0), (t, 1.0)] for t in timeline.interruptions if view.x0 <= t <= view.x1]
    if not marks:
        return []
    lines = LineCollection(
        marks,
        transform=ax.get_xaxis_transform(),
        colors="#d62728",
        linestyles="--",
        linewidths=1.2,
        zorder=3,
    )
    return [ax.add_collection(lines, autolim=False)]


def _heatmap(ax: Axes, timeline: Drawable, view: View) -> list[Artist]:
    times = timeline.times
    if len(times) == 0 or not view.columns:
        ax.set_yticks([])
        return []
    data = timeline.values[:, list(view.columns)].T
    edges = np.empty(len(times) + 1)
    if len(times) > 1:
        mids = (times[1:] + times[:-1]) / 2.0
        edges[1:-1] = mids
        edges[0] = times[0] - (mids[0] - times[0])
        edges[-1] = times[-1] + (times[-1] - mids[-1])
    else:
        edges[:] = [times[0] - 0.25, times[0] + 0.25]
    mesh: Any = ax.pcolormesh(
        edges,
        np.arange(len(view.columns) + 1),
        np.ma.masked_invalid(data),
        cmap="magma",
        vmin=0.0,
        vmax=1.0,
        shading="flat",
        zorder=1,
    )
    ax.set_yticks(np.arange(len(view.columns)) + 0.5, view.labels, fontsize=7)
    ax.set_xlim(view.x0, view.x1)
    ax.figure.colorbar(mesh, ax=ax, pad=0.01, fraction=0.03)
    return [mesh]
