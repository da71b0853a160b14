"""Audio sent while the session is still connecting is held and delivered in order once it
connects (the user clicks Mic on and talks at once); the hold is bounded."""

from __future__ import annotations

import asyncio

import pytest
from _harness.scripted_server import Connection, ScriptedServer
from _harness.waiting import eventually_async
from session_support import API_KEY, FAST_CLIENT, wire

from nextevi_widgets._session.held_audio import HeldAudio
from nextevi_widgets.session import VoiceSession

FRAME_BYTES = 960  # 20 ms of 24 kHz PCM16


def frame(n: int) -> bytes:
    """A 20 ms frame whose samples all carry ``n`` (so order can be checked on arrival)."""
    return (n % 30_000 + 1).to_bytes(2, "little", signed=True) * (FRAME_BYTES // 2)


async def serve_until_closed(conn: Connection) -> None:
    await conn.send(wire("connection_metadata", connection_id="held"))
    await conn.ws.wait_closed()


def audio_received(server: ScriptedServer) -> list[bytes]:
    return [m for m in server.received[0] if isinstance(m, bytes)]


async def test_audio_sent_while_connecting_arrives_whole_and_in_order() -> None:
    gate = asyncio.Event()
    async with ScriptedServer(serve_until_closed, gate=gate, collect=True) as server:
        session = VoiceSession(
            api_key=API_KEY, config_id="c", url=server.url, emulator=False, **FAST_CLIENT
        )
        session.start()
        assert session.state == "connecting"
        for n in range(150):  # 3 s of speech before the server accepts
            session.send_audio(frame(n))
        gate.set()
        await session.wait_until("connected", timeout=10)
        for n in range(150, 160):
            session.send_audio(frame(n))
        await eventually_async(lambda: len(audio_received(server)) == 160)
        assert audio_received(server) == [frame(n) for n in range(160)]
        session._refresh_stats()
        assert session.stats["frames_dropped"] == 0
        assert session.stats["frames_sent"] == 160
        await session.close()


async def test_the_hold_keeps_the_newest_five_seconds_and_counts_the_rest() -> None:
    gate = asyncio.Event()
    async with ScriptedServer(serve_until_closed, gate=gate, collect=True) as server:
        session = VoiceSession(
            api_key=API_KEY, config_id="c", url=server.url, emulator=False, **FAST_CLIENT
        )
        session.start()
        for n in range(300):  # 6 s: one second too many
            session.send_audio(frame(n))
        gate.set()
        await session.wait_until("connected", timeout=10)
        await eventually_async(lambda: len(audio_received(server)) == 250)
        assert audio_received(server) == [frame(n) for n in range(50, 300)]
        session._refresh_stats()
        assert session.stats["frames_dropped"] == 50
        await session.close()


async def test_audio_held_by_a_session_that_never_connects_is_counted_as_dropped() -> None:
    session = VoiceSession(
        api_key=API_KEY, config_id="c", url="ws://127.0.0.1:9/ws/voice", emulator=False
    )
    session.start()
    for n in range(20):
        session.send_audio(frame(n))
    with pytest.raises(Exception):  # noqa: B017 - the refused connection's error type is not the point
        await session.wait_until("connected", timeout=10)
    await eventually_async(lambda: session._task is not None and session._task.done())
    assert session.stats["frames_dropped"] == 20


def test_audio_before_start_is_dropped_not_held() -> None:
    session = VoiceSession(api_key=API_KEY, config_id="c", url="ws://127.0.0.1:9", emulator=False)
    session.send_audio(frame(0))
    session._refresh_stats()
    assert session.stats["frames_dropped"] == 1


def test_held_audio_is_bounded_in_bytes() -> None:
    held = HeldAudio(max_seconds=0.1)  # 2400 samples: five 20 ms frames
    assert [held.put(frame(n)) for n in range(7)] == [0, 0, 0, 0, 0, 1, 1]
    assert held.seconds == pytest.approx(0.1)
    assert held.drain() == [frame(n) for n in range(2, 7)]
    assert len(held) == 0
    assert held.put(b"\0" * 10_000) == 1  # one frame over the bound is not kept at all
    assert held.clear() == 0
