"""The client's outgoing queue: control messages first, then a bounded ring of audio frames.

Producers never wait: audio beyond ``max_audio_frames`` pushes out the *oldest* frame (counted
in :attr:`Outbox.dropped`), so memory stays bounded while the network stalls and the freshest
audio is what goes out once it recovers. Control messages (settings, text, interrupt, keepalive)
are small and rare; they are never dropped and always jump ahead of queued audio.

Not thread-safe: use it from the event loop's thread only.
"""

from __future__ import annotations

import asyncio
from collections import deque
from dataclasses import dataclass
from typing import Literal

__all__ = ["Outbox", "Outgoing"]


@dataclass(frozen=True, slots=True)
class Outgoing:
    """One WebSocket message to send. ``pcm_bytes`` is the audio it carries (0 for control)."""

    kind: Literal["control", "audio"]
    payload: str | bytes
    pcm_bytes: int = 0


class Outbox:
    """Two-lane queue with a single async consumer (:meth:`get`)."""

    def __init__(self, max_audio_frames: int) -> None:
        if max_audio_frames < 1:
            raise ValueError("max_audio_frames must be at least 1")
        self.max_audio_frames = max_audio_frames
        self._control: deque[Outgoing] = deque()
        self._audio: deque[Outgoing] = deque()
        self._ready = asyncio.Event()
        self.dropped = 0
        """Audio frames pushed out by newer ones (or discarded by :meth:`clear_audio`)."""
        self.audio_bytes = 0
        """PCM bytes currently queued."""

    def __len__(self) -> int:
        return len(self._control) + len(self._audio)

    @property
    def audio_frames(self) -> int:
        return len(self._audio)

    def put_control(self, payload: str, *, front: bool = False) -> None:
        """Queue a control message; ``front=True`` re-queues one whose send failed."""
        item = Outgoing("control", payload)
        if front:
            self._control.appendleft(item)
        else:
            self._control.append(item)
        self._ready.set()

    def put_audio(self, payload: str | bytes, pcm_bytes: int) -> int:
        """Queue one audio frame; returns how many old frames were dropped to make room."""
        dropped = 0
        while len(self._audio) >= self.max_audio_frames:
            old = self._audio.popleft()
            self.audio_bytes -= old.pcm_bytes
            dropped += 1
        self._audio.append(Outgoing("audio", payload, pcm_bytes))
        self.audio_bytes += pcm_bytes
        self.dropped += dropped
        self._ready.set()
        return dropped

    def get_nowait(self) -> Outgoing | None:
        """The next message (control first) or ``None`` when empty."""
        if self._control:
            item = self._control.popleft()
        elif self._audio:
            item = self._audio.popleft()
            self.audio_bytes -= item.pcm_bytes
        else:
            self._ready.clear()
            return None
        if not self._control and not self._audio:
            self._ready.clear()
        return item

    async def get(self) -> Outgoing:
        """Wait for the next message. Cancellation-safe: nothing is taken until it returns."""
        while True:
            item = self.get_nowait()
            if item is not None:
                return item
            await self._ready.wait()

    def clear_audio(self) -> int:
        """Discard queued audio (counted as dropped); returns how many frames."""
        count = len(self._audio)
        self._audio.clear()
        self.audio_bytes = 0
        self.dropped += count
        return count
