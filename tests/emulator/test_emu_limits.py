"""The emulator's own limits and counters: ``GET /emulator/stats`` and the connection limit."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest
from emu_support import FAST_PROFILE, open_conversation, ws_url
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from nextevi_widgets.cli import build_parser
from nextevi_widgets.emulator import Emulator, EmulatorOptions, fetch_stats
from nextevi_widgets.emulator.options import DEFAULT_MAX_CONNECTIONS


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


async def test_connections_over_the_limit_are_closed_1013_and_slots_free_on_close() -> None:
    async with Emulator("127.0.0.1", 0, profile=FAST_PROFILE, max_connections=2) as emu:
        first = await open_conversation(ws_url(emu.url, "limit-1"))
        second = await open_conversation(ws_url(emu.url, "limit-2"))
        async with connect(ws_url(emu.url, "limit-3")) as third:
            with pytest.raises(ConnectionClosed):
                await third.recv()  # closed before any message
        assert third.close_code == 1013
        assert third.close_reason == "TOO_MANY_CONNECTIONS: the emulator serves at most 2 at once"
        assert emu.stats.connections_refused == 1
        assert emu.stats.connections_total == 2  # refused ones never reach authentication
        await first.ws.close()
        await stats_when(emu, lambda s: s["connections_active"] == 1)
        fourth = await open_conversation(ws_url(emu.url, "limit-4"))  # the freed slot
        assert emu.connections == 2
        for conv in (second, fourth):
            await conv.ws.close()
        stats = await stats_when(emu, lambda s: s["connections_active"] == 0)
        assert stats["connections_refused"] == 1


def test_the_connection_limit_setting() -> None:
    assert EmulatorOptions().max_connections == DEFAULT_MAX_CONNECTIONS == 16
    with pytest.raises(ValueError, match="max_connections"):
        EmulatorOptions(max_connections=0)
    parser = build_parser()
    args = parser.parse_args(["emulator", "--max-connections", "3"])
    assert args.max_connections == 3
    assert parser.parse_args(["emulator"]).max_connections == DEFAULT_MAX_CONNECTIONS
    for bad in ("0", "-1", "many"):
        with pytest.raises(SystemExit):
            parser.parse_args(["emulator", "--max-connections", bad])
