"""Per-turn latency records: user speech end -> final transcript -> first assistant text ->
first TTS chunk -> first sample played. Times are session-clock seconds."""

from __future__ import annotations

import statistics
from typing import Literal, cast

from .state import LatencyRecord, LatencySummary

__all__ = ["LATENCY_STAGES", "LatencyTracker", "Stage"]

Stage = Literal[
    "user_speech_end", "final_transcript", "first_text", "first_tts_chunk", "first_played"
]

LATENCY_STAGES: tuple[Stage, ...] = (
    "user_speech_end",
    "final_transcript",
    "first_text",
    "first_tts_chunk",
    "first_played",
)

_SPANS: dict[str, tuple[Stage, Stage]] = {
    "transcript_s": ("user_speech_end", "final_transcript"),
    "first_text_s": ("final_transcript", "first_text"),
    "first_audio_s": ("first_text", "first_tts_chunk"),
    "response_s": ("user_speech_end", "first_tts_chunk"),
    "heard_s": ("user_speech_end", "first_played"),
}

_MAX_RECORDS = 1000
_MUTABLE_TAIL = 3
"""Records ``mark`` may still change: it looks at the newest three only."""


class LatencyTracker:
    """Builds one record per user turn and fills it as the reply arrives.

    A record is ``{turn, user_message_id, generation_id, user_speech_end, final_transcript,
    first_text, first_tts_chunk, first_played, played_estimated}``; stages not reached stay
    ``None``.
    """

    def __init__(self) -> None:
        self.records: list[LatencyRecord] = []
        self._published: list[LatencyRecord] = []

    def begin_turn(self, user_message_id: str, speech_end: float, final: float) -> None:
        self.records.append(
            {
                "turn": len(self.records) + 1,
                "user_message_id": user_message_id,
                "generation_id": None,
                "user_speech_end": speech_end,
                "final_transcript": final,
                "first_text": None,
                "first_tts_chunk": None,
                "first_played": None,
                "played_estimated": False,
            }
        )
        del self.records[:-_MAX_RECORDS]

    def _for_generation(self, generation_id: str) -> LatencyRecord | None:
        if not self.records:
            return None
        for record in reversed(self.records[-_MUTABLE_TAIL:]):
            if record["generation_id"] == generation_id:
                return record
        last = self.records[-1]
        # A reply belongs to the newest turn that has no reply yet.
        return last if last["generation_id"] is None else None

    def mark(self, generation_id: str, stage: Stage, at: float, *, estimated: bool = False) -> bool:
        """Set ``stage`` for the turn answered by ``generation_id`` unless already set (a
        measured ``first_played`` replaces an estimated one). Returns True when a record
        changed."""
        record = self._for_generation(generation_id)
        if record is None:
            return False
        replaces_estimate = (
            stage == "first_played" and not estimated and record["played_estimated"] is True
        )
        if record[stage] is not None and not replaces_estimate:
            return False
        record["generation_id"] = generation_id
        record[stage] = at
        if stage == "first_played":
            record["played_estimated"] = estimated
        return True

    def snapshot(self) -> list[LatencyRecord]:
        """Copies of the records. Only the newest few can still change (``mark`` looks no
        further back), so older copies are shared with the previous snapshot: publishing
        stays cheap however long the session."""
        records, previous = self.records, self._published
        stable = max(0, len(records) - _MUTABLE_TAIL)
        head: list[LatencyRecord] | None = None
        if stable and previous:
            offset = records[0]["turn"] - previous[0]["turn"]
            candidate = previous[offset : offset + stable] if offset >= 0 else []
            if len(candidate) == stable and candidate[-1]["turn"] == records[stable - 1]["turn"]:
                head = candidate
        if head is None:
            head = [cast(LatencyRecord, dict(r)) for r in records[:stable]]
        self._published = head + [cast(LatencyRecord, dict(r)) for r in records[stable:]]
        return list(self._published)

    def summary(self) -> LatencySummary:
        """``{"turns", "last": {span: s}, "median": {span: s}}`` over completed spans."""
        spans: dict[str, list[float]] = {name: [] for name in _SPANS}
        last: dict[str, float] = {}
        for record in self.records:
            for name, (start, end) in _SPANS.items():
                begun, ended = record[start], record[end]
                if begun is not None and ended is not None:
                    value = round(float(ended) - float(begun), 4)
                    spans[name].append(value)
                    if record is self.records[-1]:
                        last[name] = value
        median = {name: round(statistics.median(v), 4) for name, v in spans.items() if v}
        return {"turns": len(self.records), "last": last, "median": median}
