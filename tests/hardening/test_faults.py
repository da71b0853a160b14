"""Faults from scripted servers, seen through a :class:`VoiceSession` (the user's level).

Every documented close code arriving mid-session, truncated and interleaved frames, and a
flood of thousands of messages. For each: the session survives (or ends in a visible state),
nothing the server sent is lost or duplicated (the order and count of delivered events is
compared with what the server sent), and the user can see what happened (``state``,
``last_error``, lifecycle events, ``stats``).

The client-level equivalents (first-connect 4xxx, HTTP rejections, backoff exhaustion, a
stalled server) live in ``tests/client``; these tests add the session level and the codes
those do not cover.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from _harness.scripted_server import Connection, ScriptedServer
from fault_messages import metadata, numbered_transcripts, reply

from nextevi_widgets.client.events import (
    Disconnected,
    ProtocolError,
    Reconnected,
    Reconnecting,
)
from nextevi_widgets.client.messages import ConnectionMetadata, LLMResponseChunk, Transcription
from nextevi_widgets.session import VoiceSession

API_KEY = "oak_faults_secret_key_0123456789"
TIMEOUT = 15.0
RETRYABLE = [1001, 1006, 1011, 1012, 1013, 1014]
FATAL = [4001, 4003, 4004, 4400]


class Recorder:
    """Collects the session's incoming events (via ``on_event``) in arrival order."""

    def __init__(self, session: VoiceSession) -> None:
        self.events: list[Any] = []
        self.changed = asyncio.Event()
        session.on_event(self._on_event)

    def _on_event(self, direction: str, event: object, _t: float) -> None:
        if direction == "in":
            self.events.append(event)
            self.changed.set()

    def of(self, kind: type[Any]) -> list[Any]:
        return [e for e in self.events if isinstance(e, kind)]

    def words(self) -> list[str]:
        return [e.transcript for e in self.of(Transcription)]

    async def until(self, predicate: Any, timeout: float = TIMEOUT) -> None:
        async def wait() -> None:
            while not predicate():
                self.changed.clear()
                await self.changed.wait()

        await asyncio.wait_for(wait(), timeout)


def make_session(url: str, **options: Any) -> VoiceSession:
    return VoiceSession(
        api_key=API_KEY,
        config_id="faults-config",
        url=url,
        emulator=False,
        reconnect_base_delay=0.01,
        reconnect_max_delay=0.05,
        **options,
    )


def sent_words(server: ScriptedServer) -> list[str]:
    """The ``transcript`` of every transcription the server sent, over all connections."""
    words = []
    for frames in server.sent:
        for frame in frames:
            try:
                message = json.loads(frame)
            except ValueError:
                continue  # the deliberately broken frames
            if isinstance(message, dict) and message.get("type") == "transcription":
                words.append(message["transcript"])
    return words


async def closed(session: VoiceSession) -> None:
    task = session.close()
    if task is not None:
        await asyncio.wait_for(task, TIMEOUT)


# ---------------------------------------------------------------------------- close codes


def _mid_session_close(code: int, delivered: asyncio.Event) -> Any:
    async def script(conn: Connection) -> None:
        await conn.send(metadata(f"conn-{conn.index}"))
        if conn.index == 0:
            for message in numbered_transcripts(0, 5):
                await conn.send(message)
            # An abort discards unsent bytes, so close only once everything arrived.
            await delivered.wait()
            if code == 1006:
                conn.abort()
            else:
                await conn.ws.close(code, f"scripted {code}")
            return
        for message in numbered_transcripts(5, 10):
            await conn.send(message)
        await conn.drain()

    return script


@pytest.mark.parametrize("code", RETRYABLE)
async def test_retryable_close_mid_session_reconnects_without_loss_or_duplicates(
    code: int,
) -> None:
    delivered = asyncio.Event()
    async with ScriptedServer(_mid_session_close(code, delivered)) as server:
        session = make_session(server.url)
        states: list[str] = []
        session.observe(lambda change: states.append(change["new"]), names=["state"])
        recorder = Recorder(session)
        session.start()
        await recorder.until(lambda: len(recorder.words()) >= 5)
        delivered.set()
        await recorder.until(lambda: len(recorder.words()) >= 10)
        assert session.state == "connected"
        await closed(session)

    assert recorder.words() == sent_words(server) == [f"word {i}" for i in range(10)]
    assert server.connections == 2
    reconnecting = recorder.of(Reconnecting)
    assert len(reconnecting) == 1
    if code != 1006:  # an abort has no close frame, so no code reaches the client
        assert reconnecting[0].code == code
    assert len(recorder.of(Reconnected)) == 1
    assert "reconnecting" in states
    assert states[states.index("reconnecting") + 1] == "connected"
    assert session.stats["reconnects"] == 1
    assert session.connection_id is not None
    assert API_KEY not in repr(recorder.events)


async def test_clean_close_1000_mid_session_ends_without_retry() -> None:
    delivered = asyncio.Event()
    async with ScriptedServer(_mid_session_close(1000, delivered)) as server:
        session = make_session(server.url)
        recorder = Recorder(session)
        session.start()
        await recorder.until(lambda: len(recorder.words()) >= 5)
        delivered.set()
        await recorder.until(lambda: bool(recorder.of(Disconnected)))
        await session.wait_until("disconnected", timeout=TIMEOUT)
        await closed(session)

    assert recorder.words() == sent_words(server) == [f"word {i}" for i in range(5)]
    assert server.connections == 1
    (end,) = recorder.of(Disconnected)
    assert end.code == 1000
    assert end.error is None
    assert session.last_error == ""
    assert not recorder.of(Reconnecting)


