"""``nextevi-widgets batch`` end to end: a folder through the embedded emulator into a
dataset, exit statuses, and a second run that resumes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from nextevi_widgets.dataset import SessionDataset


def _batch(*args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "nextevi_widgets.cli", "batch", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)


def test_the_command_runs_a_folder_into_a_dataset_and_resumes(
    spoken: list[Path], tmp_path: Path
) -> None:
    folder = spoken[0].parent
    (folder / "broken.wav").write_text("not audio")
    out = tmp_path / "ds"
    common = ["--out", str(out), "--fast", "--emulator", "inprocess", "--config-id"]
    first = _batch(str(folder), *common, "deterministic", "--no-progress")
    assert first.returncode == 3, first.stderr  # finished, with an error row
    assert "4 of 4 inputs written (3 ok, 1 errors)" in first.stdout
    assert "broken.wav: cannot read broken.wav as audio" in first.stderr
    sessions = SessionDataset.open(out).df("sessions")
    assert len(sessions) == 4
    assert set(sessions["config"]) == {"deterministic"}

    second = _batch(str(folder), *common, "deterministic", "--no-progress")
    assert second.returncode == 0, second.stderr
    assert "0 of 4 inputs written" in second.stdout
    assert "4 already done" in second.stdout


def test_a_missing_csv_is_a_usage_error(tmp_path: Path) -> None:
    result = _batch(str(tmp_path / "nope.csv"), "--out", str(tmp_path / "ds"), "--no-progress")
    assert result.returncode == 2
    assert "no such CSV file" in result.stderr
    assert not (tmp_path / "ds").exists()
