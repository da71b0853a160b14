"""The conversation model without I/O: one typed event stream in, published state out.

:class:`Conversation` folds :data:`ConversationEvent` values fed with their times into the
transcript, turns, replies, heard text, playback estimates and latency records, and says
when it next needs time to pass (:meth:`Conversation.next_deadline`). The session, recordings
and replays all build their state with it.
"""

from __future__ import annotations

from .audio import VOICED_DBFS, OutgoingAudio
from .changes import Change, PlayChunk, Published, StateChanged, StopPlayback, StopReason
from .core import Conversation, Counters
from .events import (
    PLAYBACK_BLOCKING_CODES,
    ConversationEvent,
    Direction,
    FrontEndProblem,
    FrontEndProblemCleared,
    LifecycleEvent,
    LocalEvent,
    PlaybackProgress,
    PlaybackStarted,
    PlaybackStats,
    PlayerAttached,
    PlayerDetached,
    SentEvent,
    SessionStopped,
    direction_of,
)
from .state import LatencyRecord, LatencySummary, Message, Role, SessionStats, WordEntry
from .transcript import DEFAULT_MAX_MESSAGES

__all__ = [
    "DEFAULT_MAX_MESSAGES",
    "PLAYBACK_BLOCKING_CODES",
    "VOICED_DBFS",
    "Change",
    "Conversation",
    "ConversationEvent",
    "Counters",
    "Direction",
    "FrontEndProblem",
    "FrontEndProblemCleared",
    "LatencyRecord",
    "LatencySummary",
    "LifecycleEvent",
    "LocalEvent",
    "Message",
    "OutgoingAudio",
    "PlayChunk",
    "PlaybackProgress",
    "PlaybackStarted",
    "PlaybackStats",
    "PlayerAttached",
    "PlayerDetached",
    "Published",
    "Role",
    "SentEvent",
    "SessionStats",
    "SessionStopped",
    "StateChanged",
    "StopPlayback",
    "StopReason",
    "WordEntry",
    "direction_of",
]
