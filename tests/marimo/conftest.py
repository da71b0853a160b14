"""marimo under test: ``marimo edit`` / ``marimo run`` serving tests/marimo/voice_chat_app.py
(headless, no token, on 127.0.0.1) and Debian Chromium with the fake microphone of the
Jupyter browser tests. The notebook reports kernel facts in a JSON file (``MarimoApp.state``).
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from _harness.chromium import CHROMIUM, launch_chromium
from _harness.processes import free_port, served
from _marimo_app import MarimoApp
from browser.conftest import FAKE_MIC_TEXT, fake_mic_wav, playwright_instance

__all__ = ["FAKE_MIC_TEXT", "MarimoApp", "fake_mic_wav", "playwright_instance"]

NOTEBOOK = Path(__file__).with_name("voice_chat_app.py")
VENV_BIN = Path(sys.executable).parent


@pytest.fixture(params=["edit", "run"])
def marimo_app(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[MarimoApp]:
    """The notebook served by ``marimo edit`` (cells run on open) or ``marimo run``."""
    if not Path(CHROMIUM).exists():
        pytest.skip(f"marimo browser tests need Debian Chromium at {CHROMIUM}")
    marimo = VENV_BIN / "marimo"
    if not marimo.exists():
        pytest.skip("marimo is not installed (it is in the dev extra)")
    mode = str(request.param)
    notebook = tmp_path / NOTEBOOK.name
    shutil.copy(NOTEBOOK, notebook)
    # Edit mode runs the cells on open only when told to (marimo reads this file beside it).
    (tmp_path / "pyproject.toml").write_text("[tool.marimo.runtime]\nauto_instantiate = true\n")
    port = free_port()
    state_file = tmp_path / "state.json"
    env = {
        **os.environ,
        "NEXTEVI_MARIMO_STATE": str(state_file),
        "MARIMO_SKIP_UPDATE_CHECK": "1",
        "PYTHONUNBUFFERED": "1",
    }
    argv = [str(marimo), "-q", "-y", mode, str(notebook), "--headless", "--no-token"]
    argv += ["--host=127.0.0.1", f"--port={port}"]
    url = f"http://127.0.0.1:{port}"
    log = tmp_path / f"marimo-{mode}.log"
    with served(argv, ready_url=f"{url}/health", log=log, cwd=tmp_path, env=env):
        yield MarimoApp(mode, url, state_file, log)


@pytest.fixture
def chromium(playwright_instance: Any, fake_mic_wav: Path) -> Iterator[Any]:
    browser = launch_chromium(playwright_instance, fake_mic_wav)
    yield browser
    browser.close()


@pytest.fixture
def marimo_page(chromium: Any, marimo_app: MarimoApp) -> Iterator[Any]:
    context = chromium.new_context(viewport={"width": 1400, "height": 1400})
    context.grant_permissions(["microphone"], origin=marimo_app.url)
    page = context.new_page()
    page.goto(marimo_app.url, wait_until="domcontentloaded")
    yield page
    context.close()
