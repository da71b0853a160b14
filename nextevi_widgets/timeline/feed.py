"""Turn a session's wire events into timeline samples, turns and interruptions.

Only events are used (never session internals), so a live session, a recording and a replay
produce the same timeline. The rules:

* **Samples**: every ``emotion_update``; the emotions carried by a final ``transcription``
  (source ``"transcription"``) when that source is enabled.
* **User turns** run from the first transcription of an utterance (``speech_started`` or the
  first interim) to the last voiced microphone frame before the final transcript (else the
  final transcript's time). Text input is a zero-length user turn.
* **Assistant turns** run while its audio plays, estimated the way a player without reports
  plays it: chunks back to back from their arrival. An interruption cuts the turn there and
  marks it interrupted; late chunks of a cut reply are ignored. A reply with no audio spans
  its text chunks.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping
from typing import Any, Protocol

from ..client.audio import VOICED_DBFS, pcm16_dbfs
from ..client.messages import (
    EmotionUpdate,
    Interrupt,
    Interruption,
    LLMResponseChunk,
    TextInput,
    Transcription,
    TTSChunk,
)
from ..conversation.playback import PlayoutClock
from ._store import Source

__all__ = ["PlayoutEstimate", "TimelineFeeder"]

INTERRUPTION_MERGE = 0.5
"""Interruptions closer than this (seconds) are one barge-in."""


class PlayoutEstimate:
    """Which reply plays when, if nothing reports playback: the conversation's
    :class:`~nextevi_widgets.conversation.playback.PlayoutClock` (chunks back to back from
    their arrival, cut at a flush) plus the reply each chunk belongs to, so an interrupted
    reply's late chunks are left out."""

    def __init__(self) -> None:
        self.clock = PlayoutClock()
        self.current: str | None = None
        self.interrupted: deque[str] = deque(maxlen=64)
        self.first_start: float | None = None

    @property
    def end(self) -> float:
        """When everything placed so far has played."""
        return self.clock.end

    def place(self, generation: str, arrival: float, seconds: float) -> float | None:
        """Start time of a chunk, or None for a late chunk of an interrupted reply."""
        if generation in self.interrupted:
            return None
        if generation != self.current:
            self.current = generation
            self.first_start = None
        start = self.clock.place(arrival, seconds)
        if self.first_start is None:
            self.first_start = start
        return start

    def cut(self, at: float) -> str | None:
        """Flush at ``at``; returns the reply that was still playing (if any)."""
        playing = self.current if self.current is not None and self.clock.end > at else None
        if self.current is not None:
            self.interrupted.append(self.current)
        self.clock.cut(at)
        self.current = None
        return playing


class TimelineTarget(Protocol):
    """What the feeder fills (an :class:`~nextevi_widgets.timeline.EmotionTimeline`)."""

    def add(
        self, t: float, scores: Mapping[str, float] | Iterable[Any], source: Source = ...
    ) -> None: ...

    def add_turn(
        self,
        role: str,
        start: float,
        end: float,
        interrupted: bool = ...,
        *,
        key: str | None = ...,
    ) -> None: ...

    def mark_interruption(self, t: float) -> None: ...


class TimelineFeeder:
    """An ``on_event`` listener that fills an :class:`EmotionTimeline`."""

    def __init__(
        self,
        timeline: TimelineTarget,
        *,
        sources: Iterable[Source] = ("emotion_update", "transcription"),
    ) -> None:
        self.timeline = timeline
        self.sources = frozenset(sources)
        self.utterance_start: float | None = None
        self.last_voiced: float | None = None
        self.playout = PlayoutEstimate()
        self.text_spans: dict[str, float] = {}
        self.local = 0
        self.last_interruption: float | None = None

    def __call__(self, direction: str, event: object, t: float) -> None:
        if direction == "out" and getattr(event, "type", None) == "audio":
            # Microphone frames, 50 a second: first, and with the level the record carries.
            level = getattr(event, "level_dbfs", None)
            if not isinstance(level, float):
                pcm = getattr(event, "pcm", b"")
                level = pcm16_dbfs(pcm) if isinstance(pcm, bytes) else None
            if level is not None and level > VOICED_DBFS:
                self.last_voiced = t
        elif isinstance(event, EmotionUpdate):
            if "emotion_update" in self.sources and event.emotions:
                self.timeline.add(t, event.emotions, "emotion_update")
        elif isinstance(event, Transcription):
            self._transcription(event, t)
        elif isinstance(event, TTSChunk):
            self._tts(event, t)
        elif isinstance(event, LLMResponseChunk):
            self._text(event, t)
        elif isinstance(event, (Interruption, Interrupt)):
            self._interrupt(t)
        elif isinstance(event, TextInput):
            self.timeline.add_turn("user", t, t)
            self._new_reply()

    def _transcription(self, event: Transcription, t: float) -> None:
        if not event.is_final:
            if self.utterance_start is None and (
                event.transcript.strip() or event.event_type == "speech_started"
            ):
                self.utterance_start = t
            return
        if event.emotions and "transcription" in self.sources:
            self.timeline.add(t, event.emotions, "transcription")
        start = self.utterance_start
        self.utterance_start = None
        if not event.transcript.strip():
            return
        voiced = self.last_voiced
        in_utterance = voiced is not None and voiced <= t and (start is None or voiced >= start)
        end = voiced if in_utterance and voiced is not None else t
        if start is None:
            spoken = max((w.end or 0.0 for w in event.words), default=0.0)
            start = max(0.0, end - spoken)
        self.timeline.add_turn("user", start, end)
        self._new_reply()

    def _new_reply(self) -> None:
        self.playout.current = None

    def _generation(self, generation_id: str | None) -> str:
        if generation_id:
            return generation_id
        current = self.playout.current
        if current is not None and current.startswith("local-"):
            return current
        self.local += 1
        return f"local-{self.local}"

    def _tts(self, event: TTSChunk, t: float) -> None:
        gen = self._generation(event.generation_id)
        start = self.playout.place(gen, t, event.duration)
        if start is None:
            return
        first = self.playout.first_start if self.playout.first_start is not None else start
        self.text_spans.pop(gen, None)
        self.timeline.add_turn("assistant", first, self.playout.end, key=gen)

    def _text(self, event: LLMResponseChunk, t: float) -> None:
        """Until its audio arrives, a reply spans its text chunks."""
        gen = event.generation_id
        if not gen or gen in self.playout.interrupted or gen == self.playout.current:
            return
        start = self.text_spans.setdefault(gen, t)
        while len(self.text_spans) > 16:
            self.text_spans.pop(next(iter(self.text_spans)))
        self.timeline.add_turn("assistant", start, t, key=gen)

    def _interrupt(self, t: float) -> None:
        # A user's interrupt and the server's confirmation are one barge-in.
        if self.last_interruption is None or t - self.last_interruption > INTERRUPTION_MERGE:
            self.timeline.mark_interruption(t)
        self.last_interruption = t
        playing = self.playout.cut(t)
        if playing is not None and self.playout.first_start is not None:
            start = min(self.playout.first_start, t)
            self.timeline.add_turn("assistant", start, t, interrupted=True, key=playing)
