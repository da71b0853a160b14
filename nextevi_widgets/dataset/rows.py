"""One session's events → the dataset's rows, through the project's own fold.

The conversation rules (which transcript ends a turn, which reply a latency record belongs
to, which samples feed the emotion timeline) live in the session; this module only reads the
public views of a :class:`~nextevi_widgets.recording.Recording` built from the events
(``.transcript``, ``.latency``, ``.timeline``, ``.events``) and lays them out as rows.
"""

from __future__ import annotations

import bisect
import datetime
import itertools
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..client.events import Disconnected, ProtocolError
from ..client.messages import ErrorMessage, Transcription
from ..recording import FORMAT_VERSION, Recording
from ..recording.codec import encode_event
from .schema import RESERVED_COLUMNS

__all__ = ["SessionRows", "recording_from_events", "session_rows"]

Row = dict[str, Any]
Event = tuple[str, object, float]

_SPANS = {
    "transcript_s": ("user_speech_end", "final_transcript"),
    "first_text_s": ("final_transcript", "first_text"),
    "first_audio_s": ("first_text", "first_tts_chunk"),
    "response_s": ("user_speech_end", "first_tts_chunk"),
    "heard_s": ("user_speech_end", "first_played"),
}
_STAGES = ("user_speech_end", "final_transcript", "first_text", "first_tts_chunk", "first_played")


@dataclass
class SessionRows:
    """The rows of one session, per table (``sessions`` holds one row)."""

    tables: dict[str, list[Row]] = field(default_factory=dict)


def recording_from_events(events: Sequence[Event], *, name: str = "") -> Recording:
    """An in-memory :class:`Recording` of a finished session's ``(direction, event, t)``
    triples, ending at its last event (no audio: the dataset keeps none)."""
    lines = [(float(t), direction, encode_event(event)) for direction, event, t in events]
    end = max((t for t, _, _ in lines), default=0.0)
    header = {"recording": "nextevi-widgets", "version": FORMAT_VERSION}
    return Recording(header, lines, np.zeros((0, 2), np.int16), 24_000, name=name, end=end)


def check_labels(labels: Mapping[str, Any]) -> dict[str, Any]:
    """Labels as columns: names must be strings that no ``sessions`` column uses; values
    plain scalars."""
    checked: dict[str, Any] = {}
    for key, value in labels.items():
        if not isinstance(key, str) or not key:
            raise ValueError(f"label names must be non-empty strings, not {key!r}")
        if key in RESERVED_COLUMNS:
            raise ValueError(
                f"label {key!r} clashes with a sessions column; rename it "
                f"(reserved: {', '.join(sorted(RESERVED_COLUMNS))})"
            )
        if isinstance(value, (np.generic,)):
            value = value.item()
        if isinstance(value, float) and math.isnan(value):
            value = None
        if value is not None and not isinstance(value, (str, int, float, bool)):
            raise ValueError(
                f"label {key!r} must be a string, number, bool or None, not {type(value).__name__}"
            )
        checked[key] = value
    return checked


def session_rows(
    session_id: str,
    recording: Recording,
    *,
    labels: Mapping[str, Any],
    meta: Mapping[str, Any],
    error: str | None = None,
) -> SessionRows:
    """The rows of every table for one session (``part`` is filled in by the writer)."""
    messages = recording.transcript
    starts = [float(m.get("start") or 0.0) for m in messages]
    roles = [str(m.get("role")) for m in messages]

    def turn_of(t: float) -> int | None:
        index = bisect.bisect_right(starts, t)
        return index if index > 0 else None

    key = {"session_id": session_id}
    turns = [_turn_row(key, index, message) for index, message in enumerate(messages, 1)]
    transcripts = [
        _transcript_row(key, item.t, item.event, turn_of(item.t))
        for item in recording.events
        if isinstance(item.event, Transcription)
    ]
    samples = _emotion_rows(key, recording, turn_of, roles)
    latency = [_latency_row(key, record) for record in recording.latency]
    errors = [row for item in recording.events if (row := _error_row(key, item.t, item.event))]
    if error is not None:
        errors.append({**key, "t": None, "source": "run", "code": "run_error", "message": error})
    meta = dict(meta)
    config = meta.pop("config", None)
    if config is None:
        config = meta.pop("config_id", None)
    session = {
        **key,
        "config": None if config is None else _text(config),
        "connection_id": meta.pop("connection_id", None) or _connection_id(recording),
        "started_at": _timestamp(meta.pop("started_at", None)),
        "wall_s": _number(meta.pop("wall_s", None)),
        "duration_s": recording.duration,
        "n_events": len(recording.events),
        "n_turns": len(turns),
        "n_user_turns": sum(1 for role in roles if role == "user"),
        "n_transcripts": len(transcripts),
        "n_emotion_samples": len(samples),
        "n_errors": len(errors),
        "error": error,
        "meta": json.dumps(meta, default=str, sort_keys=True) if meta else None,
        **check_labels(labels),
    }
    return SessionRows(
        {
            "sessions": [session],
            "turns": turns,
            "transcripts": transcripts,
            "emotion_samples": samples,
            "latency": latency,
            "errors": errors,
        }
    )


