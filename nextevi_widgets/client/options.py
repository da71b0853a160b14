"""``ConnectionOptions``: everything a connection to NextEVI needs, declared once.

One frozen object carries the credentials, the endpoint, the reconnect policy, the session
settings and the queue sizes and timeouts from ``VoiceChat`` to ``VoiceSession`` to
``NextEVIClient``. Each of them also takes the fields as keyword arguments
(:class:`ConnectionKeywords` types them); :func:`options_from_keywords` maps those onto the
object by name and rejects unknown names with a suggestion.

The ``NEXTEVI_*`` environment variables are read in one place, :func:`read_environment`;
:meth:`ConnectionOptions.resolve` fills what the arguments left unset from it. The object's
``repr`` never shows a key or token (see :func:`~.config.mask_secret`).
"""

from __future__ import annotations

import dataclasses
import difflib
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, TypedDict

from .config import DEFAULT_BASE_URL, Credentials, mask_secret, normalize_base_url, redact_url
from .errors import ConfigurationError
from .messages import Dialect, SessionSettings
from .scrub import secrets_in_url

if TYPE_CHECKING:
    from typing_extensions import Unpack

__all__ = [
    "ENVIRONMENT_VARIABLES",
    "ConnectionKeywords",
    "ConnectionOptions",
    "Environment",
    "options_from_keywords",
    "read_environment",
    "unknown_keywords_error",
]

ENVIRONMENT_VARIABLES: Mapping[str, tuple[str, ...]] = {
    "api_key": ("NEXTEVI_API_KEY",),
    "access_token": ("NEXTEVI_ACCESS_TOKEN",),
    "config_id": ("NEXTEVI_CONFIG_ID",),
    "project_id": ("NEXTEVI_PROJECT_ID",),
    "url": ("NEXTEVI_WEBSOCKET_URL", "NEXTEVI_BASE_URL"),
}
"""Field -> the variables that supply it when it is unset, first match wins."""

_SECRET_FIELDS = ("api_key", "access_token")
_TEXT_FIELDS = ("api_key", "access_token", "config_id", "project_id", "url", "user_agent")


