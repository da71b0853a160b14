"""The one level function (``client.audio.pcm16_dbfs``) on real signals, and the voice
activity detectors of the emulator deciding on its figure."""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt
import pytest

from nextevi_widgets.client.audio import SILENCE_DBFS, VOICED_DBFS, pcm16_dbfs
from nextevi_widgets.emulator.deterministic import EnergyVAD
from nextevi_widgets.emulator.engines.vad import EnergyVad

RATE = 24_000


def sine(peak: float, samples: int = 480, hz: float = 1000.0) -> npt.NDArray[np.int16]:
    """A sine with ``peak`` in int16 units; 480 samples at 24 kHz are 20 whole periods."""
    t = np.arange(samples) / RATE
    return np.round(peak * np.sin(2 * np.pi * hz * t)).astype(np.int16)


def sine_at(dbfs: float, samples: int = 480) -> npt.NDArray[np.int16]:
    """A sine whose RMS is ``dbfs`` relative to int16 full scale."""
    return sine(32768.0 * 10 ** (dbfs / 20) * math.sqrt(2), samples)


@pytest.mark.parametrize("fraction", [1.0, 0.5, 0.1, 0.01])
def test_a_sine_is_its_peak_minus_three_db(fraction: float) -> None:
    peak = 32767 * fraction
    expected = 20 * math.log10(peak / 32768 / math.sqrt(2))
    wave = sine(peak)
    # Rounding to int16 moves a quiet sine's power by up to about 1 / RMS (0.02 dB at 1%).
    assert pcm16_dbfs(wave) == pytest.approx(expected, abs=0.02)
    assert pcm16_dbfs(wave.astype("<i2").tobytes()) == pcm16_dbfs(wave)  # bytes or samples


def test_a_full_scale_sine_is_minus_3_01_dbfs() -> None:
    assert pcm16_dbfs(sine(32767, RATE)) == pytest.approx(-3.0103, abs=0.001)


def test_silence_and_nothing_are_the_floor() -> None:
    assert SILENCE_DBFS == -120.0
    assert pcm16_dbfs(np.zeros(480, np.int16)) == SILENCE_DBFS
    assert pcm16_dbfs(bytes(960)) == SILENCE_DBFS
    assert pcm16_dbfs(b"") == SILENCE_DBFS
    assert pcm16_dbfs(np.zeros(0, np.int16)) == SILENCE_DBFS
    assert pcm16_dbfs(b"\x01") == SILENCE_DBFS  # one odd byte is not a sample
    # One LSB of dither is far below speech but above the floor.
    lsb = np.resize(np.array([1, -1], np.int16), 480)
    assert SILENCE_DBFS < pcm16_dbfs(lsb) < -90


def test_a_clipped_sine_has_the_level_of_its_clipped_shape() -> None:
    # A sine overdriven four times and clipped at full scale: mean square over a quarter
    # period is (2/pi) * (A^2 (theta/2 - sin(2 theta)/4) + pi/2 - theta), theta = asin(1/A).
    # 10 Hz: 2400 samples a period, so the sampled shape is the continuous one.
    drive = 4.0
    overdriven = np.round(32767 * drive * np.sin(2 * np.pi * 10 * np.arange(RATE) / RATE))
    wave = np.clip(overdriven, -32767, 32767).astype(np.int16)
    theta = math.asin(1 / drive)
    mean_square = (2 / math.pi) * (
        drive**2 * (theta / 2 - math.sin(2 * theta) / 4) + math.pi / 2 - theta
    )
    expected = 10 * math.log10(mean_square) + 20 * math.log10(32767 / 32768)
    assert pcm16_dbfs(wave) == pytest.approx(expected, abs=0.01)
    # Nothing is louder than a full-scale square.
    square = np.resize(np.array([-32768, 32767], np.int16), 480)
    assert pcm16_dbfs(wave) < pcm16_dbfs(square) == pytest.approx(0.0, abs=0.001)


def test_samples_of_another_type_are_refused_by_name() -> None:
    with pytest.raises(TypeError, match="float64"):
        pcm16_dbfs(np.zeros(480))  # type: ignore[arg-type]


def test_the_voiced_threshold_sits_between_quiet_room_noise_and_soft_speech() -> None:
    assert pcm16_dbfs(sine_at(-60)) < VOICED_DBFS < pcm16_dbfs(sine_at(-30))


@pytest.mark.parametrize("threshold_db", [-42.0, -30.0])
def test_the_deterministic_vad_calls_speech_on_the_shared_level(threshold_db: float) -> None:
    vad = EnergyVAD(threshold_db=threshold_db)
    frame_above, frame_below = sine_at(threshold_db + 0.2, 480), sine_at(threshold_db - 0.2, 480)
    assert pcm16_dbfs(frame_above) > threshold_db > pcm16_dbfs(frame_below)
    assert vad.is_speech(frame_above)
    assert not vad.is_speech(frame_below)


def test_the_energy_vad_floor_rule_uses_the_shared_level() -> None:
    # A fresh detector: speech is above both min_dbfs (-55) and the initial floor + margin
    # (-70 + 15). 480 samples are a 30 ms engine frame.
    above, below = sine_at(-54.8, 480), sine_at(-55.2, 480)
    assert pcm16_dbfs(above) > -55.0 > pcm16_dbfs(below)
    assert EnergyVad().is_speech(above)
    assert not EnergyVad().is_speech(below)
