"""``VoiceSession.wait_until``: wait for a state or a condition, failing fast when the
session stops first."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import Any, Protocol, TypeVar

__all__ = ["STATES", "SessionError", "wait_for_condition"]

STATES = ("disconnected", "connecting", "connected", "reconnecting", "error")


class SessionError(RuntimeError):
    """The session stopped or failed while something was waiting on it."""


class Watched(Protocol):
    """What waiting reads of a session: its state, its alert and trait notifications."""

    state: Any
    last_error: Any

    def observe(self, handler: Callable[[Any], None]) -> None: ...

    def unobserve(self, handler: Callable[[Any], None]) -> None: ...


S = TypeVar("S", bound=Watched)


async def wait_for_condition(
    session: S,
    predicate_or_state: str | Callable[[S], bool],
    timeout: float | None,
    runner: Callable[[], asyncio.Task[None] | None],
) -> None:
    """See :meth:`VoiceSession.wait_until`. Re-checks on every trait change and at least
    four times a second (for conditions that are not traits). ``runner()`` is the session's
    background task (None before it starts)."""
    predicate: Callable[[S], bool]
    if isinstance(predicate_or_state, str):
        target = predicate_or_state
        if target not in STATES:
            raise ValueError(f"unknown state {target!r}; one of {STATES}")

        def predicate(s: S) -> bool:
            return bool(s.state == target)

        description = f"state {target!r}"
    else:
        target = ""
        predicate = predicate_or_state
        description = getattr(predicate, "__name__", "condition")
    loop = asyncio.get_running_loop()
    changed = asyncio.Event()

    def poke(_change: Any) -> None:
        changed.set()

    session.observe(poke)
    deadline = None if timeout is None else loop.time() + timeout
    try:
        while True:
            if predicate(session):
                return
            if target not in ("error", "disconnected"):
                if session.state == "error":
                    raise SessionError(session.last_error or "the session failed")
                task = runner()
                if task is not None and task.done():
                    detail = f": {session.last_error}" if session.last_error else ""
                    raise SessionError(
                        f"the session stopped before {description} "
                        f"(state {session.state!r}{detail})"
                    )
            remaining = None if deadline is None else deadline - loop.time()
            if remaining is not None and remaining <= 0:
                raise TimeoutError(
                    f"timed out after {timeout} s waiting for {description} "
                    f"(state {session.state!r})"
                )
            changed.clear()
            wait = 0.25 if remaining is None else min(remaining, 0.25)
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(changed.wait(), wait)
    finally:
        session.unobserve(poke)
