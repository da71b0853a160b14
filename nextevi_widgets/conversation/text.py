"""Text rules of a conversation: streaming assistant text and the heard part of an
interrupted reply."""

from __future__ import annotations

__all__ = ["heard_prefix", "merge_llm_text"]


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
