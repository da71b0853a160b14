"""Error descriptions for the user. (Credentials are scrubbed by
:class:`~nextevi_widgets.client.scrub.Scrubber`; the conversation's text rules live in
:mod:`nextevi_widgets.conversation.text`.)"""

from __future__ import annotations

from ..client.errors import CLOSE_CODE_NAMES, ConnectionClosedError, ReconnectExhaustedError

__all__ = ["describe_error"]


_FATAL_HINTS: dict[int, tuple[str, str]] = {
    4001: ("Authentication failed", "check NEXTEVI_API_KEY (or NEXTEVI_ACCESS_TOKEN)"),
    4003: ("Access denied", "the key or token has no access to this config or project"),
    4004: ("Configuration not found", "check config_id (and project_id)"),
}


def describe_error(error: BaseException) -> str:
    """A one-line, user-facing description of why the session stopped."""
    if isinstance(error, ConnectionClosedError):
        name = CLOSE_CODE_NAMES.get(error.code, error.reason or "CLOSED")
        title, hint = _FATAL_HINTS.get(
            error.code, ("The server closed the connection", "the close is not retried")
        )
        return f"{title} ({error.code} {name}): {hint}"
    if isinstance(error, ReconnectExhaustedError):
        return (
            f"Connection lost: gave up after {error.attempts} reconnect attempts "
            f"(last error: {error.last_error})"
        )
    text = str(error) or error.__class__.__name__
    return f"{error.__class__.__name__}: {text}" if str(error) else text
