"""Notebooks 02-04 run headless (no browser) from top to bottom against the emulator."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"


@pytest.mark.notebooks
@pytest.mark.slow
@pytest.mark.parametrize(
    ("name", "expected", "plots"),
    [
        ("02_emotion_timeline.ipynb", "EmotionTimeline samples=", True),
        ("03_replay_and_analysis.ipynb", "Recording 'sad'", True),
        ("04_build_a_demo.ipynb", "'assistant'", False),
    ],
)
def test_notebook_runs_without_errors(
    name: str, expected: str, plots: bool, tmp_path: Path
) -> None:
    import nbclient
    import nbformat

    source = NOTEBOOKS / name
    notebook = nbformat.read(source, as_version=4)
    assert all(not cell.get("outputs") for cell in notebook.cells if cell.cell_type == "code")
    shutil.copy(source, tmp_path / name)  # files the notebook writes land in tmp_path
    client = nbclient.NotebookClient(
        notebook,
        timeout=180,
        kernel_name="python3",
        resources={"metadata": {"path": str(tmp_path)}},
    )
    client.execute()
    outputs = [o for cell in notebook.cells if cell.cell_type == "code" for o in cell.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    texts = [str(o.get("data", {}).get("text/plain", "")) for o in outputs]
    assert any(expected in text for text in texts)
    images = [o for o in outputs if "image/png" in o.get("data", {})]
    assert bool(images) == plots
