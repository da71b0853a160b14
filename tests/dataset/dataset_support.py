"""Real session events for the dataset tests: turns run on the in-process emulator."""

from __future__ import annotations

import asyncio
from pathlib import Path

import numpy as np
import soundfile

from nextevi_widgets.client.messages import SessionSettings, TurnDetection
from nextevi_widgets.emulator.deterministic import SyntheticVoice
from nextevi_widgets.recording import Recorder
from nextevi_widgets.session import VoiceSession

Events = list[tuple[str, object, float]]

SETTINGS = SessionSettings(turn_detection=TurnDetection(silence_threshold=0.3))


def speech_wav(path: Path, text: str = "hello there how are you today") -> Path:
    voice = SyntheticVoice().synthesize(text).astype(np.float32) / 32768.0
    soundfile.write(str(path), np.concatenate([np.zeros(2400, np.float32), voice]), 24_000)
    return path


def _finished(session: VoiceSession, turns: int) -> bool:
    return (
        len(session.latency) >= turns
        and session.latency[-1]["first_played"] is not None
        and not session.is_assistant_speaking
        and session.messages[-1]["role"] == "assistant"
        and bool(session.messages[-1]["is_final"])
    )


async def run_session(wav: Path, turns: int = 1, *, record: Path | None = None) -> Events:
    """Events of a session on the deterministic emulator: ``turns`` spoken turns of ``wav``
    (sent as fast as the connection takes them), also recorded to ``record`` when given."""
    session = VoiceSession(emulator="inprocess", config_id="deterministic", settings=SETTINGS)
    events: Events = []
    session.on_event(lambda direction, event, t: events.append((direction, event, t)))
    recorder = Recorder.attach(session, record) if record is not None else None
    session.start()
    try:
        for turn in range(1, turns + 1):
            await session.send_file(str(wav), realtime=False, trailing_silence=0.8)
            await session.wait_until(lambda s, t=turn: _finished(s, t), timeout=60)
    finally:
        closing = session.close()
        if closing is not None:
            await closing
        if recorder is not None:
            recorder.close()
    return events


def record_sessions(wav: Path, turns: list[int], folder: Path) -> list[Events]:
    """Sessions of ``turns[i]`` turns each, recorded as ``folder/session-<i>``."""

    async def run_all() -> list[Events]:
        return [
            await run_session(wav, n, record=folder / f"session-{i}") for i, n in enumerate(turns)
        ]

    return asyncio.run(run_all())
