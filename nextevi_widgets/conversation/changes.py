"""What a :class:`~nextevi_widgets.conversation.Conversation` answers when fed: an ordered list
of changes for its owner to apply (publish a value, hand a chunk to the player, flush it)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, TypeAlias

from ..client.messages import TTSChunk

__all__ = ["Change", "PlayChunk", "Published", "StateChanged", "StopPlayback", "StopReason"]

Published = Literal[
    "messages",
    "latency",
    "interim_transcript",
    "assistant_text",
    "emotions",
    "is_user_speaking",
    "is_assistant_speaking",
]
"""Names of the published values (the session's traits of the same names)."""

StopReason = Literal["interruption", "user", "disconnect"]


@dataclass(frozen=True, slots=True)
class StateChanged:
    """Published value ``name`` is now ``value`` (a new object whenever it changed)."""

    name: Published
    value: object


@dataclass(frozen=True, slots=True)
class PlayChunk:
    """Hand ``chunk`` (its ``chunk_id`` always set) to the player."""

    chunk: TTSChunk


@dataclass(frozen=True, slots=True)
class StopPlayback:
    """Flush whatever the player has queued."""

    reason: StopReason


Change: TypeAlias = StateChanged | PlayChunk | StopPlayback
