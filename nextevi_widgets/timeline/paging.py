"""A live plot's x axis moves in pages: the right edge jumps ahead of the newest sample with
some headroom instead of sliding every frame, so the axis (ticks, labels) changes rarely and a
redraw can reuse everything else."""

from __future__ import annotations

__all__ = ["AxisPager"]


class AxisPager:
    """``page(first, last, window)`` -> the x range to show.

    With a full history (``window=None``) the page starts at ``first`` and reaches
    ``headroom`` of the span (``min_headroom`` seconds at least) past ``last``: pages grow
    geometrically, so an hour takes a handful of them. With a ``window`` the page is
    ``(1 + headroom) * window`` wide and moves on once ``last`` passes its right edge.
    """

    def __init__(self, headroom: float = 0.25, min_headroom: float = 10.0) -> None:
        if headroom <= 0 or min_headroom < 0:
            raise ValueError("headroom must be > 0 and min_headroom >= 0")
        self.headroom = headroom
        self.min_headroom = min_headroom
        self.current: tuple[float, float] | None = None

    def page(self, first: float, last: float, window: float | None = None) -> tuple[float, float]:
        page = self.current
        if window is None:
            if page is None or page[0] != first or last > page[1]:
                page = (first, last + max(self.min_headroom, self.headroom * (last - first)))
        else:
            width = (1 + self.headroom) * window
            if page is None or page[1] - page[0] != width or not page[0] <= last <= page[1]:
                left = max(first, last - window)
                page = (left, left + width)
        self.current = page
        return page
