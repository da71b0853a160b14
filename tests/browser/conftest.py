"""Real-browser fixtures: one JupyterLab server per test session, Debian Chromium through
Playwright with a fake microphone, and a kernel client that reads facts back from the kernel
that runs the notebook.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from ._lab import CHROMIUM, JupyterLab, LabNotebook, chromium_args

REPO = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent

INSECURE_HOST = "nextevi-insecure.test"
"""Resolves to 127.0.0.1 in browsers launched with ``insecure_host_args()``; not a secure
context (only https, localhost and loopback addresses are)."""

FAKE_MIC_TEXT = "Hello there. Please tell me a long story about the moon and the stars."
"""Whisper tiny.en hears every word of this espeak-ng sentence at any alignment of the mic loop
(it heard "the sea" as "mercy")."""


@pytest.fixture(scope="session", autouse=True)
def _need_chromium() -> None:
    if not Path(CHROMIUM).exists():
        pytest.skip(f"real-browser tests need Debian Chromium at {CHROMIUM} (apt install chromium)")
    if not (REPO / "nextevi_widgets" / "static" / "voice_chat.js").exists():
        pytest.skip("front end not built: run `npm run build`")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def lab_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("lab")


@pytest.fixture(scope="session")
def fake_mic_wav(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """48 kHz 16-bit mono speech (espeak-ng) followed by silence; Chromium loops it."""
    import numpy as np
    import soundfile as sf
    import soxr

    espeak = shutil.which("espeak-ng")
    if espeak is None:
        pytest.skip("espeak-ng is needed to synthesise the fake microphone's speech")
    out = tmp_path_factory.mktemp("mic")
    raw = out / "speech_22k.wav"
    subprocess.run([espeak, "-s", "150", "-w", str(raw), FAKE_MIC_TEXT], check=True)
    audio, rate = sf.read(raw, dtype="float32")
    speech = soxr.resample(audio, rate, 48_000)
    silence = np.zeros(int(48_000 * 1.5), dtype=np.float32)
    signal = np.concatenate(
        [silence[:9600], speech * (0.7 / max(1e-6, float(np.abs(speech).max()))), silence]
    )
    path = out / "fake_mic_48k.wav"
    sf.write(path, signal, 48_000, subtype="PCM_16")
    return path


@pytest.fixture(scope="session")
def jupyter_lab(lab_root: Path) -> Iterator[JupyterLab]:
    port = _free_port()
    token = secrets.token_hex(16)
    settings = lab_root.parent / "lab-settings"
    _write_lab_settings(settings)
    runtime = lab_root.parent / "lab-runtime"
    runtime.mkdir(exist_ok=True)
    env = {
        **os.environ,
        "JUPYTER_RUNTIME_DIR": str(runtime),
        "JUPYTER_PLATFORM_DIRS": "1",
        "PYTHONUNBUFFERED": "1",
    }
    test_key = f"oak_browsertest_{secrets.token_hex(12)}"
    env["NEXTEVI_BROWSER_TEST_KEY"] = test_key
    env.pop("NEXTEVI_API_KEY", None)
    env.pop("NEXTEVI_ACCESS_TOKEN", None)
    log = (lab_root.parent / "jupyterlab.log").open("w")
    proc = subprocess.Popen(
        [
            str(VENV_BIN / "jupyter"),
            "lab",
            "--allow-root",
            "--no-browser",
            f"--port={port}",
            "--ip=127.0.0.1",
            f"--IdentityProvider.token={token}",
            f"--ServerApp.root_dir={lab_root}",
            "--LabApp.expose_app_in_browser=True",
            f"--LabApp.user_settings_dir={settings}",
            f"--LabApp.workspaces_dir={lab_root.parent / 'lab-workspaces'}",
            "--ServerApp.disable_check_xsrf=True",
            # A name that is not localhost, for pages that must not be a secure context.
            "--ServerApp.local_hostnames=localhost",
            f"--ServerApp.local_hostnames={INSECURE_HOST}",
        ],
        cwd=lab_root,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    lab = JupyterLab(f"http://127.0.0.1:{port}", token, lab_root, runtime, test_key)
    try:
        deadline = time.monotonic() + 90
        while True:
            if proc.poll() is not None:
                raise RuntimeError(
                    f"JupyterLab exited: {_tail(lab_root.parent / 'jupyterlab.log')}"
                )
            try:
                lab.api("GET", "/api")
                break
            except (urllib.error.URLError, ConnectionError):
                if time.monotonic() > deadline:
                    raise RuntimeError("JupyterLab did not start") from None
                time.sleep(0.3)
        yield lab
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def _write_lab_settings(root: Path) -> None:
    """User settings: save widget state with the notebook; no news/update checks (offline)."""
    widget = root / "@jupyter-widgets" / "jupyterlab-manager"
    widget.mkdir(parents=True, exist_ok=True)
    (widget / "plugin.jupyterlab-settings").write_text(json.dumps({"saveState": True}))
    notes = root / "@jupyterlab" / "apputils-extension"
    notes.mkdir(parents=True, exist_ok=True)
    (notes / "notification.jupyterlab-settings").write_text(
        json.dumps({"fetchNews": "false", "checkForUpdates": False})
    )


def _tail(path: Path, n: int = 4000) -> str:
    try:
        return path.read_text()[-n:]
    except OSError:
        return ""


@pytest.fixture(scope="session")
def playwright_instance() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        yield pw


@pytest.fixture(scope="session")
def browser(playwright_instance: Any, fake_mic_wav: Path) -> Iterator[Any]:
    """Chromium with a fake microphone that plays ``fake_mic_wav`` in a loop."""
    browser = playwright_instance.chromium.launch(
        executable_path=CHROMIUM, headless=True, args=chromium_args(fake_mic_wav)
    )
    yield browser
    browser.close()


@pytest.fixture
def page(browser: Any, jupyter_lab: JupyterLab) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    context.grant_permissions(["microphone"], origin=jupyter_lab.base_url)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def open_notebook(
    jupyter_lab: JupyterLab, request: pytest.FixtureRequest
) -> Iterator[Callable[..., LabNotebook]]:
    """``open_notebook(page, cells)`` writes a notebook, opens it in the page, runs every cell
    and returns a handle with a kernel client. Kernels are shut down after the test."""
    opened: list[LabNotebook] = []

    def _open(
        page: Any,
        cells: list[str],
        *,
        name: str | None = None,
        widget_selector: str = ".nextevi-voice-chat",
    ) -> LabNotebook:
        stem = name or request.node.name.replace("[", "_").replace("]", "")
        notebook = LabNotebook(jupyter_lab, page, f"{stem}.ipynb", cells)
        opened.append(notebook)
        notebook.open_and_run(widget_selector=widget_selector)
        return notebook

    yield _open
    for notebook in opened:
        notebook.shutdown()
