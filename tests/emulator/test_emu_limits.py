"""The emulator's own limits and counters: ``GET /emulator/stats`` and the connection limit."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest
from emu_support import open_conversation, ws_url
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from nextevi_widgets.emulator import Emulator, fetch_stats


async def stats_when(
    emulator: Emulator, ready: Callable[[dict[str, Any]], bool], timeout: float = 30.0
) -> dict[str, Any]:
    """The emulator's stats once ``ready`` holds for them (polled; fails after ``timeout``)."""

    async def poll() -> dict[str, Any]:
        while True:
            stats = await asyncio.to_thread(fetch_stats, emulator.url)
            if ready(stats):
                return stats
            await asyncio.sleep(0.02)

    return await asyncio.wait_for(poll(), timeout)


async def test_stats_endpoint_counts_connections(emulator: Emulator) -> None:
    stats = await asyncio.to_thread(fetch_stats, emulator.url)
    assert stats["connections_active"] == 0
    assert stats["decoders"] == []  # the deterministic engines hold no decoders
    conv = await open_conversation(ws_url(emulator.url, "stats-1"))
    stats = await asyncio.to_thread(fetch_stats, emulator.url)
    assert stats["connections_active"] == 1
    assert stats["connections_total"] == 1
    await conv.ws.close()
    stats = await stats_when(emulator, lambda s: s["connections_active"] == 0)
    assert stats["connections_total"] == 1


async def test_stats_is_plain_http_and_other_paths_stay_404(emulator: Emulator) -> None:
    root = emulator.url.removesuffix("/ws/voice")
    with pytest.raises(InvalidStatus) as info:  # not a WebSocket endpoint
        async with connect(f"{root}/emulator/stats"):
            pass
    assert info.value.response.status_code == 200
    assert info.value.response.headers["Content-Type"] == "application/json"
    with pytest.raises(InvalidStatus) as info:
        async with connect(f"{root}/emulator/other"):
            pass
    assert info.value.response.status_code == 404
