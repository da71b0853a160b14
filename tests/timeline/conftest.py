"""Fixtures: sessions against the in-process emulator with a quick deterministic profile."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import soundfile
from timeline_support import FAST_SETTINGS, PROFILE

from nextevi_widgets.emulator.deterministic import SyntheticVoice
from nextevi_widgets.session import VoiceSession


@pytest.fixture
def speech_wav(tmp_path: Path) -> Path:
    """The synthetic user voice (speech-band energy) as a 24 kHz mono WAV."""
    voice = SyntheticVoice().synthesize("hello there how are you today")
    audio = np.concatenate([np.zeros(2400, np.int16), voice.astype(np.int16)])
    path = tmp_path / "speech.wav"
    soundfile.write(str(path), audio, 24_000, subtype="PCM_16")
    return path


@pytest.fixture
async def make_session() -> AsyncIterator[Callable[..., VoiceSession]]:
    """Factory of emulator-backed sessions, all closed after the test."""
    sessions: list[VoiceSession] = []

    def make(**kwargs: Any) -> VoiceSession:
        kwargs.setdefault("emulator", "inprocess")
        kwargs.setdefault("config_id", PROFILE)
        kwargs.setdefault("settings", FAST_SETTINGS)
        session = VoiceSession(**kwargs)
        sessions.append(session)
        return session

    yield make
    for session in sessions:
        closing = session.close()
        if closing is not None:
            await closing
