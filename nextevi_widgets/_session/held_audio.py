"""Microphone audio that arrives while the session is still connecting.

The user clicks **Mic on** and starts talking at once, seconds before the connection is ready
(the emulator or the service still starting). Those frames are held here, oldest first, and go
out in order as soon as the session connects, so the first sentence reaches the recogniser
whole. The hold is bounded: beyond ``max_seconds`` of audio the oldest frames are dropped and
counted, so a connection that never comes cannot grow memory. Reconnects need no hold here: the
client's own outbox keeps audio while it reconnects.
"""

from __future__ import annotations

from collections import deque

from ..client.messages import DEFAULT_SAMPLE_RATE

__all__ = ["DEFAULT_HOLD_SECONDS", "HeldAudio"]

DEFAULT_HOLD_SECONDS = 5.0
"""Seconds of audio kept before the connection is ready (PCM16 mono 24 kHz)."""


class HeldAudio:
    """A bounded FIFO of PCM16 frames; the bound is in bytes of audio, not in frames."""

    def __init__(
        self, max_seconds: float = DEFAULT_HOLD_SECONDS, sample_rate: int = DEFAULT_SAMPLE_RATE
    ) -> None:
        if max_seconds < 0:
            raise ValueError("max_seconds must not be negative")
        self.max_bytes = int(max_seconds * sample_rate) * 2
        self._frames: deque[bytes] = deque()
        self._bytes = 0

    def __len__(self) -> int:
        return len(self._frames)

    @property
    def seconds(self) -> float:
        """Audio held now, in seconds."""
        return self._bytes / 2 / DEFAULT_SAMPLE_RATE

    def put(self, frame: bytes) -> int:
        """Hold ``frame``; returns how many of the oldest frames were dropped to make room
        (the new frame itself when it alone is over the bound)."""
        if len(frame) > self.max_bytes:
            return 1
        dropped = 0
        while self._frames and self._bytes + len(frame) > self.max_bytes:
            self._bytes -= len(self._frames.popleft())
            dropped += 1
        self._frames.append(frame)
        self._bytes += len(frame)
        return dropped

    def drain(self) -> list[bytes]:
        """Everything held, oldest first; the hold is empty afterwards."""
        frames = list(self._frames)
        self._frames.clear()
        self._bytes = 0
        return frames

    def clear(self) -> int:
        """Discard everything held; returns how many frames."""
        count = len(self._frames)
        self._frames.clear()
        self._bytes = 0
        return count