def _clean(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip()
    return value or None


@dataclass(frozen=True)
class Environment:
    """What the ``NEXTEVI_*`` variables say (blank values read as unset). ``repr`` masks the
    secrets."""

    api_key: str | None = dataclasses.field(default=None, repr=False)
    access_token: str | None = dataclasses.field(default=None, repr=False)
    config_id: str | None = None
    project_id: str | None = None
    url: str | None = dataclasses.field(default=None, repr=False)
    url_secrets: tuple[str, ...] = dataclasses.field(default=(), repr=False)
    """Values hidden in the query or password of every endpoint variable (used or not)."""

    def secrets(self) -> tuple[str, ...]:
        """Keys, tokens and the values hidden in the endpoint variables."""
        return (*(s for s in (self.api_key, self.access_token) if s), *self.url_secrets)


def read_environment(env: Mapping[str, str] | None = None) -> Environment:
    """The one reader of the ``NEXTEVI_*`` variables (``env`` defaults to ``os.environ``):
    ``NEXTEVI_API_KEY``, ``NEXTEVI_ACCESS_TOKEN``, ``NEXTEVI_CONFIG_ID``,
    ``NEXTEVI_PROJECT_ID`` and the endpoint ``NEXTEVI_WEBSOCKET_URL``, else
    ``NEXTEVI_BASE_URL``."""
    source = os.environ if env is None else env
    values: dict[str, str | None] = {}
    for name, variables in ENVIRONMENT_VARIABLES.items():
        values[name] = next(
            (v for v in (_clean(source.get(var)) for var in variables) if v is not None), None
        )
    hidden = tuple(
        s for var in ENVIRONMENT_VARIABLES["url"] for s in secrets_in_url(source.get(var))
    )
    return Environment(**values, url_secrets=hidden)


@dataclass(frozen=True, repr=False)
class ConnectionOptions:
    """How to reach NextEVI and how the connection behaves. Immutable; ``replace(...)`` makes
    a changed copy. ``repr``/``str`` show the fields that differ from their defaults, never a
    key or token.

    Credentials (unset ones come from the environment, see :meth:`resolve`):

    * ``api_key`` (``NEXTEVI_API_KEY``) or a bearer ``access_token``
      (``NEXTEVI_ACCESS_TOKEN``); the token wins when both are given, and an explicit one of
      them makes the client ignore both variables;
    * ``config_id`` (``NEXTEVI_CONFIG_ID``, required to connect) and ``project_id``
      (``NEXTEVI_PROJECT_ID``).

    Endpoint: ``url`` (``NEXTEVI_WEBSOCKET_URL``, else ``NEXTEVI_BASE_URL``, else
    ``wss://api.nextevi.com/ws/voice``; ``host`` and ``https://host`` are accepted),
    ``token_in_query`` (also send a token as the ``authorization`` query parameter),
    ``user_agent`` and ``open_timeout`` (seconds per connection attempt).

    Reconnect policy: after an unexpected drop the client retries up to
    ``max_reconnect_attempts`` times (0: never), waiting a random delay of up to
    ``reconnect_base_delay * 2 ** (attempt - 1)`` seconds, capped at ``reconnect_max_delay``.

    Session: ``settings`` (sent first on every connection), ``dialect`` (how JSON messages are
    written), ``audio_transport`` (binary frames or JSON ``audio_input``) and
    ``keepalive_interval`` (seconds between ``keep_alive`` messages; ``None``: none).

    Queues: ``max_queued_frames`` (audio frames waiting for the network; the oldest are
    dropped beyond it) and ``max_pending_events`` (events not yet read).
    """

    api_key: str | None = None
    access_token: str | None = None
    config_id: str | None = None
    project_id: str | None = None
    url: str | None = None
    token_in_query: bool = True
    user_agent: str | None = None
    open_timeout: float = 10.0
    max_reconnect_attempts: int = 5
    reconnect_base_delay: float = 0.5
    reconnect_max_delay: float = 10.0
    settings: SessionSettings | None = None
    dialect: Dialect = "both"
    audio_transport: Literal["binary", "json"] = "binary"
    keepalive_interval: float | None = None
    max_queued_frames: int = 250
    max_pending_events: int = 10_000

    def __post_init__(self) -> None:
        for name in _TEXT_FIELDS:
            if not isinstance(getattr(self, name), (str, type(None))):
                kind = type(getattr(self, name)).__name__  # never the value: it may be a key
                raise ConfigurationError(f"{name} must be a string or None, not {kind}")
        if self.audio_transport not in ("binary", "json"):
            raise ConfigurationError("audio_transport must be 'binary' or 'json'")
        if self.dialect not in ("both", "flat", "envelope"):
            raise ConfigurationError("dialect must be 'both', 'flat' or 'envelope'")
        if self.max_pending_events < 1 or self.max_queued_frames < 1:
            raise ConfigurationError("max_pending_events and max_queued_frames must be >= 1")
        if self.keepalive_interval is not None and self.keepalive_interval <= 0:
            raise ConfigurationError("keepalive_interval must be positive")
        if self.open_timeout <= 0:
            raise ConfigurationError("open_timeout must be positive")

    # ------------------------------------------------------------------ copies

    def replace(self, **changes: Unpack[ConnectionKeywords]) -> ConnectionOptions:
        """A copy with ``changes`` applied (unknown names raise ``TypeError``)."""
        error = unknown_keywords_error("ConnectionOptions.replace", changes, FIELD_NAMES)
        if error is not None:
            raise error
        return dataclasses.replace(self, **changes)

    def resolve(self, env: Mapping[str, str] | None = None) -> ConnectionOptions:
        """A copy with unset credentials and endpoint taken from the environment
        (:func:`read_environment`). An explicit ``api_key`` or ``access_token`` makes both
        credential variables be ignored; blank strings count as unset."""
        found = read_environment(env)
        key, token = _clean(self.api_key), _clean(self.access_token)
        if key is None and token is None:
            key, token = found.api_key, found.access_token
        return dataclasses.replace(
            self,
            api_key=key,
            access_token=token,
            config_id=_clean(self.config_id) or found.config_id,
            project_id=_clean(self.project_id) or found.project_id,
            url=_clean(self.url) or found.url,
        )

    # ------------------------------------------------------------------ what a connection needs

    @property
    def has_credentials(self) -> bool:
        """True when a key or a token is set (on this object; see :meth:`resolve`)."""
        return bool(_clean(self.api_key) or _clean(self.access_token))

    def credentials(self) -> Credentials:
        """The credentials as given here (call :meth:`resolve` first to include the
        environment). Raises :class:`ConfigurationError`, without the key, when ``config_id``
        or both of ``api_key`` and ``access_token`` are missing."""
        key, token = _clean(self.api_key), _clean(self.access_token)
        if key is None and token is None:
            raise ConfigurationError(
                "no NextEVI credentials: pass api_key= (or access_token=) or set NEXTEVI_API_KEY "
                "(or NEXTEVI_ACCESS_TOKEN)"
            )
        config = _clean(self.config_id)
        if config is None:
            raise ConfigurationError(
                "config_id is required: pass config_id= or set NEXTEVI_CONFIG_ID"
            )
        return Credentials(
            config_id=config, api_key=key, project_id=_clean(self.project_id), access_token=token
        )

    def endpoint(self) -> str:
        """The normalised endpoint base (``url`` or the service's default)."""
        return normalize_base_url(_clean(self.url) or DEFAULT_BASE_URL)

    def secrets(self, env: Mapping[str, str] | None = None) -> tuple[str, ...]:
        """Every secret this connection could know, for redaction: the key, the token, values
        hidden in ``url`` and the same from the environment (used or not)."""
        own = (s for s in (self.api_key, self.access_token) if s)
        return (*own, *secrets_in_url(self.url), *read_environment(env).secrets())

    # ------------------------------------------------------------------ display

    def __repr__(self) -> str:
        shown = []
        for item in dataclasses.fields(self):
            value = getattr(self, item.name)
            if value == item.default:
                continue
            shown.append(f"{item.name}={_shown(item.name, value)}")
        return f"ConnectionOptions({', '.join(shown)})"

    __str__ = __repr__


def _shown(name: str, value: object) -> str:
    """``repr(value)`` with secrets masked and URLs redacted."""
    if name in _SECRET_FIELDS:
        return mask_secret(value if isinstance(value, str) else None)
    if name == "url" and isinstance(value, str):
        return repr(redact_url(value))
    return repr(value)


class ConnectionKeywords(TypedDict, total=False):
    """The fields of :class:`ConnectionOptions` as keyword arguments (for ``**kwargs``
    typing: ``NextEVIClient(api_key=..., max_reconnect_attempts=3)``)."""

    api_key: str | None
    access_token: str | None
    config_id: str | None
    project_id: str | None
    url: str | None
    token_in_query: bool
    user_agent: str | None
    open_timeout: float
    max_reconnect_attempts: int
    reconnect_base_delay: float
    reconnect_max_delay: float
    settings: SessionSettings | None
    dialect: Dialect
    audio_transport: Literal["binary", "json"]
    keepalive_interval: float | None
    max_queued_frames: int
    max_pending_events: int


FIELD_NAMES: frozenset[str] = frozenset(f.name for f in dataclasses.fields(ConnectionOptions))


def unknown_keywords_error(
    owner: str, keywords: Iterable[str], valid: Iterable[str]
) -> TypeError | None:
    """A ``TypeError`` naming the keywords not in ``valid`` (with the closest valid name as a
    suggestion, or the valid names when none is close), or None when all are known."""
    known = sorted(set(valid))
    unknown = [name for name in keywords if name not in known]
    if not unknown:
        return None
    parts = []
    for name in unknown:
        close = difflib.get_close_matches(name, known, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        parts.append(f"{name!r}{hint}")
    noun = "argument" if len(unknown) == 1 else "arguments"
    message = f"{owner}() got an unexpected keyword {noun} {', '.join(parts)}"
    if not any(difflib.get_close_matches(name, known, n=1) for name in unknown):
        message += f"; valid keywords: {', '.join(known)}"
    return TypeError(message)


def options_from_keywords(
    owner: str,
    options: ConnectionOptions | None,
    keywords: Mapping[str, Any],
    *,
    also_valid: Iterable[str] = (),
) -> ConnectionOptions:
    """``options`` (default: all defaults) with ``keywords`` mapped onto its fields by name.

    Raises ``TypeError`` for a keyword that is neither a field nor in ``also_valid`` (the
    caller's own parameters, listed as suggestions), for an ``options`` that is not a
    :class:`ConnectionOptions`, and for a keyword whose value differs from the one ``options``
    already holds (give each setting once; ``options.replace(...)`` makes a changed copy).
    Messages never show a key or token.
    """
    error = unknown_keywords_error(owner, keywords, FIELD_NAMES | set(also_valid))
    if error is not None:
        raise error
    if options is None:
        return ConnectionOptions(**keywords)
    if not isinstance(options, ConnectionOptions):
        kind = type(options).__name__
        raise TypeError(f"{owner}(): options must be a ConnectionOptions, not {kind}")
    conflicts = [name for name, value in keywords.items() if getattr(options, name) != value]
    if conflicts:
        shown = ", ".join(f"{n} ({_shown(n, getattr(options, n))} there)" for n in conflicts)
        raise TypeError(
            f"{owner}() got options= and different keyword values for {shown}: give each "
            f"setting once (options.replace({conflicts[0]}=...) makes a changed copy)"
        )
    return options
