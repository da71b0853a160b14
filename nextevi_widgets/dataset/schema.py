"""The session dataset's tables: one pyarrow schema per table, versioned by ``SCHEMA_VERSION``.

A dataset is a folder::

    DATASET/
      _dataset.json           # {"format": "nextevi-widgets-dataset", "schema_version": 1, ...}
      sessions/part-<utc time>-<writer>-<n>.parquet
      turns/part-<utc time>-<writer>-<n>.parquet
      transcripts/...   emotion_samples/...   latency/...   errors/...

Every table has ``session_id`` (join key) and ``part`` (the part file's name stem, shared by
the rows one flush wrote in every table). Times ``t``/``start``/``end`` are seconds on the
session clock; ``*_s`` columns are durations in seconds.

``sessions``
    One row per session: ``session_id``, ``config`` (the configuration the session ran with,
    from ``meta["config"]`` or ``meta["config_id"]``), ``connection_id``, ``started_at``
    (UTC), ``wall_s`` (wall-clock seconds the run took, from ``meta``), ``duration_s``
    (session-clock span of the events), the counts ``n_events``, ``n_turns``,
    ``n_user_turns``, ``n_transcripts``, ``n_emotion_samples``, ``n_errors``, ``error`` (why
    the session failed, else null), ``meta`` (the rest of ``meta`` as JSON), then **one column
    per label** of the input (``labels={"sentiment": "negative"}`` → column ``sentiment``).
``turns``
    The conversation's messages as the session folded them: ``turn`` (1-based, in order),
    ``message_id``, ``role`` (``user``/``assistant``/``system``), ``text``, ``heard_text``
    (what was played of an interrupted reply), ``is_final``, ``interrupted``, ``confidence``,
    ``start``, ``end``, ``generation_id``, ``top_emotion``/``top_score`` (the message's own
    emotion scores, when it has them).
``transcripts``
    Every transcription the server sent, interim and final: ``t``, ``turn`` (the turn the
    time falls in), ``is_final``, ``text``, ``confidence``, ``words`` (list of
    ``{word, start, end, confidence}``).
``emotion_samples``
    Long format, one row per (sample, emotion): ``t``, ``turn``, ``user_turn`` (user turns
    begun by ``t``: 1 from the first user turn on), ``role`` (of ``turn``), ``name``,
    ``score`` (0..1), ``source`` (``emotion_update`` or ``transcription``).
``latency``
    One row per user turn (the session's latency records): ``user_turn``,
    ``user_message_id``, ``generation_id``, the stage times ``user_speech_end``,
    ``final_transcript``, ``first_text``, ``first_tts_chunk``, ``first_played``,
    ``played_estimated``, and the spans ``transcript_s``, ``first_text_s``,
    ``first_audio_s``, ``response_s``, ``heard_s`` (null when a stage was not reached).
``errors``
    ``t`` (null for a failure outside the session clock), ``source`` (``server``,
    ``client`` or ``run``), ``code``, ``message``.

A session's turn of a time ``t`` is the last turn starting at or before ``t`` (the server's
emotion update for an utterance arrives after the speech ended, with its final transcript).
"""

from __future__ import annotations

import pyarrow as pa

__all__ = [
    "FORMAT",
    "MANIFEST",
    "RESERVED_COLUMNS",
    "SCHEMAS",
    "SCHEMA_VERSION",
    "TABLES",
]

SCHEMA_VERSION = 1
"""Bumped whenever a table gains, loses or changes a column; readers refuse newer versions."""

FORMAT = "nextevi-widgets-dataset"
MANIFEST = "_dataset.json"

_KEY = [pa.field("session_id", pa.string(), nullable=False), pa.field("part", pa.string())]

_WORD = pa.struct(
    [
        pa.field("word", pa.string()),
        pa.field("start", pa.float64()),
        pa.field("end", pa.float64()),
        pa.field("confidence", pa.float64()),
    ]
)

SCHEMAS: dict[str, pa.Schema] = {
    "sessions": pa.schema(
        [
            *_KEY,
            pa.field("config", pa.string()),
            pa.field("connection_id", pa.string()),
            pa.field("started_at", pa.timestamp("us", tz="UTC")),
            pa.field("wall_s", pa.float64()),
            pa.field("duration_s", pa.float64()),
            pa.field("n_events", pa.int64()),
            pa.field("n_turns", pa.int64()),
            pa.field("n_user_turns", pa.int64()),
            pa.field("n_transcripts", pa.int64()),
            pa.field("n_emotion_samples", pa.int64()),
            pa.field("n_errors", pa.int64()),
            pa.field("error", pa.string()),
            pa.field("meta", pa.string()),
        ]
    ),
    "turns": pa.schema(
        [
            *_KEY,
            pa.field("turn", pa.int32()),
            pa.field("message_id", pa.string()),
            pa.field("role", pa.string()),
            pa.field("text", pa.string()),
            pa.field("heard_text", pa.string()),
            pa.field("is_final", pa.bool_()),
            pa.field("interrupted", pa.bool_()),
            pa.field("confidence", pa.float64()),
            pa.field("start", pa.float64()),
            pa.field("end", pa.float64()),
            pa.field("generation_id", pa.string()),
            pa.field("top_emotion", pa.string()),
            pa.field("top_score", pa.float64()),
        ]
    ),
    "transcripts": pa.schema(
        [
            *_KEY,
            pa.field("t", pa.float64()),
            pa.field("turn", pa.int32()),
            pa.field("is_final", pa.bool_()),
            pa.field("text", pa.string()),
            pa.field("confidence", pa.float64()),
            pa.field("words", pa.list_(_WORD)),
        ]
    ),
    "emotion_samples": pa.schema(
        [
            *_KEY,
            pa.field("t", pa.float64()),
            pa.field("turn", pa.int32()),
            pa.field("user_turn", pa.int32()),
            pa.field("role", pa.string()),
            pa.field("name", pa.string()),
            pa.field("score", pa.float32()),
            pa.field("source", pa.string()),
        ]
    ),
    "latency": pa.schema(
        [
            *_KEY,
            pa.field("user_turn", pa.int32()),
            pa.field("user_message_id", pa.string()),
            pa.field("generation_id", pa.string()),
            pa.field("user_speech_end", pa.float64()),
            pa.field("final_transcript", pa.float64()),
            pa.field("first_text", pa.float64()),
            pa.field("first_tts_chunk", pa.float64()),
            pa.field("first_played", pa.float64()),
            pa.field("played_estimated", pa.bool_()),
            pa.field("transcript_s", pa.float64()),
            pa.field("first_text_s", pa.float64()),
            pa.field("first_audio_s", pa.float64()),
            pa.field("response_s", pa.float64()),
            pa.field("heard_s", pa.float64()),
        ]
    ),
    "errors": pa.schema(
        [
            *_KEY,
            pa.field("t", pa.float64()),
            pa.field("source", pa.string()),
            pa.field("code", pa.string()),
            pa.field("message", pa.string()),
        ]
    ),
}

TABLES: tuple[str, ...] = tuple(SCHEMAS)
"""Table names, ``sessions`` first (a flush writes it last: it commits the part)."""

RESERVED_COLUMNS = frozenset(SCHEMAS["sessions"].names)
"""Names a label may not take (they are ``sessions`` columns already)."""
