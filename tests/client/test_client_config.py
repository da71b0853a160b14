"""URL and credential resolution (``ConnectionOptions.resolve``), connection ids and redaction
(nextevi_widgets.client.config)."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest

from nextevi_widgets.client.config import (
    DEFAULT_BASE_URL,
    Credentials,
    auth_headers,
    build_url,
    new_connection_id,
    normalize_base_url,
    redact_text,
    redact_url,
)
from nextevi_widgets.client.errors import ConfigurationError
from nextevi_widgets.client.options import ConnectionOptions

KEY = "oak_TESTKEY_5f3a9c1e7d"
TOKEN = "eyJhbGciOiJIUzI1NiJ9.SECRET-PAYLOAD.sig"


def resolve_base_url(url: str | None = None, *, env: dict[str, str]) -> str:
    return ConnectionOptions(url=url).resolve(env).endpoint()


def resolve_credentials(*, env: dict[str, str], **given: str) -> Credentials:
    return ConnectionOptions(**given).resolve(env).credentials()  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("arg", "env", "expected"),
    [
        (None, {}, DEFAULT_BASE_URL),
        ("ws://127.0.0.1:8001/ws/voice/", {}, "ws://127.0.0.1:8001/ws/voice"),
        ("localhost:8001", {}, "wss://localhost:8001/ws/voice"),
        ("https://example.org", {}, "wss://example.org/ws/voice"),
        (None, {"NEXTEVI_WEBSOCKET_URL": "ws://h:1/custom/path"}, "ws://h:1/custom/path"),
        (
            None,
            {"NEXTEVI_BASE_URL": "wss://staging.example.com"},
            "wss://staging.example.com/ws/voice",
        ),
        (None, {"NEXTEVI_BASE_URL": "staging.example.com"}, "wss://staging.example.com/ws/voice"),
        (
            None,
            {"NEXTEVI_WEBSOCKET_URL": "ws://a/ws/voice", "NEXTEVI_BASE_URL": "ws://b"},
            "ws://a/ws/voice",
        ),
        ("ws://arg/ws/voice", {"NEXTEVI_WEBSOCKET_URL": "ws://env/ws/voice"}, "ws://arg/ws/voice"),
    ],
)
def test_resolve_base_url(arg: str | None, env: dict[str, str], expected: str) -> None:
    assert resolve_base_url(arg, env=env) == expected


@pytest.mark.parametrize("bad", ["ftp://host/x", "wss://", "ws:///ws/voice"])
def test_resolve_base_url_rejects_non_websocket_urls(bad: str) -> None:
    with pytest.raises(ConfigurationError):
        resolve_base_url(bad, env={})
    with pytest.raises(ConfigurationError):
        normalize_base_url("   ")


def test_blank_url_argument_means_unset() -> None:
    assert resolve_base_url("  ", env={"NEXTEVI_BASE_URL": "ws://e"}) == "ws://e/ws/voice"


def test_credentials_from_env_and_arguments_win() -> None:
    env = {
        "NEXTEVI_API_KEY": KEY,
        "NEXTEVI_CONFIG_ID": "cfg-env",
        "NEXTEVI_PROJECT_ID": "proj-env",
    }
    creds = resolve_credentials(env=env)
    assert (creds.api_key, creds.config_id, creds.project_id) == (KEY, "cfg-env", "proj-env")
    creds = resolve_credentials(api_key="oak_other_key_123", config_id="cfg-arg", env=env)
    assert (creds.api_key, creds.config_id, creds.project_id) == (
        "oak_other_key_123",
        "cfg-arg",
        "proj-env",
    )
    # An explicit token replaces the environment's key entirely.
    creds = resolve_credentials(access_token=TOKEN, env=env)
    assert creds.api_key is None
    assert creds.uses_token


@pytest.mark.parametrize(
    ("kwargs", "env", "needle"),
    [
        ({"config_id": "cfg"}, {}, "credentials"),
        ({"api_key": KEY}, {}, "config_id"),
        ({}, {"NEXTEVI_API_KEY": KEY}, "config_id"),
        ({"api_key": "  ", "config_id": "cfg"}, {}, "credentials"),
    ],
)
def test_missing_configuration_is_a_clear_error_without_the_key(
    kwargs: dict[str, str], env: dict[str, str], needle: str
) -> None:
    with pytest.raises(ConfigurationError) as info:
        resolve_credentials(**kwargs, env=env)
    assert needle in str(info.value)
    assert KEY not in str(info.value)
    assert KEY not in repr(info.value)


def test_credentials_repr_hides_secrets() -> None:
    creds = Credentials(config_id="cfg", api_key=KEY, access_token=TOKEN, project_id="p")
    for text in (repr(creds), str(creds), f"{creds}", f"{creds!r}"):
        assert KEY not in text
        assert TOKEN not in text
        assert "TESTKEY" not in text
        assert "cfg" in text


def test_connection_ids_have_vendor_format_and_are_fresh() -> None:
    ids = {new_connection_id() for _ in range(200)}
    assert len(ids) == 200
    for cid in ids:
        assert re.fullmatch(r"voice_\d{13}_[a-z0-9]{9}", cid), cid


def test_build_url_with_api_key() -> None:
    creds = Credentials(config_id="cfg-1", api_key=KEY, project_id="proj 1")
    url = build_url("wss://api.example/ws/voice", "voice_1_abc", creds)
    parts = urlsplit(url)
    assert parts.path == "/ws/voice/voice_1_abc"
    assert parse_qs(parts.query) == {
        "api_key": [KEY],
        "config_id": ["cfg-1"],
        "project_id": ["proj 1"],
    }
    assert auth_headers(creds) == {}
    no_project = build_url("ws://h/ws/voice", "c", Credentials(config_id="x", api_key=KEY))
    assert "project_id" not in no_project


def test_build_url_with_token_uses_header_and_query_fallback() -> None:
    creds = Credentials(config_id="cfg", access_token=TOKEN, api_key=KEY)
    url = build_url("ws://h/ws/voice", "c", creds)
    query = parse_qs(urlsplit(url).query)
    assert query["authorization"] == [f"Bearer {TOKEN}"]
    assert "api_key" not in query
    assert auth_headers(creds) == {"Authorization": f"Bearer {TOKEN}"}
    header_only = build_url("ws://h/ws/voice", "c", creds, token_in_query=False)
    assert "authorization" not in parse_qs(urlsplit(header_only).query)


def test_redact_url_strips_every_secret_parameter() -> None:
    url = (
        f"wss://u:pw@h/ws/voice/c?api_key={KEY}&config_id=cfg&authorization=Bearer+{TOKEN}"
        "&access_token=tok123&TOKEN=xyz&project_id=p"
    )
    red = redact_url(url)
    for secret in (KEY, TOKEN, "tok123", "xyz", ":pw@"):
        assert secret not in red
    query = parse_qs(urlsplit(red).query)
    assert query["api_key"] == ["***"]
    assert query["authorization"] == ["***"]
    assert query["access_token"] == ["***"]
    assert query["TOKEN"] == ["***"]
    assert query["config_id"] == ["cfg"]
    assert query["project_id"] == ["p"]


def test_redact_text_covers_logs_and_headers() -> None:
    line = f"> GET /ws/voice/c?api_key={KEY}&config_id=cfg HTTP/1.1; Authorization: Bearer {TOKEN}"
    red = redact_text(line)
    assert KEY not in red
    assert TOKEN not in red
    assert "config_id=cfg" in red
    assert redact_text(f"raw {KEY} here", [KEY]) == "raw *** here"
