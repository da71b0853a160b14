"""The keyword arguments of :class:`~nextevi_widgets.session.VoiceSession` besides the
connection's (:class:`~nextevi_widgets.client.options.ConnectionKeywords`): declared once here
for the session and for the widgets that create one."""

from __future__ import annotations

from ..client.options import ConnectionKeywords
from .backend import EmulatorMode

__all__ = ["SESSION_PARAMETERS", "SessionKeywords"]

SESSION_PARAMETERS = ("options", "emulator", "autostart", "max_messages")
"""``VoiceSession``'s own parameters (valid names for its keyword check)."""


class SessionKeywords(ConnectionKeywords, total=False):
    """Every keyword ``VoiceSession`` takes: its own parameters and the connection's."""

    emulator: EmulatorMode
    autostart: bool
    max_messages: int | None
