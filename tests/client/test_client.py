"""NextEVIClient against scripted real WebSocket servers: handshake, events, callbacks, malformed
frames, sending, keepalive, close semantics."""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import json
import re
from typing import Any

import numpy as np
import pytest
from _harness.scripted_server import Connection, ScriptedServer
from client_servers import KEY, TIMEOUT, collect, make_client

from nextevi_widgets.client.client import NextEVIClient
from nextevi_widgets.client.errors import ClientClosedError, ConfigurationError, NextEVIError
from nextevi_widgets.client.events import Connected, Disconnected, Event, ProtocolError
from nextevi_widgets.client.messages import (
    ConnectionMetadata,
    EmotionUpdate,
    Interruption,
    LLMResponseChunk,
    SessionSettings,
    Transcription,
    TTSChunk,
    TurnDetection,
    UnknownMessage,
)


def server_events(events: list[Event]) -> list[Event]:
    return [e for e in events if not isinstance(e, (Connected, Disconnected))]


async def test_happy_path_settings_first_then_events_in_order() -> None:
    turn = [
        Transcription(transcript="hel", is_final=False),
        Transcription(transcript="hello", is_final=True),
        EmotionUpdate.from_wire(
            {"type": "emotion_update", "top_emotions": [{"emotion": "Joy", "percentage": 80}]}
        ),
        LLMResponseChunk(content="Hi", is_final=False),
        TTSChunk(audio=np.arange(480, dtype="<i2").tobytes(), chunk_id="c1"),
        LLMResponseChunk(content="Hi there", is_final=True),
        Interruption(kind="user_interruption"),
    ]
    turn = [
        dataclasses.replace(m, timestamp=100.0 + i, message_id=f"s{i}") for i, m in enumerate(turn)
    ]

    async def script(s: Connection) -> None:
        first = await s.next_json()
        s.received[-1] = json.dumps(first)
        await s.send_metadata()
        await s.wait_for_type("text_input")
        for message in turn:
            await s.send(message)
        await s.ws.close(1000, "bye")

    async with ScriptedServer(script) as server:
        settings = SessionSettings(turn_detection=TurnDetection(silence_threshold=0.7))
        client = make_client(server, settings=settings, project_id="proj-9")
        assert client.state == "disconnected"
        await client.connect()
        assert client.state == "connected"
        await client.send_text("hello")
        events = await collect(client)

    session = server.sessions[0]
    # The first frame on the wire is session_settings, in the docs envelope AND flat.
    first = json.loads(session.received[0])
    assert first["type"] == "session_settings"
    assert isinstance(first["timestamp"], float)
    assert first["message_id"]
    assert first["data"]["audio"] == {"sample_rate": 24000, "channels": 1, "encoding": "linear16"}
    assert first["data"]["turn_detection"]["silence_threshold"] == 0.7
    assert (first["sample_rate"], first["channels"], first["encoding"]) == (24000, 1, "linear16")
    # URL: fresh vendor-style id in the path, credentials in the query.
    assert re.fullmatch(r"voice_\d{13}_[a-z0-9]{9}", session.connection_id)
    assert session.connection_id == client.connection_id
    assert session.path == f"/ws/voice/{session.connection_id}"
    assert session.query == {"api_key": [KEY], "config_id": ["cfg-1"], "project_id": ["proj-9"]}
    assert session.headers["User-Agent"].startswith("nextevi-widgets/")

    assert isinstance(events[0], Connected)
    assert events[0].connection_id == session.connection_id
    assert KEY not in events[0].url
    meta = events[1]
    assert isinstance(meta, ConnectionMetadata)
    assert meta.connection_id == session.connection_id
    assert server_events(events)[1:] == turn
    emotion = server_events(events)[3]
    assert isinstance(emotion, EmotionUpdate)
    assert emotion.scores == {"joy": pytest.approx(0.8)}
    last = events[-1]
    assert isinstance(last, Disconnected)
    assert (last.code, last.reason, last.error) == (1000, "bye", None)
    assert client.state == "closed"
    assert client.stats.messages_received == 1 + len(turn)
    assert client.stats.reconnects == 0
    with pytest.raises(ClientClosedError):
        await client.recv()


