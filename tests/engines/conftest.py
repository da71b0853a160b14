"""Fixtures for the speech engine tests: espeak-ng speech and seeded noise at 16 kHz."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
from engine_support import Int16Array, to_engine_rate

from nextevi_widgets.emulator.engines.base import ENGINE_SAMPLE_RATE
from nextevi_widgets.emulator.engines.tts import EspeakSynthesizer


@pytest.fixture(scope="session")
def espeak() -> EspeakSynthesizer:
    return EspeakSynthesizer()


@pytest.fixture(scope="session")
def speak(espeak: EspeakSynthesizer) -> Callable[..., Int16Array]:
    """``speak(text, **style)``: espeak-ng speech at 16 kHz, padded like a real turn."""

    def _speak(text: str, **style: object) -> Int16Array:
        synth = espeak.with_style(**style) if style else espeak
        return to_engine_rate(synth.synthesize(text))

    return _speak


@pytest.fixture
def noise() -> Callable[[float, float], Int16Array]:
    """``noise(seconds, dbfs)``: seeded white noise at 16 kHz."""

    def _noise(seconds: float, dbfs: float) -> Int16Array:
        rng = np.random.default_rng(1234)
        scale = 32768.0 * 10 ** (dbfs / 20.0)
        samples = rng.normal(0.0, scale, int(seconds * ENGINE_SAMPLE_RATE))
        return np.clip(np.round(samples), -32768, 32767).astype(np.int16)

    return _noise
