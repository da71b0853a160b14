"""Published state of a conversation, as plain JSON-safe dicts with declared keys.

These are what :class:`~nextevi_widgets.session.VoiceSession` publishes in its ``messages``,
``latency`` and ``stats`` traits, what recordings rebuild, and what the widget converts for
the page.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, TypedDict

__all__ = [
    "Counters",
    "LatencyRecord",
    "LatencySummary",
    "Message",
    "Role",
    "SessionStats",
    "WordEntry",
]

Role = Literal["user", "assistant", "system"]


class _WordRequired(TypedDict):
    word: str


class WordEntry(_WordRequired, total=False):
    """A recognised word (seconds from the start of the utterance); absent keys were not
    given by the server."""

    start: float
    end: float
    confidence: float


class Message(TypedDict):
    """One entry of ``messages`` (``start``/``end`` on the session clock)."""

    id: str
    role: Role
    text: str
    is_final: bool
    confidence: float | None
    emotions: dict[str, float]
    start: float
    end: float
    interrupted: bool
    heard_text: str | None
    """What the user heard of an interrupted assistant reply (None when not interrupted)."""
    generation_id: str | None
    words: list[WordEntry]


class LatencyRecord(TypedDict):
    """One user turn's timings (session-clock seconds, ``None`` when not reached)."""

    turn: int
    user_message_id: str
    generation_id: str | None
    user_speech_end: float
    final_transcript: float
    first_text: float | None
    first_tts_chunk: float | None
    first_played: float | None
    played_estimated: bool
    """``first_played`` is the playout estimate (no player reported it)."""


class LatencySummary(TypedDict):
    """``turns`` so far, and the ``last`` and ``median`` of each span (seconds)."""

    turns: int
    last: dict[str, float]
    median: dict[str, float]


class SessionStats(TypedDict):
    """The ``stats`` trait: the client's counters (summed over reconnects and restarts) and
    what the session sees itself."""

    frames_sent: int
    frames_dropped: int
    bytes_sent: int
    messages_sent: int
    messages_received: int
    reconnects: int
    protocol_errors: int
    playback_underruns: int
    queued_ms: float
    tts_chunks: int
    tts_seconds: float
    late_chunks_dropped: int
    latencies: LatencySummary


@dataclass
class Counters:
    """What the conversation counts from its events (the ``stats`` the client cannot know)."""

    tts_chunks: int = 0
    tts_seconds: float = 0.0
    late_chunks_dropped: int = 0
    playback_underruns: int = 0
    queued_ms: float = 0.0
