"""The client tests' side of the scripted servers (``_harness.scripted_server``): a client with
test credentials for one, and every event it yields."""

from __future__ import annotations

import asyncio
from typing import Any

from _harness.scripted_server import TIMEOUT, ScriptedServer

from nextevi_widgets.client.client import NextEVIClient
from nextevi_widgets.client.events import Event

KEY = "oak_clienttest_0123456789"


def make_client(server: ScriptedServer, **kwargs: Any) -> NextEVIClient:
    """A client for ``server`` with test credentials and a short backoff."""
    kwargs.setdefault("reconnect_base_delay", 0.01)
    kwargs.setdefault("reconnect_max_delay", 0.05)
    return NextEVIClient(api_key=KEY, config_id="cfg-1", url=server.url, **kwargs)


async def collect(client: NextEVIClient) -> list[Event]:
    """Every event until iteration ends (after Disconnected)."""

    async def run() -> list[Event]:
        return [event async for event in client]

    return await asyncio.wait_for(run(), TIMEOUT)
