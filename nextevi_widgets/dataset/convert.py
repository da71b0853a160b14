"""Recordings (JSONL + WAV, :class:`~nextevi_widgets.recording.Recording`) into a dataset."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from ..recording import Recording
from .writer import DatasetWriter

__all__ = ["convert_recordings"]


def convert_recordings(
    paths: Iterable[str | os.PathLike[str] | Recording],
    out: str | os.PathLike[str],
    *,
    labels: Mapping[str, Any] | Callable[[Recording], Mapping[str, Any]] | None = None,
    meta: Mapping[str, Any] | None = None,
) -> list[str]:
    """Add each recording to the dataset at ``out`` (created or appended to) as one session
    whose id is the recording's name (``call-1`` for ``runs/call-1.jsonl``; ``-2``, ``-3``...
    appended when a name repeats). Recordings already in the dataset are skipped, so running
    it again after an interruption finishes the job.

    ``labels`` is one mapping for every recording or a function of the loaded recording;
    ``meta`` is added to each session's (its header's ``connection_id`` and ``created`` are
    used already). A truncated recording (a crash mid-session) converts up to its last event.
    Returns the session ids written."""
    written: list[str] = []
    seen: set[str] = set()
    with DatasetWriter(out) as writer:
        done = writer.done_ids()
        for item in paths:
            recording = item if isinstance(item, Recording) else Recording.load(Path(item))
            session_id = _unique(recording.name or "recording", seen)
            if session_id in done:
                continue
            header = recording.header
            session_meta: dict[str, Any] = {
                "source": "recording",
                "connection_id": header.get("connection_id"),
                "started_at": header.get("created"),
                **(meta or {}),
            }
            if not recording.complete:
                session_meta["truncated"] = True
            if recording.skipped_lines:
                session_meta["skipped_lines"] = recording.skipped_lines
            own = labels(recording) if callable(labels) else labels
            events = [(e.direction, e.event, e.t) for e in recording.events if e.event is not None]
            writer.add_session(session_id, events, labels=own or {}, meta=session_meta)
            written.append(session_id)
    return written


def _unique(name: str, seen: set[str]) -> str:
    candidate, n = name, 1
    while candidate in seen:
        n += 1
        candidate = f"{name}-{n}"
    seen.add(candidate)
    return candidate
