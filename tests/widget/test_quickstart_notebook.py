"""notebooks/01_quickstart.ipynb runs headless (no browser) from top to bottom."""

from __future__ import annotations

from pathlib import Path

import pytest

NOTEBOOK = Path(__file__).resolve().parents[2] / "notebooks" / "01_quickstart.ipynb"


@pytest.mark.notebooks
def test_quickstart_runs_headless_and_talks_to_the_emulator() -> None:
    import nbclient
    import nbformat

    notebook = nbformat.read(NOTEBOOK, as_version=4)
    before = sorted(p.name for p in NOTEBOOK.parent.iterdir())
    assert all(not cell.get("outputs") for cell in notebook.cells if cell.cell_type == "code")
    client = nbclient.NotebookClient(
        notebook,
        timeout=120,
        kernel_name="python3",
        resources={"metadata": {"path": str(NOTEBOOK.parent)}},
    )
    client.execute()
    assert sorted(p.name for p in NOTEBOOK.parent.iterdir()) == before  # nothing left behind
    outputs = [o for cell in notebook.cells if cell.cell_type == "code" for o in cell.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    texts = [str(o.get("data", {}).get("text/plain", "")) for o in outputs]
    assert any("VoiceChat" in text for text in texts)
    assert any("('user', 'Hello! What can you do?')" in text for text in texts)
