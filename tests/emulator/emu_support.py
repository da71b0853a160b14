"""Helpers for emulator tests: a raw websockets client, real audio, frame checks."""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

import numpy as np
import numpy.typing as npt
from websockets.asyncio.client import ClientConnection, connect

from nextevi_widgets.emulator import EngineSet, register_profile
from nextevi_widgets.emulator.deterministic import SyntheticVoice, deterministic_engine_set

API_KEY = "oak_test_0123456789abcdef"
RATE = 24_000
FRAME = 480  # 20 ms at 24 kHz
FAST_PROFILE = "fastvoice"
"""Deterministic engines with a quick assistant voice (0.12 s per word) to keep tests short."""

Int16 = npt.NDArray[np.int16]


def _fast() -> EngineSet:
    engines = deterministic_engine_set(tts_seconds_per_word=0.12)
    engines.name = FAST_PROFILE
    return engines


register_profile(FAST_PROFILE, _fast)


def user_voice(text: str = "hello there how are you today") -> Int16:
    """A 'user' utterance: 0.1 s of silence (past the VAD warm-up), then the synthetic voice
    (real energy the VAD calls speech)."""
    return np.concatenate([silence(0.1), SyntheticVoice().synthesize(text)])


def silence(seconds: float, rate: int = RATE) -> Int16:
    return np.zeros(int(seconds * rate), dtype=np.int16)


def ws_url(base: str, connection_id: str = "test-conn", **params: str) -> str:
    query = {"api_key": API_KEY, "config_id": FAST_PROFILE}
    query.update(params)
    query = {k: v for k, v in query.items() if v is not None}
    return f"{base}/{connection_id}?{urlencode(query)}"


def fast_settings(silence_threshold: float = 0.3, **audio: Any) -> str:
    """Docs-envelope settings with a short silence threshold."""
    data: dict[str, Any] = {
        "turn_detection": {"enabled": True, "silence_threshold": silence_threshold},
        "emotion_detection": {"enabled": True},
        "audio": {"sample_rate": RATE, "channels": 1, "encoding": "linear16", **audio},
    }
    return json.dumps({"type": "session_settings", "message_id": "settings-1", "data": data})


class Conversation:
    """A raw websocket client that records every frame and checks each is a JSON text frame."""

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws
        self.messages: list[dict[str, Any]] = []

    async def recv(self, timeout: float = 10.0) -> dict[str, Any]:
        frame = await asyncio.wait_for(self.ws.recv(), timeout)
        assert isinstance(frame, str), "server sent a binary frame"
        message = json.loads(frame)
        assert isinstance(message, dict)
        self.messages.append(message)
        return message

    async def until(
        self, predicate: Callable[[dict[str, Any]], bool], timeout: float = 15.0
    ) -> dict[str, Any]:
        """Receive until ``predicate`` holds; returns that message."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            message = await self.recv(max(0.01, deadline - loop.time()))
            if predicate(message):
                return message

    async def until_type(self, type_: str, timeout: float = 15.0) -> dict[str, Any]:
        return await self.until(lambda m: m["type"] == type_, timeout)

    async def send_audio(self, pcm: Int16, realtime: bool = False) -> None:
        """Stream PCM in 20 ms binary frames (at real-time pace when asked, else quickly)."""
        for start in range(0, pcm.size, FRAME):
            await self.ws.send(pcm[start : start + FRAME].astype("<i2").tobytes())
            await asyncio.sleep(FRAME / RATE if realtime else 0)

    def of_type(self, type_: str) -> list[dict[str, Any]]:
        return [m for m in self.messages if m["type"] == type_]


async def open_conversation(url: str, settings: str | None = None) -> Conversation:
    ws = await connect(url)
    conv = Conversation(ws)
    first = await conv.recv()
    assert first["type"] == "connection_metadata"
    if settings is not None:
        await ws.send(settings)
    return conv


def chunk_pcm(message: dict[str, Any]) -> bytes:
    return base64.b64decode(message["content"])


def check_superset_frame(message: dict[str, Any]) -> None:
    """Default dialect: timestamp + message_id, payload both top level and under ``data``."""
    assert isinstance(message.get("timestamp"), float)
    assert isinstance(message.get("message_id"), str)
    assert message["message_id"]
    data = message.get("data")
    assert isinstance(data, dict), message["type"]
    for key, value in data.items():
        assert message.get(key) == value, (message["type"], key)
