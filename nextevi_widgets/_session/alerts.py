"""What ``last_error`` shows and why, so that an alert goes away when its cause does.

Causes:

* ``connection``: a protocol error or an in-band server error. It belongs to the connection it
  came on: cleared once a new connection is up (``Connected``/``Reconnected``).
* ``stopped``: why the session stopped. Cleared when it is started again.
* ``sync``: a trait could not be updated (an observer, e.g. a widget's comm, raised). Cleared
  once every trait that failed has been updated successfully.
* ``client``: a problem a front end reported (microphone, audio). Left to the front end.
* ``send``: a message could not be sent. Cleared with the connection, like ``connection``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Literal

__all__ = ["Alerts", "Cause"]

Cause = Literal["connection", "stopped", "sync", "client", "send"]

logger = logging.getLogger("nextevi_widgets.session")

_MAX_SYNC_TEXT = 500


class Alerts:
    """The session's one visible alert (``last_error``) and its cause."""

    def __init__(
        self,
        publish: Callable[[str], None],
        shown: Callable[[], str],
        scrub: Callable[[str], str],
    ) -> None:
        """``publish(text)`` sets ``last_error``; ``shown()`` reads it; ``scrub`` removes
        credentials from text the session writes itself."""
        self._publish = publish
        self._shown = shown
        self._scrub = scrub
        self.cause: Cause | None = None
        self.failed: set[str] = set()
        """Traits whose last update raised in an observer."""

    def show(self, cause: Cause, text: str) -> None:
        self.cause = cause
        self._publish(text)

    def clear(self, *causes: Cause) -> None:
        """Clear the alert when it is there for one of ``causes``."""
        if self.cause in causes:
            self.cause = None
            if self._shown():
                self._publish("")

    def reset(self) -> None:
        self.cause = None
        self.failed.clear()

    def sync_failed(self, name: str, exc: BaseException) -> None:
        """An observer of trait ``name`` raised: say so where the user looks, not only in a log."""
        self.failed.add(name)
        if name == "last_error":
            return  # showing it would fail the same way
        detail = self._scrub(f"{type(exc).__name__}: {exc}")[:_MAX_SYNC_TEXT]
        self.show("sync", f"Could not update {name}: {detail}")

    def sync_ok(self, name: str) -> None:
        if name not in self.failed:
            return
        self.failed.discard(name)
        if not self.failed:
            self.clear("sync")
