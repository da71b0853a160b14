"""The conversation's message list, updated copy-on-write.

Every change builds a new list and a new dict for the changed message (never mutating one
already published), so assigning the result to a traitlets ``List`` always notifies observers.
"""

from __future__ import annotations

from typing import Any, cast

from .state import Message, Role

__all__ = ["DEFAULT_MAX_MESSAGES", "Transcript", "new_message"]

DEFAULT_MAX_MESSAGES = 1000
"""Messages kept by default; older ones are dropped (a long session stays cheap to update)."""


def new_message(msg_id: str, role: Role, text: str = "", at: float = 0.0, **fields: Any) -> Message:
    """A message dict with every documented key present (``fields`` override defaults)."""
    message: Message = {
        "id": msg_id,
        "role": role,
        "text": text,
        "is_final": True,
        "confidence": None,
        "emotions": {},
        "start": at,
        "end": at,
        "interrupted": False,
        "heard_text": None,
        "generation_id": None,
        "words": [],
    }
    return cast(Message, {**message, **fields}) if fields else message


class Transcript:
    """Ordered messages with stable ids (``user-3``, ``assistant-4``...)."""

    def __init__(self, max_messages: int | None = DEFAULT_MAX_MESSAGES) -> None:
        self.max_messages = max_messages
        self.items: list[Message] = []
        self._count = 0

    def next_id(self, role: Role) -> str:
        self._count += 1
        return f"{role}-{self._count}"

    def append(self, message: Message) -> None:
        self.items = [*self.items, message]
        self.trim()

    def trim(self) -> bool:
        """Drop the oldest messages beyond ``max_messages``; True when some were dropped."""
        limit = self.max_messages
        if limit is None or len(self.items) <= limit:
            return False
        self.items = self.items[len(self.items) - max(0, limit) :]
        return True

    def get(self, msg_id: str | None) -> Message | None:
        if msg_id is None:
            return None
        found: Message | None = None
        for message in reversed(self.items):
            if message["id"] == msg_id:
                found = message
                break
        return found

    def update(self, msg_id: str | None, **changes: Any) -> bool:
        """Replace message ``msg_id`` by a copy with ``changes``; False when it is gone (or
        nothing changed)."""
        for index in range(len(self.items) - 1, -1, -1):
            message = self.items[index]
            if message["id"] == msg_id:
                if all(message.get(k) == v for k, v in changes.items()):
                    return False
                items = list(self.items)
                items[index] = cast(Message, {**message, **changes})
                self.items = items
                return True
        return False

    def remove(self, msg_id: str | None) -> bool:
        items = [m for m in self.items if m["id"] != msg_id]
        changed = len(items) != len(self.items)
        self.items = items
        return changed

    def last(self, role: Role) -> Message | None:
        found: Message | None = None
        for message in reversed(self.items):
            if message["role"] == role:
                found = message
                break
        return found
