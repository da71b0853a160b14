"""What the user actually heard of the assistant's audio.

Two sources, per generation (one assistant reply):

* **Reports** from a player (the widget's ``playback_progress``): cumulative played samples
  per chunk. Used as soon as any report arrived for the generation.
* **Estimate** on the session clock when nothing reports (headless scripts): chunks play
  back to back from the moment they arrive, never before the previous one ends.

All times are session-clock seconds; nothing here reads a clock itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["DEFAULT_CHARS_PER_SECOND", "GenerationPlayback", "PlaybackTracker", "PlayoutClock"]

DEFAULT_CHARS_PER_SECOND = 14.0
"""Typical speaking rate (about 150 words a minute) used until this session has measured one."""

_MAX_GENERATIONS = 50


class PlayoutClock:
    """The one playout estimate: when audio plays if nothing reports it. Chunks play back to
    back from their arrival, never before the previous one ends; a flush cuts what is still
    queued. The session's headless estimate, the emotion timeline's assistant turns and a
    recording's assistant channel all place audio with it."""

    def __init__(self) -> None:
        self.end = 0.0
        """When everything placed so far has played (session-clock seconds)."""

    def next_start(self, arrival: float) -> float:
        """When a chunk arriving at ``arrival`` would start."""
        return max(arrival, self.end)

    def place(self, arrival: float, seconds: float) -> float:
        """Queue ``seconds`` of audio that arrived at ``arrival``; returns when it starts."""
        start = self.next_start(arrival)
        self.end = start + seconds
        return start

    def cut(self, at: float) -> None:
        """Everything queued is flushed at ``at``."""
        self.end = min(self.end, at)


@dataclass
class _Chunk:
    chunk_id: str
    generation_id: str
    samples: int
    rate: int
    est_start: float
    played: int = 0
    complete: bool = False
    est_stop: float | None = None

    @property
    def duration(self) -> float:
        return self.samples / self.rate if self.rate else 0.0

    def estimated_played(self, now: float) -> float:
        end = now if self.est_stop is None else min(now, self.est_stop)
        return min(self.duration, max(0.0, end - self.est_start))


@dataclass
class GenerationPlayback:
    """Playback bookkeeping of one assistant reply."""

    generation_id: str
    chunk_ids: list[str] = field(default_factory=list)
    received_samples: int = 0
    received_seconds: float = 0.0
    first_arrival: float | None = None
    last_arrival: float | None = None
    is_last_seen: bool = False
    reports: int = 0
    first_played: float | None = None
    stopped: bool = False
    """Flushed (interruption, disconnect) or finished: nothing more will play."""
    interrupted: bool = False
    first_est_start: float | None = None
    """Estimated time the first sample played (headless estimate)."""


