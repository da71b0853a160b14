"""Release archives install without Node: the sdist ships the built front end, a wheel builds
from it with no npm on the PATH, and a source tree without the front end fails with the fix.

Builds run offline against this virtualenv's hatchling (``--no-build-isolation``); ``.ci/run``
repeats the check with an isolated build in a fresh virtualenv.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent
FRONT_END = (
    "nextevi_widgets/static/voice_chat.js",
    "nextevi_widgets/static/voice_chat.css",
    "nextevi_widgets/static/emotion_plot.js",
)

pytestmark = pytest.mark.slow


def _without_npm() -> dict[str, str]:
    """An environment whose PATH holds only this virtualenv's scripts (no node, no npm)."""
    assert shutil.which("npm", path=str(VENV_BIN)) is None
    return {"PATH": str(VENV_BIN), "PIP_NO_INDEX": "1", "HOME": str(Path.home())}


@pytest.fixture(scope="module")
def sdist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not all((ROOT / name).is_file() for name in FRONT_END):
        pytest.skip("front end not built: run `npm run build`")
    out = tmp_path_factory.mktemp("sdist")
    subprocess.run(
        [str(VENV_BIN / "hatchling"), "build", "-t", "sdist", "-d", str(out)],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    (archive,) = out.glob("nextevi_widgets-*.tar.gz")
    return archive


@pytest.fixture
def unpacked(sdist: Path, tmp_path: Path) -> Path:
    with tarfile.open(sdist) as tar:
        tar.extractall(tmp_path, filter="data")
    (tree,) = tmp_path.iterdir()
    return tree


def _build_wheel(tree: Path, out: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-w",
            str(out),
            str(tree),
        ],
        env=_without_npm(),
        capture_output=True,
        text=True,
    )


def test_sdist_ships_the_built_front_end_and_its_sources(sdist: Path) -> None:
    with tarfile.open(sdist) as tar:
        names = {name.split("/", 1)[1] for name in tar.getnames() if "/" in name}
    assert set(FRONT_END) <= names
    assert {"js/widget.ts", "build.mjs", "package.json", "package-lock.json"} <= names
    assert not any(n.startswith(("node_modules/", ".venv/")) for n in names)


def test_wheel_builds_from_the_sdist_without_npm(unpacked: Path, tmp_path: Path) -> None:
    result = _build_wheel(unpacked, tmp_path / "dist")
    assert result.returncode == 0, result.stderr[-3000:]
    (wheel,) = (tmp_path / "dist").glob("nextevi_widgets-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        for name in FRONT_END:
            assert archive.read(name) == (unpacked / name).read_bytes(), name


def test_source_tree_without_front_end_or_npm_fails_with_the_fix(
    unpacked: Path, tmp_path: Path
) -> None:
    # What `git archive` gives: the sources without the git-ignored bundle.
    shutil.rmtree(unpacked / "nextevi_widgets" / "static")
    result = _build_wheel(unpacked, tmp_path / "dist")
    assert result.returncode != 0
    message = " ".join(result.stderr.split())
    assert "has no built front end" in message
    assert "nextevi_widgets/static/voice_chat.js" in message
    assert "install Node.js" in message
    assert "npm ci && npm run build" in message
    assert not list((tmp_path / "dist").glob("*.whl"))


def test_sdist_carries_the_comm_protocol_source_and_its_current_generated_side(
    unpacked: Path,
) -> None:
    """A build from the sdist bundles js/ with the checked-in generated protocol; the check
    run there (against the sdist's own _comm.py) finds it current."""
    assert (unpacked / "js" / "protocol.generated.ts").is_file()
    result = subprocess.run(
        [sys.executable, "-m", "nextevi_widgets._comm_codegen", "--check"],
        cwd=unpacked,
        env={"PYTHONPATH": str(unpacked), "PATH": str(VENV_BIN), "HOME": str(Path.home())},
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr[-3000:]
