"""The API key and bearer token never appear in repr/str of the client, its events and errors,
or in any log record (websockets' own DEBUG handshake log included), while they demonstrably
reach the server."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from _harness.scripted_server import Connection, ScriptedServer
from client_servers import collect

from nextevi_widgets.client.client import NextEVIClient
from nextevi_widgets.client.errors import AuthenticationError, NextEVIError

CANARY_KEY = "oak_CANARYKEY_d41d8cd98f00b204"
CANARY_TOKEN = "eyJ.CANARYTOKEN.e9800998ecf8427e"


def _leaks(texts: list[str]) -> list[str]:
    return [t for t in texts if "CANARYKEY" in t or "CANARYTOKEN" in t or "d41d8cd98f00b204" in t]


@pytest.mark.parametrize("auth", ["api_key", "access_token"])
async def test_secrets_appear_nowhere(caplog: pytest.LogCaptureFixture, auth: str) -> None:
    caplog.set_level(logging.DEBUG)
    credentials: dict[str, Any] = (
        {"api_key": CANARY_KEY} if auth == "api_key" else {"access_token": CANARY_TOKEN}
    )
    secret = CANARY_KEY if auth == "api_key" else CANARY_TOKEN

    async def script(s: Connection) -> None:
        await s.send_metadata()
        if s.index == 0:
            s.ws.transport.abort()  # exercise the reconnect path's logging too
            return
        await s.ws.close(4001, "AUTH_FAILED")

    texts: list[str] = []
    async with ScriptedServer(script) as server:
        client = NextEVIClient(
            config_id="cfg", url=server.url, reconnect_base_delay=0.01, **credentials
        )
        texts += [repr(client), str(client), client.url]
        await client.connect()
        texts += [repr(client), str(client), client.url]
        events = await collect(client)
        texts += [repr(client), str(client), client.url, repr(client.stats)]
        texts += [repr(e) for e in events] + [str(e) for e in events]
        texts += [repr(client.last_error), str(client.last_error)]
        # A rejected upgrade and an unreachable endpoint produce errors too.
        async with ScriptedServer(lambda s: s.drain(), reject=lambda _: 401) as rejecting:
            rejected = NextEVIClient(config_id="cfg", url=rejecting.url, **credentials)
            with pytest.raises(AuthenticationError) as auth_error:
                await rejected.connect()
            dead_url = rejecting.url
        unreachable = NextEVIClient(config_id="cfg", url=dead_url, **credentials)
        with pytest.raises(NextEVIError) as dead_error:
            await unreachable.connect()
        for error in (auth_error.value, dead_error.value):
            texts += [repr(error), str(error), *map(str, error.args)]
        texts += [repr(rejected), repr(unreachable)]

    # The secret really was used: it reached the server (query or header) ...
    seen = [str(s.query) + str(dict(s.headers.raw_items())) for s in server.sessions]
    assert all(secret in text for text in seen)
    if auth == "access_token":
        assert server.sessions[0].headers["Authorization"] == f"Bearer {CANARY_TOKEN}"
    # ... and the handshake, where it travels, was logged at DEBUG (redacted).
    # (The scripted test server's own log, "websockets.server", is not the client's.)
    records = [r for r in caplog.records if not r.name.startswith("websockets.server")]
    messages = [r.getMessage() for r in records]
    assert any(m.startswith("> GET /ws/voice/") for m in messages)
    assert any("***" in m for m in messages)
    texts += messages
    texts += [caplog.handler.format(r) for r in records]
    assert len(texts) > 20
    assert _leaks(texts) == []