@pytest.mark.parametrize("code", FATAL)
async def test_fatal_close_mid_session_is_an_error_state_without_retry(code: int) -> None:
    delivered = asyncio.Event()
    async with ScriptedServer(_mid_session_close(code, delivered)) as server:
        session = make_session(server.url)
        recorder = Recorder(session)
        session.start()
        await recorder.until(lambda: len(recorder.words()) >= 5)
        delivered.set()
        await session.wait_until("error", timeout=TIMEOUT)
        await closed(session)

    assert recorder.words() == sent_words(server) == [f"word {i}" for i in range(5)]
    assert server.connections == 1
    assert str(code) in session.last_error
    assert API_KEY not in session.last_error
    (end,) = recorder.of(Disconnected)
    assert end.code == code
    assert end.error is not None
    assert API_KEY not in str(end.error)
    assert not recorder.of(Reconnecting)


# ---------------------------------------------------------------------------- bad frames


async def test_truncated_and_interleaved_frames_are_reported_and_skipped() -> None:
    finished = asyncio.Event()
    whole = json.dumps(Transcription(transcript="split", is_final=False).to_wire())
    bad_frames: list[str | bytes] = [
        whole[: len(whole) // 2],  # a JSON text cut in half...
        whole[len(whole) // 2 :],  # ...and its other half as the next frame
        b"\x00\x01\x02\x03binary between text frames",
        bytes(range(256)),  # not UTF-8
        '{"type": "transcription", "transcript": "unterminated',
    ]

    async def script(conn: Connection) -> None:
        await conn.send(metadata())
        words = numbered_transcripts(0, len(bad_frames) + 1)
        for good, bad in zip(words, bad_frames, strict=False):
            await conn.send(good)
            await conn.send(bad)
        await conn.send(words[-1])
        await conn.drain()
        finished.set()

    async with ScriptedServer(script) as server:
        session = make_session(server.url)
        recorder = Recorder(session)
        session.start()
        await recorder.until(lambda: len(recorder.words()) >= len(bad_frames) + 1)
        # The connection is still usable in both directions.
        session.say("still there?")
        await _until_received(server, "text_input")
        assert session.state == "connected"
        stats_seen = session.stats.get("protocol_errors")
        await closed(session)

    assert recorder.words() == sent_words(server)
    assert recorder.words() == [f"word {i}" for i in range(len(bad_frames) + 1)]
    errors = recorder.of(ProtocolError)
    assert len(errors) == len(bad_frames)
    assert all(e.detail for e in errors)
    assert stats_seen is None or stats_seen <= len(bad_frames)
    assert server.connections == 1  # a bad frame never costs the connection


async def _until_received(server: ScriptedServer, type_: str) -> dict[str, Any]:
    async def wait() -> dict[str, Any]:
        while True:
            for frames in server.received:
                for frame in frames:
                    if isinstance(frame, str) and json.loads(frame).get("type") == type_:
                        message: dict[str, Any] = json.loads(frame)
                        return message
            await asyncio.sleep(0.01)

    return await asyncio.wait_for(wait(), TIMEOUT)


# ---------------------------------------------------------------------------- flood

FLOOD = 5000


async def test_flood_of_messages_is_delivered_in_order_and_the_session_keeps_up() -> None:
    async def script(conn: Connection) -> None:
        await conn.send(metadata())
        for message in numbered_transcripts(0, FLOOD):  # as fast as the socket takes them
            await conn.send(message)
        await conn.send(reply("end of flood"))
        await conn.drain()

    async with ScriptedServer(script) as server:
        session = make_session(server.url)
        session.max_messages = 100
        recorder = Recorder(session)
        session.start()
        await recorder.until(lambda: bool(recorder.of(LLMResponseChunk)), timeout=60)
        session.say("after the flood")
        text_input = await _until_received(server, "text_input")
        client = session.client
        assert client is not None
        dropped = client.stats.events_dropped
        assert session.state == "connected"
        assert len(session.messages) <= 100
        await closed(session)

    assert text_input["text"] == "after the flood"
    # The flood fits the client's default event bound: every message arrives, in order, once.
    assert dropped == 0
    assert recorder.words() == sent_words(server) == [f"word {i}" for i in range(FLOOD)]


async def test_flood_beyond_the_event_queue_bound_is_accounted_for() -> None:
    """A consumer slower than the flood with a small bound: the oldest events are shed, and
    every shed event is counted (never silently lost); what is delivered keeps the order."""

    async def script(conn: Connection) -> None:
        await conn.send(metadata())
        for message in numbered_transcripts(0, FLOOD):
            await conn.send(message)
        await conn.send(reply("end of flood"))
        await conn.drain()

    async with ScriptedServer(script) as server:
        session = make_session(server.url, max_pending_events=50)
        recorder = Recorder(session)
        session.start()
        await recorder.until(lambda: bool(recorder.of(LLMResponseChunk)), timeout=60)
        client = session.client
        assert client is not None
        dropped = client.stats.events_dropped
        assert session.state == "connected"
        await closed(session)

    indices = [int(w.split()[1]) for w in recorder.words()]
    shed = dropped - 1 if not recorder.of(ConnectionMetadata) else dropped
    assert len(indices) + shed == FLOOD
    assert indices == sorted(set(indices))
    assert indices[-1] == FLOOD - 1  # the newest events are the ones kept
