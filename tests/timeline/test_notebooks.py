"""Notebooks 02-05 run headless (no browser) from top to bottom against the emulator on its
default engines, show what they claim, and write nothing beside themselves."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import pytest

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"


def _execute(source: Path, workdir: Path, data_dir: Path | None = None) -> Any:
    import nbclient
    import nbformat

    notebook = nbformat.read(source, as_version=4)
    assert all(not cell.get("outputs") for cell in notebook.cells if cell.cell_type == "code")
    shutil.copy(source, workdir / source.name)
    env = dict(os.environ)
    env.pop("NEXTEVI_NOTEBOOK_DATA", None)
    if data_dir is not None:
        env["NEXTEVI_NOTEBOOK_DATA"] = str(data_dir)
    client = nbclient.NotebookClient(
        notebook,
        timeout=180,
        kernel_name="python3",
        resources={"metadata": {"path": str(workdir)}},
    )
    client.execute(env=env)  # passed on to the kernel manager's start_kernel
    return notebook


def _texts(notebook: Any) -> list[str]:
    outputs = [o for cell in notebook.cells if cell.cell_type == "code" for o in cell.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    return [str(o.get("data", {}).get("text/plain", "")) for o in outputs]


def _images(notebook: Any) -> list[Any]:
    outputs = [o for cell in notebook.cells if cell.cell_type == "code" for o in cell.outputs]
    return [o for o in outputs if "image/png" in o.get("data", {})]


@pytest.mark.notebooks
@pytest.mark.slow
@pytest.mark.parametrize(
    ("name", "expected", "plots"),
    [
        ("02_emotion_timeline.ipynb", "EmotionTimeline samples=", True),
        ("04_build_a_demo.ipynb", "'assistant'", False),
        ("05_batch_evaluation.ipynb", "6 of 6 inputs written (6 ok, 0 errors)", True),
    ],
)
def test_notebook_runs_without_errors_and_leaves_no_files(
    name: str, expected: str, plots: bool, tmp_path: Path
) -> None:
    notebook = _execute(NOTEBOOKS / name, tmp_path)
    texts = _texts(notebook)
    assert any(expected in text for text in texts)
    assert bool(_images(notebook)) == plots
    # Audio and recordings went to a temporary folder, not beside the notebook.
    assert sorted(p.name for p in tmp_path.iterdir()) == [name]


@pytest.mark.notebooks
@pytest.mark.slow
def test_emotion_timeline_notebook_hears_the_spoken_sentence(tmp_path: Path) -> None:
    notebook = _execute(NOTEBOOKS / "02_emotion_timeline.ipynb", tmp_path)
    transcript = next(t for t in _texts(notebook) if "('user'," in t).lower()
    for word in ("hello", "really", "good", "day", "thank", "asking"):
        assert word in transcript


@pytest.mark.notebooks
@pytest.mark.slow
def test_replay_notebook_compares_happy_and_sad_in_the_expected_direction(
    tmp_path: Path,
) -> None:
    data = tmp_path / "data"
    workdir = tmp_path / "work"
    workdir.mkdir()
    notebook = _execute(NOTEBOOKS / "03_replay_and_analysis.ipynb", workdir, data_dir=data)
    texts = _texts(notebook)
    assert any("Recording 'sad'" in text for text in texts)
    assert "{'joy: happy > sad': True, 'sadness: sad > happy': True}" in texts
    assert _images(notebook)
    # Files go to the folder the user chose.
    assert {"happy.jsonl", "happy.wav", "sad.jsonl", "sad.wav"} <= {p.name for p in data.iterdir()}
    assert sorted(p.name for p in workdir.iterdir()) == ["03_replay_and_analysis.ipynb"]
