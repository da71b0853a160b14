"""The whole loop with real signals: a sentence synthesised by espeak-ng streams into the emulator
at real-time pace in 20 ms frames; the emulator's recogniser (phrase mode, so the text is exact)
transcribes it (in the server's process, or in recognition worker processes), the responder
answers, and the reply's TTS audio is recognised again."""

from __future__ import annotations

import asyncio
import base64
import json
import re
from typing import Any
from urllib.parse import urlencode

import numpy as np
import pytest
import soxr
from websockets.asyncio.client import connect

from nextevi_widgets.emulator import Emulator
from nextevi_widgets.emulator.engines.emotion import ProsodyEmotionAnalyzer
from nextevi_widgets.emulator.engines.responder import RuleResponder
from nextevi_widgets.emulator.engines.stt import PocketSphinxRecognizer
from nextevi_widgets.emulator.engines.stt_workers import (
    make_recognizer,
    running_recognition_workers,
)
from nextevi_widgets.emulator.engines.tts import EspeakSynthesizer
from nextevi_widgets.emulator.engines.vad import WebRtcVad
from nextevi_widgets.emulator.profiles import EngineSet, register_profile

pytestmark = [pytest.mark.engines, pytest.mark.slow]

FRAME = 480  # 20 ms at 24 kHz
SPOKEN = "thank you so much for your help today"
DECOYS = ["please call my brother tomorrow morning", "the weather is cold and rainy"]


def _words(text: str) -> str:
    return " ".join(re.findall(r"[a-z']+", text.lower()))


def _get(message: dict[str, Any], key: str) -> Any:
    data = message.get("data")
    return data[key] if isinstance(data, dict) and key in data else message.get(key)


@pytest.mark.parametrize("stt_workers", [0, 2], ids=["in-process", "two-workers"])
async def test_spoken_turn_round_trip_through_the_emulator(stt_workers: int) -> None:
    register_profile(
        "phrase-round-trip",
        lambda: EngineSet(
            vad=WebRtcVad(),
            stt=make_recognizer(phrases=[SPOKEN, *DECOYS]),
            tts=EspeakSynthesizer(),
            emotion=ProsodyEmotionAnalyzer(),
            responder=RuleResponder(),
            name="phrase-round-trip",
        ),
    )
    voice = EspeakSynthesizer().synthesize(SPOKEN)
    pcm = np.concatenate([np.zeros(4800, np.int16), voice, np.zeros(30_000, np.int16)])
    messages: list[dict[str, Any]] = []
    async with Emulator("127.0.0.1", 0, stt_workers=stt_workers) as emu:
        query = urlencode({"api_key": "oak_round_trip_0123", "config_id": "phrase-round-trip"})
        async with connect(f"{emu.url}/round-trip?{query}") as ws:

            async def receive() -> None:
                while True:
                    message = json.loads(await asyncio.wait_for(ws.recv(), 60))
                    messages.append(message)
                    if message["type"] == "tts_chunk" and _get(message, "is_last"):
                        return

            receiver = asyncio.create_task(receive())
            loop = asyncio.get_running_loop()
            start = loop.time()
            for index, offset in enumerate(range(0, pcm.size, FRAME)):
                await ws.send(pcm[offset : offset + FRAME].astype("<i2").tobytes())
                await asyncio.sleep(max(0.0, start + (index + 1) * 0.02 - loop.time()))
            await asyncio.wait_for(receiver, 60)
        workers = running_recognition_workers()
        assert (workers is not None) == (stt_workers > 0)  # recognised in the workers

    transcriptions = [m for m in messages if m["type"] == "transcription"]
    interims = [_get(m, "transcript") for m in transcriptions if not _get(m, "is_final")]
    final = next(m for m in transcriptions if _get(m, "is_final"))
    assert any(interims), "no interim transcript while the user spoke"
    assert _words(_get(final, "transcript")) == SPOKEN  # phrase mode: exact

    reply = next(m for m in messages if m["type"] == "llm_response_chunk" and _get(m, "is_final"))
    reply_text = _words(_get(reply, "content"))
    assert reply_text
    audio = b"".join(base64.b64decode(m["content"]) for m in messages if m["type"] == "tts_chunk")
    reply_pcm = np.frombuffer(audio, "<i2")
    assert reply_pcm.size > 24_000 * 0.5  # at least half a second of speech

    # The assistant's audio is real speech: the recogniser hears the reply text in it.
    heard = PocketSphinxRecognizer(phrases=[reply_text, *DECOYS])
    heard.start_utterance()
    heard.feed(soxr.resample(reply_pcm, 24_000, 16_000).astype(np.int16))
    assert _words(heard.end_utterance().text) == reply_text
