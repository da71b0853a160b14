"""Implementation of the :class:`~nextevi_widgets.widget.VoiceChat` widget."""

from __future__ import annotations

from .chat import ECHO_STRATEGIES, VoiceChat

__all__ = ["ECHO_STRATEGIES", "VoiceChat"]
