"""Load: the emulator holds 50 concurrent connections streaming audio on loopback.

Every connection streams the same short synthetic utterance in 20 ms binary frames at real-time
pace, then silence until its turn ends. The test checks correctness under load, not speed: all
connections are open at once, none gets an ``error`` or is closed, each one's turn is detected
and answered, and the emulator accounts for every second of audio. It stops by itself: a fixed
amount of audio per connection and an overall timeout.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import numpy as np
import pytest
from websockets.asyncio.client import ClientConnection, connect

from nextevi_widgets.emulator import Emulator
from nextevi_widgets.emulator.deterministic import SyntheticVoice

CONNECTIONS = 50
RATE = 24_000
FRAME = 480  # 20 ms
API_KEY = "oak_load_0123456789abcdef"
SETTINGS = json.dumps(
    {
        "type": "session_settings",
        "data": {
            "turn_detection": {"enabled": True, "silence_threshold": 0.3},
            "audio": {"sample_rate": RATE, "channels": 1, "encoding": "linear16"},
        },
    }
)

pytestmark = [pytest.mark.slow, pytest.mark.timeout(120)]


def _utterance() -> bytes:
    voice = SyntheticVoice().synthesize("hello there")
    lead = np.zeros(int(0.1 * RATE), dtype=np.int16)
    tail = np.zeros(int(0.6 * RATE), dtype=np.int16)  # past the silence threshold
    return np.concatenate([lead, voice, tail]).astype("<i2").tobytes()


async def _stream(ws: ClientConnection, pcm: bytes) -> None:
    """Send ``pcm`` in 20 ms frames on a real-time schedule (no drift from sleep overshoot)."""
    loop = asyncio.get_running_loop()
    start = loop.time()
    step = 2 * FRAME
    for i, offset in enumerate(range(0, len(pcm), step)):
        await ws.send(pcm[offset : offset + step])
        await asyncio.sleep(max(0.0, start + (i + 1) * FRAME / RATE - loop.time()))


class Gate:
    """Opens when ``n`` parties arrived (``asyncio.Barrier`` needs Python 3.11)."""

    def __init__(self, n: int) -> None:
        self.waiting = n
        self.opened = asyncio.Event()

    async def wait(self) -> None:
        self.waiting -= 1
        if self.waiting <= 0:
            self.opened.set()
        await self.opened.wait()


async def _session(url: str, pcm: bytes, all_open: Gate, log: list[dict[str, Any]]) -> None:
    async with connect(url, open_timeout=30) as ws:
        first = json.loads(await ws.recv())
        assert first["type"] == "connection_metadata"
        await ws.send(SETTINGS)
        await all_open.wait()  # every connection is open before anyone streams
        receiver = asyncio.create_task(_receive(ws, log))
        await _stream(ws, pcm)
        await asyncio.wait_for(receiver, 60)


async def _receive(ws: ClientConnection, log: list[dict[str, Any]]) -> None:
    """Collect messages until the first assistant audio arrives (the turn was answered)."""
    async for frame in ws:
        assert isinstance(frame, str), "the emulator must only send JSON text frames"
        message = json.loads(frame)
        log.append(message)
        if message["type"] == "tts_chunk":
            return


async def test_fifty_concurrent_streaming_connections_without_errors() -> None:
    pcm = _utterance()
    async with Emulator(profile="deterministic", max_connections=CONNECTIONS) as emu:
        all_open = Gate(CONNECTIONS + 1)
        logs: list[list[dict[str, Any]]] = [[] for _ in range(CONNECTIONS)]
        tasks = [
            asyncio.create_task(
                _session(
                    f"{emu.url}/load-{i}?api_key={API_KEY}&config_id=deterministic",
                    pcm,
                    all_open,
                    logs[i],
                )
            )
            for i in range(CONNECTIONS)
        ]
        await asyncio.wait_for(all_open.wait(), 60)
        assert emu.connections == CONNECTIONS
        await asyncio.wait_for(asyncio.gather(*tasks), 90)
        stats = emu.stats

    for log in logs:
        types = [m["type"] for m in log]
        assert "error" not in types, [m for m in log if m["type"] == "error"]
        finals = [m for m in log if m["type"] == "transcription" and m.get("is_final")]
        assert len(finals) == 1
        assert types[-1] == "tts_chunk"
    assert stats.connections_total == CONNECTIONS
    assert stats.errors_sent == 0
    assert stats.turns >= CONNECTIONS
    sent_seconds = CONNECTIONS * len(pcm) / 2 / RATE
    assert stats.audio_seconds_in == pytest.approx(sent_seconds, rel=1e-6)
