"""Real sessions on the in-process emulator, run once for the dataset tests."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from dataset_support import Events, record_sessions, speech_wav


@dataclass(frozen=True)
class Recorded:
    events: list[Events]
    """Per session, its ``(direction, event, t)`` triples (1 turn, then 2 turns)."""
    recordings: list[Path]
    """The same sessions as recordings (JSONL + WAV stems)."""


@pytest.fixture(scope="session")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> Recorded:
    folder = tmp_path_factory.mktemp("recorded")
    wav = speech_wav(folder / "speech.wav")
    events = record_sessions(wav, [1, 2], folder)
    return Recorded(events, [folder / f"session-{i}" for i in range(len(events))])
