"""Where a session connects: the real service, or a local emulator it starts and owns."""

from __future__ import annotations

import os
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from typing import Literal, TypeAlias
from urllib.parse import urlsplit

from ..client.config import redact_url

__all__ = [
    "EMULATOR_API_KEY",
    "EMULATOR_CONFIG_ID",
    "Backend",
    "EmulatorMode",
    "open_backend",
    "resolve_emulator_mode",
]

EmulatorMode: TypeAlias = "bool | Literal['auto', 'process', 'inprocess']"

EMULATOR_API_KEY = "oak_local_emulator_key"
"""Well-formed placeholder the local emulator accepts (it checks the shape only)."""
EMULATOR_CONFIG_ID = "emulator-default"
"""Config id used with the emulator when none is given (selects the ``default`` profile)."""

_LOOPBACK = frozenset({"localhost", "127.0.0.1", "::1", "[::1]"})


def _env(name: str) -> str | None:
    return os.environ.get(name) or None


def resolve_emulator_mode(
    emulator: bool | str, *, api_key: str | None, access_token: str | None, url: str | None
) -> Literal["process", "inprocess"] | None:
    """Which emulator to start, or None for none. ``"auto"`` starts one (in a child process)
    only when there are no credentials anywhere and no ``url`` was given."""
    if emulator is False:
        return None
    if emulator is True or emulator == "process":
        return "process"
    if emulator == "inprocess":
        return "inprocess"
    if emulator != "auto":
        raise ValueError(
            f"emulator must be True, False, 'auto', 'process' or 'inprocess', not {emulator!r}"
        )
    has_credentials = any(
        (api_key, access_token, _env("NEXTEVI_API_KEY"), _env("NEXTEVI_ACCESS_TOKEN"))
    )
    return None if has_credentials or url else "process"


def is_local_url(url: str | None) -> bool:
    if not url:
        return False
    try:
        host = urlsplit(url).hostname
    except ValueError:
        return False
    return host in _LOOPBACK


@dataclass
class Backend:
    """Connection target. ``api_key``/``access_token`` are None when the client should
    resolve them itself (arguments or environment)."""

    url: str | None
    api_key: str | None
    access_token: str | None
    config_id: str | None
    is_emulator: bool
    _stack: AsyncExitStack = field(default_factory=AsyncExitStack, repr=False)
    _process: object | None = field(default=None, repr=False)

    def __repr__(self) -> str:
        url = None if self.url is None else redact_url(self.url)
        return f"Backend(url={url!r}, is_emulator={self.is_emulator})"

    async def aclose(self) -> None:
        """Stop the emulator this backend started (no-op for the real service)."""
        await self._stack.aclose()

    def stop_now(self) -> None:
        """Synchronous best effort for when no loop is running: stop a child process."""
        stop = getattr(self._process, "stop", None)
        if callable(stop):
            stop()


async def open_backend(
    mode: Literal["process", "inprocess"] | None,
    *,
    api_key: str | None,
    access_token: str | None,
    url: str | None,
    config_id: str | None,
) -> Backend:
    """Start the emulator ``mode`` asks for (if any) and say how to reach it."""
    if mode is None:
        local = is_local_url(url)
        anonymous = not any(
            (api_key, access_token, _env("NEXTEVI_API_KEY"), _env("NEXTEVI_ACCESS_TOKEN"))
        )
        if local and anonymous:
            # A local emulator started elsewhere (e.g. `nextevi-widgets emulator`).
            api_key, config_id = EMULATOR_API_KEY, config_id or EMULATOR_CONFIG_ID
        return Backend(
            url=url,
            api_key=api_key,
            access_token=access_token,
            config_id=config_id,
            is_emulator=local,
        )
    backend = Backend(
        url=None,
        api_key=EMULATOR_API_KEY,
        access_token=None,
        config_id=config_id or EMULATOR_CONFIG_ID,
        is_emulator=True,
    )
    try:
        if mode == "inprocess":
            from ..emulator import Emulator

            emu = await backend._stack.enter_async_context(Emulator(port=0))
            backend.url = emu.url
        else:
            from ..emulator import EmulatorProcess

            proc = EmulatorProcess()
            backend._process = proc
            await backend._stack.enter_async_context(proc)
            backend.url = proc.url
    except BaseException:
        await backend.aclose()
        raise
    return backend
