"""Where a session connects: the real service, or a local emulator it starts and owns."""

from __future__ import annotations

from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from typing import Literal, TypeAlias
from urllib.parse import urlsplit

from ..client.config import redact_url
from ..client.options import ConnectionOptions

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


def resolve_emulator_mode(
    emulator: bool | str, options: ConnectionOptions
) -> Literal["process", "inprocess"] | None:
    """Which emulator to start, or None for none. ``"auto"`` starts one (in a child process)
    only when there are no credentials anywhere (``options`` or the environment) and
    ``options`` has no ``url``."""
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
    has_credentials = options.resolve().has_credentials
    return None if has_credentials or options.url else "process"


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
    """Connection target: the options the client is built from (the emulator's address and
    placeholder key filled in when it is one)."""

    options: ConnectionOptions
    is_emulator: bool
    _stack: AsyncExitStack = field(default_factory=AsyncExitStack, repr=False)
    _process: object | None = field(default=None, repr=False)

    @property
    def url(self) -> str | None:
        return self.options.url

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
    mode: Literal["process", "inprocess"] | None, options: ConnectionOptions
) -> Backend:
    """Start the emulator ``mode`` asks for (if any) and say how to reach it."""
    config_id = options.config_id or EMULATOR_CONFIG_ID
    if mode is None:
        local = is_local_url(options.url)
        if local and not options.resolve().has_credentials:
            # A local emulator started elsewhere (e.g. `nextevi-widgets emulator`).
            options = options.replace(api_key=EMULATOR_API_KEY, config_id=config_id)
        return Backend(options=options, is_emulator=local)
    options = options.replace(api_key=EMULATOR_API_KEY, access_token=None, config_id=config_id)
    backend = Backend(options=options, is_emulator=True)
    try:
        if mode == "inprocess":
            from ..emulator import Emulator

            emu = await backend._stack.enter_async_context(Emulator(port=0))
            backend.options = options.replace(url=emu.url)
        else:
            from ..emulator import EmulatorProcess

            proc = EmulatorProcess()
            backend._process = proc
            await backend._stack.enter_async_context(proc)
            backend.options = options.replace(url=proc.url)
    except BaseException:
        await backend.aclose()
        raise
    return backend
