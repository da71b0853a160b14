"""Bad input, dialect knobs and small protocol behaviours of the real emulator."""

from __future__ import annotations

import base64
import contextlib
import itertools
import json
from typing import Any

import numpy as np
from emu_support import (
    FAST_PROFILE,
    Conversation,
    chunk_pcm,
    fast_settings,
    open_conversation,
    silence,
    user_voice,
    ws_url,
)
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from nextevi_widgets.client.messages import parse_server_message
from nextevi_widgets.emulator import Emulator, EngineSet, register_profile
from nextevi_widgets.emulator.engines.base import EngineUnavailableError


async def reply_works(conv: Conversation) -> dict[str, Any]:
    """The connection is still fully usable: a text input gets a streamed reply."""
    await conv.ws.send(json.dumps({"type": "text_input", "text": "hello"}))
    return await conv.until(lambda m: m["type"] == "llm_response_chunk" and m["is_final"])


async def expect_error(conv: Conversation, code: str) -> dict[str, Any]:
    error = await conv.until_type("error")
    assert error["error_code"] == code
    assert error["error_message"]
    assert isinstance(error["details"], dict)
    assert error["data"]["error_code"] == code
    return error


async def test_bad_input_gets_errors_and_connection_survives() -> None:
    async with Emulator(profile=FAST_PROFILE, max_frame_bytes=8192) as emu:
        conv = await open_conversation(ws_url(emu.url))
        await conv.ws.send("{not json")
        await expect_error(conv, "INVALID_JSON")
        await conv.ws.send("[1, 2, 3]")
        await expect_error(conv, "INVALID_MESSAGE")
        await conv.ws.send(json.dumps({"type": "make_coffee", "data": {}}))
        error = await expect_error(conv, "UNKNOWN_MESSAGE_TYPE")
        assert error["details"]["type"] == "make_coffee"
        await conv.ws.send(json.dumps({"type": "audio_input", "data": {"audio": "%%%not-b64"}}))
        await expect_error(conv, "INVALID_AUDIO")
        await conv.ws.send(json.dumps({"type": "audio_input", "data": {"audio": 42}}))
        await expect_error(conv, "INVALID_AUDIO")
        await conv.ws.send(b"\x01\x02\x03")  # odd-length PCM
        await expect_error(conv, "INVALID_AUDIO")
        await conv.ws.send(np.zeros(5000, dtype=np.int16).tobytes())  # 10000 bytes > 8192
        error = await expect_error(conv, "FRAME_TOO_LARGE")
        assert error["details"] == {"size": 10000, "limit": 8192}
        await conv.ws.send(json.dumps({"type": "text_input", "text": "x" * 9000}))
        await expect_error(conv, "FRAME_TOO_LARGE")
        final = await reply_works(conv)
        assert final["content"]
        assert emu.stats.errors_sent == 8
        await conv.ws.close()


async def test_keep_alive_silent_by_default_and_echo_knob(emulator: Emulator) -> None:
    conv = await open_conversation(ws_url(emulator.url))
    await conv.ws.send(json.dumps({"type": "keep_alive", "message_id": "ping-1"}))
    await reply_works(conv)
    assert [m["type"] for m in conv.messages[1:2]] == ["llm_response_chunk"]
    await conv.ws.close()
    async with Emulator(profile=FAST_PROFILE, keep_alive_echo=True) as emu:
        conv = await open_conversation(ws_url(emu.url))
        await conv.ws.send(json.dumps({"type": "keep_alive", "message_id": "ping-2"}))
        echo = await conv.recv()
        assert echo["type"] == "keep_alive"
        assert echo["reply_to"] == "ping-2"
        await conv.ws.close()


async def test_flat_and_envelope_dialects() -> None:
    for dialect in ("flat", "envelope"):
        async with Emulator(profile=FAST_PROFILE, dialect=dialect, tts_lead=30.0) as emu:
            conv = await open_conversation(ws_url(emu.url))
            await conv.ws.send(json.dumps({"type": "text_input", "text": "thanks"}))
            await conv.until(lambda m: m["type"] == "tts_chunk" and m.get("data", m)["is_last"])
            for message in conv.messages:
                assert isinstance(message["timestamp"], float)
                assert message["message_id"]
                if dialect == "flat":
                    assert "data" not in message
                else:
                    extra = set(message) - {"type", "timestamp", "message_id", "data"}
                    # The docs' own example reads tts audio from the top-level `content`.
                    assert extra <= ({"content"} if message["type"] == "tts_chunk" else set())
                # Either way the toolkit's tolerant reader understands every message.
                parsed = parse_server_message(message)
                assert parsed.type == message["type"]
            await conv.ws.close()


