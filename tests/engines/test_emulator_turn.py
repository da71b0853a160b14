"""One spoken turn through the real emulator with the real engines: ``default`` (= ``auto``,
Whisper finals) and ``lite`` (PocketSphinx)."""

from __future__ import annotations

import asyncio
import json
from typing import Any
from urllib.parse import urlencode

import numpy as np
import pytest
from _harness.speech import words_of
from websockets.asyncio.client import connect

from nextevi_widgets.emulator import Emulator
from nextevi_widgets.emulator.engines.stt import whisper_available
from nextevi_widgets.emulator.engines.tts import EspeakSynthesizer

pytestmark = [pytest.mark.engines, pytest.mark.slow]

FRAME = 480  # 20 ms at 24 kHz


SENTENCE = "I feel terrible and sad about my job"


@pytest.mark.parametrize("config_id", ["default", "lite"])
async def test_profile_hears_and_answers(config_id: str) -> None:
    if config_id == "default" and not whisper_available():
        pytest.skip("needs nextevi-widgets[emulator]")
    user = EspeakSynthesizer().synthesize(SENTENCE)
    pcm = np.concatenate([np.zeros(7200, np.int16), user, np.zeros(36_000, np.int16)])
    async with Emulator("127.0.0.1", 0) as emu:
        query = urlencode({"api_key": "oak_engine_test_0123", "config_id": config_id})
        async with connect(f"{emu.url}/engine-turn?{query}") as ws:
            messages: list[dict[str, Any]] = []

            async def receive_until(kind: str, final: bool = False) -> dict[str, Any]:
                while True:
                    message = json.loads(await asyncio.wait_for(ws.recv(), 60))
                    messages.append(message)
                    if message["type"] == kind and (not final or _get(message, "is_final")):
                        return message

            metadata = await receive_until("connection_metadata")
            for start in range(0, pcm.size, FRAME):
                await ws.send(pcm[start : start + FRAME].astype("<i2").tobytes())
            final = await receive_until("transcription", final=True)
            reply = await receive_until("llm_response_chunk", final=True)
            audio = await receive_until("tts_chunk")
    config = _get(metadata, "config")
    if config_id == "default":
        assert config["engine_profile"] == "auto"
        assert config["engines"]["stt"] == "whisper"
        assert config["engines"]["interim"] == "pocketsphinx"
        # Whisper is right on this sentence, also on a busy machine (no timing in decoding).
        assert words_of(_get(final, "transcript")) == words_of(SENTENCE)
    else:
        assert config["engine_profile"] == "lite"
        assert _get(final, "transcript")  # PocketSphinx heard words (exact text varies)
    words = _get(final, "words")
    assert words
    assert all(0.0 <= w["confidence"] <= 1.0 for w in words)
    interims = [m for m in messages if m["type"] == "transcription" and not _get(m, "is_final")]
    assert interims
    text = _get(reply, "content")
    assert text.endswith(("?", ".", "!"))
    assert _get(audio, "content")


def _get(message: dict[str, Any], key: str) -> Any:
    data = message.get("data")
    if isinstance(data, dict) and key in data:
        return data[key]
    return message.get(key)
