"""Replaying a recording into live objects, and comparing recordings."""

from __future__ import annotations

import asyncio
import math
import statistics
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from ..conversation import Conversation
from ..timeline.core import EmotionTimeline
from ..timeline.feed import TimelineFeeder
from ..timeline.latency import latency_table
from .load import Recording

__all__ = ["compare_recordings", "replay"]

Deliver = Callable[[str, object, float], None]


def _deliver_to(target: Any, first: float) -> Deliver:
    """How to hand one event to ``target``; sessions get times shifted onto their clock."""
    if isinstance(target, EmotionTimeline):
        return TimelineFeeder(target)
    if isinstance(target, Conversation):

        def feed(_direction: str, event: object, t: float) -> None:
            target.feed(event, t)

        return feed
    session = getattr(target, "session", None)
    if session is None and hasattr(target, "handle_event"):
        session = target
    if session is not None and hasattr(session, "handle_event"):
        # A fresh session keeps the recorded times; an older one gets them moved to its clock.
        offset = max(0.0, float(session.clock) - first)

        def deliver(_direction: str, event: object, t: float) -> None:
            session.handle_event(event, at=t + offset)

        return deliver
    timeline = getattr(target, "timeline", None)
    if isinstance(timeline, EmotionTimeline):
        return TimelineFeeder(timeline)
    raise TypeError(
        "replay target must be a VoiceSession, VoiceChat, EmotionPlot, EmotionTimeline or "
        "Conversation"
    )


def replay(recording: Recording | str | Path, target: Any, speed: float = 1.0) -> asyncio.Task[int]:
    """Drive ``target`` with the recorded events as a background task (returns at once; await
    the task for the number of events delivered).

    Sessions (also a ``VoiceChat``'s, or an ``EmotionPlot``'s) get every event through
    ``handle_event`` at its recorded session-clock time, so turns, emotions and latency come
    out as recorded; a ``VoiceChat`` also plays the assistant's audio. A plot or timeline
    without a session is fed directly, and so is a
    :class:`~nextevi_widgets.conversation.Conversation` (its deadlines run as later events
    arrive; call ``advance`` for the rest, or use ``Recording.conversation`` for the whole
    fold at once). ``speed`` scales the waits between events
    (``float("inf")``: no waiting; the session's own timers, such as the end of the
    assistant's speech, then settle later in real time).
    """
    if speed <= 0:
        raise ValueError("speed must be positive (float('inf') for no waiting)")
    rec = recording if isinstance(recording, Recording) else Recording.load(recording)
    loop = asyncio.get_running_loop()
    return loop.create_task(_run(rec, target, speed), name="nextevi-replay")


async def _run(recording: Recording, target: Any, speed: float) -> int:
    events = [item for item in recording.events if item.event is not None]
    if not events:
        return 0
    first = events[0].t
    deliver = _deliver_to(target, first)
    loop = asyncio.get_running_loop()
    start = loop.time()
    for count, item in enumerate(events, 1):
        if math.isfinite(speed):
            delay = start + (item.t - first) / speed - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
        elif count % 200 == 0:
            await asyncio.sleep(0)  # let the loop breathe on long recordings
        deliver(item.direction, item.event, item.t)
    return len(events)


def compare_recordings(
    recordings: Iterable[Recording | str | Path], *, as_frame: bool = False
) -> Any:
    """One row per recording: ``name``, ``duration``, ``user_turns``, ``assistant_turns``,
    ``interruptions``, median ``response_ms`` (speech end to first TTS chunk) and
    ``heard_ms`` (to first sample played), and ``mean_<emotion>`` per emotion seen in any of
    them. ``as_frame=True`` gives a pandas DataFrame."""
    loaded = [r if isinstance(r, Recording) else Recording.load(r) for r in recordings]
    rows: list[dict[str, Any]] = []
    names: list[str] = []
    for rec in loaded:
        timeline = rec.timeline
        latency = latency_table(rec.latency)
        row: dict[str, Any] = {
            "name": rec.name,
            "duration": round(rec.duration, 3),
            "user_turns": sum(1 for t in timeline.turns if t.role == "user"),
            "assistant_turns": sum(1 for t in timeline.turns if t.role == "assistant"),
            "interruptions": len(timeline.interruptions),
            "response_ms": _median(r["first_tts_ms"] for r in latency),
            "heard_ms": _median(r["first_played_ms"] for r in latency),
        }
        for name, value in timeline.mean().items():
            row[f"mean_{name}"] = value
            if name not in names:
                names.append(name)
        rows.append(row)
    for row in rows:
        for name in names:
            row.setdefault(f"mean_{name}", float("nan"))
    if as_frame:
        from ..timeline._frames import require_pandas

        return require_pandas().DataFrame(rows)
    return rows


def _median(values: Iterable[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return statistics.median(present) if present else None
