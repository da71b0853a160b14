"""PCM conversion, WAV reading/resampling and framing (nextevi_widgets.client.audio)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile

from nextevi_widgets.client.audio import (
    iter_frames,
    pcm16_to_float32,
    read_wav_as_pcm16,
    resample_pcm16,
    to_pcm16,
)


def _sine(freq: float, rate: int, seconds: float, amp: float = 0.5) -> np.ndarray:
    t = np.arange(int(rate * seconds)) / rate
    return (amp * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def _dominant_freq(pcm: bytes, rate: int) -> float:
    x = pcm16_to_float32(pcm)
    spectrum = np.abs(np.fft.rfft(x * np.hanning(len(x))))
    return float(np.fft.rfftfreq(len(x), 1 / rate)[int(np.argmax(spectrum))])


def test_bytes_like_are_passed_through_and_must_be_even() -> None:
    raw = np.array([0, 1, -1, 32767, -32768], dtype="<i2").tobytes()
    assert to_pcm16(raw) == raw
    assert to_pcm16(bytearray(raw)) == raw
    assert to_pcm16(memoryview(raw)) == raw
    with pytest.raises(ValueError, match="even"):
        to_pcm16(raw + b"\x00")


def test_int16_and_big_endian_int16_become_little_endian() -> None:
    samples = np.array([1, 256, -2], dtype=np.int16)
    assert to_pcm16(samples) == b"\x01\x00\x00\x01\xfe\xff"
    assert to_pcm16(samples.astype(">i2")) == b"\x01\x00\x00\x01\xfe\xff"


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_float_is_clipped_and_scaled(dtype: type) -> None:
    x: np.ndarray = np.array([0.0, 0.5, -0.5, 1.0, -1.0, 3.0, -3.0, np.nan], dtype=dtype)
    out = np.frombuffer(to_pcm16(x), dtype="<i2")
    assert out.tolist() == [0, 16384, -16384, 32767, -32767, 32767, -32767, 0]


def test_float_round_trip_is_close() -> None:
    x = _sine(440, 24_000, 0.1)
    back = pcm16_to_float32(to_pcm16(x))
    assert back.dtype == np.float32
    assert np.max(np.abs(back - x)) < 2e-4


def test_two_d_arrays_are_downmixed_by_mean() -> None:
    stereo = np.array([[1000, 3000], [-100, 100], [32767, 32767]], dtype=np.int16)
    assert np.frombuffer(to_pcm16(stereo), dtype="<i2").tolist() == [2000, 0, 32767]
    fstereo = np.array([[0.5, -0.5], [1.0, 0.0]], dtype=np.float32)
    assert np.frombuffer(to_pcm16(fstereo), dtype="<i2").tolist() == [0, 16384]


@pytest.mark.parametrize("bad", [np.zeros(4, dtype=np.int32), np.zeros(4, dtype=np.uint8)])
def test_ambiguous_dtypes_are_rejected(bad: np.ndarray) -> None:
    with pytest.raises(TypeError):
        to_pcm16(bad)


def test_three_d_and_non_audio_are_rejected() -> None:
    with pytest.raises(ValueError):
        to_pcm16(np.zeros((2, 2, 2), dtype=np.float32))
    with pytest.raises(TypeError):
        to_pcm16([0.0, 0.1])  # type: ignore[arg-type]


@pytest.mark.parametrize(("rate", "channels"), [(48_000, 2), (16_000, 1), (24_000, 1)])
def test_read_wav_resamples_and_downmixes(tmp_path: Path, rate: int, channels: int) -> None:
    tone = _sine(440, rate, 0.5)
    data = np.stack([tone] * channels, axis=1) if channels > 1 else tone
    path = tmp_path / "tone.wav"
    soundfile.write(path, data, rate, subtype="PCM_16")
    pcm = read_wav_as_pcm16(path)
    assert len(pcm) // 2 == pytest.approx(12_000, abs=2)
    assert _dominant_freq(pcm, 24_000) == pytest.approx(440, abs=5)
    rms = float(np.sqrt(np.mean(pcm16_to_float32(pcm)[1000:-1000] ** 2)))
    assert rms == pytest.approx(0.5 / np.sqrt(2), rel=0.02)


def test_resample_pcm16_keeps_the_tone() -> None:
    pcm = to_pcm16(_sine(1000, 48_000, 0.5))
    out = resample_pcm16(pcm, 48_000, 24_000)
    assert len(out) // 2 == pytest.approx(12_000, abs=2)
    assert _dominant_freq(out, 24_000) == pytest.approx(1000, abs=5)
    assert resample_pcm16(pcm, 48_000, 48_000) == pcm


def test_iter_frames() -> None:
    pcm = bytes(range(256)) * 10  # 2560 bytes = 1280 samples
    frames = list(iter_frames(pcm, frame_ms=20, rate=24_000))
    assert [len(f) for f in frames] == [960, 960, 640]
    assert b"".join(frames) == pcm
    padded = list(iter_frames(pcm, pad=True))
    assert [len(f) for f in padded] == [960, 960, 960]
    assert padded[-1].endswith(bytes(320))
    with pytest.raises(ValueError):
        list(iter_frames(b"\x00"))
