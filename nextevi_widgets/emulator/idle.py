"""Server-driven idle timeout (React SDK's ``idle_timeout`` session setting).

Idle means neither side is talking: continuous silent audio (which browser clients send) does
not count as activity. After ``warning_timeout`` seconds an ``idle_warning`` goes out, a
``final_warning`` shortly before ``hangup_timeout``, then a ``system_message`` (``hangup``)
and a 1000 close with reason ``IDLE_TIMEOUT``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from websockets.exceptions import ConnectionClosed

from ..client.messages import IdleTimeout, IdleWarning, ServerMessage, SystemMessage

__all__ = ["IdleMonitor"]

_POLL_SECONDS = 0.1
_FINAL_WARNING_SECONDS = 5.0


class IdleMonitor:
    """Watches one connection; call :meth:`touch` on every user or assistant activity."""

    def __init__(
        self,
        busy: Callable[[], bool],
        send: Callable[[ServerMessage], Awaitable[None]],
        hang_up: Callable[[], Awaitable[None]],
    ) -> None:
        self._busy = busy
        self._send = send
        self._hang_up = hang_up
        self._loop = asyncio.get_running_loop()
        self._last_activity = self._loop.time()
        self._warned: set[str] = set()
        self._task: asyncio.Task[None] | None = None

    def touch(self) -> None:
        self._last_activity = self._loop.time()
        self._warned.clear()

    def configure(self, idle: IdleTimeout | None) -> None:
        """(Re)start watching per the client's settings; ``None`` or disabled stops it."""
        self.stop()
        if idle is None or not idle.enabled:
            return
        if idle.warning_timeout is None and idle.hangup_timeout is None:
            return
        self.touch()
        self._task = self._loop.create_task(self._watch(idle))

    def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            self._task = None

    async def _warn(self, kind: str, remaining: float | None) -> None:
        if kind not in self._warned:
            self._warned.add(kind)
            await self._send(IdleWarning(time_remaining=remaining, warning_type=kind))

    async def _watch(self, idle: IdleTimeout) -> None:
        warn, hangup = idle.warning_timeout, idle.hangup_timeout
        final_at = None
        if hangup is not None:
            final_at = min(_FINAL_WARNING_SECONDS, (hangup - (warn or 0.0)) / 2)
        try:
            while True:
                await asyncio.sleep(_POLL_SECONDS)
                if self._busy():
                    self.touch()
                    continue
                idle_for = self._loop.time() - self._last_activity
                remaining = None if hangup is None else max(0.0, hangup - idle_for)
                if remaining is not None and remaining <= 0:
                    await self._send(
                        SystemMessage(
                            content="Session ended after inactivity.", message_type="hangup"
                        )
                    )
                    await self._hang_up()
                    return
                if warn is not None and idle_for >= warn:
                    await self._warn("warning", remaining)
                if remaining is not None and final_at is not None and remaining <= final_at:
                    await self._warn("final_warning", remaining)
        except ConnectionClosed:
            pass
