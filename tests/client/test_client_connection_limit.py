"""The emulator's connection limit as the client sees it: close 1013 ``TOO_MANY_CONNECTIONS``
is a temporary condition, retried with backoff; a client that never gets a slot ends with a
clear error naming the limit, and one that does gets in (real emulator, real sockets)."""

from __future__ import annotations

import asyncio
from typing import Any

from client_servers import TIMEOUT
from websockets.asyncio.client import connect

from nextevi_widgets.client.client import NextEVIClient
from nextevi_widgets.client.errors import ReconnectExhaustedError
from nextevi_widgets.client.events import Disconnected, Event, Reconnected, Reconnecting
from nextevi_widgets.client.messages import ConnectionMetadata
from nextevi_widgets.emulator import Emulator

KEY = "oak_limit_test_0123456789"


def make_client(emu: Emulator, **kwargs: Any) -> NextEVIClient:
    return NextEVIClient(api_key=KEY, config_id="deterministic", url=emu.url, **kwargs)


async def hold_a_slot(emu: Emulator) -> Any:
    ws = await connect(f"{emu.url}/holder?api_key={KEY}&config_id=deterministic")
    assert '"connection_metadata"' in str(await ws.recv())
    return ws


async def events_until(client: NextEVIClient, done: type[Event]) -> list[Event]:
    events: list[Event] = []

    async def run() -> None:
        async for event in client:
            events.append(event)
            if isinstance(event, done):
                return

    await asyncio.wait_for(run(), TIMEOUT)
    return events


async def test_a_client_over_the_limit_retries_then_reports_the_limit() -> None:
    async with Emulator(port=0, profile="deterministic", max_connections=1) as emu:
        holder = await hold_a_slot(emu)
        client = make_client(
            emu, max_reconnect_attempts=2, reconnect_base_delay=0.01, reconnect_max_delay=0.02
        )
        await client.connect()  # the upgrade succeeds; the close comes right after
        events = await events_until(client, Disconnected)
        await client.close()
        await holder.close()
        refused = emu.stats.connections_refused

    retries = [e for e in events if isinstance(e, Reconnecting)]
    assert len(retries) == 2
    for retry in retries:
        assert retry.code == 1013
        assert retry.reason.startswith("TOO_MANY_CONNECTIONS")
    assert not any(isinstance(e, ConnectionMetadata) for e in events)  # never served
    end = events[-1]
    assert isinstance(end, Disconnected)
    assert isinstance(end.error, ReconnectExhaustedError)
    message = str(end.error)
    assert "1013" in message
    assert "TOO_MANY_CONNECTIONS: the emulator serves at most 1 at once" in message
    assert refused == 3  # the first attempt and both retries


async def test_a_client_refused_at_the_limit_gets_in_when_a_slot_frees() -> None:
    async with Emulator(port=0, profile="deterministic", max_connections=1) as emu:
        holder = await hold_a_slot(emu)
        # A generous budget: retries continue until the slot is free, however the loop runs.
        client = make_client(
            emu, max_reconnect_attempts=100, reconnect_base_delay=0.02, reconnect_max_delay=0.1
        )
        await client.connect()
        events = await events_until(client, Reconnecting)
        assert isinstance(events[-1], Reconnecting)
        assert events[-1].code == 1013
        await holder.close()
        events += await events_until(client, Reconnected)
        events += await events_until(client, ConnectionMetadata)  # served now
        assert emu.connections == 1
        await client.close()
        assert emu.stats.connections_refused >= 1
