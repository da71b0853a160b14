"""The client's events on their way to the user: a bounded queue read by ``recv()`` and
``async for``, plus callbacks registered with ``on()``.

When nobody reads the queue it keeps the newest ``max_pending`` events: the oldest server
message is dropped first (client events and server errors are kept), counted and logged.
``Disconnected`` is the last event ever queued; ``recv()`` raises once it has been returned.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import inspect
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from .errors import ClientClosedError
from .events import ClientEvent, Disconnected, Event
from .messages import ErrorMessage

__all__ = ["EventQueue"]

logger = logging.getLogger("nextevi_widgets.client")

E = TypeVar("E", bound=Event)
Callback = Callable[[Any], object]


class EventQueue:
    def __init__(self, max_pending: int) -> None:
        self._max_pending = max_pending
        self._events: deque[Event] = deque()
        self._ready = asyncio.Event()
        self._callbacks: list[tuple[type[Any] | None, Callback]] = []
        self._callback_tasks: set[asyncio.Task[object]] = set()
        self.ended = False
        """True once ``Disconnected`` has been queued."""
        self.dropped = 0
        """Events dropped because the queue was full."""

    def emit(self, event: Event) -> None:
        """Queue ``event`` (client events get their ``at`` stamp now) and call the callbacks."""
        if self.ended:
            return
        if isinstance(event, ClientEvent):
            event = dataclasses.replace(event, at=time.monotonic())
        if len(self._events) >= self._max_pending:
            self._drop_oldest()
        self._events.append(event)
        if isinstance(event, Disconnected):
            self.ended = True
        self._ready.set()
        self._dispatch(event)

    async def recv(self) -> Event:
        """The next event. Cancellation-safe (an event is only taken when returned). Raises
        :class:`ClientClosedError` once the final ``Disconnected`` has been returned."""
        while True:
            if self._events:
                event = self._events.popleft()
                if not self._events and not self.ended:
                    self._ready.clear()
                return event
            if self.ended:
                raise ClientClosedError("the client has stopped; no more events")
            self._ready.clear()
            await self._ready.wait()

    def on(
        self, event_type: type[E] | None, callback: Callable[[E], object | Awaitable[object]]
    ) -> Callable[[], None]:
        entry: tuple[type[Any] | None, Callback] = (event_type, callback)
        self._callbacks.append(entry)

        def unsubscribe() -> None:
            with contextlib.suppress(ValueError):
                self._callbacks.remove(entry)

        return unsubscribe

    def cancel_callbacks(self) -> None:
        """Cancel coroutine callbacks still running."""
        for task in list(self._callback_tasks):
            task.cancel()

    def _drop_oldest(self) -> None:
        index = next(
            (
                i
                for i, ev in enumerate(self._events)
                if not isinstance(ev, (ClientEvent, ErrorMessage))
            ),
            0,
        )
        dropped = self._events[index]
        del self._events[index]
        self.dropped += 1
        if self.dropped == 1 or self.dropped % 1000 == 0:
            logger.warning(
                "event queue full (%d pending): dropped oldest %s (%d dropped so far); "
                "read events with recv()/async for, or raise max_pending_events",
                len(self._events),
                type(dropped).__name__,
                self.dropped,
            )

    def _dispatch(self, event: Event) -> None:
        for wanted, callback in list(self._callbacks):
            if wanted is not None and not isinstance(event, wanted):
                continue
            try:
                result = callback(event)
            except Exception:
                logger.exception("event callback %s failed", _name(callback))
                continue
            if inspect.isawaitable(result):
                task: asyncio.Task[object] = asyncio.ensure_future(_run_callback(result, callback))
                self._callback_tasks.add(task)
                task.add_done_callback(self._callback_tasks.discard)


async def _run_callback(awaitable: Awaitable[object], callback: Callback) -> object:
    try:
        return await awaitable
    except asyncio.CancelledError:
        raise
    except Exception:
        logger.exception("event callback %s failed", _name(callback))
        return None


def _name(callback: Callable[..., object]) -> str:
    return getattr(callback, "__qualname__", None) or type(callback).__name__
