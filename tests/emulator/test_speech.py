"""Spoken test audio (`nextevi_widgets.emulator.synthesize_wav`) with the real offline voices."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile

from nextevi_widgets.emulator import synthesize_speech, synthesize_wav
from nextevi_widgets.emulator.engines.prosody import extract_prosody


def _rms(samples: np.ndarray) -> float:
    return float(np.sqrt(np.mean(samples.astype(np.float64) ** 2)))


@pytest.mark.engines
def test_wav_is_24khz_mono_pcm16_with_speech(tmp_path: Path) -> None:
    path = synthesize_wav("Hello there, how are you today?", tmp_path / "hello.wav")
    info = soundfile.info(path)
    assert (info.samplerate, info.channels, info.subtype) == (24_000, 1, "PCM_16")
    samples, _ = soundfile.read(path, dtype="int16")
    assert 1.0 < len(samples) / 24_000 < 5.0
    assert _rms(samples) > 300  # speech, not silence


@pytest.mark.engines
def test_styles_differ_the_way_a_listener_hears_them() -> None:
    text = "I went to the market this morning and bought some bread."
    sad = synthesize_speech(text, style="sad")
    excited = synthesize_speech(text, style="excited")
    # Sad speech is slower and quieter, excited speech is higher.
    assert len(sad) > len(excited)
    assert _rms(sad) < _rms(excited)
    assert extract_prosody(excited).f0_median > extract_prosody(sad).f0_median


def test_unknown_style_and_styled_piper_are_refused() -> None:
    with pytest.raises(ValueError, match="unknown speaking style 'angry-ish'"):
        synthesize_speech("hi", style="angry-ish")
    with pytest.raises(ValueError, match="Piper voice has one manner of speaking"):
        synthesize_speech("hi", voice="piper", style="sad")


def test_synthetic_voice_needs_no_engines() -> None:
    samples = synthesize_speech("hello there", voice="synthetic")
    assert samples.dtype == np.int16
    assert _rms(samples) > 100
