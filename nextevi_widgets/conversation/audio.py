"""Microphone audio as the conversation sees it: one record per frame the session sent (or
failed to send), with its level computed once."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import ClassVar

from ..client.audio import pcm16_dbfs
from ..client.messages import DEFAULT_SAMPLE_RATE

__all__ = ["VOICED_DBFS", "OutgoingAudio"]

VOICED_DBFS = -45.0
"""A microphone frame louder than this counts as speech (for the end of a user turn)."""


@dataclass(frozen=True)
class OutgoingAudio:
    """One microphone frame as sent to the server (``"out"`` events of ``on_event``).

    ``pcm`` is PCM16 LE mono at ``sample_rate``; ``seq`` and ``t_capture`` are what the
    browser attached (``t_capture`` in page-clock milliseconds), ``None`` for file or
    programmatic audio. ``dropped`` is True when the frame never left (queue full or not
    connected yet). ``level`` is the frame's RMS level in dBFS when already known (a
    recording stores it); otherwise it is computed from ``pcm`` on first use.
    """

    type: ClassVar[str] = "audio"
    pcm: bytes = field(repr=False)
    sample_rate: int = DEFAULT_SAMPLE_RATE
    seq: int | None = None
    t_capture: float | None = None
    dropped: bool = False
    level: float | None = field(default=None, compare=False, repr=False)

    @property
    def num_samples(self) -> int:
        return len(self.pcm) // 2

    @property
    def duration(self) -> float:
        """Seconds of audio in the frame."""
        return self.num_samples / self.sample_rate if self.sample_rate else 0.0

    @cached_property
    def level_dbfs(self) -> float:
        """RMS level in dBFS, computed once however many listeners ask (-120 when empty)."""
        return self.level if self.level is not None else pcm16_dbfs(self.pcm)

    @property
    def voiced(self) -> bool:
        """Loud enough to be speech."""
        return self.level_dbfs > VOICED_DBFS
