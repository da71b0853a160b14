"""Real sessions on the in-process emulator, run once for the dataset tests."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from dataset_support import Events, record_sessions, speech_wav

from nextevi_widgets.dataset import DatasetWriter, SessionDataset


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


@pytest.fixture
def labelled(tmp_path: Path, recorded: Recorded) -> SessionDataset:
    """Four sessions in two parts (left uncompacted): s0, s2 (one turn) "positive", s1, s3
    (two turns) "negative"; configuration "a" for s0, s1 and "b" for s2, s3."""
    path = tmp_path / "labelled"
    with DatasetWriter(path, flush_every=2, compact=False) as writer:
        for n in range(4):
            writer.add_session(
                f"s{n}",
                recorded.events[n % 2],
                labels={"sentiment": ["positive", "negative"][n % 2]},
                meta={"config": "ab"[n // 2]},
            )
    return SessionDataset.open(path)
