"""PCM conversions for the wire format: signed 16-bit little-endian mono, 24 kHz by default.

numpy arrays (int16 or float in [-1, 1], mono or frames x channels) and raw byte buffers all go
through :func:`to_pcm16`; WAV files of any rate and channel count are read and resampled by
:func:`read_wav_as_pcm16` (soundfile + soxr).
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterator
from typing import Any

import numpy as np
import numpy.typing as npt

from .messages import DEFAULT_SAMPLE_RATE

__all__ = [
    "SILENCE_DBFS",
    "VOICED_DBFS",
    "AudioLike",
    "iter_frames",
    "pcm16_dbfs",
    "pcm16_to_float32",
    "read_wav_as_pcm16",
    "resample_pcm16",
    "to_pcm16",
]

AudioLike = bytes | bytearray | memoryview | npt.NDArray[Any]
"""Anything :func:`to_pcm16` accepts."""

_PCM = np.dtype("<i2")


VOICED_DBFS = -45.0
"""A microphone frame louder than this (:func:`pcm16_dbfs`) counts as speech: where a user
turn ends, for the session, the emotion timeline and the recordings alike."""

SILENCE_DBFS = -120.0
"""The level of nothing or digital silence (the floor of :func:`pcm16_dbfs`)."""


def pcm16_dbfs(pcm: bytes | bytearray | memoryview | npt.NDArray[np.int16]) -> float:
    """RMS level of PCM16 audio in dB relative to int16 full scale: the one level function of
    the package (session frames, timeline turns, the emulator's voice activity detectors).

    ``pcm`` is PCM16 LE bytes (a trailing odd byte is ignored) or an int16 array. A
    full-scale sine is -3.01 dBFS, nothing or digital silence is -120 (the floor: a 1e-6
    offset keeps the log finite). Runs for every 20 ms microphone frame, so it is one dot
    product on a float64 copy rather than square, mean and sqrt over arrays."""
    if isinstance(pcm, np.ndarray):
        if pcm.dtype != np.int16:
            raise TypeError(f"pcm16_dbfs takes int16 samples or PCM16 bytes, not {pcm.dtype}")
        samples = pcm.astype(np.float64).ravel()
    else:
        samples = np.frombuffer(pcm, dtype=_PCM, count=len(pcm) // 2).astype(np.float64)
    count = samples.size
    if count == 0:
        return SILENCE_DBFS
    rms = math.sqrt(float(np.dot(samples, samples)) / count)
    return 20.0 * math.log10(rms / 32768.0 + 1e-6)


def to_pcm16(audio: AudioLike) -> bytes:
    """Convert audio to PCM16 LE mono bytes.

    * ``bytes``/``bytearray``/``memoryview``: taken as PCM16 LE already; an odd byte count is a
      :class:`ValueError`.
    * ``numpy`` int16: used as is. float32/float64: NaN -> 0, clipped to [-1, 1], scaled by
      32767 and rounded.
    * 2-D arrays are ``(frames, channels)`` and are downmixed by the mean of the channels.

    Other dtypes (int32, uint8, ...) are ambiguous about scale and raise :class:`TypeError`.
    """
    if isinstance(audio, (bytes, bytearray, memoryview)):
        raw = audio.tobytes() if isinstance(audio, memoryview) else bytes(audio)
        if len(raw) % 2:
            raise ValueError(f"PCM16 audio needs an even number of bytes, got {len(raw)}")
        return raw
    if not isinstance(audio, np.ndarray):
        raise TypeError(f"unsupported audio type {type(audio).__name__}")
    return _array_to_pcm16(audio)


def _array_to_pcm16(audio: npt.NDArray[Any]) -> bytes:
    is_int16 = audio.dtype.kind == "i" and audio.dtype.itemsize == 2
    if not is_int16 and audio.dtype.kind != "f":
        raise TypeError(f"unsupported audio dtype {audio.dtype}; use int16 or float32/float64")
    if audio.ndim == 2:
        mixed = audio.astype(np.float64).mean(axis=1)
        if is_int16:
            return bytes(np.round(mixed).astype(_PCM).tobytes())
        audio = mixed
    if audio.ndim != 1:
        raise ValueError(f"audio must be 1-D or (frames, channels), got shape {audio.shape}")
    if is_int16:
        return audio.astype(_PCM, copy=False).tobytes()
    clean = np.clip(np.nan_to_num(audio, nan=0.0, posinf=1.0, neginf=-1.0), -1.0, 1.0)
    return bytes(np.round(clean * 32767.0).astype(_PCM).tobytes())


def pcm16_to_float32(pcm: bytes | bytearray | memoryview) -> npt.NDArray[np.float32]:
    """PCM16 LE bytes -> float32 samples in [-1, 1) (divided by 32768, as browsers play it)."""
    raw = pcm.tobytes() if isinstance(pcm, memoryview) else bytes(pcm)
    if len(raw) % 2:
        raise ValueError(f"PCM16 audio needs an even number of bytes, got {len(raw)}")
    out: npt.NDArray[np.float32] = np.frombuffer(raw, dtype=_PCM).astype(np.float32)
    out /= np.float32(32768.0)
    return out


def resample_pcm16(pcm: bytes, from_rate: int, to_rate: int = DEFAULT_SAMPLE_RATE) -> bytes:
    """Resample PCM16 mono bytes with soxr (high quality); a no-op when the rates match."""
    if from_rate == to_rate:
        return bytes(pcm)
    import soxr

    samples = np.frombuffer(bytes(pcm), dtype=_PCM)
    out = soxr.resample(samples, from_rate, to_rate, quality="HQ")
    return np.asarray(out, dtype=_PCM).tobytes()


def read_wav_as_pcm16(
    path: str | os.PathLike[str], target_rate: int = DEFAULT_SAMPLE_RATE
) -> bytes:
    """Read an audio file (any rate, any channel count; whatever libsndfile reads) and return
    PCM16 LE mono bytes at ``target_rate``."""
    import soundfile
    import soxr

    data, rate = soundfile.read(os.fspath(path), dtype="float32", always_2d=True)
    mono = np.asarray(data, dtype=np.float32).mean(axis=1)
    if int(rate) != target_rate:
        mono = np.asarray(soxr.resample(mono, int(rate), target_rate, quality="HQ"))
    return to_pcm16(mono.astype(np.float32))


def iter_frames(
    pcm: bytes | bytearray | memoryview,
    frame_ms: float = 20,
    rate: int = DEFAULT_SAMPLE_RATE,
    *,
    pad: bool = False,
) -> Iterator[bytes]:
    """Split PCM16 mono bytes into frames of ``frame_ms`` (20 ms at 24 kHz = 960 bytes).

    The last, shorter frame is yielded as is, or zero-padded to full length with ``pad=True``.
    """
    raw = pcm.tobytes() if isinstance(pcm, memoryview) else bytes(pcm)
    if len(raw) % 2:
        raise ValueError(f"PCM16 audio needs an even number of bytes, got {len(raw)}")
    step = round(rate * frame_ms / 1000.0) * 2
    if step <= 0:
        raise ValueError("frame_ms and rate must give at least one sample per frame")
    for start in range(0, len(raw), step):
        frame = raw[start : start + step]
        if pad and len(frame) < step:
            frame += bytes(step - len(frame))
        yield frame
