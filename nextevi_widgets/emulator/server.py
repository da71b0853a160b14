"""The emulator's WebSocket server: routing, authentication and engine selection.

Only ``/ws/voice/{connection_id}`` is served (any other path gets HTTP 404). Authentication
follows the docs' error reference: the upgrade is accepted, then a failed check closes the
socket with 4001/4003/4004 and the error name as the close reason (a browser only sees a close
code when the upgrade succeeded).

``GET /emulator/stats`` answers with the emulator's counters as JSON (:class:`EmulatorStats`
fields, plus ``decoders``: per process holding PocketSphinx decoders, its ``pid`` and how many
are ``leased`` to connections and ``idle`` in its pool), for monitoring and load tests.

At most ``max_connections`` connections are served at once (admitted before authentication,
so the check costs nothing); the next one is closed with 1013 (Try Again Later) and the reason
``TOO_MANY_CONNECTIONS: …``. 1013 is a standard "temporary condition" close, which clients
retry with backoff; the 4xxx codes are the vendor's fatal authentication/config errors.

Each connection's engines are closed when it ends (:meth:`EngineSet.close`), which frees its
PocketSphinx decoder in its recognition worker at once.

Missing optional speech engines are reported after authentication: the client gets an
``error`` message (``ENGINE_UNAVAILABLE``, naming the extra to install) and a 1011 close.
"""

from __future__ import annotations

import asyncio
import dataclasses
import gc
import ipaddress
import json
import logging
from http import HTTPStatus
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response

from ..client.messages import ErrorMessage
from .auth import ConnectRequest, authorize, connection_id_from_path, parse_connect_request
from .engines._memory import return_freed_memory
from .engines.base import EngineUnavailableError
from .engines.stt_workers import (
    acquire_recognition_workers,
    decoder_stats,
    release_recognition_workers,
)
from .options import EmulatorOptions
from .profiles import DEFAULT_PROFILE, EngineSet, get_engine_set, profile_for_config, profile_names
from .redact import wire_logger
from .session import Session, close_reason
from .stats import STATS_PATH, EmulatorStats

__all__ = ["Emulator", "is_loopback"]

logger = logging.getLogger(__name__)

_WILDCARD_HOSTS = frozenset({"", "0.0.0.0", "::"})
TRY_AGAIN_LATER = 1013
"""Close code for a connection over ``max_connections`` (RFC 6455's "Try Again Later")."""


def is_loopback(host: str | None) -> bool:
    """Whether binding to ``host`` keeps the server reachable from this machine only."""
    if host is None:
        return False
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _tidy_memory() -> None:
    """Collect the connections' reference cycles and give the freed heap back to the OS.
    Run when the last connection has closed, so an idle emulator is as small as a fresh one."""
    gc.collect()
    return_freed_memory()


