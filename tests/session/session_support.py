"""Helpers for session tests: real audio files, credentials and wire messages for the scripted
servers of the fault tests."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import soundfile
import soxr

from nextevi_widgets.emulator.deterministic import SyntheticVoice

API_KEY = "oak_session_secret_0123456789"
# Quick reconnects keep fault tests short.
FAST_CLIENT = {"reconnect_base_delay": 0.05, "reconnect_max_delay": 0.2}


def write_speech_wav(path: Path, rate: int = 44_100, channels: int = 2) -> float:
    """The synthetic user voice (real speech-band energy) resampled to ``rate`` with
    ``channels`` channels; returns its duration in seconds."""
    voice = SyntheticVoice().synthesize("hello there how are you today").astype(np.float32)
    voice = np.concatenate([np.zeros(2400, np.float32), voice / 32768.0])
    resampled = soxr.resample(voice, 24_000, rate)
    # Slightly different channels, so the downmix is a real mix.
    stereo = np.stack([resampled * (1.0 - 0.1 * c) for c in range(channels)], axis=1)
    soundfile.write(str(path), stereo, rate, subtype="PCM_16")
    return len(resampled) / rate


def wire(type_: str, **fields: Any) -> str:
    """A flat server message."""
    return json.dumps({"type": type_, **fields})
