"""Batch tests: spoken inputs on disk, the quick deterministic emulator profile, and the
client tests' credentials for the shared scripted server (``_harness.scripted_server``)."""

from __future__ import annotations

import sys
from pathlib import Path

import fast_sessions  # noqa: F401 - registers the quick deterministic profile
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "client"))

from nextevi_widgets.emulator import synthesize_wav

SENTENCES = ("hello there how are you", "I am fine thank you", "tell me about the sea")


@pytest.fixture
def spoken(tmp_path: Path) -> list[Path]:
    """Three short spoken sentences (the synthetic voice: quick and always installed)."""
    folder = tmp_path / "audio"
    folder.mkdir()
    return [
        synthesize_wav(text, folder / f"{i:02d}.wav", voice="synthetic")
        for i, text in enumerate(SENTENCES)
    ]
