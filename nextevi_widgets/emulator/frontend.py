"""Inbound audio front end: wire PCM -> 16 kHz -> VAD frames -> turn commands.

Synchronous and cheap (resampling and VAD only), so it runs inline on the event loop. It turns
each chunk of client audio into an ordered list of commands for the session's listen worker:
:class:`SpeechStart` (with ~0.3 s of pre-roll so the recogniser hears the onset),
:class:`SpeechAudio` while the user speaks, and :class:`SpeechEnd`. With
``TurnConfig.pause_after`` set, :class:`SpeechPause` / :class:`SpeechResume` mark where the
user went quiet inside a turn and where speech came back (for speculative decoding).
"""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import soxr

from ..client.messages import DEFAULT_SAMPLE_RATE
from .engines.base import ENGINE_SAMPLE_RATE, VoiceActivityDetector
from .turns import TurnConfig, TurnDetector, TurnEvent, TurnEventKind

__all__ = [
    "AudioFrontEnd",
    "Command",
    "SpeechAudio",
    "SpeechEnd",
    "SpeechPause",
    "SpeechResume",
    "SpeechStart",
    "coalesce",
]

Int16Array = npt.NDArray[np.int16]

PREROLL_SECONDS = 0.3


@dataclass
class SpeechStart:
    audio: Int16Array


@dataclass
class SpeechAudio:
    audio: Int16Array


@dataclass
class SpeechEnd:
    event: TurnEvent
    at: float
    """``time.monotonic()`` when the end was detected."""


@dataclass
class SpeechPause:
    """The user has been silent for ``pause_after`` seconds; all audio so far came before."""


@dataclass
class SpeechResume:
    """Speech after a pause; the audio that follows belongs to the same turn."""


Command = SpeechStart | SpeechAudio | SpeechEnd | SpeechPause | SpeechResume


def coalesce(batch: list[Command]) -> list[Command]:
    """Merge runs of audio commands so a lagging recogniser catches up in one call."""
    out: list[Command] = []
    for item in batch:
        if isinstance(item, SpeechAudio) and out and isinstance(out[-1], SpeechAudio):
            out[-1] = SpeechAudio(np.concatenate([out[-1].audio, item.audio]))
        else:
            out.append(item)
    return out


class AudioFrontEnd:
    """Per-connection audio state: input format, resampler, VAD framing, turn detector."""

    def __init__(self, vad: VoiceActivityDetector, turns: TurnConfig) -> None:
        self._vad = vad
        frame = vad.frame_samples
        self.detector = TurnDetector(turns, frame / ENGINE_SAMPLE_RATE)
        self._preroll: deque[Int16Array] = deque(
            maxlen=max(1, round(PREROLL_SECONDS * ENGINE_SAMPLE_RATE / frame))
        )
        self._rest = np.zeros(0, dtype=np.int16)
        self.sample_rate = DEFAULT_SAMPLE_RATE
        self.channels = 1
        self._resampler: Any = self._make_resampler(self.sample_rate)

    @staticmethod
    def _make_resampler(rate: int) -> Any:
        if rate == ENGINE_SAMPLE_RATE:
            return None
        return soxr.ResampleStream(rate, ENGINE_SAMPLE_RATE, 1, dtype="int16")

    def set_format(self, sample_rate: int, channels: int) -> None:
        """Input PCM16 format as declared by ``session_settings``."""
        if (sample_rate, channels) == (self.sample_rate, self.channels):
            return
        self.sample_rate, self.channels = sample_rate, channels
        self._resampler = self._make_resampler(sample_rate)
        self._rest = np.zeros(0, dtype=np.int16)

    def push(self, pcm: bytes) -> list[Command]:
        """Process whole PCM16 LE samples (the caller checks the byte count)."""
        samples = np.frombuffer(pcm, dtype="<i2").astype(np.int16)
        if self.channels == 2:
            samples = samples.reshape(-1, 2).mean(axis=1).round().astype(np.int16)
        if self._resampler is not None:
            samples = np.asarray(self._resampler.resample_chunk(samples), dtype=np.int16)
        return self._frames(samples)

    def audio_gap(self) -> list[Command]:
        """Audio stopped arriving: end the current turn, if any."""
        event = self.detector.force_end("audio_gap")
        if event is None:
            return []
        self._rest = np.zeros(0, dtype=np.int16)
        return [SpeechEnd(event, time.monotonic())]

    def _frames(self, samples: Int16Array) -> list[Command]:
        n = self._vad.frame_samples
        buf = np.concatenate([self._rest, samples]) if self._rest.size else samples
        count = buf.size // n
        self._rest = buf[count * n :].copy()
        threshold = self.detector.config.speech_threshold
        out: list[Command] = []
        pending: list[Int16Array] = []
        for i in range(count):
            frame = buf[i * n : (i + 1) * n]
            event = self.detector.push(bool(self._vad.is_speech(frame, threshold)))
            if event is None:
                (pending if self.detector.speaking else self._preroll).append(frame)
            elif event.kind is TurnEventKind.START:
                self._preroll.append(frame)
                out.append(SpeechStart(np.concatenate(list(self._preroll))))
                self._preroll.clear()
            elif event.kind is TurnEventKind.PAUSE:
                pending.append(frame)
                out.append(SpeechAudio(np.concatenate(pending)))
                pending = []
                out.append(SpeechPause())
            elif event.kind is TurnEventKind.RESUME:
                if pending:
                    out.append(SpeechAudio(np.concatenate(pending)))
                out.append(SpeechResume())
                pending = [frame]
            else:
                pending.append(frame)
                out.append(SpeechAudio(np.concatenate(pending)))
                pending = []
                out.append(SpeechEnd(event, time.monotonic()))
        if pending:
            out.append(SpeechAudio(np.concatenate(pending)))
        return out