async def test_callbacks_sync_async_failing_and_unsubscribe(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def script(s: Connection) -> None:
        await s.send_metadata()
        await s.wait_for_type("text_input")
        await s.send(Transcription(transcript="one", is_final=True))
        await s.wait_for_type("text_input")
        await s.send(Transcription(transcript="two", is_final=True))
        await s.ws.close()

    seen_sync: list[str] = []
    seen_async: list[str] = []
    everything: list[Event] = []

    def on_transcription(event: Transcription) -> None:
        seen_sync.append(event.transcript)

    async def on_transcription_async(event: Transcription) -> None:
        await asyncio.sleep(0)
        seen_async.append(event.transcript)

    def broken(event: Event) -> None:
        raise RuntimeError("callback bug")

    async with ScriptedServer(script) as server:
        client = make_client(server)
        unsubscribe = client.on(Transcription, on_transcription)
        client.on(Transcription, on_transcription_async)
        client.on(None, everything.append)
        client.on(None, broken)
        done = asyncio.Event()
        client.on(Disconnected, lambda _: done.set())
        await client.connect()
        await client.send_text("go")
        while not seen_sync:
            await asyncio.wait_for(client.recv(), TIMEOUT)
        unsubscribe()
        await client.send_text("go again")
        await asyncio.wait_for(done.wait(), TIMEOUT)
        await asyncio.sleep(0)

    assert seen_sync == ["one"]
    assert seen_async == ["one", "two"]
    assert [type(e).__name__ for e in everything] == [
        "Connected",
        "ConnectionMetadata",
        "Transcription",
        "Transcription",
        "Disconnected",
    ]
    failures = [r for r in caplog.records if "callback" in r.getMessage()]
    assert len(failures) == len(everything)
    assert client.last_error is None


async def test_malformed_frames_become_protocol_errors_and_connection_survives() -> None:
    bad_frames: list[str | bytes] = [
        "{not json",
        b"\x00\x01\x02binary",
        "[1, 2, 3]",
        '{"no": "type"}',
        json.dumps({"type": "tts_chunk", "content": "@@not base64@@"}),
        "x" * 100_000,
    ]

    async def script(s: Connection) -> None:
        await s.send_metadata()
        for frame in bad_frames:
            await s.send(frame)
        await s.send(json.dumps({"type": "future_feature", "data": {"x": 1}}))
        await s.send(Transcription(transcript="still here", is_final=True))
        await s.wait_for_type("text_input")  # the client can still send
        await s.ws.close()

    async with ScriptedServer(script) as server:
        client = make_client(server)
        await client.connect()
        events: list[Event] = []
        while not (events and isinstance(events[-1], Transcription)):
            events.append(await asyncio.wait_for(client.recv(), TIMEOUT))
        assert client.state == "connected"
        await client.send_text("ack")
        events += await collect(client)

    errors = [e for e in events if isinstance(e, ProtocolError)]
    assert len(errors) == len(bad_frames)
    assert client.stats.protocol_errors == len(bad_frames)
    assert "binary" in errors[1].detail
    assert all(len(e.frame_preview) <= 100 and len(e.detail) < 300 for e in errors)
    unknown = [e for e in events if isinstance(e, UnknownMessage)]
    assert len(unknown) == 1
    assert unknown[0].raw == {"type": "future_feature", "data": {"x": 1}}
    assert [e.transcript for e in events if isinstance(e, Transcription)] == ["still here"]
    assert len(server.sessions) == 1
    assert client.stats.reconnects == 0


async def test_binary_audio_is_sent_after_settings_and_split_into_bounded_frames() -> None:
    tone = (0.3 * np.sin(np.arange(24_000) / 24_000 * 2 * np.pi * 440)).astype(np.float32)

    async def script(s: Connection) -> None:
        await s.send_metadata()
        await s.drain()

    async with ScriptedServer(script) as server:
        client = make_client(server)
        await client.connect()
        await client.send_audio(tone)  # 1 s of float audio
        client.send_audio_nowait(np.zeros(480, dtype=np.int16))
        await asyncio.wait_for(_until(lambda: client.stats.frames_sent == 10 + 1), TIMEOUT)
        await client.close()
        await collect(client)

    frames = server.sessions[0].received
    assert json.loads(frames[0])["type"] == "session_settings"
    audio = [f for f in frames if isinstance(f, bytes)]
    assert all(len(f) <= 4800 for f in audio)
    pcm = b"".join(audio)
    assert len(pcm) == (24_000 + 480) * 2
    received = np.frombuffer(pcm[:48_000], dtype="<i2").astype(np.float32) / 32767
    assert np.max(np.abs(received - tone)) < 1e-4
    assert client.stats.frames_sent == len(audio)
    assert client.stats.bytes_sent == len(pcm)
    assert client.stats.frames_dropped == 0


async def test_json_audio_transport_sends_base64_audio_input() -> None:
    pcm = np.arange(-480, 480, dtype="<i2").tobytes()

    async def script(s: Connection) -> None:
        await s.send_metadata()
        await s.wait_for_type("audio_input")
        await s.ws.close()

    async with ScriptedServer(script) as server:
        client = make_client(server, audio_transport="json")
        await client.connect()
        await client.send_audio(pcm)
        await collect(client)

    frames = server.sessions[0].received
    assert not any(isinstance(f, bytes) for f in frames)
    messages = [json.loads(f) for f in frames]
    audio = [m for m in messages if m["type"] == "audio_input"]
    assert len(audio) == 1
    assert isinstance(audio[0]["timestamp"], float)
    assert audio[0]["message_id"]
    assert base64.b64decode(audio[0]["data"]["audio"]) == pcm
    assert [m["type"] for m in messages] == ["session_settings", "audio_input"]


async def test_control_messages_jump_ahead_of_queued_audio() -> None:
    async def script(s: Connection) -> None:
        await s.send_metadata()
        await s.wait_for_type("keep_alive")
        await s.ws.close()

    async with ScriptedServer(script) as server:
        client = make_client(server)
        await client.connect()
        # Queued synchronously, before the sender task gets a chance to run.
        for _ in range(5):
            client.send_audio_nowait(bytes(960))
        await client.interrupt()
        await client.keep_alive()
        await collect(client)

    frames = server.sessions[0].received
    kinds = [json.loads(f)["type"] if isinstance(f, str) else "audio" for f in frames]
    assert kinds[:3] == ["session_settings", "interrupt", "keep_alive"]


async def test_keepalive_is_sent_periodically() -> None:
    async def script(s: Connection) -> None:
        await s.send_metadata()
        first = await s.wait_for_type("keep_alive")
        second = await s.wait_for_type("keep_alive")
        assert first["message_id"] != second["message_id"]
        await s.ws.close()

    async with ScriptedServer(script) as server:
        client = make_client(server, keepalive_interval=0.02)
        await client.connect()
        await collect(client)

    keepalives = [
        json.loads(f)
        for f in server.sessions[0].received
        if isinstance(f, str) and json.loads(f)["type"] == "keep_alive"
    ]
    assert len(keepalives) >= 2
    assert all(isinstance(k["timestamp"], float) for k in keepalives)


async def test_update_settings_sends_now() -> None:
    async def script(s: Connection) -> None:
        await s.send_metadata()
        await s.next_json()  # initial settings
        updated = await s.wait_for_type("session_settings")
        assert updated["data"]["turn_detection"]["silence_threshold"] == 1.5
        await s.ws.close()

    async with ScriptedServer(script) as server:
        client = make_client(server)
        await client.connect()
        await client.update_settings(
            SessionSettings(turn_detection=TurnDetection(silence_threshold=1.5))
        )
        events = await collect(client)
    last = events[-1]
    assert isinstance(last, Disconnected)
    assert last.error is None
    assert client.settings.turn_detection == TurnDetection(silence_threshold=1.5)


async def test_close_is_clean_idempotent_and_keeps_pending_events() -> None:
    close_codes: list[int | None] = []

    async def script(s: Connection) -> None:
        await s.send_metadata()
        for i in range(3):
            await s.send(Transcription(transcript=f"t{i}", is_final=True))
        await s.drain()
        close_codes.append(s.ws.close_code)

    async with ScriptedServer(script) as server:
        client = make_client(server)
        # Wait (via a callback, without consuming) until the three transcriptions arrived.
        got = asyncio.Event()

        def on_transcription(event: Transcription) -> None:
            if event.transcript == "t2":
                got.set()

        client.on(Transcription, on_transcription)
        await client.connect()
        await asyncio.wait_for(got.wait(), TIMEOUT)
        await client.close()
        await client.close()
        assert client.state == "closed"
        events = await collect(client)
        await asyncio.wait_for(_until(lambda: bool(close_codes)), TIMEOUT)

    assert close_codes == [1000]
    assert [e.transcript for e in events if isinstance(e, Transcription)] == ["t0", "t1", "t2"]
    assert sum(isinstance(e, Disconnected) for e in events) == 1
    assert isinstance(events[-1], Disconnected)
    with pytest.raises(ClientClosedError):
        await client.send_text("too late")
    client.send_audio_nowait(bytes(960))  # audio after close is dropped, never raises
    assert client.stats.frames_dropped == 1


async def test_recv_is_cancellation_safe() -> None:

    async def script(s: Connection) -> None:
        await s.send_metadata()
        await s.wait_for_type("text_input")
        await s.send(Transcription(transcript="after cancel", is_final=True))
        await s.drain()

    async with ScriptedServer(script) as server, make_client(server) as client:
        assert isinstance(await client.recv(), Connected)
        assert isinstance(await client.recv(), ConnectionMetadata)
        for _ in range(3):
            with pytest.raises(TimeoutError):
                await asyncio.wait_for(client.recv(), 0.01)
        await client.send_text("now")
        event = await asyncio.wait_for(client.recv(), TIMEOUT)
    assert isinstance(event, Transcription)
    assert event.transcript == "after cancel"


async def test_event_queue_is_bounded_and_keeps_lifecycle_events(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def script(s: Connection) -> None:
        await s.send_metadata()
        for i in range(50):
            await s.send(LLMResponseChunk(content=f"c{i}"))
        await s.ws.close()

    async with ScriptedServer(script) as server:
        client = make_client(server, max_pending_events=5)
        done = asyncio.Event()
        client.on(Disconnected, lambda _: done.set())
        await client.connect()
        await asyncio.wait_for(done.wait(), TIMEOUT)
        events = await collect(client)

    assert len(events) == 5
    assert isinstance(events[0], Connected)
    assert isinstance(events[-1], Disconnected)
    chunks = [e.content for e in events if isinstance(e, LLMResponseChunk)]
    assert chunks == ["c47", "c48", "c49"]
    assert client.stats.events_dropped == 1 + 50 + 2 - 5
    assert any("event queue full" in r.getMessage() for r in caplog.records)


async def test_first_connect_to_a_dead_port_fails_fast() -> None:
    async with ScriptedServer(lambda s: s.drain()) as server:
        url = server.url
    client = NextEVIClient(api_key=KEY, config_id="cfg", url=url, open_timeout=5)
    with pytest.raises(NextEVIError) as info:
        await client.connect()
    assert "could not connect" in str(info.value)
    assert KEY not in str(info.value)
    assert client.state == "error"
    events = await collect(client)
    assert len(events) == 1
    assert isinstance(events[0], Disconnected)
    assert events[0].error is info.value


async def _until(predicate: Any) -> None:
    while not predicate():  # noqa: ASYNC110 (polls plain counters, no event to wait on)
        await asyncio.sleep(0.005)


async def test_repr_shows_state_and_redacted_url() -> None:
    async def script(s: Connection) -> None:
        await s.send_metadata()
        await s.drain()

    async with ScriptedServer(script) as server:
        client = make_client(server)
        assert "state='disconnected'" in repr(client)
        assert "api_key=***" in client.url
        await client.connect()
        text = repr(client)
        await client.close()
    assert "state='connected'" in text
    assert f"/ws/voice/{client.connection_id}?api_key=***&config_id=cfg-1" in text
    assert KEY not in text


async def test_send_audio_nowait_from_another_thread_is_refused() -> None:
    async def script(s: Connection) -> None:
        await s.send_metadata()
        await s.drain()

    async with ScriptedServer(script) as server:
        client = make_client(server)
        await client.connect()
        with pytest.raises(RuntimeError, match="loop's thread"):
            await asyncio.to_thread(client.send_audio_nowait, bytes(960))
        await client.close()


def test_missing_config_fails_at_construction_without_the_key(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ("NEXTEVI_CONFIG_ID", "NEXTEVI_API_KEY", "NEXTEVI_ACCESS_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(ConfigurationError, match="config_id") as info:
        NextEVIClient(api_key=KEY)
    assert KEY not in str(info.value)
    monkeypatch.setenv("NEXTEVI_API_KEY", KEY)
    monkeypatch.setenv("NEXTEVI_CONFIG_ID", "cfg-env")
    monkeypatch.setenv("NEXTEVI_BASE_URL", "emulator.local:8001")
    client = NextEVIClient()
    assert client.url.startswith("wss://emulator.local:8001/ws/voice/")
    assert "config_id=cfg-env" in client.url
    assert KEY not in repr(client)
