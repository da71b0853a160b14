"""VoiceChat in JupyterLab in Debian's firefox-esr (WebDriver BiDi via puppeteer-core), with
Firefox's fake microphone (a tone) and a PulseAudio null sink as the speakers: mic frames with
signal reach the kernel, a typed turn's reply plays, the page logs no errors. Kernel facts come
from a JSON file the notebook rewrites a few times a second."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import nbformat
import pytest
from _firefox import Firefox
from _harness.lab import JupyterLab
from _harness.waiting import eventually

pytestmark = [pytest.mark.firefox, pytest.mark.slow]

CHAT = ".nextevi-voice-chat"

STATE_WRITER = """
import asyncio, json
from pathlib import Path
import numpy as np
from nextevi_widgets.session import OutgoingAudio

levels = []
played = [0]
chat.session.on_event(lambda d, e, _t: levels.append(
    float(np.sqrt(np.mean(np.frombuffer(e.pcm, '<i2').astype(np.float64) ** 2))))
    if isinstance(e, OutgoingAudio) else None)
_report = chat.session.report_playback
def _recording(chunk_id, played_samples, total_samples, flushed=False):
    played[0] = max(played[0], int(played_samples))
    _report(chunk_id, played_samples, total_samples, flushed)
chat.session.report_playback = _recording

async def _write_state(path):
    while True:
        state = {
            'state': chat.session.state,
            'frames_sent': chat.session.stats.get('frames_sent', 0),
            'loud_frames': sum(1 for rms in levels if rms > 100),
            'played_samples': played[0],
            'messages': [[m['role'], m['text']] for m in chat.session.messages],
            'last_error': chat.session.last_error,
        }
        Path(path + '.tmp').write_text(json.dumps(state))
        Path(path + '.tmp').replace(path)
        await asyncio.sleep(0.25)

state_writer = asyncio.get_running_loop().create_task(_write_state(STATE_PATH))
"""

RUN_ALL_WHEN_IDLE = """() => {
  const app = window.jupyterapp;
  const panel = app && app.shell.currentWidget;
  const kernel = panel && panel.sessionContext && panel.sessionContext.session
    && panel.sessionContext.session.kernel;
  if (!kernel || kernel.status !== 'idle' || !panel.content.widgets.length) return false;
  app.commands.execute('notebook:run-all-cells');
  return true;
}"""


def write_notebook(lab: JupyterLab, name: str, state_path: Path) -> None:
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [
        nbformat.v4.new_code_cell(
            "from nextevi_widgets import VoiceChat\n"
            "chat = VoiceChat(config_id='deterministic', echo_strategy='headphones')\n"
            "chat"
        ),
        nbformat.v4.new_code_cell(f"STATE_PATH = {str(state_path)!r}\n{STATE_WRITER}"),
    ]
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
    nbformat.write(notebook, lab.root / name)


def read_state(path: Path) -> dict[str, Any]:
    try:
        data: dict[str, Any] = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError):
        return {}
    return data


def open_and_run(firefox: Firefox, lab: JupyterLab, name: str) -> None:
    firefox.goto(lab.lab_url(name))
    firefox.wait(".jp-Notebook", timeout_ms=90_000)
    # Run all cells once the kernel is idle (driven through the app, not by focus and keys).
    eventually(lambda: firefox.evaluate(RUN_ALL_WHEN_IDLE), timeout=90, what="an idle kernel")
    firefox.wait(CHAT, timeout_ms=60_000)


def shutdown_kernels(lab: JupyterLab, name: str) -> None:
    for session in lab.api("GET", "/api/sessions"):
        if session.get("path", "").endswith(name):
            lab.api("DELETE", f"/api/sessions/{session['id']}")


def test_mic_frames_reach_the_kernel_and_replies_play_in_firefox(
    firefox: Firefox, jupyter_lab: JupyterLab
) -> None:
    name = "firefox_voice_chat.ipynb"
    state_path = jupyter_lab.root / "firefox_state.json"
    write_notebook(jupyter_lab, name, state_path)
    try:
        open_and_run(firefox, jupyter_lab, name)
        firefox.click(f"{CHAT} .nvc-mic")
        state = eventually(
            lambda: (s := read_state(state_path)).get("frames_sent", 0) > 100 and s,
            timeout=90,
            what="mic frames in the kernel",
        )
        assert state["state"] == "connected"
        # Firefox's fake microphone is a tone: the frames carry signal, not silence.
        eventually(
            lambda: read_state(state_path).get("loud_frames", 0) > 50,
            timeout=30,
            what="frames with signal",
        )
        firefox.type_and_enter(f"{CHAT} .nvc-say-input", "hello there, how are you")
        eventually(
            lambda: read_state(state_path).get("played_samples", 0) > 0,
            timeout=90,
            what="the reply played in Firefox",
        )
        firefox.wait(f"{CHAT} .nvc-msg.nvc-assistant", timeout_ms=30_000)
        assert firefox.text(f"{CHAT} .nvc-msg.nvc-assistant .nvc-text")
        assert read_state(state_path)["last_error"] == ""
        assert firefox.text(f"{CHAT} .nvc-error").strip() == ""
        errors = [e for e in firefox.console_errors() if "nextevi" in e.lower() or "nvc" in e]
        assert errors == []
    finally:
        shutdown_kernels(jupyter_lab, name)


def _detects_silent_audio() -> bool:
    from nextevi_widgets._comm import CLIENT_ERROR_CODES

    return "mic_silent" in CLIENT_ERROR_CODES


@pytest.mark.skipif(
    not _detects_silent_audio(),
    reason="needs the widget's detection of a suspended audio context (client_error mic_silent)",
)
def test_without_an_audio_device_the_widget_says_no_audio_arrives(
    jupyter_lab: JupyterLab,
) -> None:
    # No PulseAudio server for this Firefox: no audio device, both AudioContexts stay suspended.
    env = {**os.environ, "PULSE_SERVER": "unix:/nonexistent/pulse/native"}
    firefox = Firefox(env=env)
    name = "firefox_no_audio_device.ipynb"
    state_path = jupyter_lab.root / "firefox_no_device_state.json"
    write_notebook(jupyter_lab, name, state_path)
    try:
        open_and_run(firefox, jupyter_lab, name)
        firefox.click(f"{CHAT} .nvc-mic")
        eventually(
            lambda: "no audio arrives" in firefox.text(f"{CHAT} .nvc-error"),
            timeout=60,
            what="the widget saying that no audio arrives",
        )
        last_error = eventually(
            lambda: read_state(state_path).get("last_error", ""), timeout=30, what="last_error"
        )
        assert last_error.startswith("mic_silent")
        assert read_state(state_path)["frames_sent"] == 0
    finally:
        firefox.close()
        shutdown_kernels(jupyter_lab, name)
