"""Why opening a connection failed, as the typed error the user sees and whether a retry can
help (an HTTP 401/403 or other 4xx upgrade rejection cannot; 408, 429, 5xx and network errors
can). Messages are redacted: credentials never reach an exception."""

from __future__ import annotations

from dataclasses import dataclass

from websockets.exceptions import InvalidStatus, InvalidURI

from .errors import AuthenticationError, ConfigurationError, ConnectionClosedError, NextEVIError
from .scrub import Scrubber

__all__ = ["OpenFailure", "describe_open_failure"]

_RETRYABLE_HTTP = (408, 429)


@dataclass(frozen=True)
class OpenFailure:
    error: NextEVIError
    retryable: bool
    code: int | None
    """The close code the failure maps to (4000 + HTTP status - 400 for 4xx rejections)."""
    reason: str


def describe_open_failure(exc: BaseException, scrubber: Scrubber, redacted_url: str) -> OpenFailure:
    detail = scrubber.text(f"{type(exc).__name__}: {exc}")
    if isinstance(exc, InvalidStatus):
        status = exc.response.status_code
        reason = f"HTTP {status} upgrade rejected"
        if status in (401, 403):
            code = 4000 + status - 400
            return OpenFailure(AuthenticationError(code, reason), False, code, reason)
        if 400 <= status < 500 and status not in _RETRYABLE_HTTP:
            code = 4000 + status - 400
            return OpenFailure(ConnectionClosedError(code, reason), False, code, reason)
        return OpenFailure(NextEVIError(reason), True, None, reason)
    if isinstance(exc, InvalidURI):
        reason = f"invalid URL {redacted_url}"
        return OpenFailure(ConfigurationError(reason), False, None, reason)
    return OpenFailure(NextEVIError(detail), True, None, detail)
