"""Real-signal helpers for the speech engine tests (imported by the test modules)."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import soxr
from _harness.speech import word_error_rate, words_of

from nextevi_widgets.emulator.engines.base import ENGINE_SAMPLE_RATE, OUTPUT_SAMPLE_RATE

__all__ = ["Int16Array", "to_engine_rate", "word_error_rate", "words_of"]

Int16Array = npt.NDArray[np.int16]


def to_engine_rate(audio: Int16Array, lead: float = 0.3, tail: float = 0.6) -> Int16Array:
    """24 kHz TTS output as the emulator hands it to VAD/STT: 16 kHz, with the silence a real
    turn carries around the words (pre-roll before, VAD hangover after)."""
    speech = np.asarray(soxr.resample(audio, OUTPUT_SAMPLE_RATE, ENGINE_SAMPLE_RATE), np.int16)
    before = np.zeros(int(lead * ENGINE_SAMPLE_RATE), np.int16)
    after = np.zeros(int(tail * ENGINE_SAMPLE_RATE), np.int16)
    return np.concatenate([before, speech, after])
