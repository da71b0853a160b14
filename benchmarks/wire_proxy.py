"""A loopback TCP proxy that counts the bytes a browser really puts on the wire.

Playwright (and the DevTools protocol under it) reports WebSocket *message payloads*: after
permessage-deflate has been undone and without frame headers or masks. To judge what a
connection costs, the browser talks to this proxy instead of the server and every byte is
counted per connection and direction; a connection is labelled with the path of its first
HTTP request line, so kernel websockets (``/api/kernels/<id>/channels``) can be told apart from
page loads and REST calls.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field

__all__ = ["ByteCountingProxy", "ConnectionBytes"]

_CHUNK = 65536


@dataclass
class ConnectionBytes:
    path: str = ""
    """Path of the connection's first HTTP request ("" until its first line arrives)."""
    upstream: int = 0
    """Bytes client -> server (the request line and headers included)."""
    downstream: int = 0
    """Bytes server -> client."""
    handshake: int = field(default=0, repr=False)
    """Bytes of the first request's line and headers (to leave out of a websocket's payload)."""


class ByteCountingProxy:
    """``async with ByteCountingProxy(target_port) as proxy:`` browse ``proxy.port`` instead."""

    def __init__(self, target_port: int, host: str = "127.0.0.1") -> None:
        self.host = host
        self.target_port = target_port
        self.port = 0
        self.connections: list[ConnectionBytes] = []
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    async def __aenter__(self) -> ByteCountingProxy:
        self._server = await asyncio.start_server(self._accept, self.host, 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *_exc: object) -> None:
        if self._server is not None:
            self._server.close()
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(BaseException):
                await task

    def upstream_bytes(self, path_prefix: str) -> int:
        """Client -> server bytes after the opening request, over connections whose first
        request path starts with ``path_prefix``."""
        return sum(
            c.upstream - c.handshake for c in self.connections if c.path.startswith(path_prefix)
        )

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        record = ConnectionBytes()
        self.connections.append(record)
        try:
            up_reader, up_writer = await asyncio.open_connection(self.host, self.target_port)
        except OSError:
            writer.close()
            self._tasks.discard(task)
            return
        try:
            await asyncio.gather(
                self._pump(reader, up_writer, record, upstream=True),
                self._pump(up_reader, writer, record, upstream=False),
            )
        finally:
            for w in (writer, up_writer):
                w.close()
            self._tasks.discard(task)

    @staticmethod
    async def _pump(
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        record: ConnectionBytes,
        *,
        upstream: bool,
    ) -> None:
        first = upstream
        try:
            while data := await reader.read(_CHUNK):
                if upstream:
                    record.upstream += len(data)
                    if first:
                        first = False
                        _label(record, data)
                else:
                    record.downstream += len(data)
                writer.write(data)
                await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            with contextlib.suppress(Exception):
                writer.write_eof()


def _label(record: ConnectionBytes, first_bytes: bytes) -> None:
    line, _, _ = first_bytes.partition(b"\r\n")
    parts = line.split(b" ")
    if len(parts) >= 2:
        record.path = parts[1].decode("latin-1")
    end = first_bytes.find(b"\r\n\r\n")
    # Browsers send the upgrade request in one segment; if not, the rest counts as payload.
    record.handshake = end + 4 if end >= 0 else len(first_bytes)
