"""A mixin for widgets under test: records every custom message the widget sends to the
browser (content and buffers as bytes), then sends it as usual."""

from __future__ import annotations

from typing import Any


class RecordsSent:
    sent: list[tuple[dict[str, Any], list[bytes]]]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.sent = []
        super().__init__(*args, **kwargs)

    def send(self, content: dict[str, Any], buffers: Any = None) -> None:
        self.sent.append((dict(content), [bytes(b) for b in buffers or []]))
        super().send(content, buffers)  # type: ignore[misc]

    def kinds(self, kind: str) -> list[tuple[dict[str, Any], list[bytes]]]:
        return [(c, b) for c, b in self.sent if c.get("kind") == kind]
