"""UI-safe projections of :class:`~nextevi_widgets.session.VoiceSession` state.

Only what the browser needs to draw is synced: short, JSON-safe, bounded values. Anything not
listed here (credentials, URLs, raw wire payloads) never leaves the kernel.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from ..client.scrub import comm_safe
from ..conversation import Message

__all__ = [
    "MAX_TEXT",
    "MAX_UI_MESSAGES",
    "ui_emotions",
    "ui_error",
    "ui_messages",
    "ui_stats",
    "ui_text",
]

MAX_UI_MESSAGES = 200
"""The transcript shown in the widget keeps the newest messages only (the session keeps all)."""
MAX_UI_EMOTIONS = 8
MAX_TEXT = 4000
"""Characters of any one text the widget syncs (a message, the interim words, the streaming
reply, the error); longer text is cut and ends with "…"."""


def ui_text(value: Any) -> str:
    """Display text: at most ``MAX_TEXT`` characters, and encodable (a comm cannot carry a
    lone surrogate; it becomes U+FFFD)."""
    text = "" if value is None else str(value)
    if len(text) > MAX_TEXT:
        text = text[: MAX_TEXT - 1] + "…"
    return comm_safe(text)


def _finite(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def ui_messages(messages: Sequence[Message]) -> list[dict[str, Any]]:
    """The newest ``MAX_UI_MESSAGES`` transcript entries as ``{role, text, interrupted,
    heard_text, id}`` dicts.

    Entries still streaming (``is_final`` false and not interrupted) are left out: the view
    shows them from ``interim_transcript``/``assistant_text``, which the session updates on
    every delta while ``messages`` only changes at message boundaries."""
    out: list[dict[str, Any]] = []
    for message in list(messages)[-MAX_UI_MESSAGES:]:
        if not message["is_final"] and not message["interrupted"]:
            continue
        heard = message["heard_text"]
        out.append(
            {
                "id": ui_text(message["id"]),
                "role": ui_text(message["role"]),
                "text": ui_text(message["text"]),
                "interrupted": bool(message["interrupted"]),
                "heard_text": None if heard is None else ui_text(heard),
            }
        )
    return out


def ui_emotions(emotions: Mapping[str, float]) -> list[dict[str, Any]]:
    """The session's latest ``{name: score}`` as the top ``MAX_UI_EMOTIONS`` ``[{name, score}]``,
    highest first (scores that are not finite numbers are left out)."""
    pairs: list[tuple[str, float]] = []
    for name, score in emotions.items():
        value = _finite(score)
        if value is not None:
            pairs.append((ui_text(name), value))
    pairs.sort(key=lambda pair: pair[1], reverse=True)
    return [{"name": name, "score": score} for name, score in pairs[:MAX_UI_EMOTIONS]]


def ui_error(error: str) -> str:
    """The session's ``last_error`` as display text (``""`` for none)."""
    return ui_text(error) if error else ""


def ui_stats(stats: Mapping[str, object]) -> dict[str, Any]:
    """The numeric and boolean entries of the session's ``stats`` (text is left out: it could
    carry a URL)."""
    out: dict[str, Any] = {}
    for key, value in stats.items():
        if isinstance(value, bool):
            out[str(key)] = value
        elif isinstance(value, int | float):
            number = _finite(value)
            if number is not None:
                out[str(key)] = value
    return out
