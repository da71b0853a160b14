"""The one event stream of a conversation.

Everything that changes a conversation is one of :data:`ConversationEvent`: what the server
said (:class:`~nextevi_widgets.client.messages.ServerMessage`), what the client saw happen to
the connection (:mod:`nextevi_widgets.client.events`), what the session sent
(:class:`OutgoingAudio`, ``TextInput``, ``Interrupt``) and what happened locally: the
player's reports, front-end problems, a player attached or detached, the session stopped.
A session feeds these to its :class:`~nextevi_widgets.conversation.Conversation`, hands them
to ``on_event`` listeners and a recorder stores them, so a replay is the same fold.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Literal, TypeAlias

from ..client.events import Connected, Disconnected, ProtocolError, Reconnected, Reconnecting
from ..client.messages import ClientMessage, Interrupt, ServerMessage, TextInput
from .audio import OutgoingAudio

__all__ = [
    "LOCAL_EVENTS",
    "PLAYBACK_BLOCKING_CODES",
    "ConversationEvent",
    "Direction",
    "FrontEndProblem",
    "FrontEndProblemCleared",
    "LifecycleEvent",
    "LocalEvent",
    "OutgoingAudio",
    "PlaybackProgress",
    "PlaybackStarted",
    "PlaybackStats",
    "PlayerAttached",
    "PlayerDetached",
    "SentEvent",
    "SessionStopped",
    "direction_of",
]

Direction = Literal["in", "out"]
"""``"out"`` for what the session sent, ``"in"`` for everything else."""

PLAYBACK_BLOCKING_CODES = frozenset(
    {"insecure_origin", "no_audio_worklet", "playback_error", "audio_suspended"}
)
"""Front-end problems (``client_error`` codes) that mean the player cannot play anything."""


@dataclass(frozen=True)
class LocalEvent:
    """Base of events that happen in the kernel or the page, not on the wire. ``kind`` is the
    event's name in recordings."""

    kind: ClassVar[str] = ""


@dataclass(frozen=True)
class PlaybackStarted(LocalEvent):
    """A player scheduled the chunk's first sample to play at ``at`` (session clock)."""

    kind: ClassVar[str] = "player.started"
    chunk_id: str
    at: float


@dataclass(frozen=True)
class PlaybackProgress(LocalEvent):
    """A player's progress for one chunk: cumulative samples that reached the speakers
    (``flushed`` when the rest was discarded)."""

    kind: ClassVar[str] = "player.progress"
    chunk_id: str
    played_samples: int
    total_samples: int
    flushed: bool = False


@dataclass(frozen=True)
class PlaybackStats(LocalEvent):
    """The player's underrun counter and the audio it has queued (ms)."""

    kind: ClassVar[str] = "player.stats"
    underruns: int
    queued_ms: float


@dataclass(frozen=True)
class PlayerAttached(LocalEvent):
    """A player (audio sink) now receives the assistant's audio and will report playback."""

    kind: ClassVar[str] = "player.attached"


@dataclass(frozen=True)
class PlayerDetached(LocalEvent):
    """A player stopped receiving the assistant's audio."""

    kind: ClassVar[str] = "player.detached"


@dataclass(frozen=True)
class FrontEndProblem(LocalEvent):
    """A front end reported a problem (``client_error``: mic denied, audio suspended...)."""

    kind: ClassVar[str] = "frontend.problem"
    code: str
    message: str = ""


@dataclass(frozen=True)
class FrontEndProblemCleared(LocalEvent):
    """The front end's problem ``code`` is gone."""

    kind: ClassVar[str] = "frontend.cleared"
    code: str


@dataclass(frozen=True)
class SessionStopped(LocalEvent):
    """The session's connection task ended (however it ended)."""

    kind: ClassVar[str] = "session.stopped"


LOCAL_EVENTS: dict[str, type[LocalEvent]] = {
    cls.kind: cls
    for cls in (
        PlaybackStarted,
        PlaybackProgress,
        PlaybackStats,
        PlayerAttached,
        PlayerDetached,
        FrontEndProblem,
        FrontEndProblemCleared,
        SessionStopped,
    )
}
"""Local event classes by their recording name."""

LifecycleEvent: TypeAlias = Connected | Reconnecting | Reconnected | Disconnected | ProtocolError
SentEvent: TypeAlias = OutgoingAudio | TextInput | Interrupt
ConversationEvent: TypeAlias = (
    ServerMessage
    | LifecycleEvent
    | SentEvent
    | PlaybackStarted
    | PlaybackProgress
    | PlaybackStats
    | PlayerAttached
    | PlayerDetached
    | FrontEndProblem
    | FrontEndProblemCleared
    | SessionStopped
)
"""Every event a conversation is fed."""


def direction_of(event: object) -> Direction:
    """``"out"`` for what the session sends (audio frames and client messages)."""
    return "out" if isinstance(event, (OutgoingAudio, ClientMessage)) else "in"
