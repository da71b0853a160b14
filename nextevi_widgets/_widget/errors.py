"""Make failures in widget callbacks visible.

Exceptions raised in comm handlers and trait observers are otherwise swallowed by the widget
machinery. :class:`ErrorPanel` wraps an ``ipywidgets.Output`` shown under the widget and keeps a
bounded log of what went wrong.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable

import ipywidgets

__all__ = ["ErrorPanel"]

logger = logging.getLogger("nextevi_widgets.widget")

_MAX_ENTRIES = 20


class ErrorPanel:
    """An ``Output`` widget collecting tracebacks of callback errors (newest ``_MAX_ENTRIES``)."""

    def __init__(self, scrub: Callable[[str], str] | None = None) -> None:
        self.output = ipywidgets.Output(layout={"max_height": "240px", "overflow": "auto"})
        self.count = 0
        self._scrub = scrub or (lambda text: text)
        """Applied to every text shown or logged (credentials out, encodable)."""

    def report(self, where: str, exc: BaseException) -> str:
        """Show ``exc`` under the widget, log it, and return a one-line summary."""
        self.count += 1
        summary = self._scrub(f"{where}: {type(exc).__name__}: {exc}")
        text = self._scrub("".join(traceback.format_exception(type(exc), exc, exc.__traceback__)))
        logger.error("%s\n%s", summary, text)
        outputs = (
            *self.output.outputs,
            {"output_type": "stream", "name": "stderr", "text": f"[{where}]\n{text}"},
        )
        self.output.outputs = outputs[-_MAX_ENTRIES:]
        return summary

    def clear(self) -> None:
        self.output.outputs = ()
        self.count = 0

    def close(self) -> None:
        self.output.close()
