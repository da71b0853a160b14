"""Small record types the session hands to ``on_event`` listeners for outgoing traffic."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import ClassVar

from ..client.audio import pcm16_dbfs
from ..client.messages import DEFAULT_SAMPLE_RATE

__all__ = ["OutgoingAudio"]


@dataclass(frozen=True)
class OutgoingAudio:
    """One microphone frame as sent to the server (``"out"`` events of ``on_event``).

    ``pcm`` is PCM16 LE mono at ``sample_rate``; ``seq`` and ``t_capture`` are what the
    browser attached (``t_capture`` in page-clock milliseconds), ``None`` for file or
    programmatic audio. ``dropped`` is True when the frame never left (queue full or not
    connected yet).
    """

    type: ClassVar[str] = "audio"
    pcm: bytes = field(repr=False)
    sample_rate: int = DEFAULT_SAMPLE_RATE
    seq: int | None = None
    t_capture: float | None = None
    dropped: bool = False

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
        return pcm16_dbfs(self.pcm)
