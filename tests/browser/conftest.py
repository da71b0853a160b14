"""Real-browser fixtures: one JupyterLab server per test session, Debian Chromium through
Playwright with a fake microphone, and a kernel client that reads facts back from the kernel
that runs the notebook.
"""

from __future__ import annotations

import secrets
import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from _harness.chromium import CHROMIUM, launch_chromium
from _harness.lab import JupyterLab
from _harness.lab import jupyter_lab as start_jupyter_lab

from ._lab import LabNotebook

REPO = Path(__file__).resolve().parents[2]

FAKE_MIC_TEXT = "Hello there. Please tell me a long story about the moon and the stars."
"""Whisper tiny.en hears every word of this espeak-ng sentence at any alignment of the mic loop
(it heard "the sea" as "mercy")."""


@pytest.fixture(scope="session", autouse=True)
def _need_chromium() -> None:
    if not Path(CHROMIUM).exists():
        pytest.skip(f"real-browser tests need Debian Chromium at {CHROMIUM} (apt install chromium)")
    if not (REPO / "nextevi_widgets" / "static" / "voice_chat.js").exists():
        pytest.skip("front end not built: run `npm run build`")


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
    # A recognisable fake API key in the kernels' environment (NEXTEVI_BROWSER_TEST_KEY).
    test_key = f"oak_browsertest_{secrets.token_hex(12)}"
    with start_jupyter_lab(lab_root, env={"NEXTEVI_BROWSER_TEST_KEY": test_key}) as lab:
        yield lab


@pytest.fixture(scope="session")
def playwright_instance() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        yield pw


@pytest.fixture(scope="session")
def browser(playwright_instance: Any, fake_mic_wav: Path) -> Iterator[Any]:
    """Chromium with a fake microphone that plays ``fake_mic_wav`` in a loop."""
    browser = launch_chromium(playwright_instance, fake_mic_wav)
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
