"""Scripted misbehaving NextEVI servers for the fault tests: real ``websockets`` servers on
127.0.0.1 port 0 whose per-connection script decides what goes wrong.

Each connection's script gets the :class:`ServerConnection` and its 0-based index (so a test can
break the first connection and behave on the reconnect). Everything the scripts send through
:meth:`ScriptedServer.send` is recorded, so tests can compare what arrived with what was sent.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
from collections.abc import Awaitable, Callable
from types import TracebackType
from typing import Any

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.exceptions import ConnectionClosed

from nextevi_widgets.client.messages import (
    ConnectionMetadata,
    LLMResponseChunk,
    ServerMessage,
    Transcription,
)

Script = Callable[["ScriptedServer", ServerConnection, int], Awaitable[None]]


class ScriptedServer:
    """``async with ScriptedServer(script) as server: server.url``."""

    def __init__(self, script: Script, **serve_kwargs: Any) -> None:
        self._script = script
        self._serve_kwargs = serve_kwargs
        self._server: Server | None = None
        self._counter = itertools.count()
        self.sent: list[list[str | bytes]] = []
        """Frames sent, per connection, in order."""
        self.received: list[list[str | bytes]] = []
        """Frames received, per connection (only while a script reads via :meth:`drain`)."""
        self.request_paths: list[str] = []
        self._index: dict[ServerConnection, int] = {}
        self.connected = asyncio.Event()

    @property
    def port(self) -> int:
        assert self._server is not None
        port: int = self._server.sockets[0].getsockname()[1]
        return port

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws/voice"

    @property
    def connections(self) -> int:
        return len(self.sent)

    async def __aenter__(self) -> ScriptedServer:
        self._server = await serve(self._handler, "127.0.0.1", 0, **self._serve_kwargs)
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

    async def _handler(self, ws: ServerConnection) -> None:
        index = next(self._counter)
        self.sent.append([])
        self.received.append([])
        self._index[ws] = index
        self.request_paths.append(ws.request.path if ws.request else "")
        self.connected.set()
        await self._script(self, ws, index)

    async def send(self, ws: ServerConnection, frame: str | bytes | ServerMessage) -> None:
        """Send and record one frame (a model is serialised in the superset dialect)."""
        if isinstance(frame, ServerMessage):
            frame = json.dumps(frame.to_wire())
        self.sent[self._index[ws]].append(frame)
        await ws.send(frame)

    async def drain(self, ws: ServerConnection) -> None:
        """Read and record everything the client sends until the connection closes."""
        with contextlib.suppress(ConnectionClosed):
            async for frame in ws:
                self.received[self._index[ws]].append(frame)


def metadata(connection_id: str = "scripted") -> ServerMessage:
    return ConnectionMetadata(connection_id=connection_id)


def numbered_transcripts(start: int, stop: int) -> list[ServerMessage]:
    """Interim transcriptions ``"word 0"``… that a test can count and order-check."""
    return [Transcription(transcript=f"word {i}", is_final=False) for i in range(start, stop)]


def reply(text: str) -> ServerMessage:
    return LLMResponseChunk(content=text, is_final=True)


def abort(ws: ServerConnection) -> None:
    """Drop the TCP connection without a closing handshake (the client sees 1006)."""
    ws.transport.abort()
