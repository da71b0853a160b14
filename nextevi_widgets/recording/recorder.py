"""``Recorder``: a session's events as JSON lines plus a stereo WAV, written as they happen.

Every event (both directions) becomes one line ``{"t", "dir", "event"}`` with ``t`` on the
session clock (never decreasing), appended and flushed at once, so a crash leaves a readable
file up to the last event. Audio goes to ``<stem>.wav`` (PCM16, 24 kHz, stereo): the user's
microphone on the left, the assistant **as heard** on the right. The assistant's audio is
placed where a player without reports plays it (chunks back to back from their arrival, the
same estimate as the timeline) and cut at an interruption or disconnect; late chunks of a cut
reply are left out. WAV sample 0 is the session-clock time given by the header's ``t0``.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

import numpy as np
import numpy.typing as npt

from ..client.events import Disconnected
from ..client.messages import DEFAULT_SAMPLE_RATE, Interrupt, Interruption, TTSChunk
from ..conversation import OutgoingAudio
from ..timeline.feed import PlayoutEstimate
from .codec import encode_event
from .wav import IncrementalWav

if TYPE_CHECKING:
    from ..session import VoiceSession

__all__ = ["FORMAT_VERSION", "Recorder", "recording_paths"]

FORMAT_VERSION = 2
"""2: every event of the conversation's stream (player reports, front-end problems, players
attached, the session stopped) and each microphone frame's level; ``end`` is the time the
session's conversation had reached when the recorder closed. Version 1 files still load."""
_COMMIT_LAG = 0.5
"""Seconds of audio kept unwritten behind the newest event: a microphone frame is placed
just before the moment it is reported."""
_CONTIGUOUS = 0.1
"""A microphone frame that would leave a gap shorter than this joins the previous one."""


def recording_paths(path: str | Path) -> tuple[Path, Path]:
    """``(<stem>.jsonl, <stem>.wav)`` for a stem or either file's path."""
    path = Path(path)
    stem = path.with_suffix("") if path.suffix in (".jsonl", ".wav") else path
    return stem.with_name(stem.name + ".jsonl"), stem.with_name(stem.name + ".wav")


class _Track:
    """Audio segments of one channel not yet written: ``[(start_frame, samples)]``."""

    def __init__(self) -> None:
        self.segments: list[tuple[int, npt.NDArray[np.int16]]] = []
        self.end = 0

    def place(self, start: int, samples: npt.NDArray[np.int16]) -> None:
        if len(samples):
            self.segments.append((start, samples))
            self.end = max(self.end, start + len(samples))

    def cut(self, at: int) -> None:
        kept = []
        for start, samples in self.segments:
            if start < at:
                kept.append((start, samples[: at - start]))
        self.segments = kept
        self.end = min(self.end, max(at, 0))

    def take(self, begin: int, stop: int, out: npt.NDArray[np.int16]) -> None:
        """Mix samples in ``[begin, stop)`` into ``out`` and forget what is written."""
        kept = []
        for start, samples in self.segments:
            end = start + len(samples)
            lo, hi = max(start, begin), min(end, stop)
            if lo < hi:
                out[lo - begin : hi - begin] = samples[lo - start : hi - start]
            if end > stop:
                kept.append((start, samples))
        self.segments = kept


