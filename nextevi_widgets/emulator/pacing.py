"""Streaming helpers for the assistant's reply: sentence cutting, audio chunking, pacing."""

from __future__ import annotations

import asyncio
import math
import re

import numpy as np
import numpy.typing as npt

__all__ = ["Pacer", "SentenceSplitter", "split_chunks"]

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


class SentenceSplitter:
    """Collects streamed text deltas and hands out complete sentences for TTS."""

    def __init__(self) -> None:
        self._buffer = ""

    def push(self, delta: str) -> list[str]:
        """Add a delta; return the sentences it completed (a sentence is complete once the
        whitespace after its ``.``/``!``/``?`` has arrived)."""
        self._buffer += delta
        parts = _SENTENCE_END.split(self._buffer)
        self._buffer = parts.pop()
        return [p.strip() for p in parts if p.strip()]

    def flush(self) -> str | None:
        """The unfinished remainder, if any."""
        rest, self._buffer = self._buffer.strip(), ""
        return rest or None


def split_chunks(audio: npt.NDArray[np.int16], max_samples: int) -> list[npt.NDArray[np.int16]]:
    """Cut ``audio`` into the fewest equal pieces no longer than ``max_samples``; each piece is
    then longer than ``max_samples / 2`` unless ``audio`` itself is shorter."""
    if audio.size == 0:
        return []
    count = max(1, math.ceil(audio.size / max_samples))
    return [np.ascontiguousarray(p) for p in np.array_split(audio, count)]


class Pacer:
    """Releases audio at real time, at most ``lead`` seconds ahead of the client's playhead.

    It models the client playing chunks back to back from when the first arrives (restarting
    after an underrun), so :attr:`playback_end` is when the client will have played everything
    sent so far; the session uses it to tell whether the assistant is still audible.
    """

    def __init__(self, lead: float) -> None:
        self.lead = max(0.0, lead)
        self.playback_end = 0.0

    @staticmethod
    def _now() -> float:
        return asyncio.get_running_loop().time()

    async def wait(self) -> None:
        """Sleep until the next chunk may be sent."""
        delay = self.playback_end - self.lead - self._now()
        if delay > 0:
            await asyncio.sleep(delay)

    def sent(self, seconds: float) -> None:
        """Record that a chunk of ``seconds`` has been sent."""
        self.playback_end = max(self.playback_end, self._now()) + seconds

    def playing(self) -> bool:
        """Whether audio already sent is still playing on the client."""
        return self.playback_end > self._now()

    def reset(self) -> None:
        """The client dropped its queue (interruption)."""
        self.playback_end = 0.0
