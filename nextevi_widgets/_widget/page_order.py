"""Restore the order in which a page sent its comm messages.

ipykernel 7 may process comm messages out of order: one that arrives while a cell runs is
dispatched at once, ahead of one that arrived a moment earlier and waits behind that cell. A
"Mic on" that fails at once then reaches the kernel as "released" before "claimed", and
microphone frames can swap places. The page stamps every message with its id and a count (the
``Envelope`` in ``js/protocol.ts``); :class:`PageOrder` holds a message that arrives early until
the ones before it have arrived. Pure: no I/O, no clock.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any

__all__ = ["PageOrder"]

logger = logging.getLogger(__name__)

Message = tuple[Mapping[str, Any], Any]
"""A comm message's content and its buffers."""


class PageOrder:
    """Per page, release messages in the order of their envelope count ``n`` (1, 2, ...).

    A message without an envelope (an older front end, a hand-written test) passes at once. A
    gap can only be a message that is still on its way, so nothing expires by time; should more
    than ``max_held`` messages of one page wait (a message the kernel never dispatched), the
    held ones are released in order, and whatever arrives later for the gap passes at once.
    """

    def __init__(self, *, max_held: int = 256, max_pages: int = 64) -> None:
        self._max_held = max_held
        self._max_pages = max_pages
        self._next: OrderedDict[str, int] = OrderedDict()
        self._held: dict[str, dict[int, Message]] = {}

    def accept(self, content: Mapping[str, Any], buffers: Any) -> list[Message]:
        """The messages ready for dispatch now that ``content`` arrived, in send order."""
        page, n = content.get("page"), content.get("n")
        if not isinstance(page, str) or not isinstance(n, int) or isinstance(n, bool):
            return [(content, buffers)]
        expected = self._expected(page)
        if n < expected:  # late after a release (see the class docstring): better late than lost
            return [(content, buffers)]
        held = self._held.setdefault(page, {})
        held[n] = (content, buffers)
        overflow = False
        if n > expected:
            if len(held) <= self._max_held:
                return []
            logger.warning(
                "page %s: %d comm messages waited for one that never came", page, len(held)
            )
            overflow = True
        ready: list[Message] = []
        while held:
            if expected not in held:
                if not overflow:
                    break
                expected = min(held)
            ready.append(held.pop(expected))
            expected += 1
        self._next[page] = expected
        if not held:
            del self._held[page]
        return ready

    def held(self) -> int:
        """Messages waiting for an earlier one, over all pages."""
        return sum(len(messages) for messages in self._held.values())

    def _expected(self, page: str) -> int:
        if page in self._next:
            self._next.move_to_end(page)
            return self._next[page]
        self._next[page] = 1
        while len(self._next) > self._max_pages:  # a page reload starts a new page id
            gone, _ = self._next.popitem(last=False)
            self._held.pop(gone, None)
        return 1
