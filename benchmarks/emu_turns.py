"""Timed user turns against an emulator over a raw WebSocket (shared by the emulator
benchmarks).

A turn streams a spoken utterance in 20 ms binary frames on a real-time schedule, then keeps
streaming silence (as a live microphone does) until the assistant's first ``tts_chunk``, then
until its last. Times are ``time.perf_counter()`` seconds relative to the end of the user's
speech (the last voiced frame sent).
"""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import soxr
from websockets.asyncio.client import ClientConnection, connect

from .harness import Skip

RATE = 24_000
FRAME = 480
API_KEY = "oak_bench_0123456789abcdef"
SILENCE_FRAME = bytes(2 * FRAME)


def espeak_speech(text: str, workdir: Path, rate: int = RATE) -> npt.NDArray[np.float32]:
    """``text`` spoken by the espeak-ng CLI at 150 words/min, mono float32 at ``rate``."""
    exe = shutil.which("espeak-ng")
    if exe is None:
        raise Skip("espeak-ng is not installed")
    out = workdir / "espeak.wav"
    subprocess.run([exe, "-s", "150", "-w", str(out), text], check=True, timeout=30)
    import soundfile

    data, source_rate = soundfile.read(str(out), dtype="float32")
    if data.ndim > 1:
        data = data.mean(axis=1)
    return np.asarray(soxr.resample(data, source_rate, rate), dtype=np.float32)


def espeak_utterance(text: str, workdir: Path) -> bytes:
    """``text`` spoken by the espeak-ng CLI, as 24 kHz PCM16 (the user's voice)."""
    pcm = (np.clip(espeak_speech(text, workdir), -1, 1) * 32767).astype("<i2")
    # A second of "room silence" first: the previous reply has finished playing by then.
    lead = np.zeros(RATE, dtype="<i2")
    return np.concatenate([lead, pcm]).tobytes()


def last_voiced_frame(pcm: bytes, threshold: int = 500) -> int:
    """Index of the 20 ms frame holding the last sample above ``threshold`` (the synthesiser
    pads its output with silence, which is not speech)."""
    samples = np.abs(np.frombuffer(pcm, dtype="<i2").astype(np.int32))
    loud = np.flatnonzero(samples > threshold)
    return int(loud[-1]) // FRAME if loud.size else len(samples) // FRAME


def settings_json(silence_threshold: float) -> str:
    return json.dumps(
        {
            "type": "session_settings",
            "data": {
                "turn_detection": {"enabled": True, "silence_threshold": silence_threshold},
                "emotion_detection": {"enabled": True},
                "audio": {"sample_rate": RATE, "channels": 1, "encoding": "linear16"},
            },
        }
    )


@dataclass
class TurnTiming:
    final_transcript: float | None
    """Speech end (the last voiced frame sent) -> final transcription."""
    first_tts: float | None
    """Speech end -> first tts_chunk."""
    reply_audio_s: float
    """Seconds of assistant audio received."""
    reply_wall_s: float | None
    """First to last tts_chunk, wall time (real-time pacing makes this ~ audio minus lead)."""
    errors: int


class TurnRunner:
    """One connection; :meth:`turn` runs one timed user turn."""

    def __init__(self, url: str, silence_threshold: float) -> None:
        self.url = url
        self.silence_threshold = silence_threshold
        self.ws: ClientConnection | None = None

    async def __aenter__(self) -> TurnRunner:
        self.ws = await connect(self.url, open_timeout=60, max_size=None)
        first = json.loads(await self.ws.recv())
        if first.get("type") != "connection_metadata":
            raise RuntimeError(f"unexpected first message {first.get('type')!r}")
        await self.ws.send(settings_json(self.silence_threshold))
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self.ws is not None:
            await self.ws.close()

    async def turn(self, pcm: bytes, timeout: float = 30.0) -> TurnTiming:
        assert self.ws is not None
        ws = self.ws
        loop = asyncio.get_running_loop()
        start = loop.time()
        frames = [pcm[i : i + 2 * FRAME] for i in range(0, len(pcm), 2 * FRAME)]
        voiced_end = last_voiced_frame(pcm)
        speech_end: list[float] = []
        stop = asyncio.Event()

        async def mic() -> None:
            index = 0
            while not stop.is_set():
                frame = frames[index] if index < len(frames) else SILENCE_FRAME
                await ws.send(frame)
                if index == voiced_end:
                    speech_end.append(time.perf_counter())
                index += 1
                delay = start + index * FRAME / RATE - loop.time()
                if delay > 0:
                    await asyncio.sleep(delay)

        sender = asyncio.create_task(mic())
        seen: dict[str, float] = {}
        counts = {"audio_s": 0.0, "errors": 0.0}

        async def receive() -> None:
            while True:
                message = json.loads(await ws.recv())
                now = time.perf_counter()
                kind = message.get("type")
                if kind == "error":
                    counts["errors"] += 1
                elif kind == "transcription" and message.get("is_final") and speech_end:
                    seen.setdefault("final", now)
                elif kind == "tts_chunk" and speech_end:
                    seen.setdefault("first", now)
                    seen["last"] = now
                    counts["audio_s"] += len(message.get("content", "")) * 3 / 4 / 2 / RATE
                    if message.get("is_last"):
                        return

        try:
            await asyncio.wait_for(receive(), timeout)
        except asyncio.TimeoutError:
            pass
        finally:
            stop.set()
            await sender
        final_at, first_at, last_at = seen.get("final"), seen.get("first"), seen.get("last")
        audio_s, errors = counts["audio_s"], int(counts["errors"])
        end = speech_end[0] if speech_end else None

        def rel(t: float | None) -> float | None:
            return None if t is None or end is None else t - end

        return TurnTiming(
            final_transcript=rel(final_at),
            first_tts=rel(first_at),
            reply_audio_s=audio_s,
            reply_wall_s=None if first_at is None or last_at is None else last_at - first_at,
            errors=errors,
        )
