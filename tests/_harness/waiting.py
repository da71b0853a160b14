"""Waiting for a condition without timing it: a generous timeout guards against hangs only."""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

T = TypeVar("T")


def eventually(
    predicate: Callable[[], T], *, timeout: float = 30.0, interval: float = 0.2, what: str = ""
) -> T:
    """Call ``predicate()`` until it returns something truthy and return that. On timeout
    raise :class:`TimeoutError` naming ``what`` and the last value seen."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(_message(what, timeout, value))
        time.sleep(interval)


async def eventually_async(
    predicate: Callable[[], T | Awaitable[T]],
    *,
    timeout: float = 30.0,
    interval: float = 0.02,
    what: str = "",
) -> T:
    """:func:`eventually` on the running loop: other tasks run between the calls, and
    ``predicate`` may be a coroutine function."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        value: Any = predicate()
        if inspect.isawaitable(value):
            value = await value
        if value:
            return value  # type: ignore[no-any-return]
        if loop.time() > deadline:
            raise TimeoutError(_message(what, timeout, value))
        await asyncio.sleep(interval)


def _message(what: str, timeout: float, last: object) -> str:
    return f"timed out after {timeout:.0f} s waiting for {what or 'the condition'} (last: {last!r})"
