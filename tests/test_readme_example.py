"""The README's client script streams a spoken WAV to the emulator and prints what came back."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from nextevi_widgets.emulator.process import EmulatorProcess

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.engines
@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng CLI not installed")
def test_readme_script_prints_transcript_reply_emotions_and_audio(tmp_path: Path) -> None:
    wav = tmp_path / "speech.wav"
    subprocess.run(
        ["espeak-ng", "-s", "140", "-w", str(wav), "Hello there, how are you doing today?"],
        check=True,
    )
    with EmulatorProcess(profile="default") as emulator:
        env = {**os.environ, "NEXTEVI_WEBSOCKET_URL": emulator.url}
        result = subprocess.run(
            [sys.executable, str(ROOT / "examples" / "stream_wav.py"), str(wav)],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        )
    out = result.stdout
    assert re.search(r"^user: \S+", out, re.M), out
    assert re.search(r"^emotions: \{'\w+': 0\.\d+", out, re.M), out
    assert re.search(r"^assistant: \S+", out, re.M), out
    seconds = float(re.search(r"TTS audio received: ([\d.]+) s", out).group(1))  # type: ignore[union-attr]
    assert seconds > 0.3
