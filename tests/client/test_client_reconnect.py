"""Reconnect policy of NextEVIClient against scripted real servers: abnormal drops reconnect
(fresh id, settings first, no event lost or duplicated), 4xxx closes and HTTP 401/403/404
rejections never retry, backoff is bounded and exhaustion is reported."""

from __future__ import annotations

import asyncio
import json

import pytest
from _harness.scripted_server import Connection, ScriptedServer
from client_servers import KEY, TIMEOUT, collect, make_client

from nextevi_widgets.client.errors import (
    AuthenticationError,
    ConnectionClosedError,
    ReconnectExhaustedError,
)
from nextevi_widgets.client.events import (
    Connected,
    Disconnected,
    Event,
    Reconnected,
    Reconnecting,
)
from nextevi_widgets.client.messages import (
    ConnectionMetadata,
    LLMResponseChunk,
    SessionSettings,
    TurnDetection,
)


def chunks(events: list[Event]) -> list[int]:
    return [e.chunk_index or 0 for e in events if isinstance(e, LLMResponseChunk)]


async def test_abort_mid_turn_reconnects_without_losing_or_duplicating_events() -> None:
    """The server aborts the TCP connection (close 1006) in the middle of a response; the
    client reconnects with a new id, re-sends (updated) settings first, and the response
    continues on the new connection with every event seen exactly once."""
    total, cut = 10, 5
    next_chunk = 0

    async def script(s: Connection) -> None:
        nonlocal next_chunk
        await s.next_json()  # settings
        await s.send_metadata()
        while next_chunk < total:
            await s.send(LLMResponseChunk(content=f"w{next_chunk} ", chunk_index=next_chunk))
            next_chunk += 1
            if s.index == 0 and next_chunk == cut:
                # The client acknowledges what it has read; only then drop the TCP connection.
                await s.wait_for_type("text_input")
                s.ws.transport.abort()
                return
        await s.send(LLMResponseChunk(content="full", is_final=True, chunk_index=total))
        await s.wait_for_type("text_input")
        await s.ws.close(1000, "done")

    async with ScriptedServer(script) as server:
        client = make_client(server)
        await client.connect()
        await client.update_settings(
            SessionSettings(turn_detection=TurnDetection(silence_threshold=0.9))
        )
        first_id = client.connection_id
        events: list[Event] = []
        async for event in client:
            events.append(event)
            if isinstance(event, LLMResponseChunk) and event.chunk_index in (cut - 1, total):
                await client.send_text("ack")

    assert chunks(events) == list(range(total + 1))
    kinds = [type(e).__name__ for e in events]
    assert kinds.count("Reconnecting") == 1
    assert kinds.count("Reconnected") == 1
    assert kinds.count("Connected") == 1
    assert kinds.index("Reconnecting") < kinds.index("Reconnected")
    reconnecting = next(e for e in events if isinstance(e, Reconnecting))
    assert (reconnecting.attempt, reconnecting.code) == (1, 1006)
    assert 0 <= reconnecting.delay <= 0.01
    reconnected = next(e for e in events if isinstance(e, Reconnected))
    assert reconnected.connection_id == client.connection_id != first_id
    assert [s.connection_id for s in server.sessions] == [first_id, client.connection_id]
    # Settings are the first frame of the new connection, with the update applied.
    resent = json.loads(server.sessions[1].received[0])
    assert resent["type"] == "session_settings"
    assert resent["data"]["turn_detection"]["silence_threshold"] == 0.9
    first_sent = json.loads(server.sessions[0].received[0])
    assert resent["message_id"] != first_sent["message_id"]
    last = events[-1]
    assert isinstance(last, Disconnected)
    assert (last.code, last.error) == (1000, None)
    assert client.stats.reconnects == 1


@pytest.mark.parametrize(
    ("code", "error_type"),
    [
        (4001, AuthenticationError),
        (4003, AuthenticationError),
        (4004, ConnectionClosedError),
        (4429, ConnectionClosedError),
    ],
)
async def test_4xxx_close_on_first_connect_raises_and_never_retries(
    code: int, error_type: type[Exception]
) -> None:
    async def script(s: Connection) -> None:
        await s.ws.close(code, "AUTH_FAILED" if code == 4001 else "NOPE")

    async with ScriptedServer(script) as server:
        client = make_client(server)
        client.first_frame_grace = (
            TIMEOUT  # the close arrives long before; keeps this deterministic
        )
        with pytest.raises(error_type) as info:
            await client.connect()
        events = await collect(client)
        await asyncio.sleep(0.05)  # a (wrong) retry would have reached the server by now
        attempts = server.attempts

    assert type(info.value) is error_type
    assert isinstance(info.value, ConnectionClosedError)
    assert info.value.code == code
    assert attempts == 1
    assert client.state == "error"
    assert client.last_error is info.value
    assert [type(e) for e in events] == [Connected, Disconnected]
    last = events[-1]
    assert isinstance(last, Disconnected)
    assert last.code == code
    assert last.error is info.value


async def test_4xxx_close_mid_session_ends_without_retry() -> None:
    async def script(s: Connection) -> None:
        await s.send_metadata()
        await s.send(LLMResponseChunk(content="a", chunk_index=0))
        await s.ws.close(4003, "ACCESS_DENIED")

    async with ScriptedServer(script) as server:
        client = make_client(server)
        await client.connect()
        events = await collect(client)
        await asyncio.sleep(0.05)
        attempts = server.attempts

    assert attempts == 1
    assert chunks(events) == [0]
    last = events[-1]
    assert isinstance(last, Disconnected)
    assert isinstance(last.error, AuthenticationError)
    assert (last.code, last.reason) == (4003, "ACCESS_DENIED")
    assert "ACCESS_DENIED" in str(last.error)
    assert not any(isinstance(e, Reconnecting) for e in events)


