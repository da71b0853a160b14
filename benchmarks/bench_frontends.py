"""Time to a connected session per front end: JupyterLab, Notebook 7, Voila and marimo, in
headless Debian Chromium, each on a fresh kernel, with the README's cell
(``chat = VoiceChat(); chat.connect(); chat`` — the embedded emulator on its default profile).

Times are read from the page's own clock (``performance.now()``, 0 at navigation), polled every
20 ms by a script installed before the page loads: when the widget first renders
(``.nextevi-voice-chat`` in the DOM, shadow roots included) and when its status pill first says
``connected``. JupyterLab and Notebook 7 open the notebook, wait for an idle kernel, then run
the cell: figures there start at the run. Voila and ``marimo run`` execute the notebook when
the page is opened: figures there start at the navigation and include starting the kernel.
The calibration loop of ``bench_calibration`` is timed in the same run.
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
from typing import Any

from .bench_calibration import _python_loop
from .harness import BenchSpec, Context, Metric, Skip
from .lab import TOKEN, Lab

CELL = "from nextevi_widgets import VoiceChat\nchat = VoiceChat()\nchat.connect()\nchat"

MARIMO_NOTEBOOK = """import marimo

app = marimo.App()


@app.cell
def _():
    import marimo as mo
    from nextevi_widgets import VoiceChat

    chat = VoiceChat()
    chat.connect()
    mo.ui.anywidget(chat)
    return


if __name__ == "__main__":
    app.run()
"""

MARKS_SCRIPT = """(() => {
  const marks = (window.__nvcMarks = {});
  const find = (sel, root) => {
    const hit = root.querySelector(sel);
    if (hit) return hit;
    for (const el of root.querySelectorAll('*')) {
      if (el.shadowRoot) {
        const inner = find(sel, el.shadowRoot);
        if (inner) return inner;
      }
    }
    return null;
  };
  const timer = setInterval(() => {
    if (!document.body) return;
    const widget = find('.nextevi-voice-chat', document);
    if (widget && marks.render === undefined) marks.render = performance.now();
    const pill = widget && widget.querySelector('.nvc-pill');
    if (pill && pill.dataset.state === 'connected') {
      marks.connected = performance.now();
      clearInterval(timer);
    }
  }, 20);
})();"""

RUN_WHEN_IDLE = """() => {
  const app = window.jupyterapp;
  const panel = app && app.shell.currentWidget;
  const kernel = panel && panel.sessionContext && panel.sessionContext.session
    && panel.sessionContext.session.kernel;
  if (!kernel || kernel.status !== 'idle' || !panel.content.widgets.length) return null;
  window.__nvcMarks.run = performance.now();
  app.commands.execute('notebook:run-all-cells');
  return window.__nvcMarks.run;
}"""

CONNECT_TIMEOUT_S = 120.0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


async def _marks(page: Any, timeout: float = CONNECT_TIMEOUT_S) -> dict[str, float]:
    await page.wait_for_function(
        "() => window.__nvcMarks && window.__nvcMarks.connected !== undefined",
        timeout=timeout * 1000,
        polling=100,
    )
    marks: dict[str, float] = await page.evaluate("() => window.__nvcMarks")
    return marks


async def _shutdown_kernels(base: str) -> None:
    """Delete every kernel session of the server (a fresh kernel for every run)."""

    def call(method: str, path: str) -> bytes:
        request = urllib.request.Request(f"{base}{path}?token={TOKEN}", method=method)
        with urllib.request.urlopen(request, timeout=30) as response:
            data: bytes = response.read()
            return data

    sessions = json.loads(await asyncio.to_thread(call, "GET", "/api/sessions"))
    for session in sessions:
        await asyncio.to_thread(call, "DELETE", f"/api/sessions/{session['id']}")
    kernels = json.loads(await asyncio.to_thread(call, "GET", "/api/kernels"))
    for kernel in kernels:
        await asyncio.to_thread(call, "DELETE", f"/api/kernels/{kernel['id']}")


async def _notebook_run(lab: Lab, url: str, *, by_run: bool) -> dict[str, float]:
    page = await lab.context.new_page()
    try:
        await page.add_init_script(MARKS_SCRIPT)
        await page.goto(url, timeout=120_000)
        if by_run:
            deadline = time.monotonic() + 120
            while await page.evaluate(RUN_WHEN_IDLE) is None:
                if time.monotonic() > deadline:
                    raise TimeoutError("the kernel never became idle")
                await asyncio.sleep(0.1)
        return await _marks(page)
    finally:
        await page.close()
        await _shutdown_kernels(f"http://127.0.0.1:{lab.port}")


class _Marimo:
    """``marimo run`` serving a one-cell notebook on a free port."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.port = _free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> _Marimo:
        marimo = shutil.which("marimo", path=str(Path(sys.executable).parent))
        if marimo is None:
            raise Skip("marimo is not installed (dev extra)")
        notebook = self.root / "marimo_connect.py"
        notebook.write_text(MARIMO_NOTEBOOK)
        self.log = (self.root / "marimo.log").open("wb")
        self.proc = subprocess.Popen(
            [
                *(marimo, "-q", "-y", "run", str(notebook), "--headless", "--no-token"),
                *("--host=127.0.0.1", f"--port={self.port}"),
            ],
            cwd=self.root,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            env={**os.environ, "MARIMO_SKIP_UPDATE_CHECK": "1"},
        )
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{self.port}/health", timeout=2).close()
                return self
            except OSError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("marimo run did not start; see marimo.log") from None
                time.sleep(0.25)

    def __exit__(self, *exc: object) -> None:
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        self.log.close()


