"""Turn a session's events into timeline samples, turns and interruptions.

Only events and the conversation model are used (never session internals), so a live
session, a recording and a replay produce the same timeline. The rules:

* **Samples**: every ``emotion_update``; the emotions carried by a final ``transcription``
  (source ``"transcription"``) when that source is enabled.
* **Turns** are the user and assistant messages of the conversation
  (:class:`~nextevi_widgets.conversation.Conversation`), as they are published: role,
  ``start``, ``end``, ``interrupted``, keyed by the message id. A message that is withdrawn
  (a discarded utterance) takes its turn with it; one trimmed from the oldest end keeps it.
* **Interruptions**: a user's ``interrupt`` or the server's ``interruption``; the two within
  half a second of each other are one barge-in.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping
from typing import Any, Protocol

from ..client.messages import EmotionUpdate, Interrupt, Interruption, Transcription
from ..conversation import Change, Conversation, Message, OutgoingAudio, StateChanged
from ..conversation.playback import PlayoutClock
from ._store import Source

__all__ = ["PlayoutEstimate", "TimelineFeeder", "TurnSync"]

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

    def remove_turn(self, key: str) -> None: ...

    def mark_interruption(self, t: float) -> None: ...


_Span = tuple[str, float, float, bool]

_REFRESHED = 4
"""Assistant messages (the newest) whose audio spans are re-read after each event."""


class TurnSync:
    """Keeps a timeline's turns equal to a conversation's messages. A user turn is its
    message's ``start``..``end``; an assistant turn is while its audio plays, as the
    conversation's playback estimate places it (its text's span when it has no audio)."""

    def __init__(self, timeline: TimelineTarget, conversation: Conversation) -> None:
        self.timeline = timeline
        self.conversation = conversation
        self.spans: dict[str, _Span] = {}
        self.ids: list[str] = []

    def messages(self) -> None:
        """The messages were republished: follow every change, withdrawn ones included."""
        messages = self.conversation.messages
        ids = [m["id"] for m in messages]
        present = set(ids)
        # Ids gone from the oldest end were trimmed (their turns stay); others were withdrawn.
        first = ids[0] if ids else None
        trimmed = True
        for old in self.ids:
            if old == first:
                trimmed = False
            if old not in present and self.spans.pop(old, None) is not None and not trimmed:
                self.timeline.remove_turn(old)
        self.ids = ids
        for message in messages:
            self._show(message)
        while len(self.spans) > 2 * max(len(ids), 64):
            self.spans.pop(next(iter(self.spans)))

    def playback(self) -> None:
        """Playback may have moved: re-read the newest assistant replies' spans."""
        seen = 0
        for message in reversed(self.conversation.messages):
            if message["role"] == "assistant":
                self._show(message)
                seen += 1
                if seen == _REFRESHED:
                    return

    def _show(self, message: Message) -> None:
        role = message["role"]
        if role == "system":
            return
        start, end = message["start"], message["end"]
        gen = self.conversation.playback.get(message["generation_id"])
        if role == "assistant" and gen is not None and gen.first_est_start is not None:
            start = gen.first_est_start
            end = self.conversation.playback.estimated_end(gen.generation_id)
        span = (role, min(start, end), end, bool(message["interrupted"]))
        key = message["id"]
        if self.spans.get(key) != span:
            self.spans[key] = span
            self.timeline.add_turn(role, span[1], span[2], span[3], key=key)


class TimelineFeeder:
    """An ``on_event`` listener that fills an :class:`EmotionTimeline`: samples and
    interruptions from the events; turns from a :class:`Conversation` of its own, fed the same
    events at the same times (so it holds what the session's conversation holds)."""

    def __init__(
        self,
        timeline: TimelineTarget,
        *,
        sources: Iterable[Source] = ("emotion_update", "transcription"),
        max_messages: int | None = None,
    ) -> None:
        self.timeline = timeline
        self.sources = frozenset(sources)
        self.conversation = Conversation(max_messages=max_messages)
        self.turns = TurnSync(timeline, self.conversation)
        self.last_interruption: float | None = None

    def __call__(self, direction: str, event: object, t: float) -> None:
        if isinstance(event, EmotionUpdate):
            if "emotion_update" in self.sources and event.emotions:
                self.timeline.add(t, event.emotions, "emotion_update")
        elif isinstance(event, Transcription):
            if event.is_final and event.emotions and "transcription" in self.sources:
                self.timeline.add(t, event.emotions, "transcription")
        elif isinstance(event, (Interruption, Interrupt)):
            self._interrupt(t)
        self._apply(self.conversation.feed(event, t), quiet=isinstance(event, OutgoingAudio))

    def advance(self, t: float) -> None:
        """Let the conversation's time pass to ``t`` (e.g. the end of a recording)."""
        self._apply(self.conversation.advance(t))

    def _apply(self, changes: list[Change], *, quiet: bool = False) -> None:
        if any(isinstance(c, StateChanged) and c.name == "messages" for c in changes):
            self.turns.messages()
        elif not quiet:
            # 50 microphone frames a second (``quiet``) never move playback.
            self.turns.playback()

    def _interrupt(self, t: float) -> None:
        # A user's interrupt and the server's confirmation are one barge-in.
        if self.last_interruption is None or t - self.last_interruption > INTERRUPTION_MERGE:
            self.timeline.mark_interruption(t)
        self.last_interruption = t
