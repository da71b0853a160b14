"""The session's ``stats`` dict: the client's counters (summed over reconnecting clients and
restarts) plus what only the session sees (player telemetry, TTS received, late chunks)."""

from __future__ import annotations

from typing import Any

__all__ = ["CLIENT_STAT_KEYS", "StatsBook", "client_counters"]

CLIENT_STAT_KEYS = (
    "frames_sent",
    "frames_dropped",
    "bytes_sent",
    "messages_sent",
    "messages_received",
    "reconnects",
    "protocol_errors",
)


def client_counters(client: Any) -> dict[str, int]:
    """The client's counters (its ``stats`` may be a dataclass or a mapping)."""
    if client is None:
        return {}
    raw: Any = client.stats
    out: dict[str, int] = {}
    for key in CLIENT_STAT_KEYS:
        value = raw.get(key) if isinstance(raw, dict) else getattr(raw, key, None)
        if isinstance(value, (int, float)):
            out[key] = int(value)
    return out


class StatsBook:
    """Counters kept by the session itself, and the totals of clients that have finished."""

    def __init__(self) -> None:
        self.frames_dropped = 0
        """Frames the session could not hand to a client (not connected)."""
        self.playback_underruns = 0
        self.queued_ms = 0.0
        self.tts_chunks = 0
        self.tts_seconds = 0.0
        self.late_chunks_dropped = 0
        self._finished: dict[str, int] = dict.fromkeys(CLIENT_STAT_KEYS, 0)

    def fold(self, client: Any) -> None:
        """Add a finished client's counters to the totals."""
        for key, value in client_counters(client).items():
            self._finished[key] += value

    def build(self, client: Any, latencies: dict[str, Any]) -> dict[str, Any]:
        live = client_counters(client)
        stats: dict[str, Any] = {
            key: self._finished[key] + live.get(key, 0) for key in CLIENT_STAT_KEYS
        }
        stats["frames_dropped"] += self.frames_dropped
        stats["playback_underruns"] = self.playback_underruns
        stats["queued_ms"] = round(self.queued_ms, 1)
        stats["tts_chunks"] = self.tts_chunks
        stats["tts_seconds"] = round(self.tts_seconds, 3)
        stats["late_chunks_dropped"] = self.late_chunks_dropped
        stats["latencies"] = latencies
        return stats
