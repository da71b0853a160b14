"""Turn detection: a hangover state machine over per-frame VAD decisions.

Pure and synchronous (no clock, no I/O): time is counted in audio frames, so results do not
depend on how fast the client sends. The "audio stopped arriving" rule needs wall time and
lives in the session, which calls :meth:`TurnDetector.force_end`.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, replace

from ..client.messages import TurnDetection

__all__ = ["TurnConfig", "TurnDetector", "TurnEvent", "TurnEventKind"]


@dataclass(frozen=True)
class TurnConfig:
    """Durations in seconds. ``enabled=False`` turns off the silence rule: a turn then ends
    only when audio stops arriving or at ``max_turn_duration`` (push-to-talk style)."""

    enabled: bool = True
    silence_threshold: float = 0.6
    min_speaking_time: float = 0.25
    speech_threshold: float | None = None
    speech_start: float = 0.09
    max_turn_duration: float = 30.0
    warmup: float = 0.06
    pause_after: float | None = None
    """When set, report a PAUSE after this many seconds of silence inside a turn (and RESUME
    when speech follows it) so a recogniser can decode speculatively while the rest of the
    silence window runs. Off by default."""

    def with_settings(self, settings: TurnDetection | None) -> TurnConfig:
        """Apply a client's ``session_settings.turn_detection`` (unset fields keep ours)."""
        if settings is None:
            return self
        changes: dict[str, object] = {"enabled": settings.enabled}
        if settings.silence_threshold is not None and settings.silence_threshold > 0:
            changes["silence_threshold"] = settings.silence_threshold
        if settings.min_speaking_time is not None and settings.min_speaking_time >= 0:
            changes["min_speaking_time"] = settings.min_speaking_time
        if settings.speech_threshold is not None:
            changes["speech_threshold"] = min(1.0, max(0.0, settings.speech_threshold))
        if settings.max_turn_duration is not None and settings.max_turn_duration > 0:
            changes["max_turn_duration"] = settings.max_turn_duration
        return replace(self, **changes)  # type: ignore[arg-type]


class TurnEventKind(enum.Enum):
    START = "start"
    END = "end"
    DISCARD = "discard"
    """The "turn" ended shorter than ``min_speaking_time``: noise, not a turn."""
    PAUSE = "pause"
    """``pause_after`` seconds of silence inside a turn: it may end here."""
    RESUME = "resume"
    """Speech again after a PAUSE: the turn goes on."""


@dataclass(frozen=True)
class TurnEvent:
    kind: TurnEventKind
    reason: str = ""
    speech_duration: float = 0.0


class TurnDetector:
    """Feed one VAD decision per frame with :meth:`push`; it returns an event on transitions.

    Speech starts after ``speech_start`` seconds of consecutive speech frames (ignoring the
    first ``warmup`` seconds of the stream) and ends after ``silence_threshold`` seconds of
    non-speech, or at ``max_turn_duration``.
    """

    def __init__(self, config: TurnConfig, frame_seconds: float) -> None:
        self.config = config
        self.frame_seconds = frame_seconds
        self._elapsed = 0.0
        self._run = 0.0
        self._turn = 0.0
        self._silence = 0.0
        self._paused = False
        self.speaking = False

    @property
    def turn_seconds(self) -> float:
        """Length of the current turn so far (0 when idle)."""
        return self._turn if self.speaking else 0.0

    def push(self, is_speech: bool) -> TurnEvent | None:
        step = self.frame_seconds
        self._elapsed += step
        if self._elapsed <= self.config.warmup + 1e-9:
            return None
        if not self.speaking:
            self._run = self._run + step if is_speech else 0.0
            if self._run >= self.config.speech_start - 1e-9:
                self.speaking = True
                self._turn = self._run
                self._silence = 0.0
                self._run = 0.0
                return TurnEvent(TurnEventKind.START)
            return None
        self._turn += step
        self._silence = 0.0 if is_speech else self._silence + step
        if self.config.enabled and self._silence >= self.config.silence_threshold - 1e-9:
            return self.force_end("silence")
        if self._turn >= self.config.max_turn_duration - 1e-9:
            return self.force_end("max_duration")
        if is_speech and self._paused:
            self._paused = False
            return TurnEvent(TurnEventKind.RESUME)
        pause_after = self.config.pause_after
        if (
            pause_after is not None
            and self.config.enabled
            and not self._paused
            and not is_speech
            and self._silence >= pause_after - 1e-9
        ):
            self._paused = True
            return TurnEvent(TurnEventKind.PAUSE)
        return None

    def force_end(self, reason: str) -> TurnEvent | None:
        """End the current turn now (e.g. ``"audio_gap"``); None when not speaking."""
        if not self.speaking:
            return None
        self.speaking = False
        self._paused = False
        speech = max(0.0, self._turn - self._silence)
        self._turn = self._silence = self._run = 0.0
        if speech < self.config.min_speaking_time - 1e-9:
            return TurnEvent(TurnEventKind.DISCARD, reason, speech)
        return TurnEvent(TurnEventKind.END, reason, speech)
