"""Real-signal helpers for the speech engine tests (imported by the test modules)."""

from __future__ import annotations

import re

import numpy as np
import numpy.typing as npt
import soxr

from nextevi_widgets.emulator.engines.base import ENGINE_SAMPLE_RATE, OUTPUT_SAMPLE_RATE

Int16Array = npt.NDArray[np.int16]


def to_engine_rate(audio: Int16Array, lead: float = 0.3, tail: float = 0.6) -> Int16Array:
    """24 kHz TTS output as the emulator hands it to VAD/STT: 16 kHz, with the silence a real
    turn carries around the words (pre-roll before, VAD hangover after)."""
    speech = np.asarray(soxr.resample(audio, OUTPUT_SAMPLE_RATE, ENGINE_SAMPLE_RATE), np.int16)
    before = np.zeros(int(lead * ENGINE_SAMPLE_RATE), np.int16)
    after = np.zeros(int(tail * ENGINE_SAMPLE_RATE), np.int16)
    return np.concatenate([before, speech, after])


def words_of(text: str) -> list[str]:
    return re.sub(r"[^a-z' ]+", " ", text.lower()).split()


def word_error_rate(reference: str, hypothesis: str) -> float:
    """Levenshtein distance over words divided by the reference length."""
    ref, hyp = words_of(reference), words_of(hypothesis)
    row = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        prev, row[0] = row[0], i
        for j, h in enumerate(hyp, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (r != h))
    return row[-1] / max(1, len(ref))
