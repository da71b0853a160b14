"""The dataset stack is optional: the base package never imports it, and a missing piece
says which extra installs it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from conftest import Recorded

from nextevi_widgets.dataset import DatasetWriter

BLOCK = """
import importlib.abc, sys

class Uninstalled(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name.split(".")[0] in {blocked!r}:
            raise ModuleNotFoundError(f"No module named {{name!r}}")

sys.meta_path.insert(0, Uninstalled())
"""


def run(code: str, *, without: tuple[str, ...] = ()) -> subprocess.CompletedProcess[str]:
    """Run ``code`` in a fresh interpreter where the ``without`` packages cannot be
    imported (as if not installed)."""
    prefix = BLOCK.format(blocked=set(without)) if without else ""
    return subprocess.run(
        [sys.executable, "-c", prefix + code],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_importing_the_package_does_not_import_the_dataset_stack() -> None:
    result = run(
        "import sys, nextevi_widgets, nextevi_widgets.recording\n"
        "heavy = {'pyarrow', 'duckdb', 'dask', 'jiwer'} & set(sys.modules)\n"
        "print(sorted(heavy))"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_missing_libraries_name_the_extra(tmp_path: Path, recorded: Recorded) -> None:
    with DatasetWriter(tmp_path / "ds") as writer:
        writer.add_session("a", recorded.events[0], labels={}, meta={})
    result = run(
        "from nextevi_widgets.dataset import SessionDataset\n"
        f"ds = SessionDataset.open({str(tmp_path / 'ds')!r})\n"
        "print(ds.table('sessions').num_rows)\n"
        "ds.df('sessions')\n",
        without=("pandas",),
    )
    assert result.stdout.strip() == "1"  # Arrow works without pandas
    assert 'pip install "nextevi-widgets[dataset]"' in result.stderr
    result = run("import nextevi_widgets.dataset\n", without=("duckdb",))
    assert 'this needs duckdb: pip install "nextevi-widgets[dataset]"' in result.stderr
