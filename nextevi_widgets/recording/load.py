"""``Recording``: a recorded session read back (JSON lines + WAV), tolerant of a crash."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from ..conversation import Conversation, LatencyRecord, Message
from .codec import decode_event
from .recorder import recording_paths
from .wav import read_wav

if TYPE_CHECKING:
    from ..session import VoiceSession
    from ..timeline.core import EmotionTimeline

__all__ = ["RecordedEvent", "Recording"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class RecordedEvent:
    """One event: session-clock ``t``, ``direction`` (``in``/``out``), the decoded ``event``
    (None when it cannot be replayed) and its JSON form."""

    t: float
    direction: str
    event: object
    data: dict[str, Any] = field(repr=False)


class Recording:
    """A loaded recording. ``Recording.load("runs/call-1")`` (a stem, or either file).

    A truncated last line (a crash mid-write) is dropped, other unreadable lines are skipped
    and counted in :attr:`skipped_lines`; a WAV cut mid-frame loses only the partial frame.
    """

    def __init__(
        self,
        header: dict[str, Any],
        lines: list[tuple[float, str, dict[str, Any]]],
        audio: npt.NDArray[np.int16],
        sample_rate: int,
        *,
        name: str = "",
        skipped_lines: int = 0,
        end: float | None = None,
    ) -> None:
        self.header = header
        self.name = name
        self.audio = audio
        """``(frames, 2)`` int16: user left, assistant as heard right."""
        self.sample_rate = sample_rate
        self.skipped_lines = skipped_lines
        self.complete = end is not None
        """True when the recorder closed normally."""
        self._end = end
        self.events = [
            RecordedEvent(t, d, decode_event(d, data, audio, sample_rate), data)
            for t, d, data in lines
        ]

    @classmethod
    def load(cls, path: str | Path) -> Recording:
        jsonl, wav = recording_paths(path)
        header: dict[str, Any] = {}
        lines: list[tuple[float, str, dict[str, Any]]] = []
        skipped = 0
        end = None
        text = jsonl.read_text(encoding="utf-8", errors="replace")
        rows = text.split("\n")
        for index, row in enumerate(rows):
            if not row.strip():
                continue
            try:
                obj = json.loads(row)
            except json.JSONDecodeError:
                if index < len(rows) - 1:
                    skipped += 1
                continue  # the last line may be cut by a crash
            if not isinstance(obj, dict):
                skipped += 1
            elif "recording" in obj:
                header = obj
            elif "end" in obj:
                end = float(obj["end"])
            elif isinstance(obj.get("event"), dict) and isinstance(obj.get("t"), (int, float)):
                lines.append((float(obj["t"]), str(obj.get("dir", "in")), obj["event"]))
            else:
                skipped += 1
        # The sibling WAV first (a renamed copy keeps the original name in its header).
        if not wav.exists() and header.get("wav"):
            wav = jsonl.with_name(str(header["wav"]))
        audio, rate = read_wav(wav)
        if audio.ndim != 2 or audio.shape[1] != 2:
            audio = np.zeros((0, 2), np.int16)
        return cls(header, lines, audio, rate, name=jsonl.stem, skipped_lines=skipped, end=end)

    # ------------------------------------------------------------------ views

    @property
    def t0(self) -> float:
        """Session-clock time of WAV sample 0 (when recording started)."""
        return float(self.header.get("t0", 0.0))

    @property
    def duration(self) -> float:
        """Seconds from the start of the recording to its last event or sample."""
        last = self._end if self._end is not None else max((e.t for e in self.events), default=0)
        return max(last - self.t0, len(self.audio) / self.sample_rate)

    @property
    def version(self) -> int:
        """The recording format (1 for files written before the player's reports were)."""
        version = self.header.get("version", 1)
        return version if isinstance(version, int) else 1

    @property
    def end(self) -> float | None:
        """Session-clock time the live conversation had reached when recording stopped (None
        for a truncated recording)."""
        return self._end

    @cached_property
    def conversation(self) -> Conversation:
        """The conversation rebuilt from the events: each fed at its recorded time, then
        advanced to the recording's end, exactly as the live session did. (A format-1 file
        has no player reports: its assistant audio counts as played out unreported.)"""
        max_messages = self.header.get("max_messages", 1000)
        conversation = Conversation(
            max_messages=max_messages if isinstance(max_messages, int) else None
        )
        for item in self.events:
            if item.event is not None:
                conversation.feed(item.event, item.t)
        if self._end is not None:
            conversation.advance(self._end)
        return conversation

    @cached_property
    def session(self) -> VoiceSession:
        """An offline :class:`VoiceSession` that was fed every event at its recorded time
        (for code that wants the traits; :attr:`conversation` is the same fold without
        one)."""
        from ..session import VoiceSession

        session = VoiceSession(emulator=False)
        for item in self.events:
            if item.event is not None:
                session.handle_event(item.event, at=item.t)
        return session

    @property
    def transcript(self) -> list[Message]:
        """The messages (``session.messages`` form) rebuilt from the events."""
        return list(self.conversation.messages)

    @property
    def latency(self) -> list[LatencyRecord]:
        """Per-turn latency records (``session.latency`` form) rebuilt from the events."""
        return list(self.conversation.latency)

    @cached_property
    def timeline(self) -> EmotionTimeline:
        """The emotion timeline of the recording (same rules as a live attached timeline)."""
        from ..timeline.core import EmotionTimeline
        from ..timeline.feed import TimelineFeeder

        timeline = EmotionTimeline()
        feeder = TimelineFeeder(timeline)
        for item in self.events:
            if item.event is not None:
                feeder(item.direction, item.event, item.t)
        return timeline

    def __repr__(self) -> str:
        return (
            f"<Recording {self.name!r} events={len(self.events)} "
            f"duration={self.duration:.1f}s{'' if self.complete else ' (truncated)'}>"
        )
