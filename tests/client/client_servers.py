"""Scripted NextEVI servers for the client tests: real ``websockets`` servers on 127.0.0.1:0.

A script is ``async def script(session)``; it gets a :class:`Session` for each accepted
connection (its path, query, headers, and helpers that record what the client sent). Optional
``reject(attempt) -> status | None`` answers the HTTP upgrade with an error status instead.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, urlsplit

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.datastructures import Headers
from websockets.http11 import Request, Response

from nextevi_widgets.client.client import NextEVIClient
from nextevi_widgets.client.events import Event
from nextevi_widgets.client.messages import ConnectionMetadata, ServerMessage

Script = Callable[["Session"], Awaitable[None]]
Reject = Callable[[int], int | None]

TIMEOUT = 10.0
"""Generous guard against hangs; never a performance expectation."""

KEY = "oak_clienttest_0123456789"


def make_client(server: ScriptedServer, **kwargs: Any) -> NextEVIClient:
    """A client for ``server`` with test credentials and a short backoff."""
    kwargs.setdefault("reconnect_base_delay", 0.01)
    kwargs.setdefault("reconnect_max_delay", 0.05)
    return NextEVIClient(api_key=KEY, config_id="cfg-1", url=server.url, **kwargs)


async def collect(client: NextEVIClient) -> list[Event]:
    """Every event until iteration ends (after Disconnected)."""

    async def run() -> list[Event]:
        return [event async for event in client]

    return await asyncio.wait_for(run(), TIMEOUT)


@dataclass
class Session:
    ws: ServerConnection
    index: int
    path: str
    query: dict[str, list[str]]
    headers: Headers
    received: list[str | bytes] = field(default_factory=list)

    @property
    def connection_id(self) -> str:
        return self.path.rsplit("/", 1)[-1]

    async def next_frame(self) -> str | bytes:
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

    async def send(self, message: ServerMessage | str | bytes) -> None:
        if isinstance(message, ServerMessage):
            await self.ws.send(json.dumps(message.to_wire()))
        else:
            await self.ws.send(message)

    async def send_metadata(self) -> None:
        await self.send(ConnectionMetadata(connection_id=self.connection_id, config_id="cfg"))

    async def drain(self) -> None:
        """Record every frame until the client goes away."""
        try:
            while True:
                self.received.append(await self.ws.recv())
        except Exception:
            return


class ScriptedServer:
    """``async with ScriptedServer(script) as server: server.url``."""

    def __init__(self, script: Script, *, reject: Reject | None = None) -> None:
        self._script = script
        self._reject = reject
        self._server: Server | None = None
        self.attempts = 0
        """HTTP upgrade requests seen (accepted or rejected)."""
        self.sessions: list[Session] = []
        self.new_session = asyncio.Condition()

    @property
    def url(self) -> str:
        assert self._server is not None
        port = self._server.sockets[0].getsockname()[1]
        return f"ws://127.0.0.1:{port}/ws/voice"

    def _process_request(self, conn: ServerConnection, request: Request) -> Response | None:
        attempt = self.attempts
        self.attempts += 1
        status = self._reject(attempt) if self._reject else None
        if status is not None:
            return conn.respond(HTTPStatus(status), f"rejected with {status}\n")
        return None

    async def _handle(self, ws: ServerConnection) -> None:
        request = ws.request
        assert request is not None
        parts = urlsplit(request.path)
        session = Session(
            ws=ws,
            index=len(self.sessions),
            path=parts.path,
            query=parse_qs(parts.query),
            headers=request.headers,
        )
        self.sessions.append(session)
        async with self.new_session:
            self.new_session.notify_all()
        await self._script(session)

    async def wait_sessions(self, count: int) -> Session:
        async with self.new_session:
            await asyncio.wait_for(
                self.new_session.wait_for(lambda: len(self.sessions) >= count), TIMEOUT
            )
        return self.sessions[count - 1]

    async def __aenter__(self) -> ScriptedServer:
        kwargs: dict[str, Any] = {"process_request": self._process_request, "compression": None}
        self._server = await serve(self._handle, "127.0.0.1", 0, **kwargs)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        assert self._server is not None
        self._server.close()
        await self._server.wait_closed()
