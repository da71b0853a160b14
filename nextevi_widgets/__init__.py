"""nextevi-widgets: live, explorable NextEVI empathic voice sessions in Jupyter.

Heavy parts (widgets, emulator, plots) are imported lazily so ``import nextevi_widgets`` stays
fast and works without a kernel.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from ._version import __version__

if TYPE_CHECKING:  # what type checkers and editors see behind the lazy names
    from .client.client import NextEVIClient as NextEVIClient
    from .client.messages import SessionSettings as SessionSettings
    from .client.messages import TurnDetection as TurnDetection
    from .client.options import ConnectionOptions as ConnectionOptions
    from .emulator import Emulator as Emulator
    from .recording import Recorder as Recorder
    from .recording import Recording as Recording
    from .recording import compare_recordings as compare_recordings
    from .recording import replay as replay
    from .session import VoiceSession as VoiceSession
    from .timeline import EmotionPlot as EmotionPlot
    from .timeline import EmotionTimeline as EmotionTimeline
    from .timeline import latency_table as latency_table
    from .timeline import plot_latency as plot_latency
    from .widget import VoiceChat as VoiceChat

# public name -> module that defines it
_LAZY: dict[str, str] = {
    "NextEVIClient": "nextevi_widgets.client.client",
    "ConnectionOptions": "nextevi_widgets.client.options",
    "SessionSettings": "nextevi_widgets.client.messages",
    "TurnDetection": "nextevi_widgets.client.messages",
    "Emulator": "nextevi_widgets.emulator",
    "VoiceSession": "nextevi_widgets.session",
    "VoiceChat": "nextevi_widgets.widget",
    "EmotionTimeline": "nextevi_widgets.timeline",
    "EmotionPlot": "nextevi_widgets.timeline",
    "latency_table": "nextevi_widgets.timeline",
    "plot_latency": "nextevi_widgets.timeline",
    "Recorder": "nextevi_widgets.recording",
    "Recording": "nextevi_widgets.recording",
    "replay": "nextevi_widgets.recording",
    "compare_recordings": "nextevi_widgets.recording",
}

__all__ = ["__version__", *_LAZY]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'nextevi_widgets' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
