"""Per-utterance prosodic features in numpy: pitch, loudness, voicing and speaking rate.

Pitch is a vectorised YIN: the cumulative-mean-normalised difference function of every 10 ms
hop at once (cross terms through one batched FFT), absolute threshold, parabolic refinement.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from .base import ENGINE_SAMPLE_RATE

__all__ = ["ProsodyFeatures", "count_syllables", "extract_prosody", "yin_pitch"]

Int16Array = npt.NDArray[np.int16]
FloatArray = npt.NDArray[np.float64]

_HOP = ENGINE_SAMPLE_RATE // 100  # 10 ms
_WINDOW = 640  # 40 ms integration window
_FMIN, _FMAX = 60.0, 450.0
_YIN_THRESHOLD = 0.2
_OCTAVE_MIN_DIP = 0.05
_OCTAVE_RATIO = 0.5
_OCTAVE_FOLD = 1.7
_ACTIVE_BELOW_PEAK_DB = 35.0
_SILENCE_DBFS = -55.0
_VOWEL_GROUPS = re.compile(r"[aeiouy]+")
_WORDS = re.compile(r"[a-z']+")


@dataclass(frozen=True)
class ProsodyFeatures:
    """Summary of one utterance. Pitch values are NaN when nothing was voiced."""

    duration: float
    """Seconds of active (non-silent) audio."""
    f0_median: float
    """Median F0 of voiced frames, Hz."""
    f0_range: float
    """10th-90th percentile F0 spread of voiced frames, semitones."""
    loudness_db: float
    """Mean level of active frames, dBFS."""
    voiced_ratio: float
    """Voiced share of active frames, 0..1."""
    speaking_rate: float
    """Syllables per second of active audio (from the transcript when given)."""

    @property
    def voiced(self) -> bool:
        return bool(np.isfinite(self.f0_median))


def count_syllables(text: str) -> int:
    """Rough English syllable count: vowel groups per word, a silent final 'e' removed."""
    total = 0
    for word in _WORDS.findall(text.lower()):
        groups = len(_VOWEL_GROUPS.findall(word))
        if word.endswith("e") and not word.endswith(("le", "ee", "ye")) and groups > 1:
            groups -= 1
        total += max(1, groups)
    return total


def _frames(x: FloatArray, length: int) -> FloatArray:
    count = 1 + max(0, (x.size - length) // _HOP)
    if x.size < length:
        x = np.concatenate([x, np.zeros(length - x.size)])
    idx = np.arange(length)[None, :] + _HOP * np.arange(count)[:, None]
    frames: FloatArray = x[idx]
    return frames


def yin_pitch(audio: Int16Array, rate: int = ENGINE_SAMPLE_RATE) -> tuple[FloatArray, FloatArray]:
    """Per-10-ms-hop F0 (Hz, NaN where unvoiced) and level (dBFS) of ``audio``."""
    x = audio.astype(np.float64) / 32768.0
    tau_min = int(rate / _FMAX)
    tau_max = int(rate / _FMIN)
    length = _WINDOW + tau_max + 1
    frames = _frames(x, length)
    head = frames[:, :_WINDOW]
    level = 10.0 * np.log10(np.mean(head**2, axis=1) + 1e-12)

    # d(tau) = sum_j (x_j - x_{j+tau})^2 = E(0) + E(tau) - 2 r(tau), all lags at once.
    n_fft = 1 << int(np.ceil(np.log2(length + _WINDOW)))
    spec_full = np.fft.rfft(frames, n_fft, axis=1)
    spec_head = np.fft.rfft(head, n_fft, axis=1)
    r = np.fft.irfft(np.conj(spec_head) * spec_full, n_fft, axis=1)[:, : tau_max + 1]
    energy = np.cumsum(np.concatenate([np.zeros((frames.shape[0], 1)), frames**2], axis=1), axis=1)
    taus = np.arange(tau_max + 1)
    e_tau = energy[:, taus + _WINDOW] - energy[:, taus]
    diff = np.maximum(e_tau[:, :1] + e_tau - 2.0 * r, 0.0)
    cum = np.cumsum(diff[:, 1:], axis=1)
    cmndf = np.ones_like(diff)
    cmndf[:, 1:] = diff[:, 1:] * taus[1:] / np.maximum(cum, 1e-12)

    f0 = np.full(frames.shape[0], np.nan)
    for i in np.flatnonzero(level > _SILENCE_DBFS):
        row = cmndf[i]
        below = np.flatnonzero(row[tau_min:tau_max] < _YIN_THRESHOLD)
        if below.size == 0:
            continue
        tau = _descend(row, int(below[0]) + tau_min, tau_max)
        # Octave-up error: a strong second harmonic makes the half period dip below the
        # threshold first; the true period then dips clearly deeper.
        double = 2 * tau
        if double + 1 < tau_max and row[tau] > _OCTAVE_MIN_DIP:
            double = _descend(row, double - 2, tau_max)
            if row[double] < _OCTAVE_RATIO * row[tau]:
                tau = double
        a, b, c = row[tau - 1], row[tau], row[tau + 1]
        denom = a - 2.0 * b + c
        shift = 0.5 * (a - c) / denom if abs(denom) > 1e-12 else 0.0
        f0[i] = rate / (tau + float(np.clip(shift, -1.0, 1.0)))
    return f0, level


def _descend(row: FloatArray, tau: int, tau_max: int) -> int:
    """The local minimum of ``row`` reached by walking right from ``tau``."""
    while tau + 1 < tau_max and row[tau + 1] < row[tau]:
        tau += 1
    return tau


def _energy_peaks(level: FloatArray, active: npt.NDArray[np.bool_]) -> int:
    """Syllable-like peaks of the smoothed level contour (>= 4 dB prominence, >= 100 ms apart)."""
    kernel = np.hanning(7)
    smooth = np.convolve(level, kernel / kernel.sum(), mode="same")
    peaks = 0
    last = -100
    for i in range(1, smooth.size - 1):
        if not active[i] or smooth[i] < smooth[i - 1] or smooth[i] < smooth[i + 1]:
            continue
        lo = max(0, i - 15)
        hi = min(smooth.size, i + 16)
        prominence = smooth[i] - max(smooth[lo:i].min(), smooth[i + 1 : hi].min())
        if prominence >= 4.0 and i - last >= 10:
            peaks += 1
            last = i
    return peaks


def extract_prosody(
    audio: Int16Array, transcript: str | None = None, rate: int = ENGINE_SAMPLE_RATE
) -> ProsodyFeatures:
    """Prosodic summary of one utterance (16 kHz int16)."""
    audio = np.asarray(audio, dtype=np.int16).reshape(-1)
    if audio.size < _WINDOW:
        return ProsodyFeatures(0.0, float("nan"), float("nan"), -120.0, 0.0, 0.0)
    f0, level = yin_pitch(audio, rate)
    peak = float(level.max())
    active = (level > _SILENCE_DBFS) & (level > peak - _ACTIVE_BELOW_PEAK_DB)
    n_active = int(active.sum())
    if n_active == 0:
        return ProsodyFeatures(0.0, float("nan"), float("nan"), -120.0, 0.0, 0.0)
    duration = n_active * _HOP / rate
    voiced = np.isfinite(f0) & active
    pitches = f0[voiced]
    if pitches.size >= 3:
        f0_median = float(np.median(pitches))
        # Frames an octave off the utterance's median are pitch-tracking errors far more
        # often than real leaps: fold them back before measuring the range.
        pitches = np.where(pitches > _OCTAVE_FOLD * f0_median, pitches / 2.0, pitches)
        pitches = np.where(pitches < f0_median / _OCTAVE_FOLD, pitches * 2.0, pitches)
        lo, hi = np.percentile(pitches, [10, 90])
        f0_range = float(12.0 * np.log2(hi / lo))
    else:
        f0_median = f0_range = float("nan")
    # Mean power (not mean dB) so short loud syllables count as a listener hears them.
    loudness = float(10.0 * np.log10(np.mean(10.0 ** (level[active] / 10.0))))
    syllables = count_syllables(transcript) if transcript else 0
    if syllables == 0:
        syllables = _energy_peaks(level, active)
    return ProsodyFeatures(
        duration=duration,
        f0_median=f0_median,
        f0_range=f0_range,
        loudness_db=loudness,
        voiced_ratio=float(voiced.sum()) / n_active,
        speaking_rate=syllables / max(duration, 0.25),
    )
