"""Interfaces between the emulator's turn logic and its speech engines.

Every engine call is blocking and CPU-bound; the emulator runs them off the event loop (a thread
pool per connection), so implementations need not be async. Audio into VAD/STT/emotion is
16 kHz mono int16 (the emulator resamples the 24 kHz wire audio once per session with soxr);
audio out of TTS is 24 kHz mono int16, ready for ``tts_chunk``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt

__all__ = [
    "ENGINE_SAMPLE_RATE",
    "OUTPUT_SAMPLE_RATE",
    "EmotionAnalyzer",
    "EngineSet",
    "EngineUnavailableError",
    "RecognitionResult",
    "RecognizedWord",
    "Responder",
    "SpeechRecognizer",
    "SpeechSynthesizer",
    "VoiceActivityDetector",
]

ENGINE_SAMPLE_RATE = 16_000
OUTPUT_SAMPLE_RATE = 24_000

Int16Array = npt.NDArray[np.int16]


class EngineUnavailableError(RuntimeError):
    """An engine's optional dependency is missing; the message names what to install."""


@dataclass(frozen=True)
class RecognizedWord:
    word: str
    start: float
    end: float
    confidence: float | None = None


@dataclass(frozen=True)
class RecognitionResult:
    text: str
    confidence: float | None = None
    words: tuple[RecognizedWord, ...] = field(default_factory=tuple)


@runtime_checkable
class VoiceActivityDetector(Protocol):
    """Frame-level speech/non-speech decisions on 16 kHz int16 audio."""

    frame_samples: int
    """Samples per frame the detector expects (e.g. 480 = 30 ms at 16 kHz)."""

    def is_speech(self, frame: Int16Array, threshold: float | None = None) -> bool:
        """``threshold`` is ``turn_detection.speech_threshold`` (0..1) when the client set it."""
        ...


@runtime_checkable
class SpeechRecognizer(Protocol):
    """Streaming STT for one utterance at a time."""

    def start_utterance(self) -> None: ...

    def feed(self, audio: Int16Array) -> str | None:
        """Add audio; return the new cumulative partial hypothesis when it changed, else None."""
        ...

    def end_utterance(self) -> RecognitionResult: ...


@runtime_checkable
class SpeechSynthesizer(Protocol):
    def synthesize(self, text: str) -> Int16Array:
        """Return 24 kHz mono int16 speech for ``text``."""
        ...


@runtime_checkable
class EmotionAnalyzer(Protocol):
    def analyze(self, audio: Int16Array, transcript: str | None = None) -> dict[str, float]:
        """Scores 0..1 for the documented names (joy, sadness, anger, fear, surprise, disgust,
        neutral, empathy, confusion) for ``audio`` (16 kHz), relative to the session baseline."""
        ...

    def arousal(self, audio: Int16Array) -> float:
        """0..1 activation estimate from prosody alone."""
        ...


@runtime_checkable
class Responder(Protocol):
    def respond(self, user_text: str, emotions: Mapping[str, float]) -> Iterator[str]:
        """Yield the reply as text deltas (joined they form the full reply). Keeps its own short
        conversation memory."""
        ...


@dataclass
class EngineSet:
    """The engines serving one connection."""

    vad: VoiceActivityDetector
    stt: SpeechRecognizer
    tts: SpeechSynthesizer
    emotion: EmotionAnalyzer
    responder: Responder
    name: str
    info: dict[str, str] = field(default_factory=dict)
    """Which engine serves each stage (``vad``, ``stt``, ``interim``, ``tts``), for logs and
    ``connection_metadata``."""
    notice: str | None = None
    """Told to the user on connecting (e.g. that speech recognition is not installed)."""

    def close(self) -> None:
        """Release what the connection holds, now: the emulator calls this when the connection
        ends. Engines with per-connection resources (a recogniser's decoder) expose
        ``close()``; an engine that wraps another such engine must forward it. Blocking (it may
        wait for a call in progress on another thread); idempotent."""
        for engine in (self.stt, self.vad, self.tts, self.emotion, self.responder):
            close = getattr(engine, "close", None)
            if callable(close):
                close()
