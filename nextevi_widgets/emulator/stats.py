"""Counters an :class:`~nextevi_widgets.emulator.Emulator` keeps (updated on its event loop)."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["EmulatorStats"]


@dataclass
class EmulatorStats:
    connections_total: int = 0
    """Connections that passed authentication."""
    connections_active: int = 0
    auth_failures: int = 0
    frames_in: int = 0
    messages_out: int = 0
    errors_sent: int = 0
    audio_seconds_in: float = 0.0
    tts_seconds_out: float = 0.0
    turns: int = 0
    """User turns that ended with a final transcript."""
    replies: int = 0
    """Assistant replies whose audio was sent completely."""
    interruptions: int = 0
