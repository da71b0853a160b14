"""Keep credentials out of the emulator's logs, including the websockets library's debug
lines (request paths with ``api_key=`` and ``Authorization`` headers)."""

from __future__ import annotations

import logging
import re

__all__ = ["WIRE_LOGGER", "redact", "wire_logger"]

WIRE_LOGGER = "nextevi_widgets.emulator.wire"

_SECRET_PARAMS = re.compile(r"(?i)\b(api_key|authorization|access_token|token)=[^&\s]*")
_SECRET_HEADERS = frozenset({"authorization", "cookie", "x-api-key"})


def redact(text: str) -> str:
    """Replace the values of credential query parameters with ``***``."""
    return _SECRET_PARAMS.sub(lambda m: f"{m.group(1)}=***", text)


class _RedactingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and record.args:
            args = list(record.args)
            for i, arg in enumerate(args):
                if isinstance(arg, str):
                    if arg.lower() in _SECRET_HEADERS and i + 1 < len(args):
                        args[i + 1] = "***"
                    elif "=" in arg:
                        args[i] = redact(arg)
            record.args = tuple(args)
        elif isinstance(record.msg, str):
            record.msg = redact(record.msg)
        return True


def wire_logger() -> logging.Logger:
    """The logger handed to the websockets server (credentials redacted)."""
    logger = logging.getLogger(WIRE_LOGGER)
    if not any(isinstance(f, _RedactingFilter) for f in logger.filters):
        logger.addFilter(_RedactingFilter())
    return logger
