"""The ``VoiceChat`` anywidget: browser microphone and speakers, kernel-side NextEVI session.

The implementation lives in :mod:`nextevi_widgets._widget`; this module is the public import path.
"""

from __future__ import annotations

from ._widget import ECHO_STRATEGIES, VoiceChat

__all__ = ["ECHO_STRATEGIES", "VoiceChat"]
