"""Load: the emulator's memory stays flat under connection churn.

A real emulator process (``lite`` profile: PocketSphinx in two recognition worker processes)
serves 200 real WebSocket connections in waves. In every wave some connections speak (espeak-ng
sentences, so the recognisers really decode): some finish their turn and hang up during the
reply, some hang up mid-sentence; the others stay silent (sending nothing, or silent audio, or
dropping the TCP connection without a close handshake). When every connection of a wave is up
(and every speaker has been heard), the decoders in use are counted; after the last wave the
emulator and its workers must be back within 50 MB of their RSS after a warm-up wave.

No sleeps stand in for progress: each step waits on what the emulator reports
(``GET /emulator/stats``: open connections, decoders leased per process, as each worker counts
them after every earlier request) or on the messages the connections receive.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import numpy as np
import pytest
from process_memory import rss_mb
from websockets.asyncio.client import ClientConnection, connect

from nextevi_widgets.emulator import EmulatorProcess, fetch_stats
from nextevi_widgets.emulator.engines.tts import EspeakSynthesizer

pytestmark = [
    pytest.mark.engines,
    pytest.mark.slow,
    pytest.mark.timeout(300),
    pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc"),
]

WAVES = 5
PER_WAVE = 40  # 200 connections in all
SPEAKERS = 8  # per wave: half finish their turn, half hang up mid-sentence
STT_WORKERS = 2
ALLOWED_GROWTH_MB = 50.0
RATE = 24_000
FRAME = 480  # 20 ms
API_KEY = "oak_memory_0123456789abcdef"
SENTENCES = (
    "The weather is nice today and I would like a cup of tea.",
    "Please call my brother tomorrow morning about the tickets.",
    "I think the meeting went really well this afternoon.",
    "Could you tell me a little more about the train times?",
)
SETTINGS = json.dumps(
    {
        "type": "session_settings",
        "data": {
            "turn_detection": {"enabled": True, "silence_threshold": 0.4},
            "emotion_detection": {"enabled": True},
            "audio": {"sample_rate": RATE, "channels": 1, "encoding": "linear16"},
        },
    }
)
SILENT_MODES = ("nothing", "silent-audio", "drop")


def frames(pcm: np.ndarray[Any, np.dtype[np.int16]]) -> Iterator[bytes]:
    data = pcm.astype("<i2").tobytes()
    for offset in range(0, len(data), 2 * FRAME):
        yield data[offset : offset + 2 * FRAME]


@dataclass
class Connection:
    """One scripted client: ``role`` is ``turn``, ``hang-up`` or one of ``SILENT_MODES``."""

    url: str
    role: str
    speech: bytes = b""
    messages: list[dict[str, Any]] = field(default_factory=list)
    heard: asyncio.Event = field(default_factory=asyncio.Event)
    final: asyncio.Event = field(default_factory=asyncio.Event)
    ws: ClientConnection | None = None
    receiver: asyncio.Task[None] | None = None

    async def open(self) -> None:
        """Connect and, for speakers, stream the sentence until the emulator has heard it."""
        self.ws = await connect(self.url, open_timeout=60, max_size=None)
        first = json.loads(await self.ws.recv())
        assert first["type"] == "connection_metadata", first
        await self.ws.send(SETTINGS)
        self.receiver = asyncio.create_task(self._receive())
        if self.role == "silent-audio":
            for frame in frames(np.zeros(RATE, np.int16)):
                await self.ws.send(frame)
        if self.speech:
            for frame in frames(np.frombuffer(self.speech, np.int16)):
                await self.ws.send(frame)
            await self.heard.wait()  # the recogniser has started on this connection

    async def _receive(self) -> None:
        assert self.ws is not None
        async for frame in self.ws:
            message = json.loads(frame)
            self.messages.append(message)
            if message["type"] == "transcription":
                event = (message.get("metadata") or {}).get("event_type")
                if event == "speech_started":
                    self.heard.set()
                if message.get("is_final") and event == "utterance_end":
                    self.final.set()

    async def finish(self) -> None:
        """End the connection the way ``role`` says."""
        assert self.ws is not None
        assert self.receiver is not None
        if self.role == "turn":
            await self.final.wait()  # the reply has started or is about to: hang up in it
        if self.role == "drop":
            self.ws.transport.abort()
        else:
            await self.ws.close()
        self.receiver.cancel()
        await asyncio.gather(self.receiver, return_exceptions=True)


@dataclass
class Footprint:
    """RSS of the emulator process and of each recognition worker, in MB."""

    by_pid: dict[int, float]

    @property
    def total(self) -> float:
        return sum(self.by_pid.values())

    def __str__(self) -> str:
        parts = ", ".join(f"{pid}: {mb:.0f}" for pid, mb in self.by_pid.items())
        return f"{self.total:.0f} MB ({parts})"


def sentence_audio(espeak: EspeakSynthesizer, text: str, trailing_silence: float) -> bytes:
    voice = espeak.synthesize(text)
    lead = np.zeros(int(0.2 * RATE), np.int16)
    tail = np.zeros(int(trailing_silence * RATE), np.int16)
    return np.concatenate([lead, voice, tail]).astype(np.int16).tobytes()


def leased(stats: dict[str, Any]) -> int:
    return sum(int(entry["leased"]) for entry in stats["decoders"] or ())


async def stats_when(
    url: str, ready: Callable[[dict[str, Any]], bool], timeout: float = 60.0
) -> dict[str, Any]:
    """The emulator's stats once ``ready`` holds for them; empty when ``timeout`` passes."""

    async def poll() -> dict[str, Any]:
        while True:
            stats = await asyncio.to_thread(fetch_stats, url)
            if ready(stats):
                return stats
            await asyncio.sleep(0.05)

    try:
        return await asyncio.wait_for(poll(), timeout)
    except asyncio.TimeoutError:
        return {}


