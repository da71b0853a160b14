"""The logger handed to ``websockets`` for its connection log (handshake lines, frames)."""

from __future__ import annotations

import logging
from typing import Any

from .config import redact_text

__all__ = ["RedactingLogger"]


class RedactingLogger(logging.LoggerAdapter):  # type: ignore[type-arg]
    """Formats each record itself so that secrets in arguments (the request path, the
    ``Authorization`` header) are stripped before any handler sees them."""

    def __init__(self, target: logging.Logger, secrets: tuple[str, ...]) -> None:
        super().__init__(target, {})
        self._secrets = secrets

    def log(self, level: int, msg: object, *args: object, **kwargs: Any) -> None:
        if not self.isEnabledFor(level):
            return
        try:
            text = str(msg) % args if args else str(msg)
        except (TypeError, ValueError):
            text = " ".join(str(part) for part in (msg, *args))
        kwargs.pop("extra", None)
        self.logger.log(level, "%s", redact_text(text, self._secrets), **kwargs)
