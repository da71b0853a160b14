"""Client lifecycle events, yielded by :class:`~nextevi_widgets.client.NextEVIClient` alongside
the server messages from :mod:`nextevi_widgets.client.messages`.

``async for event in client`` yields ``Event``: either a :class:`ServerMessage` subclass or one of
the lifecycle events below. Match on the class (``match event: case Transcription(): ...``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TypeAlias

from .messages import ServerMessage

__all__ = [
    "ClientEvent",
    "Connected",
    "Disconnected",
    "Event",
    "ProtocolError",
    "Reconnected",
    "Reconnecting",
]


@dataclass(frozen=True, kw_only=True)
class ClientEvent:
    """Base of events the client itself emits (not sent by the server)."""

    at: float = field(default=0.0, compare=False)
    """``time.monotonic()`` when the event was emitted."""


@dataclass(frozen=True, kw_only=True)
class Connected(ClientEvent):
    """The WebSocket is open and ``session_settings`` has been sent."""

    connection_id: str
    url: str
    """The endpoint with credentials redacted (safe to print)."""


@dataclass(frozen=True, kw_only=True)
class Reconnecting(ClientEvent):
    """The connection dropped abnormally; a new attempt starts after ``delay`` seconds."""

    attempt: int
    delay: float
    code: int | None
    reason: str


@dataclass(frozen=True, kw_only=True)
class Reconnected(ClientEvent):
    """A new connection (with a fresh ``connection_id``) is open and settings were re-sent."""

    connection_id: str
    attempt: int


@dataclass(frozen=True, kw_only=True)
class Disconnected(ClientEvent):
    """The client stopped: a clean close, a fatal close code, or reconnects exhausted.
    ``error`` is set when it stopped because of an error."""

    code: int | None
    reason: str
    error: Exception | None = None


@dataclass(frozen=True, kw_only=True)
class ProtocolError(ClientEvent):
    """A frame from the server could not be understood. The connection stays up; ``detail``
    says what was wrong (never the whole frame)."""

    detail: str
    frame_preview: str = ""


Event: TypeAlias = ServerMessage | ClientEvent