def quiet(stats: dict[str, Any]) -> bool:
    return stats["connections_active"] == 0 and leased(stats) == 0


@pytest.fixture
def emulator(monkeypatch: pytest.MonkeyPatch) -> Iterator[EmulatorProcess]:
    monkeypatch.delenv("NEXTEVI_EMULATOR_LLM_BASE_URL", raising=False)  # rule-based replies
    args = ["--stt-workers", str(STT_WORKERS), "--max-connections", str(PER_WAVE)]
    with EmulatorProcess(profile="lite", preload=True, extra_args=args) as emu:
        yield emu


async def test_memory_returns_to_baseline_after_200_connections(
    emulator: EmulatorProcess,
) -> None:
    espeak = EspeakSynthesizer()
    turn_audio = [sentence_audio(espeak, text, 1.5) for text in SENTENCES]
    hang_up_audio = [sentence_audio(espeak, text, 0.0) for text in SENTENCES]
    serial = itertools.count()

    def url() -> str:
        query = urlencode({"api_key": API_KEY, "config_id": "default"})
        return f"{emulator.url}/churn-{next(serial)}?{query}"

    async def wave(size: int, speakers: int) -> tuple[list[Connection], dict[str, Any], Footprint]:
        conns = []
        for i in range(size):
            if i < speakers:
                role = "turn" if i % 2 == 0 else "hang-up"
                audio = (turn_audio if role == "turn" else hang_up_audio)[i % len(SENTENCES)]
                conns.append(Connection(url(), role, audio))
            else:
                conns.append(Connection(url(), SILENT_MODES[i % len(SILENT_MODES)]))
        await asyncio.wait_for(asyncio.gather(*(c.open() for c in conns)), 120)
        # Everyone is connected and every speaker has been heard: the wave's peak.
        at_peak = await asyncio.to_thread(fetch_stats, emulator.url)
        footprint = measure(at_peak)
        await asyncio.wait_for(asyncio.gather(*(c.finish() for c in conns)), 120)
        return conns, at_peak, footprint

    def measure(stats: dict[str, Any]) -> Footprint:
        pids = [emulator.pid] + [e["pid"] for e in stats["decoders"] if e["pid"] != emulator.pid]
        return Footprint({int(pid): rss_mb(int(pid)) for pid in pids if pid is not None})

    # Warm-up: one wave like the others loads everything a conversation touches (voice,
    # emotion, replies) and sizes the thread and allocator pools for a wave's concurrency.
    await wave(PER_WAVE, SPEAKERS)
    settled = await stats_when(emulator.url, quiet)
    assert settled, "the emulator did not settle after the warm-up"
    assert len(settled["decoders"]) == STT_WORKERS  # recognition runs in the workers
    baseline = measure(settled)

    peaks: list[Footprint] = []
    peak_stats: list[dict[str, Any]] = []
    for _ in range(WAVES):
        conns, at_peak, footprint = await wave(PER_WAVE, SPEAKERS)
        peaks.append(footprint)
        peak_stats.append(at_peak)
        for conn in conns:
            assert not [m for m in conn.messages if m["type"] == "error"], conn.messages
        assert all(c.final.is_set() for c in conns if c.role == "turn")
        closed = await stats_when(emulator.url, lambda s: s["connections_active"] == 0)
        assert closed, "connections of the last wave are still open"

    after_stats = await stats_when(emulator.url, quiet)
    after = measure(after_stats or await asyncio.to_thread(fetch_stats, emulator.url))
    peak = max(peaks, key=lambda f: f.total)
    report = f"baseline {baseline}; peak {peak}; after {after}"
    print(f"\nemulator + {STT_WORKERS} workers RSS: {report}")
    print(f"decoders leased at each wave's peak: {[leased(s) for s in peak_stats]}")
    assert after_stats, f"decoders or connections still open after the churn: {report}"
    assert after_stats["connections_total"] == settled["connections_total"] + WAVES * PER_WAVE
    assert after.total - baseline.total <= ALLOWED_GROWTH_MB, report
    for at_peak in peak_stats:
        assert at_peak["connections_active"] == PER_WAVE
        # Silent connections hold no decoder; each speaker holds exactly one.
        assert leased(at_peak) == SPEAKERS, at_peak["decoders"]