@pytest.mark.parametrize(
    ("status", "code", "error_type"),
    [
        (401, 4001, AuthenticationError),
        (403, 4003, AuthenticationError),
        (404, 4004, ConnectionClosedError),
    ],
)
async def test_http_rejection_maps_to_typed_error_without_retry(
    status: int, code: int, error_type: type[ConnectionClosedError]
) -> None:
    async with ScriptedServer(lambda s: s.drain(), reject=lambda _: status) as server:
        client = make_client(server)
        with pytest.raises(error_type) as info:
            await client.connect()
        attempts = server.attempts

    assert type(info.value) is error_type
    assert info.value.code == code
    assert f"HTTP {status}" in str(info.value)
    assert KEY not in str(info.value)
    assert attempts == 1
    events = await collect(client)
    assert len(events) == 1
    assert isinstance(events[0], Disconnected)
    assert events[0].error is info.value


async def test_http_401_on_reconnect_stops_retrying() -> None:
    async def script(s: Connection) -> None:
        await s.send_metadata()
        s.ws.transport.abort()

    async with ScriptedServer(script, reject=lambda n: 401 if n >= 1 else None) as server:
        client = make_client(server, max_reconnect_attempts=5)
        await client.connect()
        events = await collect(client)
        attempts = server.attempts

    assert attempts == 2
    last = events[-1]
    assert isinstance(last, Disconnected)
    assert isinstance(last.error, AuthenticationError)
    assert last.error.code == 4001


async def test_reconnect_exhaustion_after_bounded_attempts() -> None:
    async def script(s: Connection) -> None:
        await s.send_metadata()
        s.ws.transport.abort()

    # Only the first upgrade is accepted; every reconnect gets a 503 (retryable).
    async with ScriptedServer(script, reject=lambda n: 503 if n >= 1 else None) as server:
        client = make_client(
            server, max_reconnect_attempts=3, reconnect_base_delay=0.01, reconnect_max_delay=0.02
        )
        await client.connect()
        events = await collect(client)
        attempts = server.attempts

    assert attempts == 1 + 3
    reconnecting = [e for e in events if isinstance(e, Reconnecting)]
    assert [e.attempt for e in reconnecting] == [1, 2, 3]
    assert [e.delay <= cap for e, cap in zip(reconnecting, (0.01, 0.02, 0.02), strict=True)] == [
        True
    ] * 3
    assert not any(isinstance(e, Reconnected) for e in events)
    last = events[-1]
    assert isinstance(last, Disconnected)
    assert isinstance(last.error, ReconnectExhaustedError)
    assert last.error.attempts == 3
    assert "503" in last.error.last_error
    assert client.state == "error"


async def test_flapping_server_is_bounded_too() -> None:
    """Connections that open and die before delivering anything count as failed attempts."""

    async def script(s: Connection) -> None:
        if s.index == 0:
            await s.send_metadata()
        s.ws.transport.abort()

    async with ScriptedServer(script) as server:
        client = make_client(server, max_reconnect_attempts=2)
        await client.connect()
        events = await collect(client)
        attempts = server.attempts

    assert attempts == 1 + 2
    last = events[-1]
    assert isinstance(last, Disconnected)
    assert isinstance(last.error, ReconnectExhaustedError)


async def test_clean_close_1000_ends_without_error_or_retry() -> None:
    async def script(s: Connection) -> None:
        await s.send_metadata()
        await s.ws.close(1000, "session ended")

    async with ScriptedServer(script) as server:
        client = make_client(server)
        await client.connect()
        events = await collect(client)
        await asyncio.sleep(0.05)
        attempts = server.attempts

    assert attempts == 1
    assert [type(e) for e in events] == [Connected, ConnectionMetadata, Disconnected]
    last = events[-1]
    assert isinstance(last, Disconnected)
    assert (last.code, last.reason, last.error) == (1000, "session ended", None)
    assert client.state == "closed"


async def test_going_away_1001_is_retried() -> None:
    """Documented decision: 1001 is what a restarting or draining server sends, so the client
    reconnects (as the vendor's React SDK does)."""

    async def script(s: Connection) -> None:
        await s.send_metadata()
        if s.index == 0:
            await s.ws.close(1001, "server restarting")
        else:
            await s.ws.close(1000, "bye")

    async with ScriptedServer(script) as server:
        client = make_client(server)
        await client.connect()
        events = await collect(client)

    kinds = [type(e).__name__ for e in events]
    assert kinds == [
        "Connected",
        "ConnectionMetadata",
        "Reconnecting",
        "Reconnected",
        "ConnectionMetadata",
        "Disconnected",
    ]
    reconnecting = events[2]
    assert isinstance(reconnecting, Reconnecting)
    assert (reconnecting.code, reconnecting.reason) == (1001, "server restarting")


async def test_close_during_backoff_stops_promptly() -> None:
    async def script(s: Connection) -> None:
        await s.send_metadata()
        s.ws.transport.abort()

    async with ScriptedServer(script) as server:
        client = make_client(server, reconnect_base_delay=60, reconnect_max_delay=60)
        reconnecting = asyncio.Event()
        client.on(Reconnecting, lambda _: reconnecting.set())
        await client.connect()
        await asyncio.wait_for(reconnecting.wait(), TIMEOUT)
        await asyncio.wait_for(client.close(), TIMEOUT)
        events = await collect(client)

    assert client.state == "closed"
    last = events[-1]
    assert isinstance(last, Disconnected)
    assert last.error is None
