"""nextevi-widgets: live, explorable NextEVI empathic voice sessions in Jupyter.

Heavy parts (widgets, emulator, plots) are imported lazily so ``import nextevi_widgets`` stays
fast and works without a kernel.
"""

from __future__ import annotations

import importlib
from typing import Any

from ._version import __version__

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
