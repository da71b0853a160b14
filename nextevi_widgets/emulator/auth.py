"""Credential checks for an incoming connection (docs' error reference: 4001/4003/4004).

The decision never echoes a credential: reasons are the documented error names only.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

from .options import EmulatorAuth

__all__ = ["AuthDecision", "ConnectRequest", "authorize", "parse_connect_request"]

PATH_PREFIX = "/ws/voice/"


@dataclass(frozen=True)
class ConnectRequest:
    """What the emulator reads from the upgrade request."""

    connection_id: str
    api_key: str | None
    token: str | None
    """Bearer token from the ``Authorization`` header or the ``authorization`` query param;
    ``""`` when a value was given but is not a well-formed bearer credential."""
    config_id: str | None
    project_id: str | None

    def __repr__(self) -> str:
        # Credentials never appear in a repr.
        return (
            f"ConnectRequest(connection_id={self.connection_id!r}, "
            f"config_id={self.config_id!r}, project_id={self.project_id!r})"
        )


@dataclass(frozen=True)
class AuthDecision:
    ok: bool
    close_code: int = 1000
    reason: str = ""


def connection_id_from_path(path: str) -> str | None:
    """The ``{connection_id}`` of ``/ws/voice/{connection_id}``, or None for any other path."""
    route = urlsplit(path).path
    if not route.startswith(PATH_PREFIX):
        return None
    segment = route[len(PATH_PREFIX) :].rstrip("/")
    if not segment or "/" in segment:
        return None
    return segment


def _bearer(value: str | None) -> str | None:
    if value is None:
        return None
    scheme, _, token = value.strip().partition(" ")
    if scheme.lower() != "bearer":
        return ""
    return token.strip()


def parse_connect_request(path: str, headers: Mapping[str, str]) -> ConnectRequest | None:
    """Parse the request path (query decoded with both ``+`` and ``%20`` as spaces) and headers.
    Returns None when the path is not a voice endpoint."""
    connection_id = connection_id_from_path(path)
    if connection_id is None:
        return None
    query = parse_qs(urlsplit(path).query, keep_blank_values=True)

    def first(name: str) -> str | None:
        values = query.get(name)
        return values[0] if values else None

    token = _bearer(headers.get("Authorization"))
    if token is None:
        token = _bearer(first("authorization"))
    return ConnectRequest(
        connection_id=connection_id,
        api_key=first("api_key"),
        token=token,
        config_id=first("config_id"),
        project_id=first("project_id"),
    )


def _fail(code: int, reason: str) -> AuthDecision:
    return AuthDecision(ok=False, close_code=code, reason=reason)


def authorize(
    request: ConnectRequest, auth: EmulatorAuth, known_config: bool | None = None
) -> AuthDecision:
    """Decide whether ``request`` may connect.

    Order: credentials present (``AUTH_REQUIRED``), well-formed and known (``AUTH_FAILED``),
    allowed (``ACCESS_DENIED``), then the config (``CONFIG_NOT_FOUND``) and project
    (``INVALID_PROJECT``). ``known_config`` says whether the config id names a registered
    profile (used only with ``strict_configs``).
    """
    if not request.api_key and request.token is None:
        return _fail(4001, "AUTH_REQUIRED")
    if request.api_key:
        key = request.api_key
        if auth.api_keys is not None:
            valid = key in auth.api_keys or key in auth.denied_keys
        else:
            valid = key.startswith("oak_") and len(key) > 10
        if not valid:
            return _fail(4001, "AUTH_FAILED")
        if key in auth.denied_keys:
            return _fail(4003, "ACCESS_DENIED")
    else:
        token = request.token or ""
        if auth.tokens is not None:
            valid = token in auth.tokens or token in auth.denied_tokens
        else:
            valid = bool(token)
        if not valid:
            return _fail(4001, "AUTH_FAILED")
        if token in auth.denied_tokens:
            return _fail(4003, "ACCESS_DENIED")
    config_id = request.config_id
    if not config_id:
        return _fail(4004, "CONFIG_NOT_FOUND")
    if auth.config_ids is not None or auth.strict_configs:
        listed = auth.config_ids is not None and config_id in auth.config_ids
        if not (listed or (auth.strict_configs and known_config)):
            return _fail(4004, "CONFIG_NOT_FOUND")
    if (
        request.project_id is not None
        and auth.project_ids is not None
        and request.project_id not in auth.project_ids
    ):
        return _fail(4004, "INVALID_PROJECT")
    return AuthDecision(ok=True)
