"""Loggers whose records are scrubbed before any handler sees them: the one handed to
``websockets`` for its connection log (handshake lines, frames) and the client's own."""

from __future__ import annotations

import dataclasses
import logging
import sys
import traceback
from typing import Any

from websockets.frames import CLOSE, Close, Frame

from .scrub import Scrubber

__all__ = ["RedactingLogger"]


class RedactingLogger(logging.LoggerAdapter):  # type: ignore[type-arg]
    """Formats each record itself, traceback included, so that secrets in arguments (the
    request path, the ``Authorization`` header, a frame or close reason the server sent) are
    stripped before any handler sees them."""

    def __init__(self, target: logging.Logger, scrubber: Scrubber) -> None:
        super().__init__(target, {})
        self._scrubber = scrubber

    def log(self, level: int, msg: object, *args: object, **kwargs: Any) -> None:
        if not self.isEnabledFor(level):
            return
        args = tuple(_scrub_frame(arg, self._scrubber) for arg in args)
        try:
            text = str(msg) % args if args else str(msg)
        except (TypeError, ValueError):
            text = " ".join(str(part) for part in (msg, *args))
        exc_info = kwargs.pop("exc_info", None)
        if exc_info:
            if exc_info is True:
                exc_info = sys.exc_info()
            elif isinstance(exc_info, BaseException):
                exc_info = (type(exc_info), exc_info, exc_info.__traceback__)
            if exc_info[0] is not None:
                text += "\n" + "".join(traceback.format_exception(*exc_info)).rstrip()
        kwargs.pop("extra", None)
        kwargs.setdefault("stacklevel", 2)
        self.logger.log(level, "%s", self._scrubber.text(text), **kwargs)


def _scrub_frame(arg: object, scrubber: Scrubber) -> object:
    """A websockets frame with its payload scrubbed *before* websockets elides its middle (an
    elided key would otherwise show its start and end)."""
    if not isinstance(arg, Frame) or not arg.data:
        return arg
    data = bytes(arg.data)
    if arg.opcode is CLOSE:
        try:
            close = Close.parse(data)
            clean = Close(close.code, scrubber.text(close.reason)).serialize()
        except Exception:
            return dataclasses.replace(arg, data=b"")
        return dataclasses.replace(arg, data=clean)
    text = data.decode("utf-8", "replace")
    return dataclasses.replace(arg, data=scrubber.raw_frame(text).encode("utf-8"))