class PlaybackTracker:
    """Chunks received, played (reported or estimated) and flushed, across generations."""

    def __init__(self) -> None:
        self._chunks: dict[str, _Chunk] = {}
        self._generations: dict[str, GenerationPlayback] = {}
        self.clock = PlayoutClock()
        """The estimate of when everything received so far plays (``est_end``: it ends)."""
        self._measured_chars = 0
        self._measured_seconds = 0.0

    # Input -------------------------------------------------------------------------------

    def add_chunk(
        self,
        generation_id: str,
        chunk_id: str,
        samples: int,
        rate: int,
        now: float,
        *,
        is_last: bool = False,
    ) -> GenerationPlayback:
        gen = self.generation(generation_id)
        seconds = samples / rate if rate else 0.0
        chunk = _Chunk(chunk_id, generation_id, samples, rate, self.clock.place(now, seconds))
        self._chunks[chunk_id] = chunk
        gen.chunk_ids.append(chunk_id)
        gen.received_samples += samples
        gen.received_seconds += chunk.duration
        gen.first_arrival = now if gen.first_arrival is None else gen.first_arrival
        gen.last_arrival = now
        gen.is_last_seen = gen.is_last_seen or is_last
        return gen

    def report(
        self, chunk_id: str, played: int, total: int, flushed: bool, now: float
    ) -> GenerationPlayback | None:
        """Apply a player's report; returns the chunk's generation (None if unknown)."""
        chunk = self._chunks.get(chunk_id)
        if chunk is None:
            return None
        gen = self._generations[chunk.generation_id]
        if total > 0 and total != chunk.samples:
            chunk.samples = total
        chunk.played = max(chunk.played, min(max(0, played), chunk.samples))
        chunk.complete = chunk.complete or flushed or chunk.played >= chunk.samples
        gen.reports += 1
        if gen.first_played is None and played > 0:
            # The report arrives after the audio played; date its first sample back.
            gen.first_played = now - min(played, chunk.samples) / chunk.rate
        return gen

    def started(self, chunk_id: str, at: float) -> GenerationPlayback | None:
        """A player scheduled the chunk's first sample for output at ``at``. For the first
        chunk of a reply this is the exact time its first sample played (progress reports
        only bound it). Returns the chunk's generation (None if unknown)."""
        chunk = self._chunks.get(chunk_id)
        if chunk is None:
            return None
        gen = self._generations[chunk.generation_id]
        if gen.first_played is None or gen.chunk_ids[:1] == [chunk_id]:
            gen.first_played = at
        return gen

    def stop(self, now: float, generation_id: str | None = None) -> None:
        """Everything queued (of one generation, or all) is flushed now."""
        for chunk in self._chunks.values():
            if generation_id is not None and chunk.generation_id != generation_id:
                continue
            if chunk.est_stop is None:
                chunk.est_stop = now
            chunk.complete = True
        for gen in self._generations.values():
            if generation_id is None or gen.generation_id == generation_id:
                gen.stopped = True
        if generation_id is None:
            self.clock.cut(now)

    # Queries -----------------------------------------------------------------------------

    @property
    def est_end(self) -> float:
        """When the estimated playback of everything received so far ends."""
        return self.clock.end

    def generation(self, generation_id: str) -> GenerationPlayback:
        gen = self._generations.get(generation_id)
        if gen is None:
            gen = self._generations[generation_id] = GenerationPlayback(generation_id)
            self._prune()
        return gen

    def has_chunk(self, chunk_id: str) -> bool:
        return chunk_id in self._chunks

    def get(self, generation_id: str | None) -> GenerationPlayback | None:
        return None if generation_id is None else self._generations.get(generation_id)

    def played_seconds(self, generation_id: str, now: float) -> float:
        """Seconds of the generation heard so far: reported when a player reports, else
        estimated."""
        gen = self._generations.get(generation_id)
        if gen is None:
            return 0.0
        chunks = [self._chunks[c] for c in gen.chunk_ids if c in self._chunks]
        if gen.reports:
            return sum(c.played / c.rate for c in chunks if c.rate)
        return sum(c.estimated_played(now) for c in chunks)

    def drained(self, generation_id: str, now: float) -> bool:
        """True when nothing received for the generation is still to be played."""
        gen = self._generations.get(generation_id)
        if gen is None:
            return True
        chunks = [self._chunks[c] for c in gen.chunk_ids if c in self._chunks]
        if gen.reports:
            return all(c.complete for c in chunks)
        return all(c.est_stop is not None or now >= c.est_start + c.duration for c in chunks)

    def estimated_end(self, generation_id: str) -> float:
        gen = self._generations.get(generation_id)
        if gen is None:
            return 0.0
        ends = [
            c.est_start + c.duration if c.est_stop is None else c.est_stop
            for c in (self._chunks[i] for i in gen.chunk_ids if i in self._chunks)
        ]
        return max(ends, default=0.0)

    # Speaking rate, for the heard fraction of a reply whose audio did not all arrive ------

    def learn_rate(self, text: str, seconds: float) -> None:
        """Record a reply that was played in full (its text and audio length)."""
        if text.strip() and seconds > 0.2:
            self._measured_chars += len(text)
            self._measured_seconds += seconds

    @property
    def chars_per_second(self) -> float:
        if self._measured_seconds > 1.0:
            return self._measured_chars / self._measured_seconds
        return DEFAULT_CHARS_PER_SECOND

    def heard_fraction(self, generation_id: str, text: str, now: float) -> float:
        """Share (0..1) of ``text`` the user heard. The reply's full audio length is the
        received audio when the last chunk came, else estimated from the text length."""
        gen = self._generations.get(generation_id)
        if gen is None:
            return 0.0
        total = gen.received_seconds
        if not gen.is_last_seen:
            total = max(total, len(text) / self.chars_per_second)
        if total <= 0:
            return 0.0
        return min(1.0, self.played_seconds(generation_id, now) / total)

    def _prune(self) -> None:
        while len(self._generations) > _MAX_GENERATIONS:
            oldest = next(iter(self._generations))
            for chunk_id in self._generations.pop(oldest).chunk_ids:
                self._chunks.pop(chunk_id, None)
