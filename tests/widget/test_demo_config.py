"""The demo's JupyterLab turns websocket compression on through a config path, read by the
real ``jupyter lab`` (``--show-config`` loads config and exits)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from nextevi_widgets._demo_cli import lab_environment

JUPYTER = Path(sys.executable).parent / "jupyter"
SETTING = ".websocket_compression_options = {}"


def _show_config(env: dict[str, str]) -> str:
    result = subprocess.run(
        [str(JUPYTER), "lab", "--show-config"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return result.stdout + result.stderr


@pytest.fixture
def clean_env(tmp_path: Path) -> dict[str, str]:
    """No user config, no extra config path: Jupyter's defaults."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("JUPYTER")}
    env["JUPYTER_CONFIG_DIR"] = str(tmp_path / "user-config")
    return env


@pytest.mark.skipif(not JUPYTER.exists(), reason="jupyter is not installed next to Python")
def test_compression_is_off_by_default_and_on_with_the_demo_config(
    clean_env: dict[str, str], tmp_path: Path
) -> None:
    assert SETTING not in _show_config(clean_env)

    env = lab_environment({**clean_env, "JUPYTER_CONFIG_PATH": "/elsewhere"}, tmp_path / "cfg")

    assert env["JUPYTER_CONFIG_PATH"].split(os.pathsep) == [str(tmp_path / "cfg"), "/elsewhere"]
    assert json.loads((tmp_path / "cfg" / "jupyter_server_config.json").read_text()) == {
        "ServerApp": {"websocket_compression_options": {}}
    }
    assert SETTING in _show_config(env)
