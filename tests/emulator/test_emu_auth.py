"""Connection, routing and authentication against the real emulator server."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from emu_support import API_KEY, FAST_PROFILE, Conversation, open_conversation, ws_url
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from nextevi_widgets.emulator import Emulator, EmulatorAuth


async def closed_with(url: str, headers: dict[str, str] | None = None) -> tuple[int, str]:
    """Connect (the upgrade must succeed), then return the server's close code and reason."""
    async with connect(url, additional_headers=headers) as ws:
        with pytest.raises(ConnectionClosed):
            await ws.recv()
        assert ws.close_code is not None
        return ws.close_code, ws.close_reason or ""


async def test_no_credentials_closes_4001_auth_required(emulator: Emulator) -> None:
    url = f"{emulator.url}/c1?config_id=deterministic"
    assert await closed_with(url) == (4001, "AUTH_REQUIRED")


@pytest.mark.parametrize("key", ["sk_0123456789abcdef", "oak_short", ""])
async def test_malformed_key_closes_4001_auth_failed(emulator: Emulator, key: str) -> None:
    if key == "":
        # An empty key with a malformed bearer header still counts as credentials given.
        code = await closed_with(ws_url(emulator.url, api_key=None), {"Authorization": "Basic x"})
    else:
        code = await closed_with(ws_url(emulator.url, api_key=key))
    assert code == (4001, "AUTH_FAILED")


async def test_denied_key_4003_unknown_config_and_project_4004() -> None:
    auth = EmulatorAuth(
        denied_keys=frozenset({"oak_denied_0123456789"}),
        config_ids=frozenset({"cfg-known-1"}),
        project_ids=frozenset({"proj-1"}),
    )
    async with Emulator(auth=auth, profile=FAST_PROFILE) as emu:
        denied = ws_url(emu.url, api_key="oak_denied_0123456789", config_id="cfg-known-1")
        assert await closed_with(denied) == (4003, "ACCESS_DENIED")
        assert await closed_with(ws_url(emu.url, config_id="cfg-other")) == (
            4004,
            "CONFIG_NOT_FOUND",
        )
        assert await closed_with(ws_url(emu.url, config_id=None)) == (4004, "CONFIG_NOT_FOUND")
        bad_project = ws_url(emu.url, config_id="cfg-known-1", project_id="proj-2")
        assert await closed_with(bad_project) == (4004, "INVALID_PROJECT")
        good = await open_conversation(
            ws_url(emu.url, config_id="cfg-known-1", project_id="proj-1")
        )
        assert conv_meta(good)["project_id"] == "proj-1"
        await good.ws.close()
        assert emu.stats.auth_failures == 4


def conv_meta(conv: Conversation) -> dict[str, Any]:
    first = conv.messages[0]
    assert first["type"] == "connection_metadata"
    return first


async def test_strict_configs_accept_only_profile_names() -> None:
    async with Emulator(auth=EmulatorAuth(strict_configs=True)) as emu:
        assert await closed_with(ws_url(emu.url, config_id="cfg-unknown-9")) == (
            4004,
            "CONFIG_NOT_FOUND",
        )
        conv = await open_conversation(ws_url(emu.url, config_id="emulator-deterministic"))
        assert conv_meta(conv)["config"]["engine_profile"] == "deterministic"
        await conv.ws.close()


async def test_bearer_header_and_query_both_encodings(emulator: Emulator) -> None:
    base = f"{emulator.url}/c2?config_id={FAST_PROFILE}"
    async with connect(base, additional_headers={"Authorization": "Bearer eyJ.tok.en"}) as ws:
        assert '"connection_metadata"' in str(await ws.recv())
    for encoded in ("Bearer+eyJ.tok.en", "Bearer%20eyJ.tok.en"):
        async with connect(f"{base}&authorization={encoded}") as ws:
            assert '"connection_metadata"' in str(await ws.recv())


async def test_configured_tokens_reject_others() -> None:
    async with Emulator(auth=EmulatorAuth(tokens=frozenset({"good-token"}))) as emu:
        base = f"{emu.url}/c3?config_id=deterministic"
        assert await closed_with(base, {"Authorization": "Bearer bad-token"}) == (
            4001,
            "AUTH_FAILED",
        )
        async with connect(base, additional_headers={"Authorization": "Bearer good-token"}) as ws:
            assert '"connection_metadata"' in str(await ws.recv())


async def test_other_paths_get_http_404(emulator: Emulator) -> None:
    root = emulator.url.removesuffix("/ws/voice")
    for path in ("/", "/ws/voice", "/ws/voice/", "/ws/voice/a/b", "/other/x"):
        with pytest.raises(InvalidStatus) as info:
            async with connect(f"{root}{path}?api_key={API_KEY}&config_id=x"):
                pass
        assert info.value.response.status_code == 404


async def test_connection_metadata_is_first_and_describes_connection(emulator: Emulator) -> None:
    conv = await open_conversation(ws_url(emulator.url, "voice_1758000000000_k3j9x0abc"))
    meta = conv_meta(conv)
    assert meta["connection_id"] == "voice_1758000000000_k3j9x0abc"
    assert meta["status"] == "connected"
    assert meta["config_id"] == FAST_PROFILE
    assert meta["config"]["sample_rate"] == 24000
    assert meta["data"]["connection_id"] == meta["connection_id"]
    assert emulator.connections == 1
    await conv.ws.close()


async def test_api_key_never_logged(emulator: Emulator, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    await closed_with(ws_url(emulator.url, api_key="oak_short"))
    conv = await open_conversation(ws_url(emulator.url))
    await conv.ws.close()
    assert caplog.records, "expected the emulator to log something"
    ours = [r for r in caplog.records if not r.name.startswith("websockets.client")]
    assert any(r.name == "nextevi_widgets.emulator.wire" for r in ours)
    for record in ours:
        text = record.getMessage()
        assert API_KEY not in text
        assert "oak_short" not in text