class Recorder:
    """Records a session to ``<stem>.jsonl`` + ``<stem>.wav``; see the module docstring.

    ::

        recorder = Recorder.attach(session, "runs/call-1")
        ...
        recorder.close()        # or use it as a context manager
    """

    def __init__(self, path: str | Path, *, t0: float = 0.0, meta: dict[str, Any] | None = None):
        self.jsonl_path, self.wav_path = recording_paths(path)
        self.jsonl_path.parent.mkdir(parents=True, exist_ok=True)
        self.rate = DEFAULT_SAMPLE_RATE
        self.t0 = t0
        self.events = 0
        self.closed = False
        self._last_t = t0
        self._written = 0
        self._user = _Track()
        self._assistant = _Track()
        self._playout = PlayoutEstimate()
        self._unsubscribe: Callable[[], None] | None = None
        self._reached: Callable[[], float] | None = None
        self._wav = IncrementalWav(self.wav_path, self.rate, 2)
        self._jsonl: TextIO = open(self.jsonl_path, "w", encoding="utf-8")  # noqa: SIM115
        header = {
            "recording": "nextevi-widgets",
            "version": FORMAT_VERSION,
            "sample_rate": self.rate,
            "channels": ["user", "assistant"],
            "wav": self.wav_path.name,
            "t0": t0,
            "created": datetime.datetime.now(datetime.timezone.utc).isoformat(),
            **(meta or {}),
        }
        self._line(header)

    @classmethod
    def attach(cls, session: VoiceSession | Any, path: str | Path) -> Recorder:
        """Start recording ``session`` (or a ``VoiceChat``'s session) now."""
        session = getattr(session, "session", session)
        meta = {
            "connection_id": getattr(session, "connection_id", None),
            "max_messages": getattr(session, "max_messages", None),
        }
        recorder = cls(path, t0=float(session.clock), meta=meta)
        conversation = getattr(session, "conversation", None)
        if conversation is not None:
            # How far the session's conversation has run its deadlines: a replay advances
            # to the same time, so it ends in the same state.
            recorder._reached = lambda: float(conversation.now)
        recorder._unsubscribe = session.on_event(recorder.record)
        return recorder

    # ------------------------------------------------------------------ writing

    def _line(self, obj: dict[str, Any]) -> None:
        self._jsonl.write(json.dumps(obj, separators=(",", ":"), default=str) + "\n")
        self._jsonl.flush()

    def _frame(self, t: float) -> int:
        return max(0, round((t - self.t0) * self.rate))

    def record(self, direction: str, event: object, t: float) -> None:
        """Write one event (an ``on_event`` listener)."""
        if self.closed:
            return
        t = max(float(t), self._last_t)
        self._last_t = t
        placement = self._place_audio(event, t)
        self._line({"t": t, "dir": direction, "event": encode_event(event, placement)})
        self.events += 1
        self._commit(self._frame(t - _COMMIT_LAG))
        if isinstance(event, Disconnected):
            self._wav.update_header()

    def _place_audio(self, event: object, t: float) -> dict[str, int] | None:
        if isinstance(event, OutgoingAudio):
            samples = _at_rate(event.pcm, event.sample_rate, self.rate)
            start = max(self._frame(t) - len(samples), self._written)
            if start - self._user.end < _CONTIGUOUS * self.rate:
                start = max(self._user.end, self._written)
            self._user.place(start, samples)
            return {"wav_offset": start, "wav_samples": len(samples)}
        if isinstance(event, TTSChunk):
            samples = _at_rate(event.audio, event.sample_rate, self.rate)
            gen = event.generation_id or "local"
            start_t = self._playout.place(gen, t, len(samples) / self.rate)
            if start_t is None:
                return {"wav_offset": -1, "wav_samples": 0}
            start = max(self._frame(start_t), self._written)
            self._assistant.place(start, samples)
            return {"wav_offset": start, "wav_samples": len(samples)}
        if isinstance(event, (Interruption, Interrupt, Disconnected)):
            self._playout.cut(t)
            self._assistant.cut(max(self._frame(t), self._written))
        return None

    def _commit(self, upto: int) -> None:
        if upto <= self._written:
            return
        block = np.zeros((upto - self._written, 2), np.int16)
        self._user.take(self._written, upto, block[:, 0])
        self._assistant.take(self._written, upto, block[:, 1])
        self._wav.write(block)
        self._written = upto

    # ------------------------------------------------------------------ closing

    def close(self) -> None:
        """Stop listening, write the rest of the audio, fix the WAV header, end the log."""
        if self.closed:
            return
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        end = self._last_t if self._reached is None else max(self._last_t, self._reached())
        self._commit(max(self._user.end, self._assistant.end, self._frame(self._last_t)))
        self._wav.close()
        self._line({"end": end, "events": self.events})
        self._jsonl.close()
        self.closed = True

    def __enter__(self) -> Recorder:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "closed" if self.closed else "recording"
        return f"<Recorder {state} {self.jsonl_path.name} events={self.events}>"


def _at_rate(pcm: bytes, rate: int, target: int) -> npt.NDArray[np.int16]:
    samples = np.frombuffer(pcm[: len(pcm) - len(pcm) % 2], dtype="<i2")
    if rate == target or not len(samples):
        return samples.astype(np.int16)
    import soxr

    resampled = soxr.resample(samples.astype(np.float32) / 32768.0, rate, target)
    return np.asarray(np.clip(np.round(resampled * 32768.0), -32768, 32767), dtype=np.int16)
