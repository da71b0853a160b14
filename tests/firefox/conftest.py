"""Firefox fixtures: the JupyterLab server of the Chromium suite, Debian firefox-esr through
puppeteer-core, and a PulseAudio null sink as the audio device (started here when missing)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from _firefox import FIREFOX, REPO, Firefox, start_null_sink, stop_pulseaudio
from browser.conftest import jupyter_lab, lab_root

__all__ = ["jupyter_lab", "lab_root"]


@pytest.fixture(scope="session", autouse=True)
def _need_firefox() -> None:
    if not Path(FIREFOX).exists():
        pytest.skip(f"Firefox tests need Debian firefox-esr at {FIREFOX} (apt install firefox-esr)")
    if shutil.which("node") is None or not (REPO / "node_modules" / "puppeteer-core").is_dir():
        pytest.skip("Firefox tests need node and the npm dev dependencies (npm ci)")
    if not (REPO / "nextevi_widgets" / "static" / "voice_chat.js").exists():
        pytest.skip("front end not built: run `npm run build`")


@pytest.fixture(scope="session")
def audio_sink() -> Iterator[None]:
    started = start_null_sink()
    yield
    if started:
        stop_pulseaudio()


@pytest.fixture
def firefox(audio_sink: None) -> Iterator[Firefox]:
    browser = Firefox()
    yield browser
    browser.close()
