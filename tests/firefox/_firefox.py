"""Debian firefox-esr driven by tests/firefox/driver.mjs (puppeteer-core, WebDriver BiDi), and
the PulseAudio null sink Firefox needs as an audio device on a machine without a sound card."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

from _harness.waiting import eventually

REPO = Path(__file__).resolve().parents[2]
FIREFOX = "/usr/bin/firefox-esr"
DRIVER = Path(__file__).with_name("driver.mjs")


class Firefox:
    """One headless Firefox page; each method is one command to the driver."""

    def __init__(self, *, fake_media: bool = True, env: dict[str, str] | None = None) -> None:
        args = ["node", str(DRIVER)] + ([] if fake_media else ["--no-fake-media"])
        self._proc = subprocess.Popen(
            args,
            cwd=REPO,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )

    def _call(self, **command: Any) -> Any:
        assert self._proc.stdin is not None
        assert self._proc.stdout is not None
        self._proc.stdin.write(json.dumps(command) + "\n")
        self._proc.stdin.flush()
        line = self._proc.stdout.readline()
        if not line:
            raise RuntimeError(f"the Firefox driver exited (code {self._proc.wait()})")
        reply = json.loads(line)
        if not reply["ok"]:
            raise RuntimeError(f"Firefox {command['op']} failed: {reply['error']}")
        return reply["value"]

    def goto(self, url: str) -> None:
        self._call(op="goto", url=url)

    def wait(self, selector: str, timeout_ms: int = 30_000) -> None:
        self._call(op="wait", selector=selector, timeout=timeout_ms)

    def click(self, selector: str) -> None:
        self._call(op="click", selector=selector)

    def type_and_enter(self, selector: str, text: str) -> None:
        self._call(op="type", selector=selector, text=text)

    def text(self, selector: str) -> str:
        return str(self._call(op="text", selector=selector) or "")

    def evaluate(self, js_function: str) -> Any:
        return self._call(op="eval", js=js_function)

    def console_errors(self) -> list[str]:
        return list(self._call(op="console"))

    def close(self) -> None:
        try:
            if self._proc.poll() is None:
                self._call(op="close")
            self._proc.wait(timeout=30)
        except Exception:
            self._proc.kill()
            self._proc.wait()


def null_sink_ready() -> bool:
    """A PulseAudio server answers and has a null sink."""
    if shutil.which("pactl") is None:
        return False
    sinks = subprocess.run(["pactl", "list", "short", "sinks"], capture_output=True, text=True)
    return sinks.returncode == 0 and "null" in sinks.stdout


def start_null_sink() -> bool:
    """Start PulseAudio with a null sink unless one is there; True when this call started the
    server (stop it with :func:`stop_pulseaudio`)."""
    if null_sink_ready():
        return False
    if shutil.which("pulseaudio") is None:
        raise RuntimeError("Firefox needs an audio device: apt-get install pulseaudio")
    started = subprocess.run(["pulseaudio", "--check"]).returncode != 0
    if started:
        # As root it warns that system mode is recommended; a per-user server is what we want.
        subprocess.run(
            ["pulseaudio", "--start", "--exit-idle-time=-1"], check=True, capture_output=True
        )
    subprocess.run(["pactl", "load-module", "module-null-sink"], check=True, capture_output=True)
    eventually(null_sink_ready, timeout=10, what="the PulseAudio null sink")
    return started


def stop_pulseaudio() -> None:
    subprocess.run(["pulseaudio", "--kill"], capture_output=True)