async def test_flat_dialect_carries_the_fields_the_livekit_plugin_reads() -> None:
    """The LiveKit plugin reads only the top-level `emotions` of an emotion_update and the
    top-level `error` string of an error."""
    async with Emulator(profile=FAST_PROFILE, dialect="flat", tts_lead=30.0) as emu:
        conv = await open_conversation(ws_url(emu.url), fast_settings(0.3))
        await conv.send_audio(np.concatenate([user_voice(), silence(0.6)]))
        update = await conv.until_type("emotion_update")
        assert "data" not in update
        emotions = update["emotions"]
        assert isinstance(emotions, list)
        assert emotions == update["top_emotions"]
        assert {e["name"] for e in emotions} >= {"joy", "neutral", "sadness"}
        assert all(0.0 <= e["score"] <= 1.0 for e in emotions)
        await conv.ws.send(b"\x01\x02\x03")  # odd-length PCM
        error = await conv.until_type("error")
        assert "data" not in error
        assert isinstance(error["error"], str)
        assert error["error"] == error["error_message"]
        assert "PCM16" in error["error"]
        await conv.ws.close()


async def test_wav_chunks_and_cumulative_text_knobs() -> None:
    async with Emulator(
        profile=FAST_PROFILE, wav_chunks=True, llm_text="cumulative", tts_lead=30.0
    ) as emu:
        conv = await open_conversation(ws_url(emu.url))
        await conv.ws.send(json.dumps({"type": "text_input", "text": "thanks"}))
        await conv.until(lambda m: m["type"] == "tts_chunk" and m["is_last"])
        for chunk in conv.of_type("tts_chunk"):
            blob = chunk_pcm(chunk)
            assert blob[:4] == b"RIFF"
            assert blob[8:12] == b"WAVE"
            assert parse_server_message(chunk).sample_rate == 24000  # type: ignore[attr-defined]
        texts = [m["content"] for m in conv.of_type("llm_response_chunk")]
        for before, after in itertools.pairwise(texts):
            assert after.startswith(before)
        assert texts[-1] == texts[-2]
        await conv.ws.close()


async def test_greeting_and_test_connection() -> None:
    async with Emulator(profile=FAST_PROFILE, greeting="Hi, I am the emulator.") as emu:
        conv = await open_conversation(ws_url(emu.url, "greet-1"))
        greeting = await conv.recv()
        assert greeting["type"] == "system_message"
        assert greeting["message_type"] == "initial"
        assert greeting["content"] == "Hi, I am the emulator."
        await conv.ws.send(json.dumps({"type": "test_connection"}))
        again = await conv.recv()
        assert again["type"] == "connection_metadata"
        assert again["connection_id"] == "greet-1"
        await conv.ws.close()


async def test_idle_warning_then_hangup(emulator: Emulator) -> None:
    settings = {
        "type": "session_settings",
        "sample_rate": 24000,
        "idle_timeout": {"warning_timeout": 0.2, "hangup_timeout": 0.6, "enabled": True},
    }
    conv = await open_conversation(ws_url(emulator.url), json.dumps(settings))
    warning = await conv.until_type("idle_warning")
    assert warning["warning_type"] == "warning"
    assert 0 < warning["time_remaining"] <= 0.6
    hangup = await conv.until_type("system_message")
    assert hangup["message_type"] == "hangup"
    with contextlib.suppress(ConnectionClosed):
        await conv.recv()
    assert conv.ws.close_code == 1000
    assert conv.ws.close_reason == "IDLE_TIMEOUT"
    assert [m["warning_type"] for m in conv.of_type("idle_warning")] == ["warning", "final_warning"]


def _unavailable() -> EngineSet:
    raise EngineUnavailableError(
        "the 'neural' engines need extras: pip install 'nextevi-widgets[neural]'"
    )


register_profile("needs-extra", _unavailable)


async def test_missing_engine_extra_gives_error_and_1011() -> None:
    async with Emulator() as emu:
        async with connect(ws_url(emu.url, config_id="needs-extra")) as ws:
            error = json.loads(await ws.recv())
            assert error["type"] == "error"
            assert error["error_code"] == "ENGINE_UNAVAILABLE"
            assert "nextevi-widgets[neural]" in error["error_message"]
            with contextlib.suppress(ConnectionClosed):
                await ws.recv()
            assert ws.close_code == 1011
            assert "nextevi-widgets[neural]" in (ws.close_reason or "")
        assert emu.connections == 0


async def test_config_id_selects_profile_and_pcm_is_24khz_int16(emulator: Emulator) -> None:
    async with Emulator(tts_lead=30.0) as emu:
        conv = await open_conversation(ws_url(emu.url, config_id=f"cfg-{FAST_PROFILE}-01"))
        assert conv.messages[0]["config"]["engine_profile"] == FAST_PROFILE
        await conv.ws.send(json.dumps({"type": "text_input", "text": "thanks"}))
        chunk = await conv.until_type("tts_chunk")
        pcm = np.frombuffer(base64.b64decode(chunk["content"]), dtype="<i2")
        assert pcm.size > 0
        assert np.abs(pcm).max() > 1000  # real audio, not silence
        await conv.ws.close()
