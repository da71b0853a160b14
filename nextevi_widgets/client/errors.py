"""Exceptions raised by the client. Messages never contain credentials."""

from __future__ import annotations

__all__ = [
    "AuthenticationError",
    "ClientClosedError",
    "ConfigurationError",
    "ConnectionClosedError",
    "NextEVIError",
    "ReconnectExhaustedError",
]

# Documented close codes (vendor error reference). Other 4xxx codes are treated alike: fatal.
CLOSE_CODE_NAMES: dict[int, str] = {
    4001: "AUTH_FAILED",  # also AUTH_REQUIRED
    4003: "ACCESS_DENIED",
    4004: "CONFIG_NOT_FOUND",  # also INVALID_PROJECT
}


class NextEVIError(Exception):
    """Base class of every error raised by this package's client."""


class ConfigurationError(NextEVIError, ValueError):
    """Missing or invalid client configuration (credentials, URL, settings)."""


class ConnectionClosedError(NextEVIError):
    """The server closed the connection with a fatal (4xxx) close code. No retry is made.

    ``code`` is the close code, ``reason`` the server's reason phrase (e.g. ``AUTH_FAILED``).
    """

    def __init__(self, code: int, reason: str) -> None:
        self.code = code
        self.reason = reason
        name = CLOSE_CODE_NAMES.get(code, "CLOSED")
        detail = f": {reason}" if reason else ""
        super().__init__(f"server closed the connection with code {code} ({name}){detail}")


class AuthenticationError(ConnectionClosedError):
    """Close code 4001 (no or invalid credentials) or 4003 (access denied)."""


class ReconnectExhaustedError(NextEVIError):
    """The connection kept dropping and every reconnect attempt failed."""

    def __init__(self, attempts: int, last_error: str) -> None:
        self.attempts = attempts
        self.last_error = last_error
        super().__init__(f"gave up after {attempts} reconnect attempts (last: {last_error})")


class ClientClosedError(NextEVIError):
    """The client's event stream has ended (after ``Disconnected``), or a control message was
    sent after the client stopped."""
