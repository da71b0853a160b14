"""Scripted NextEVI servers: real ``websockets`` servers on 127.0.0.1 port 0 whose script plays
each connection (to test clients, sessions and widgets against a server that misbehaves on cue).

A script is ``async def script(conn: Connection)``, run once per accepted connection; the
connection knows its 0-based ``index`` (break the first, behave on the reconnect), its request
(path, query, headers), and records what it sent (:meth:`Connection.send`) and received.
``ScriptedServer(script, reject=...)`` answers chosen upgrade attempts with an HTTP error;
``gate`` holds every opening handshake until set (a server slow to accept); ``collect=True``
records every frame the client sends while the script runs (for scripts that only send).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, urlsplit

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.datastructures import Headers
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response

from nextevi_widgets.client.messages import ConnectionMetadata, ServerMessage

Script = Callable[["Connection"], Awaitable[None]]
Reject = Callable[[int], int | None]

TIMEOUT = 10.0
"""Generous guard against hangs; never a performance expectation."""

Frame = str | bytes


@dataclass
class Connection:
    """One accepted connection, as its script sees it."""

    ws: ServerConnection
    index: int
    path: str
    query: dict[str, list[str]]
    headers: Headers
    sent: list[Frame] = field(default_factory=list)
    received: list[Frame] = field(default_factory=list)

    @property
    def connection_id(self) -> str:
        return self.path.rsplit("/", 1)[-1]

    async def send(self, message: ServerMessage | Frame) -> None:
        """Send and record one frame (a model in the superset dialect)."""
        frame = json.dumps(message.to_wire()) if isinstance(message, ServerMessage) else message
        self.sent.append(frame)
        await self.ws.send(frame)

    async def send_metadata(self) -> None:
        await self.send(ConnectionMetadata(connection_id=self.connection_id, config_id="cfg"))

    async def next_frame(self) -> Frame:
        frame = await asyncio.wait_for(self.ws.recv(), TIMEOUT)
        self.received.append(frame)
        return frame

    async def next_json(self) -> dict[str, Any]:
        """The next JSON text frame (binary audio frames in between are recorded, skipped)."""
        while True:
            frame = await self.next_frame()
            if isinstance(frame, str):
                data = json.loads(frame)
                assert isinstance(data, dict)
                return data

    async def wait_for_type(self, type_: str) -> dict[str, Any]:
        while True:
            data = await self.next_json()
            if data.get("type") == type_:
                return data

    async def drain(self) -> None:
        """Record every frame until the client goes away."""
        with contextlib.suppress(ConnectionClosed):
            async for frame in self.ws:
                self.received.append(frame)

    def abort(self) -> None:
        """Drop the TCP connection without a closing handshake (the client sees 1006)."""
        self.ws.transport.abort()


class ScriptedServer:
    """``async with ScriptedServer(script) as server: server.url``."""

    def __init__(
        self,
        script: Script,
        *,
        reject: Reject | None = None,
        gate: asyncio.Event | None = None,
        collect: bool = False,
        **serve_kwargs: Any,
    ) -> None:
        self._script = script
        self._reject = reject
        self._gate = gate
        self._collect = collect
        self._serve_kwargs = serve_kwargs
        self._server: Server | None = None
        self.attempts = 0
        """HTTP upgrade requests seen (accepted or rejected)."""
        self.sessions: list[Connection] = []
        """The accepted connections, in order."""
        self.connected = asyncio.Event()
        self._new_session = asyncio.Condition()

    @property
    def port(self) -> int:
        assert self._server is not None
        port: int = next(iter(self._server.sockets)).getsockname()[1]
        return port

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws/voice"

    @property
    def connections(self) -> int:
        return len(self.sessions)

    @property
    def sent(self) -> list[list[Frame]]:
        """Frames sent, per connection, in order."""
        return [conn.sent for conn in self.sessions]

    @property
    def received(self) -> list[list[Frame]]:
        """Frames received, per connection, in order."""
        return [conn.received for conn in self.sessions]

    @property
    def request_paths(self) -> list[str]:
        return [conn.path for conn in self.sessions]

    async def wait_sessions(self, count: int) -> Connection:
        """The ``count``-th connection, once it is accepted."""
        async with self._new_session:
            await asyncio.wait_for(
                self._new_session.wait_for(lambda: len(self.sessions) >= count), TIMEOUT
            )
        return self.sessions[count - 1]

    async def _process_request(self, conn: ServerConnection, request: Request) -> Response | None:
        attempt = self.attempts
        self.attempts += 1
        status = self._reject(attempt) if self._reject else None
        if status is not None:
            return conn.respond(HTTPStatus(status), f"rejected with {status}\n")
        if self._gate is not None:
            await self._gate.wait()
        return None

    async def _handle(self, ws: ServerConnection) -> None:
        request = ws.request
        assert request is not None
        parts = urlsplit(request.path)
        conn = Connection(
            ws=ws,
            index=len(self.sessions),
            path=parts.path,
            query=parse_qs(parts.query),
            headers=request.headers,
        )
        self.sessions.append(conn)
        self.connected.set()
        async with self._new_session:
            self._new_session.notify_all()
        collector = asyncio.ensure_future(conn.drain()) if self._collect else None
        try:
            await self._script(conn)
        finally:
            if collector is not None:
                collector.cancel()

    async def __aenter__(self) -> ScriptedServer:
        kwargs: dict[str, Any] = {"compression": None, **self._serve_kwargs}
        self._server = await serve(
            self._handle, "127.0.0.1", 0, process_request=self._process_request, **kwargs
        )
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        assert self._server is not None
        self._server.close()
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(self._server.wait_closed(), 5)
