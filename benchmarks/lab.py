"""JupyterLab + headless Chromium (Playwright) for the browser benchmarks.

The server is the tests' (:func:`tests._harness.lab.jupyter_lab`); this adds async Playwright
with a fake microphone (a WAV file), runs a notebook's cells through JupyterLab's command
registry, and reads back the JSON files the notebook's code writes into the lab's root.

``websocket_compression=True`` starts the server with permessage-deflate enabled
(``ServerApp.websocket_compression_options = {}``, off by default in Jupyter Server);
``count_wire_bytes=True`` puts a :class:`ByteCountingProxy` between the browser and the server
so the bytes really sent can be counted (Playwright only sees decompressed payloads).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import shutil
import sys
from pathlib import Path
from types import TracebackType
from typing import Any

from tests._harness.chromium import CHROMIUM, launch_chromium
from tests._harness.lab import KERNEL_IDLE_JS, RUN_ALL_JS, JupyterLab, jupyter_lab, write_notebook
from tests._harness.processes import tail
from tests._harness.waiting import eventually_async

from .harness import Skip
from .wire_proxy import ByteCountingProxy


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
        self._server: contextlib.ExitStack = contextlib.ExitStack()
        self.lab: JupyterLab | None = None
        self._pw: Any = None
        self._browser: Any = None
        self.context: Any = None
        self.websocket_frames: list[tuple[str, int]] = []
        """(direction, payload bytes) of every frame on the page's kernel websockets."""
        self.audio_frame_marks: list[int] = []
        """Indexes into ``websocket_frames`` of the sent frames that carry an ``audio_frame``."""

    @property
    def server(self) -> JupyterLab:
        """The JupyterLab server (its own URL and token, its REST API)."""
        assert self.lab is not None, "use Lab as `async with`"
        return self.lab

    @property
    def base(self) -> str:
        """The URL the browser uses (the proxy's when bytes are counted)."""
        if self.proxy is not None:
            return f"http://127.0.0.1:{self.proxy.port}"
        return self.server.base_url

    async def __aenter__(self) -> Lab:
        try:
            from playwright.async_api import async_playwright
        except ImportError as exc:
            raise Skip(f"playwright is not installed ({exc})") from None
        _check_tools()
        server = jupyter_lab(
            self.root,
            websocket_compression=self.websocket_compression,
            server_args=self.server_args,
        )
        self.lab = await asyncio.to_thread(self._server.enter_context, server)
        if self._count_wire_bytes:
            port = int(self.server.base_url.rsplit(":", 1)[1])
            self.proxy = await ByteCountingProxy(port).__aenter__()
        self._pw = await async_playwright().start()
        self._browser = await launch_chromium(self._pw, self.mic_wav)
        self.context = await self._browser.new_context()
        await self.context.grant_permissions(["microphone"], origin=self.base)
        return self

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
        await asyncio.to_thread(self._server.close)

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
        write_notebook(self.root / name, cells)
        page = await self.context.new_page()
        page.on("websocket", self._on_websocket)
        await page.goto(self.server.lab_url(name, base_url=self.base), timeout=timeout * 1000)
        await page.wait_for_selector(".jp-Notebook", timeout=timeout * 1000)
        await page.wait_for_function(KERNEL_IDLE_JS, timeout=timeout * 1000)
        await page.evaluate(RUN_ALL_JS)
        return page

    async def wait_for_json(self, name: str, timeout: float) -> Any:
        """Wait until the notebook wrote ``root/name`` and return its parsed content."""
        path = self.root / name

        def written() -> Any:
            try:
                return json.loads(path.read_text())
            except (OSError, json.JSONDecodeError):
                return None  # not there yet, or still being written

        try:
            return await eventually_async(written, timeout=timeout, interval=0.2, what=name)
        except TimeoutError:
            log = tail(self.server.log, 2000)
            message = f"the notebook did not write {name} in {timeout:.0f} s\n{log}"
            raise TimeoutError(message) from None


def _check_tools() -> None:
    if not Path(CHROMIUM).exists():
        raise Skip(f"no Chromium at {CHROMIUM}")
    if shutil.which("jupyter", path=str(Path(sys.executable).parent)) is None:
        raise Skip("jupyter is not installed next to this Python")
