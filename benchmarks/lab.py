"""JupyterLab + headless Chromium (Playwright) for the browser benchmarks.

Starts a JupyterLab server on a free port with a token, launches Debian Chromium with a fake
microphone (a WAV file), opens a notebook and runs all of its cells through JupyterLab's
command registry (``expose_app_in_browser``) rather than by clicking, which depends on focus.
The notebook's code reports back by writing JSON files into the lab's root directory.

``websocket_compression=True`` starts the server with permessage-deflate enabled
(``ServerApp.websocket_compression_options = {}``, off by default in Jupyter Server);
``count_wire_bytes=True`` puts a :class:`ByteCountingProxy` between the browser and the server
so the bytes really sent can be counted (Playwright only sees decompressed payloads).
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from types import TracebackType
from typing import Any

from .harness import Skip
from .wire_proxy import ByteCountingProxy

CHROMIUM = "/usr/bin/chromium"
TOKEN = "nextevi-bench-token"

CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--use-fake-ui-for-media-stream",
    "--use-fake-device-for-media-stream",
    "--autoplay-policy=no-user-gesture-required",
    # Background tabs and timers must not be throttled: the page is headless and unfocused.
    "--disable-background-timer-throttling",
    "--disable-renderer-backgrounding",
    "--disable-backgrounding-occluded-windows",
]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class Lab:
    """``async with Lab(root, mic_wav) as lab: page = await lab.run_notebook("x.ipynb", cells)``."""

    def __init__(
        self,
        root: Path,
        mic_wav: Path | None = None,
        *,
        websocket_compression: bool = False,
        count_wire_bytes: bool = False,
        server_args: tuple[str, ...] = (),
    ) -> None:
        self.root = root
        self.server_args = server_args
        """Extra command-line options for the server (e.g. other front ends' settings)."""
        self.mic_wav = mic_wav
        self.websocket_compression = websocket_compression
        self.proxy: ByteCountingProxy | None = None
        self._count_wire_bytes = count_wire_bytes
        self.port = _free_port()
        self._proc: subprocess.Popen[bytes] | None = None
        self._pw: Any = None
        self._browser: Any = None
        self.context: Any = None
        self.websocket_frames: list[tuple[str, int]] = []
        """(direction, payload bytes) of every frame on the page's kernel websockets."""
        self.audio_frame_marks: list[int] = []
        """Indexes into ``websocket_frames`` of the sent frames that carry an ``audio_frame``."""

    @property
    def base(self) -> str:
        """The URL the browser uses (the proxy's when bytes are counted)."""
        port = self.proxy.port if self.proxy is not None else self.port
        return f"http://127.0.0.1:{port}"

    async def __aenter__(self) -> Lab:
        try:
            from playwright.async_api import async_playwright
        except ImportError as exc:
            raise Skip(f"playwright is not installed ({exc})") from None
        self._start_server()
        await self._wait_ready()
        if self._count_wire_bytes:
            self.proxy = await ByteCountingProxy(self.port).__aenter__()
        self._pw = await async_playwright().start()
        args = list(CHROMIUM_FLAGS)
        if self.mic_wav is not None:
            args.append(f"--use-file-for-fake-audio-capture={self.mic_wav.resolve()}")
        self._browser = await self._pw.chromium.launch(executable_path=CHROMIUM, args=args)
        self.context = await self._browser.new_context()
        await self.context.grant_permissions(["microphone"], origin=self.base)
        return self

    def _start_server(self) -> None:
        if not Path(CHROMIUM).exists():
            raise Skip(f"no Chromium at {CHROMIUM}")
        self.root.mkdir(parents=True, exist_ok=True)
        jupyter = shutil.which("jupyter", path=str(Path(sys.executable).parent))
        if jupyter is None:
            raise Skip("jupyter is not installed next to this Python")
        config = self.root / "jupyter_server_config.json"
        # A dict (even empty) turns permessage-deflate on; None (Jupyter's default) keeps it off.
        options: dict[str, Any] | None = {} if self.websocket_compression else None
        config.write_text(json.dumps({"ServerApp": {"websocket_compression_options": options}}))
        self._log = open(self.root / "jupyter.log", "wb")  # noqa: SIM115 - closed in __aexit__
        self._proc = subprocess.Popen(
            [
                jupyter,
                "lab",
                "--no-browser",
                "--allow-root",
                f"--port={self.port}",
                "--ServerApp.ip=127.0.0.1",
                f"--IdentityProvider.token={TOKEN}",
                f"--ServerApp.root_dir={self.root}",
                "--LabApp.expose_app_in_browser=True",
                f"--config={config}",
                # A fresh workspace: no tabs restored from other runs.
                f"--LabApp.workspaces_dir={self.root / '.workspaces'}",
                f"--LabApp.user_settings_dir={self.root / '.settings'}",
                "--LabApp.news_url=",
                "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
                *self.server_args,
            ],
            stdout=self._log,
            stderr=subprocess.STDOUT,
            cwd=self.root,
            env={**os.environ, "JUPYTER_PLATFORM_DIRS": "1"},
        )

    async def _wait_ready(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        url = f"http://127.0.0.1:{self.port}/api?token={TOKEN}"
        while time.monotonic() < deadline:
            assert self._proc is not None
            if self._proc.poll() is not None:
                raise RuntimeError("JupyterLab exited; see jupyter.log")
            try:
                await asyncio.to_thread(urllib.request.urlopen, url, timeout=2)
                return
            except OSError:
                await asyncio.sleep(0.25)
        raise RuntimeError("JupyterLab did not answer in time")

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._browser is not None:
            await self._browser.close()
        if self.proxy is not None:
            await self.proxy.__aexit__(None, None, None)
        if self._pw is not None:
            await self._pw.stop()
        if self._proc is not None:
            self._proc.terminate()
            try:
                self._proc.wait(10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
            self._log.close()

    def _on_websocket(self, ws: Any) -> None:
        if "/api/kernels/" not in ws.url:
            return

        def record(direction: str) -> Any:
            def handler(payload: str | bytes) -> None:
                data = payload.encode() if isinstance(payload, str) else payload
                if direction == "sent" and b'"audio_frame"' in data:
                    self.audio_frame_marks.append(len(self.websocket_frames))
                self.websocket_frames.append((direction, len(data)))

            return handler

        ws.on("framesent", record("sent"))
        ws.on("framereceived", record("received"))

    async def run_notebook(self, name: str, cells: list[str], timeout: float = 90.0) -> Any:
        """Write a notebook of ``cells``, open it, wait for its kernel, run all cells.

        Returns the Playwright page (still open; closing the lab closes it).
        """
        nb = {
            "nbformat": 4,
            "nbformat_minor": 5,
            "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3"}},
            "cells": [
                {
                    "cell_type": "code",
                    "id": f"cell{i}",
                    "metadata": {},
                    "execution_count": None,
                    "outputs": [],
                    "source": src,
                }
                for i, src in enumerate(cells)
            ],
        }
        (self.root / name).write_text(json.dumps(nb))
        page = await self.context.new_page()
        page.on("websocket", self._on_websocket)
        # A workspace of its own per notebook (reset): only this notebook is open and current.
        workspace = name.replace(".", "-")
        await page.goto(
            f"{self.base}/lab/workspaces/{workspace}/tree/{name}?reset&token={TOKEN}",
            timeout=timeout * 1000,
        )
        await page.wait_for_selector(".jp-Notebook", timeout=timeout * 1000)
        await page.wait_for_function(
            """() => {
                const app = window.jupyterapp;
                const panel = app && app.shell.currentWidget;
                const kernel = panel && panel.sessionContext && panel.sessionContext.session
                    && panel.sessionContext.session.kernel;
                return kernel && kernel.status === 'idle';
            }""",
            timeout=timeout * 1000,
        )
        await page.evaluate("window.jupyterapp.commands.execute('notebook:run-all-cells')")
        return page

    async def wait_for_json(self, name: str, timeout: float) -> Any:
        """Wait until the notebook wrote ``root/name`` and return its parsed content."""
        path = self.root / name
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if path.exists():
                try:
                    return json.loads(path.read_text())
                except json.JSONDecodeError:
                    pass  # still being written
            await asyncio.sleep(0.2)
        log = (self.root / "jupyter.log").read_text(errors="replace")[-2000:]
        raise TimeoutError(f"the notebook did not write {name} in {timeout:.0f} s\n{log}")
