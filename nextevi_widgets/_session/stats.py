"""The session's ``stats`` dict: the client's counters (summed over reconnecting clients and
restarts), the frames the session itself could not send, and what its conversation counted
(player telemetry, TTS received, late chunks)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..conversation import Counters, LatencySummary, SessionStats

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
        self._finished: dict[str, int] = dict.fromkeys(CLIENT_STAT_KEYS, 0)

    def fold(self, client: Any) -> None:
        """Add a finished client's counters to the totals."""
        for key, value in client_counters(client).items():
            self._finished[key] += value

    def build(self, client: Any, counters: Counters, latencies: LatencySummary) -> SessionStats:
        live = client_counters(client)
        total = {key: self._finished[key] + live.get(key, 0) for key in CLIENT_STAT_KEYS}
        return {
            "frames_sent": total["frames_sent"],
            "frames_dropped": total["frames_dropped"] + self.frames_dropped,
            "bytes_sent": total["bytes_sent"],
            "messages_sent": total["messages_sent"],
            "messages_received": total["messages_received"],
            "reconnects": total["reconnects"],
            "protocol_errors": total["protocol_errors"],
            "playback_underruns": counters.playback_underruns,
            "queued_ms": round(counters.queued_ms, 1),
            "tts_chunks": counters.tts_chunks,
            "tts_seconds": round(counters.tts_seconds, 3),
            "late_chunks_dropped": counters.late_chunks_dropped,
            "latencies": latencies,
        }
