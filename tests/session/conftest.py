"""Fixtures for session tests (``make_session`` comes from ``tests/conftest.py``)."""

from __future__ import annotations

from pathlib import Path

import pytest
from session_support import write_speech_wav


@pytest.fixture
def speech_wav(tmp_path: Path) -> Path:
    """The synthetic user voice as a 44.1 kHz stereo WAV (the session must resample and mix)."""
    path = tmp_path / "speech_44k_stereo.wav"
    write_speech_wav(path)
    return path
