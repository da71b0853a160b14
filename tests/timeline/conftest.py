"""Fixtures for timeline tests (``make_session`` comes from ``tests/conftest.py``)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile

from nextevi_widgets.emulator.deterministic import SyntheticVoice


@pytest.fixture
def speech_wav(tmp_path: Path) -> Path:
    """The synthetic user voice (speech-band energy) as a 24 kHz mono WAV."""
    voice = SyntheticVoice().synthesize("hello there how are you today")
    audio = np.concatenate([np.zeros(2400, np.int16), voice.astype(np.int16)])
    path = tmp_path / "speech.wav"
    soundfile.write(str(path), audio, 24_000, subtype="PCM_16")
    return path
