"""Faults from a scripted WebSocket server: drops mid-turn, fatal closes, bad frames, late
audio after an interruption."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Callable

import numpy as np
import pytest
from _harness.scripted_server import Connection, ScriptedServer
from _harness.waiting import eventually_async
from session_support import API_KEY, FAST_CLIENT, wire

from nextevi_widgets.client.messages import TTSChunk
from nextevi_widgets.session import SessionError, VoiceSession

CONFIG = "scripted-config"


def audio_b64(seconds: float) -> str:
    tone = 3000 * np.sin(np.arange(int(seconds * 24_000)) * 2 * np.pi * 220 / 24_000)
    return base64.b64encode(tone.astype("<i2").tobytes()).decode("ascii")


def scripted_session(url: str, **options: object) -> VoiceSession:
    return VoiceSession(
        api_key=API_KEY, config_id=CONFIG, url=url, emulator=False, **FAST_CLIENT, **options
    )


async def test_drop_mid_turn_reconnects_without_losing_or_duplicating_messages() -> None:
    partial_seen = asyncio.Event()

    async def handler(conn: Connection) -> None:
        await conn.send(wire("connection_metadata", connection_id=f"server-{conn.index + 1}"))
        if conn.index == 0:
            await conn.send(wire("transcription", transcript="first question", is_final=True))
            await conn.send(wire("llm_response_chunk", content="Partial ", generation_id="g1"))
            await conn.send(wire("tts_chunk", content=audio_b64(0.2), generation_id="g1"))
            await partial_seen.wait()
            conn.abort()  # no close frame: an abnormal drop (1006)
            return
        await conn.send(wire("transcription", transcript="second question", is_final=True))
        await conn.send(
            wire("llm_response_chunk", content="Full answer.", is_final=True, generation_id="g2")
        )
        await conn.ws.wait_closed()

    async with ScriptedServer(handler) as server:
        session = scripted_session(server.url)
        states: list[str] = []
        session.observe(lambda change: states.append(change["new"]), names=["state"])
        ids: list[str | None] = []
        session.observe(lambda change: ids.append(change["new"]), names=["connection_id"])
        session.start()
        await session.wait_until(lambda s: s.stats.get("tts_chunks", 0) >= 1, timeout=10)
        partial_seen.set()
        await session.wait_until(
            lambda s: any(m["text"] == "Full answer." for m in s.messages), timeout=10
        )
        closing = session.close()
        assert closing is not None
        await closing

    assert states[:4] == ["connecting", "connected", "reconnecting", "connected"]
    assert states[-1] == "disconnected"
    assert "server-1" in ids
    assert "server-2" in ids
    summary = [(m["role"], m["text"], m["interrupted"]) for m in session.messages]
    assert summary == [
        ("user", "first question", False),
        ("assistant", "Partial ", True),  # cut by the drop
        ("user", "second question", False),
        ("assistant", "Full answer.", False),
    ]
    assert session.stats["reconnects"] == 1
    assert session.last_error == ""


@pytest.mark.parametrize(
    ("code", "reason", "expected"),
    [
        (4001, "AUTH_FAILED", "Authentication failed (4001 AUTH_FAILED): check NEXTEVI_API_KEY"),
        (4004, "CONFIG_NOT_FOUND", "Configuration not found (4004 CONFIG_NOT_FOUND)"),
    ],
)
async def test_fatal_close_sets_error_state_naming_the_code_not_the_key(
    code: int, reason: str, expected: str
) -> None:
    async def handler(conn: Connection) -> None:
        await conn.ws.close(code, reason)

    async with ScriptedServer(handler) as server:
        session = scripted_session(server.url)
        task = session.start()
        await session.wait_until("error", timeout=10)
        await asyncio.wait({task}, timeout=10)

    assert session.state == "error"
    assert session.last_error.startswith(expected)
    assert API_KEY not in session.last_error
    assert API_KEY not in repr(session)
    assert server.connections == 1  # fatal: never retried
    # Waiting for anything else fails fast with the reason.
    with pytest.raises(SessionError, match=str(code)):
        await session.wait_until("connected", timeout=5)


async def test_unreachable_server_is_an_error_state() -> None:
    async with ScriptedServer(lambda conn: conn.ws.wait_closed()) as server:
        url = server.url
    session = scripted_session(url)  # the server is gone: nothing listens on that port
    session.start()
    await session.wait_until("error", timeout=15)
    assert "connect" in session.last_error
    assert API_KEY not in session.last_error


async def test_late_audio_bad_frames_and_server_errors(
    make_session: Callable[..., VoiceSession],
) -> None:
    done = asyncio.Event()

    async def handler(conn: Connection) -> None:
        await conn.send(wire("connection_metadata", connection_id="server-x"))
        await conn.send(wire("llm_response_chunk", content="Long reply", generation_id="g1"))
        await conn.send(wire("tts_chunk", content=audio_b64(0.2), generation_id="g1"))
        await conn.send(wire("tts_interruption", content=""))
        await conn.send(wire("tts_chunk", content=audio_b64(0.2), generation_id="g1"))  # late
        await conn.send("this is not json")
        await conn.send(
            wire("error", error_code="AUDIO_PROCESSING_FAILED", error_message="bad audio")
        )
        await done.wait()

    async with ScriptedServer(handler) as server:
        session = scripted_session(server.url)
        chunks: list[TTSChunk] = []
        stops: list[str] = []
        session.add_audio_sink(chunks.append, stops.append)
        errors: list[str] = []
        session.observe(lambda change: errors.append(change["new"]), names=["last_error"])
        session.start()
        await session.wait_until(
            lambda s: s.last_error.startswith("AUDIO_PROCESSING_FAILED"), timeout=10
        )
        await session.wait_until(lambda s: s.stats.get("protocol_errors", 0) == 1, timeout=5)
        done.set()
        closing = session.close()
        assert closing is not None
        await closing

    assert len(chunks) == 1
    assert stops[0] == "interruption"
    assert session.stats["late_chunks_dropped"] == 1
    assert any(e.startswith("Protocol error") for e in errors)
    assert session.last_error == "AUDIO_PROCESSING_FAILED: bad audio"
    reply, notice = session.messages
    assert reply["interrupted"] is True
    assert reply["heard_text"] == ""
    assert notice["role"] == "system"
    assert notice["text"] == "Error AUDIO_PROCESSING_FAILED: bad audio"
    await eventually_async(lambda: session.state == "disconnected")


async def test_what_the_server_said_before_rejecting_the_connection_is_kept() -> None:
    """A server that explains itself in an error message and then closes with 4001 (auth): the
    message was received, so it shows in the transcript beside the authentication failure."""

    async def script(conn: Connection) -> None:
        await conn.send(wire("error", error_code="QUOTA", error_message="no credit"))
        await conn.ws.close(4001, "AUTH_FAILED")

    async with ScriptedServer(script) as server:
        session = VoiceSession(
            url=server.url, api_key=API_KEY, config_id="c", emulator=False, **FAST_CLIENT
        )
        events: list[str] = []
        session.on_event(lambda _d, event, _t: events.append(type(event).__name__))
        await asyncio.wait_for(session.start(), 10)
    assert "ErrorMessage" in events
    assert [m["text"] for m in session.messages] == ["Error QUOTA: no credit"]
    assert session.last_error.startswith("Authentication failed (4001")
