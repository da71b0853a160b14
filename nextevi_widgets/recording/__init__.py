"""Session recordings: every event as JSON lines plus a stereo WAV (user left, assistant as
heard right), loading (crash tolerant), offline replay into sessions, widgets and plots, and
comparison across recordings."""

from __future__ import annotations

from .load import RecordedEvent, Recording
from .recorder import FORMAT_VERSION, Recorder, recording_paths
from .replay import compare_recordings, replay

__all__ = [
    "FORMAT_VERSION",
    "RecordedEvent",
    "Recorder",
    "Recording",
    "compare_recordings",
    "recording_paths",
    "replay",
]
