"""Fixtures: sessions against the in-process emulator (quick deterministic profile)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from session_support import FAST_SETTINGS, PROFILE, write_speech_wav

from nextevi_widgets.session import VoiceSession


@pytest.fixture
def speech_wav(tmp_path: Path) -> Path:
    path = tmp_path / "speech_44k_stereo.wav"
    write_speech_wav(path)
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