async def _marimo_run(lab: Lab, url: str) -> dict[str, float]:
    page = await lab.context.new_page()
    try:
        await page.add_init_script(MARKS_SCRIPT)
        await page.goto(url, timeout=120_000)
        return await _marks(page)
    finally:
        await page.close()


def _metrics(front_end: str, runs: list[dict[str, float]], start: str, note: str) -> list[Metric]:
    return [
        Metric.from_samples(
            f"{front_end}: {start} → widget rendered",
            "s",
            [(m["render"] - m.get("run", 0.0)) / 1000 for m in runs],
        ),
        Metric.from_samples(
            f"{front_end}: {start} → connected",
            "s",
            [(m["connected"] - m.get("run", 0.0)) / 1000 for m in runs],
            note=note,
        ),
    ]


async def run(ctx: Context) -> list[Metric]:
    repeats = ctx.pick(5, 2)
    calibration = [_python_loop() for _ in range(ctx.pick(20, 5))]
    (ctx.workdir / "connect.ipynb").write_text(_notebook_json(CELL))
    results: dict[str, list[dict[str, float]]] = {
        "JupyterLab": [],
        "Notebook 7": [],
        "Voila": [],
        "marimo": [],
    }
    async with Lab(
        ctx.workdir, server_args=("--JupyterNotebookApp.expose_app_in_browser=True",)
    ) as lab:
        base = f"http://127.0.0.1:{lab.port}"
        urls = {
            "JupyterLab": f"{base}/lab/workspaces/bench/tree/connect.ipynb?reset&token={TOKEN}",
            "Notebook 7": f"{base}/notebooks/connect.ipynb?token={TOKEN}",
            "Voila": f"{base}/voila/render/connect.ipynb?token={TOKEN}",
        }
        with _Marimo(ctx.workdir) as marimo:
            for _ in range(repeats):  # interleaved: slow phases of the machine hit all alike
                for name in ("JupyterLab", "Notebook 7"):
                    results[name].append(await _notebook_run(lab, urls[name], by_run=True))
                results["Voila"].append(await _notebook_run(lab, urls["Voila"], by_run=False))
                results["marimo"].append(await _marimo_run(lab, f"http://127.0.0.1:{marimo.port}"))
    metrics: list[Metric] = []
    note_run = "from running the cell on an idle kernel"
    note_open = "from opening the page: includes starting the kernel"
    metrics += _metrics("JupyterLab", results["JupyterLab"], "cell run", note_run)
    metrics += _metrics("Notebook 7", results["Notebook 7"], "cell run", note_run)
    metrics += _metrics("Voila", results["Voila"], "page open", note_open)
    metrics += _metrics("marimo run", results["marimo"], "page open", note_open)
    metrics.append(
        Metric.from_samples(
            "calibration: python loop (200k iterations)",
            "ms",
            calibration,
            note="same workload as the calibration benchmark, timed in this run",
        )
    )
    return metrics


def _notebook_json(source: str) -> str:
    return json.dumps(
        {
            "nbformat": 4,
            "nbformat_minor": 5,
            "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3"}},
            "cells": [
                {
                    "cell_type": "code",
                    "id": "connect",
                    "metadata": {},
                    "execution_count": None,
                    "outputs": [],
                    "source": source,
                }
            ],
        }
    )


SPEC = BenchSpec(
    "frontends",
    "time from running the cell to a rendered widget and a connected session, per front end",
    run,
)
