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


def _get(obj: Any, key: str, default: Any = None) -> Any:
    if isinstance(obj, Mapping):
        return obj.get(key, default)
    return getattr(obj, key, default)


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


def ui_emotions(emotions: Any) -> list[dict[str, Any]]:
    """Top emotions as ``[{name, score}]`` sorted by score. Accepts a ``{name: score}`` mapping
    or a sequence of ``EmotionScore``-like objects/dicts."""
    pairs: list[tuple[str, float]] = []
    if isinstance(emotions, Mapping):
        items: Any = emotions.items()
        for name, score in items:
            value = _finite(score)
            if value is not None:
                pairs.append((ui_text(name), value))
    elif emotions:
        for item in emotions:
            value = _finite(_get(item, "score"))
            if value is not None:
                pairs.append((ui_text(_get(item, "name", "")), value))
    pairs.sort(key=lambda pair: pair[1], reverse=True)
    return [{"name": name, "score": score} for name, score in pairs[:MAX_UI_EMOTIONS]]


def ui_error(error: Any) -> str:
    """The session's ``last_error`` as display text (``""`` for none)."""
    if not error:
        return ""
    if isinstance(error, Mapping):
        code = error.get("code") or error.get("error_code") or ""
        message = error.get("message") or error.get("error_message") or ""
        return ui_text(f"{code}: {message}" if code and message else (message or code))
    return ui_text(error)


def ui_stats(stats: Any) -> dict[str, Any]:
    """The numeric and boolean entries of the session's ``stats`` (text is left out: it could
    carry a URL)."""
    if not isinstance(stats, Mapping):
        return {}
    out: dict[str, Any] = {}
    for key, value in stats.items():
        if isinstance(value, bool):
            out[str(key)] = value
        elif isinstance(value, int | float):
            number = _finite(value)
            if number is not None:
                out[str(key)] = value
    return out
