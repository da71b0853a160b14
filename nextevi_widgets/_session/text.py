"""Text helpers: streaming assistant text, the heard part of an interrupted reply and error
descriptions. (Credentials are scrubbed by :class:`~nextevi_widgets.client.scrub.Scrubber`.)"""

from __future__ import annotations

from ..client.errors import CLOSE_CODE_NAMES, ConnectionClosedError, ReconnectExhaustedError

__all__ = ["describe_error", "heard_prefix", "merge_llm_text"]


def merge_llm_text(current: str, content: str) -> str:
    """The assistant text after one non-final ``llm_response_chunk``.

    Whether the server streams deltas or the text so far is not documented, so both are
    accepted: content that extends the current text is taken as cumulative, anything else is
    a delta and appended.
    """
    if current and len(content) > len(current) and content.startswith(current):
        return content
    return current + content


def heard_prefix(text: str, fraction: float) -> str:
    """The first ``fraction`` (0..1) of ``text``, cut back to the last whole word."""
    if fraction >= 0.999:
        return text
    if fraction <= 0.0 or not text:
        return ""
    cut = round(len(text) * fraction)
    if cut < len(text) and not text[cut].isspace():
        # Drop the partly spoken word.
        space = text.rfind(" ", 0, cut)
        cut = space if space >= 0 else 0
    return text[:cut].rstrip()


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
