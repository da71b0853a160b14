"""Where a line plot of a timeline must break: no line is drawn across a silence.

Emotion scores exist only where someone spoke. Joining the last score of one utterance to the
first of the next would draw a trend through seconds in which nobody said anything, so both
renderers (matplotlib and the browser canvas) break the line between two neighbouring samples
``a`` and ``b`` when either holds:

* **a new utterance**: a user turn starts after ``a`` and no later than ``b`` (the samples
  belong to different utterances: the service scores speech, and a new user turn means the
  speaker stopped and started again);
* **a pause longer than the cadence allows**: ``b - a`` exceeds
  ``max(MIN_GAP_SECONDS, GAP_FACTOR * median spacing)`` of the timeline's samples (so a
  timeline fed without turns, such as one rebuilt from a file, still breaks where its samples
  stop for a while). History bins of a long session (rows standing for several samples) are
  judged by their own, coarser spacing and never broken at turn starts, which they straddle.

A break is a row of NaN placed halfway between the two samples; the renderers already draw a
missing score as a gap. Gaps narrower than one screen bin of a reduced (dense) drawing cannot be
seen and are joined.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    from ._drawable import Drawable

__all__ = [
    "GAP_FACTOR",
    "MIN_GAP_SECONDS",
    "isolated",
    "line_breaks",
    "line_data",
    "with_breaks",
]

FloatArray = npt.NDArray[np.float64]

GAP_FACTOR = 4.0
"""A pause longer than this many typical sample spacings is a gap."""
MIN_GAP_SECONDS = 1.0
"""Never a gap below this: scheduling jitter on fast updates is not silence."""


def _threshold(spacing: FloatArray) -> float:
    positive = spacing[spacing > 0]
    if positive.size == 0:
        return float("inf")
    return max(MIN_GAP_SECONDS, GAP_FACTOR * float(np.median(positive)))


def line_breaks(
    times: FloatArray,
    turn_starts: Iterable[float] = (),
    counts: FloatArray | None = None,
) -> npt.NDArray[np.bool_]:
    """For sorted sample ``times``: ``breaks[i]`` is True when the line must not join sample
    ``i`` to sample ``i + 1`` (see the module's rules). ``turn_starts`` are the user turns'
    start times; ``counts`` the samples behind each row (history bins hold more than one)."""
    n = len(times)
    if n < 2:
        return np.zeros(0, dtype=bool)
    spacing = np.diff(times)
    binned = np.zeros(n - 1, dtype=bool)
    if counts is not None:
        binned = (counts[:-1] > 1) | (counts[1:] > 1)
    limit = np.where(binned, _threshold(spacing[binned]), _threshold(spacing[~binned]))
    breaks: npt.NDArray[np.bool_] = spacing > limit
    starts = np.asarray(list(turn_starts), dtype=float)
    if starts.size:
        # Sample i is the last one before the start, sample i + 1 the first at or after it.
        index = np.searchsorted(times, starts, side="left") - 1
        index = index[(index >= 0) & (index < n - 1)]
        breaks[index[~binned[index]]] = True
    return breaks


def with_breaks(
    times: FloatArray, values: FloatArray, breaks: npt.NDArray[np.bool_]
) -> tuple[FloatArray, FloatArray]:
    """``times`` and ``values`` (rows x series) with a NaN row halfway across each break."""
    where = np.flatnonzero(breaks)
    if where.size == 0:
        return times, values
    middle = (times[where] + times[where + 1]) / 2.0
    gap_rows = np.full((where.size, values.shape[1]), np.nan)
    return (
        np.insert(times, where + 1, middle),
        np.insert(values, where + 1, gap_rows, axis=0),
    )


def line_data(timeline: Drawable, columns: Iterable[int]) -> tuple[FloatArray, FloatArray]:
    """The timeline's times and the scores of ``columns``, with the gap rows inserted."""
    times, values, counts, _ = timeline._store.arrays()
    starts = [turn.start for turn in timeline.turns if turn.role == "user"]
    return with_breaks(times, values[:, list(columns)], line_breaks(times, starts, counts))


def isolated(values: FloatArray) -> npt.NDArray[np.bool_]:
    """Scores with no finite neighbour in their column: a line through them draws nothing, so
    the renderers mark them with a dot."""
    finite = np.isfinite(values)
    before = np.zeros_like(finite)
    after = np.zeros_like(finite)
    before[1:], after[:-1] = finite[:-1], finite[1:]
    result: npt.NDArray[np.bool_] = finite & ~before & ~after
    return result
