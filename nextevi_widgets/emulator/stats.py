"""Counters an :class:`~nextevi_widgets.emulator.Emulator` keeps (updated on its event loop), and
:func:`fetch_stats` to read them from a running emulator over HTTP."""

from __future__ import annotations

import http.client
import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

__all__ = ["STATS_PATH", "EmulatorStats", "fetch_stats"]

STATS_PATH = "/emulator/stats"


@dataclass
class EmulatorStats:
    connections_total: int = 0
    """Connections that passed authentication."""
    connections_active: int = 0
    connections_refused: int = 0
    """Connections closed with 1013 because ``max_connections`` were being served."""
    auth_failures: int = 0
    frames_in: int = 0
    messages_out: int = 0
    errors_sent: int = 0
    audio_seconds_in: float = 0.0
    tts_seconds_out: float = 0.0
    turns: int = 0
    """User turns that ended with a final transcript."""
    replies: int = 0
    """Assistant replies whose audio was sent completely."""
    interruptions: int = 0


def fetch_stats(url: str, timeout: float = 10.0) -> dict[str, Any]:
    """``GET /emulator/stats`` from the emulator at ``url`` (its ``ws://host:port/ws/voice``
    URL, as :attr:`Emulator.url` and :attr:`EmulatorProcess.url` give it). Blocking.

    Raises :class:`OSError` when the emulator cannot be reached or answers with an error."""
    parts = urlsplit(url)
    if parts.scheme not in ("ws", "http") or parts.hostname is None:
        raise ValueError(f"expected the emulator's ws:// URL, not {url!r}")
    # A direct connection: the emulator is local, and proxy settings must not apply.
    conn = http.client.HTTPConnection(parts.hostname, parts.port or 80, timeout=timeout)
    try:
        conn.request("GET", STATS_PATH)
        response = conn.getresponse()
        body = response.read()
    finally:
        conn.close()
    if response.status != 200:
        raise OSError(f"{STATS_PATH} answered HTTP {response.status}")
    stats: dict[str, Any] = json.loads(body)
    return stats
