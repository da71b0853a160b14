"""``nextevi-widgets batch`` end to end: a folder through the embedded emulator into a
dataset, exit statuses, and a second run that resumes."""

from __future__ import annotations

import os
import select
import signal
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


def test_ctrl_c_leaves_a_dataset_that_opens_and_a_second_run_finishes_it(
    spoken: list[Path], tmp_path: Path
) -> None:
    out = tmp_path / "ds"
    command = [sys.executable, "-m", "nextevi_widgets.cli", "batch", str(spoken[0].parent)]
    command += ["--out", str(out), "--emulator", "inprocess", "--config-id", "deterministic"]
    # Real-time pace, one input at a time: the run is interrupted once the bar shows one done.
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stderr is not None
    seen = b""
    try:
        while b"1/3" not in seen:
            ready, _, _ = select.select([proc.stderr], [], [], 120)
            assert ready, "no progress within the guard time"
            chunk = os.read(proc.stderr.fileno(), 4096)
            assert chunk, seen.decode(errors="replace")
            seen += chunk
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 130, err.decode(errors="replace")
    assert b"run the same command to resume" in err
    sessions = SessionDataset.open(out).df("sessions")
    assert 1 <= len(sessions) < 3  # what finished is kept; the input in flight is not written
    assert sessions["error"].isna().all()

    again = _batch(str(spoken[0].parent), "--out", str(out), "--fast", *command[-4:])
    assert again.returncode == 0, again.stderr
    assert f"{len(sessions)} already done" in again.stdout
    assert len(SessionDataset.open(out).df("sessions")) == 3