def _turn_row(key: Row, index: int, message: Mapping[str, Any]) -> Row:
    emotions = message.get("emotions") or {}
    top = max(emotions.items(), key=lambda item: item[1]) if emotions else (None, None)
    return {
        **key,
        "turn": index,
        "message_id": message.get("id"),
        "role": message.get("role"),
        "text": message.get("text"),
        "heard_text": message.get("heard_text"),
        "is_final": bool(message.get("is_final", True)),
        "interrupted": bool(message.get("interrupted", False)),
        "confidence": _number(message.get("confidence")),
        "start": _number(message.get("start")),
        "end": _number(message.get("end")),
        "generation_id": message.get("generation_id"),
        "top_emotion": top[0],
        "top_score": _number(top[1]),
    }


def _transcript_row(key: Row, t: float, event: Transcription, turn: int | None) -> Row:
    return {
        **key,
        "t": t,
        "turn": turn,
        "is_final": event.is_final,
        "text": event.transcript,
        "confidence": event.confidence,
        "words": [
            {"word": w.word, "start": w.start, "end": w.end, "confidence": w.confidence}
            for w in event.words
        ],
    }


def _emotion_rows(key: Row, recording: Recording, turn_of: Any, roles: list[str]) -> list[Row]:
    user_turns = list(itertools.accumulate(int(role == "user") for role in roles))
    timeline = recording.timeline
    names, times, values, sources = (
        timeline.names,
        timeline.times,
        timeline.values,
        timeline.sources,
    )
    rows: list[Row] = []
    for row_index, t in enumerate(times.tolist()):
        turn = turn_of(t)
        role = roles[turn - 1] if turn is not None else None
        user_turn = (user_turns[turn - 1] or None) if turn is not None else None
        for col, name in enumerate(names):
            score = float(values[row_index, col])
            if not math.isnan(score):
                rows.append(
                    {
                        **key,
                        "t": t,
                        "turn": turn,
                        "user_turn": user_turn,
                        "role": role,
                        "name": name,
                        "score": score,
                        "source": sources[row_index],
                    }
                )
    return rows


def _latency_row(key: Row, record: Mapping[str, Any]) -> Row:
    row: Row = {
        **key,
        "user_turn": record.get("turn"),
        "user_message_id": record.get("user_message_id"),
        "generation_id": record.get("generation_id"),
        "played_estimated": bool(record.get("played_estimated", False)),
    }
    for stage in _STAGES:
        row[stage] = _number(record.get(stage))
    for span, (begin, end) in _SPANS.items():
        a, b = row[begin], row[end]
        row[span] = None if a is None or b is None else b - a
    return row


def _error_row(key: Row, t: float, event: object) -> Row | None:
    if isinstance(event, ErrorMessage):
        return {
            **key,
            "t": t,
            "source": "server",
            "code": event.error_code,
            "message": event.error_message,
        }
    if isinstance(event, ProtocolError):
        return {**key, "t": t, "source": "client", "code": "protocol", "message": event.detail}
    if isinstance(event, Disconnected) and event.code not in (None, 1000):
        return {
            **key,
            "t": t,
            "source": "client",
            "code": f"disconnected:{event.code}",
            "message": event.reason,
        }
    return None


def _connection_id(recording: Recording) -> str | None:
    for item in recording.events:
        connection_id = getattr(item.event, "connection_id", None)
        if isinstance(connection_id, str) and connection_id:
            return connection_id
    return None


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.number)):
        return None
    number = float(value)
    return None if math.isnan(number) else number


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, default=str, sort_keys=True)


def _timestamp(value: Any) -> datetime.datetime | None:
    if value is None:
        return None
    if isinstance(value, (int, float)):
        return datetime.datetime.fromtimestamp(value, datetime.timezone.utc)
    if isinstance(value, str):
        value = datetime.datetime.fromisoformat(value)
    if isinstance(value, datetime.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=datetime.timezone.utc)
        converted: datetime.datetime = value.astimezone(datetime.timezone.utc)
        return converted
    raise ValueError(
        f"meta['started_at'] must be a datetime, ISO string or epoch seconds, not {value!r}"
    )
