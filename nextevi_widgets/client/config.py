"""Endpoint and credential resolution for the NextEVI WebSocket API, plus redaction helpers.

Everything that touches a secret lives here, so the rest of the client can stay careless:

* :class:`Credentials` holds what the server needs (the ``NEXTEVI_*`` environment variables are
  read by :mod:`.options`, which builds it);
* :func:`build_url` and :func:`auth_headers` produce what a connection needs;
* :func:`redact_url` strips query strings and passwords from URLs; :func:`redact_text` strips
  secrets from free text with :class:`~.scrub.Scrubber`, which the client also applies to
  everything that comes from the network.
"""

from __future__ import annotations

import random
import string
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from urllib.parse import urlencode, urlsplit, urlunsplit

from .errors import ConfigurationError
from .scrub import Scrubber

__all__ = [
    "DEFAULT_BASE_URL",
    "DEFAULT_PATH",
    "PUBLIC_QUERY_KEYS",
    "SECRET_QUERY_KEYS",
    "Credentials",
    "auth_headers",
    "build_url",
    "mask_secret",
    "new_connection_id",
    "normalize_base_url",
    "redact_text",
    "redact_url",
]

DEFAULT_BASE_URL = "wss://api.nextevi.com/ws/voice"
DEFAULT_PATH = "/ws/voice"
SECRET_QUERY_KEYS: frozenset[str] = frozenset({"api_key", "authorization", "access_token", "token"})
PUBLIC_QUERY_KEYS: frozenset[str] = frozenset({"config_id", "project_id"})
"""Query parameters shown as they are; every other value in a URL is redacted (a custom
endpoint may carry its own credentials there)."""

_ID_ALPHABET = string.ascii_lowercase + string.digits


def mask_secret(secret: str | None) -> str:
    """A printable stand-in for a secret: ``None``, ``'oak_***'`` or ``'***'``.

    Only the documented public prefix ``oak_`` is ever shown, never a character of the key itself.
    """
    if not secret:
        return "None"
    return "'oak_***'" if secret.startswith("oak_") else "'***'"


@dataclass(frozen=True, repr=False)
class Credentials:
    """What the server needs to accept a connection. ``repr``/``str`` never show a secret.

    A bearer ``access_token`` takes precedence over ``api_key`` (the key is then not sent).
    """

    config_id: str
    api_key: str | None = field(default=None)
    project_id: str | None = None
    access_token: str | None = field(default=None)

    @property
    def uses_token(self) -> bool:
        """True when the bearer token authenticates the connection."""
        return bool(self.access_token)

    def secrets(self) -> tuple[str, ...]:
        """The secret values, for literal redaction in logs."""
        return tuple(s for s in (self.api_key, self.access_token) if s)

    def __repr__(self) -> str:
        return (
            f"Credentials(config_id={self.config_id!r}, project_id={self.project_id!r}, "
            f"api_key={mask_secret(self.api_key)}, access_token={mask_secret(self.access_token)})"
        )

    __str__ = __repr__


def normalize_base_url(raw: str) -> str:
    """``wss://host`` -> ``wss://host/ws/voice``; ``host`` -> ``wss://host/ws/voice``;
    ``http(s)://`` becomes ``ws(s)://``; a trailing slash is dropped. Any query is kept."""
    text = raw.strip()
    if not text:
        raise ConfigurationError("the NextEVI URL is empty")
    if "://" not in text:
        text = "wss://" + text
    parts = urlsplit(text)
    scheme = {"http": "ws", "https": "wss"}.get(parts.scheme.lower(), parts.scheme.lower())
    if scheme not in ("ws", "wss") or not parts.netloc:
        raise ConfigurationError(f"not a WebSocket URL: {redact_url(text)!r}")
    path = parts.path.rstrip("/") or DEFAULT_PATH
    return urlunsplit((scheme, parts.netloc, path, parts.query, ""))


def new_connection_id() -> str:
    """A fresh id in the vendor clients' format: ``voice_{epoch ms}_{9 chars [a-z0-9]}``."""
    suffix = "".join(random.choices(_ID_ALPHABET, k=9))
    return f"voice_{int(time.time() * 1000)}_{suffix}"


def build_url(
    base: str, connection_id: str, credentials: Credentials, *, token_in_query: bool = True
) -> str:
    """``{base}/{connection_id}?api_key=..&config_id=..[&project_id=..]``.

    With a bearer token, ``authorization=Bearer <t>`` replaces ``api_key`` in the query (a
    fallback for servers that ignore the header; disable with ``token_in_query=False``).
    """
    parts = urlsplit(base)
    params: list[tuple[str, str]] = []
    if credentials.uses_token:
        if token_in_query:
            params.append(("authorization", f"Bearer {credentials.access_token}"))
    elif credentials.api_key:
        params.append(("api_key", credentials.api_key))
    params.append(("config_id", credentials.config_id))
    if credentials.project_id:
        params.append(("project_id", credentials.project_id))
    query = "&".join(q for q in (parts.query, urlencode(params)) if q)
    path = f"{parts.path.rstrip('/')}/{connection_id}"
    return urlunsplit((parts.scheme, parts.netloc, path, query, ""))


def auth_headers(credentials: Credentials) -> dict[str, str]:
    """``{"Authorization": "Bearer <t>"}`` with a token, else nothing (keys go in the query)."""
    if credentials.uses_token:
        return {"Authorization": f"Bearer {credentials.access_token}"}
    return {}


def redact_url(url: str) -> str:
    """Replace the value of every query parameter but ``config_id`` and ``project_id`` (so
    ``api_key``, ``authorization``, ``access_token``, ``token`` and any custom one) and any
    password in the authority with ``***``."""
    parts = urlsplit(url)
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, host = netloc.rsplit("@", 1)
        user = userinfo.split(":", 1)[0]
        netloc = f"{user}:***@{host}" if ":" in userinfo else netloc
    query = "&".join(_redact_pair(pair) for pair in parts.query.split("&")) if parts.query else ""
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def _redact_pair(pair: str) -> str:
    key, sep, _ = pair.partition("=")
    return f"{key}=***" if sep and key.lower() not in PUBLIC_QUERY_KEYS else pair


def redact_text(text: str, secrets: Iterable[str] = ()) -> str:
    """Strip secrets from free text (log lines, exception messages): secret query parameters,
    ``Bearer <token>`` and each of ``secrets`` in the forms :class:`~.scrub.Scrubber` knows."""
    return Scrubber(secrets).text(text)
