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
import contextlib
import os
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from tests._harness.lab import JupyterLab, write_notebook
from tests._harness.processes import free_port, served
from tests._harness.waiting import eventually_async

from .harness import BenchSpec, Context, Metric, Skip, python_loop
from .lab import Lab

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


async def _marks(page: Any, timeout: float = CONNECT_TIMEOUT_S) -> dict[str, float]:
    await page.wait_for_function(
        "() => window.__nvcMarks && window.__nvcMarks.connected !== undefined",
        timeout=timeout * 1000,
        polling=100,
    )
    marks: dict[str, float] = await page.evaluate("() => window.__nvcMarks")
    return marks


async def _shutdown_kernels(server: JupyterLab) -> None:
    """Delete every kernel session of the server (a fresh kernel for every run)."""
    for session in await asyncio.to_thread(server.api, "GET", "/api/sessions"):
        await asyncio.to_thread(server.api, "DELETE", f"/api/sessions/{session['id']}")
    for kernel in await asyncio.to_thread(server.api, "GET", "/api/kernels"):
        await asyncio.to_thread(server.api, "DELETE", f"/api/kernels/{kernel['id']}")


async def _notebook_run(lab: Lab, url: str, *, by_run: bool) -> dict[str, float]:
    page = await lab.context.new_page()
    try:
        await page.add_init_script(MARKS_SCRIPT)
        await page.goto(url, timeout=120_000)
        if by_run:
            await eventually_async(
                lambda: page.evaluate(RUN_WHEN_IDLE),
                timeout=120,
                interval=0.1,
                what="an idle kernel to run the cell on",
            )
        return await _marks(page)
    finally:
        await page.close()
        await _shutdown_kernels(lab.server)


@contextlib.contextmanager
def _marimo(root: Path) -> Iterator[str]:
    """``marimo run`` serving a one-cell notebook on a free port; yields its URL."""
    marimo = shutil.which("marimo", path=str(Path(sys.executable).parent))
    if marimo is None:
        raise Skip("marimo is not installed (dev extra)")
    notebook = root / "marimo_connect.py"
    notebook.write_text(MARIMO_NOTEBOOK)
    url = f"http://127.0.0.1:{free_port()}"
    argv = [marimo, "-q", "-y", "run", str(notebook), "--headless", "--no-token"]
    argv += ["--host=127.0.0.1", f"--port={url.rsplit(':', 1)[1]}"]
    env = {**os.environ, "MARIMO_SKIP_UPDATE_CHECK": "1"}
    with served(argv, ready_url=f"{url}/health", log=root / "marimo.log", cwd=root, env=env):
        yield url


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
    calibration = [python_loop()[0] for _ in range(ctx.pick(20, 5))]
    write_notebook(ctx.workdir / "connect.ipynb", [CELL])
    results: dict[str, list[dict[str, float]]] = {
        "JupyterLab": [],
        "Notebook 7": [],
        "Voila": [],
        "marimo": [],
    }
    async with Lab(
        ctx.workdir, server_args=("--JupyterNotebookApp.expose_app_in_browser=True",)
    ) as lab:
        base, token = lab.server.base_url, lab.server.token
        urls = {
            "JupyterLab": lab.server.lab_url("connect.ipynb"),
            "Notebook 7": f"{base}/notebooks/connect.ipynb?token={token}",
            "Voila": f"{base}/voila/render/connect.ipynb?token={token}",
        }
        with _marimo(ctx.workdir) as marimo_url:
            for _ in range(repeats):  # interleaved: slow phases of the machine hit all alike
                for name in ("JupyterLab", "Notebook 7"):
                    results[name].append(await _notebook_run(lab, urls[name], by_run=True))
                results["Voila"].append(await _notebook_run(lab, urls["Voila"], by_run=False))
                results["marimo"].append(await _marimo_run(lab, marimo_url))
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


SPEC = BenchSpec(
    "frontends",
    "time from running the cell to a rendered widget and a connected session, per front end",
    run,
)