class Emulator:
    """A local NextEVI-compatible server.

    ::

        async with Emulator(port=0, profile="deterministic") as emu:
            url = f"{emu.url}/my-connection?api_key=oak_...&config_id=..."

    Keyword arguments are :class:`EmulatorOptions` fields (or pass ``options=``). Binds to
    127.0.0.1 by default; binding elsewhere logs a warning because the emulator accepts any
    well-formed key.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        options: EmulatorOptions | None = None,
        **overrides: Any,
    ) -> None:
        base = options or EmulatorOptions()
        self.options = dataclasses.replace(base, **overrides) if overrides else base
        self.host = host
        self._requested_port = port
        self._server: Server | None = None
        self._port: int | None = None
        self._workers_held = False
        self._admitted = 0
        self.stats = EmulatorStats()

    # ---------------------------------------------------------------- lifecycle

    async def start(self) -> Emulator:
        """Bind and start serving; returns self."""
        if self._server is not None:
            return self
        if not is_loopback(self.host):
            logger.warning(
                "NextEVI emulator bound to %r: it is exposed beyond loopback and accepts any "
                "well-formed API key; anyone who can reach this port can use it",
                self.host,
            )
        if self.options.stt_workers:
            # Started by the first connection that recognises with PocketSphinx.
            acquire_recognition_workers(self.options.stt_workers)
            self._workers_held = True
        limit = self.options.max_frame_bytes
        # One socket only, so port 0 yields one port: "localhost" could also bind ::1 and
        # "" both address families, each on its own random port.
        bind = {"localhost": "127.0.0.1", "": "0.0.0.0"}.get(self.host, self.host)
        self._server = await serve(
            self._handle,
            bind,
            self._requested_port,
            process_request=self._route,
            # Above the application limit so oversize frames get an error, not a 1009 close.
            max_size=max(2 * limit, limit + (1 << 16)),
            compression=None,
            logger=wire_logger(),
        )
        sockets = list(self._server.sockets)
        self._port = int(sockets[0].getsockname()[1])
        logger.info("NextEVI emulator listening on %s", self.url)
        return self

    async def stop(self) -> None:
        """Close every connection (1001) and stop listening."""
        server, self._server = self._server, None
        if server is None:
            return
        server.close()
        await server.wait_closed()
        if self._workers_held:
            self._workers_held = False
            await asyncio.to_thread(release_recognition_workers)

    async def serve_forever(self) -> None:
        await self.start()
        assert self._server is not None
        await self._server.serve_forever()

    async def __aenter__(self) -> Emulator:
        return await self.start()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    # ---------------------------------------------------------------- properties

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("the emulator is not started")
        return self._port

    @property
    def url(self) -> str:
        """``ws://host:port/ws/voice``; clients append ``/{connection_id}?...``."""
        host = "127.0.0.1" if self.host in _WILDCARD_HOSTS | {"localhost"} else self.host
        if ":" in host and not host.startswith("["):
            host = f"[{host}]"
        return f"ws://{host}:{self.port}/ws/voice"

    @property
    def connections(self) -> int:
        """Connections currently being served."""
        return self.stats.connections_active

    @property
    def running(self) -> bool:
        return self._server is not None

    # ---------------------------------------------------------------- connections

    async def _route(self, connection: ServerConnection, request: Request) -> Response | None:
        if urlsplit(request.path).path == STATS_PATH:
            return await self._stats_response(connection)
        if connection_id_from_path(request.path) is None:
            return connection.respond(HTTPStatus.NOT_FOUND, "Not found: use /ws/voice/{id}\n")
        return None

    async def _stats_response(self, connection: ServerConnection) -> Response:
        body: dict[str, Any] = dataclasses.asdict(self.stats)
        try:
            body["decoders"] = await asyncio.to_thread(decoder_stats)
        except Exception as exc:  # a worker that is gone: report it rather than fail
            body["decoders"] = None
            body["decoders_error"] = f"{type(exc).__name__}: {exc}"
        response = connection.respond(HTTPStatus.OK, json.dumps(body) + "\n")
        del response.headers["Content-Type"]  # respond() made it text/plain
        response.headers["Content-Type"] = "application/json"
        return response

    def _select_profile(self, config_id: str | None, names: tuple[str, ...]) -> str | None:
        """The profile for a connection, or None when the config id names none."""
        if self.options.profile:
            return self.options.profile
        if config_id and config_id in self.options.config_profiles:
            return self.options.config_profiles[config_id]
        return profile_for_config(config_id, names)

    async def _handle(self, ws: ServerConnection) -> None:
        # Admission first, with no await before the count changes: a burst cannot overshoot.
        limit = self.options.max_connections
        if self._admitted >= limit:
            self.stats.connections_refused += 1
            logger.warning(
                "connection refused: %d connections are open (max_connections=%d)",
                self._admitted,
                limit,
            )
            reason = f"TOO_MANY_CONNECTIONS: the emulator serves at most {limit} at once"
            await ws.close(TRY_AGAIN_LATER, close_reason(reason))
            return
        self._admitted += 1
        try:
            await self._serve_connection(ws)
        finally:
            self._admitted -= 1
            if self._admitted == 0:
                await asyncio.to_thread(_tidy_memory)

    async def _serve_connection(self, ws: ServerConnection) -> None:
        request = parse_connect_request(ws.request.path, ws.request.headers) if ws.request else None
        if request is None:
            await ws.close(1008, "NOT_FOUND")
            return
        names = await asyncio.to_thread(profile_names)
        named = self._select_profile(request.config_id, names)
        decision = authorize(request, self.options.auth, known_config=named is not None)
        if not decision.ok:
            self.stats.auth_failures += 1
            logger.info("connection %s refused: %s", request.connection_id[:64], decision.reason)
            await ws.close(decision.close_code, decision.reason)
            return
        engines = await self._engines(ws, request, named or DEFAULT_PROFILE)
        if engines is None:
            return
        self.stats.connections_total += 1
        self.stats.connections_active += 1
        try:
            await Session(ws, request, engines, self.options, self.stats).run()
        except Exception:
            logger.exception("connection %s failed", request.connection_id[:64])
            await ws.close(1011, "INTERNAL_ERROR")
        finally:
            # Off the loop: closing waits for a recognition call still in progress.
            try:
                await asyncio.to_thread(engines.close)
            except Exception:
                logger.exception(
                    "connection %s: releasing engines failed", request.connection_id[:64]
                )
            self.stats.connections_active -= 1

    async def _engines(
        self, ws: ServerConnection, request: ConnectRequest, profile: str
    ) -> EngineSet | None:
        try:
            return await asyncio.to_thread(get_engine_set, profile)
        except EngineUnavailableError as exc:
            message = str(exc)
            logger.warning("connection %s: %s", request.connection_id[:64], message)
        except Exception as exc:
            message = f"engine profile {profile!r} failed to load ({exc.__class__.__name__})"
            logger.exception("connection %s: %s", request.connection_id[:64], message)
        self.stats.errors_sent += 1
        error = ErrorMessage(
            error_code="ENGINE_UNAVAILABLE", error_message=message, details={"profile": profile}
        )
        try:
            await ws.send(json.dumps(error.to_wire(self.options.dialect), separators=(",", ":")))
            await ws.close(1011, close_reason(f"ENGINE_UNAVAILABLE: {message}"))
        except ConnectionClosed:
            pass
        return None
