"""The one place where text from the network is made safe to keep, show, log or raise.

A :class:`Scrubber` knows the configured credentials (API key, access token, and every value
in the endpoint URL's query or password) and removes them from any text, together with the
encoded forms a server could plausibly echo:

* the literal value;
* its percent-encoded forms (``quote``/``quote_plus``, upper- and lower-case hex);
* its base64 forms (standard and URL-safe alphabets, at each of the three byte alignments it
  can have inside a longer encoded blob, so the key is found inside base64 of a larger text);
* any ``api_key=``/``authorization=``/``access_token=``/``token=`` query value and any
  ``Bearer <token>``, whatever the token.

JSON escapes (``\\u006fak_...``) need no rule of their own: frames are decoded before they are
scrubbed. Other transformations (hex, reversed, split across fields or frames) are not
recognised: a server that deliberately disguises the key is out of reach of any filter.

Values shorter than :data:`MIN_SECRET_LENGTH` characters are not treated as secrets: they
cannot be told apart from ordinary words (removing them would mangle transcripts and audio).

The same pass makes text encodable: lone surrogates (legal in JSON as ``"\\ud800"`` escapes,
but not encodable as UTF-8, so a Jupyter comm cannot carry them) become U+FFFD.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import parse_qsl, quote, quote_plus, urlsplit

from ._wire import JSONDict, _load_object

__all__ = [
    "MIN_SECRET_LENGTH",
    "REDACTED",
    "Scrubber",
    "comm_safe",
    "secrets_in_url",
]

REDACTED = "***"
MIN_SECRET_LENGTH = 8
"""Shorter values are not scrubbed (see the module docstring)."""
_MIN_BASE64_LENGTH = 12
"""Base64 forms of shorter secrets are too short to be told apart from random audio data."""

_SECRET_PARAM_RE = re.compile(
    r"(?i)(?P<key>\b(?:api_key|authorization|access_token|token))=(?P<value>[^&\s\"'<>]*)"
)
_BEARER_RE = re.compile(r"(?i)\b(bearer)(\s+|\+|%20)[^\s\"'&<>,;]+")
_SURROGATE_RE = re.compile("[\ud800-\udfff]")
_JSON_ESCAPE_RE = re.compile(r"\\u([0-9a-fA-F]{4})")
_PARAM_HINTS = ("api_key=", "authorization=", "token=")  # cheap checks before the regexes
_MEMO_MAX_CHARS = 64
"""Strings up to this length (keys, emotion names, message types: they repeat in every
frame) are scrubbed once and remembered."""
_MEMO_MAX_ENTRIES = 4096


def comm_safe(text: str) -> str:
    """``text`` with every lone surrogate replaced by U+FFFD, so it encodes as UTF-8."""
    if text.isascii():
        return text
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return _SURROGATE_RE.sub("\ufffd", text)
    return text


def secrets_in_url(url: str | None) -> tuple[str, ...]:
    """Every query value and the password of ``url`` (custom auth parameters included)."""
    if not url:
        return ()
    try:
        parts = urlsplit(url)
        values = [value for _, value in parse_qsl(parts.query, keep_blank_values=False)]
        password = parts.password
    except ValueError:
        return ()
    if password:
        values.append(password)
    return tuple(values)


def _base64_cores(secret: bytes) -> set[str]:
    """The part of base64(``…secret…``) that depends only on the secret, for each alignment."""
    cores: set[str] = set()
    for shift in range(3):
        start = -(-shift * 8 // 6)  # ceil: characters still mixing in the preceding bytes
        end = (shift + len(secret)) * 8 // 6  # floor: characters complete without what follows
        for encode in (base64.b64encode, base64.urlsafe_b64encode):
            core = encode(b"\0" * shift + secret).decode("ascii")[start:end]
            if len(core) >= _MIN_BASE64_LENGTH:
                cores.add(core)
    return cores


def _forms(secret: str) -> set[str]:
    forms = {secret, quote(secret, safe=""), quote_plus(secret)}
    forms |= {re.sub(r"%[0-9A-F]{2}", lambda m: m.group(0).lower(), f) for f in set(forms)}
    raw = secret.encode("utf-8", "surrogatepass")
    if len(secret) >= _MIN_BASE64_LENGTH:
        forms |= _base64_cores(raw)
    return forms


class Scrubber:
    """Removes credentials (and unencodable characters) from text and JSON-like values.

    ``Scrubber(secrets, url=...)``: ``secrets`` are literal values (``None`` and short ones are
    ignored); ``url`` adds its query values and password. ``repr`` never shows a secret.
    """

    def __init__(self, secrets: Iterable[str | None] = (), *, url: str | None = None) -> None:
        values = {s for s in (*secrets, *secrets_in_url(url)) if s and len(s) >= MIN_SECRET_LENGTH}
        patterns: set[str] = set()
        for value in values:
            patterns |= _forms(value)
        # Longest first: a longer form is never left half-replaced by a shorter one.
        self._patterns = tuple(sorted(patterns, key=len, reverse=True))
        self._memo: dict[str, str] = {}

    def __repr__(self) -> str:
        return f"<Scrubber patterns={len(self._patterns)}>"

    def __bool__(self) -> bool:
        return bool(self._patterns)

    def text(self, text: str) -> str:
        """``text`` without credentials (replaced by ``***``) and without lone surrogates."""
        if len(text) > _MEMO_MAX_CHARS:
            return self._scrub(text)
        clean = self._memo.get(text)
        if clean is None:
            if len(self._memo) >= _MEMO_MAX_ENTRIES:
                self._memo.clear()
            clean = self._memo[text] = self._scrub(text)
        return clean

    def _scrub(self, text: str) -> str:
        text = comm_safe(text)
        for pattern in self._patterns:
            if pattern in text:
                text = text.replace(pattern, REDACTED)
        lowered = text.lower()
        if any(hint in lowered for hint in _PARAM_HINTS):
            text = _SECRET_PARAM_RE.sub(lambda m: f"{m.group('key')}={REDACTED}", text)
        if "bearer" in lowered:
            text = _BEARER_RE.sub(lambda m: f"{m.group(1)}{m.group(2)}{REDACTED}", text)
        return text

    def frame(self, frame: str | bytes) -> JSONDict:
        """Decode one JSON text frame and scrub every string in it (keys and fields no model
        reads included). Raises :class:`~.messages.MessageParseError` like the parser."""
        clean: JSONDict = self.value(_load_object(frame))
        return clean

    def raw_frame(self, frame: str) -> str:
        """:meth:`text` for an undecoded frame (a preview, a log line): its JSON ``\\uXXXX``
        escapes are decoded first, so an escaped credential is found like a literal one."""
        if "\\u" in frame:
            frame = _JSON_ESCAPE_RE.sub(lambda m: chr(int(m.group(1), 16)), frame)
        return self.text(frame)

    def value(self, value: Any) -> Any:
        """A copy of a JSON-like value (dicts, lists, strings, numbers) with every string, keys
        included, passed through :meth:`text`. Other values are returned unchanged."""
        # Exact types first: decoded JSON is only these, and an ABC check per number is slow.
        kind = type(value)
        if kind is str:
            return self.text(value)
        if kind is dict:
            return {
                (self.text(k) if isinstance(k, str) else k): self.value(v) for k, v in value.items()
            }
        if kind is list:
            return [self.value(item) for item in value]
        if kind is int or kind is float or kind is bool or value is None:
            return value
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, Mapping):
            return {
                (self.text(k) if isinstance(k, str) else k): self.value(v) for k, v in value.items()
            }
        if isinstance(value, list | tuple):
            return [self.value(item) for item in value]
        return value

    def contains_secret(self, text: str) -> bool:
        """Whether ``text`` holds one of the configured secrets in a form this class knows."""
        return any(pattern in text for pattern in self._patterns)
