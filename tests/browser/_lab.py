"""Helpers that drive JupyterLab in Chromium and read facts back from the notebook's kernel."""

from __future__ import annotations

import json
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nbformat

CHROMIUM = "/usr/bin/chromium"

_BASE_FLAGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--autoplay-policy=no-user-gesture-required",
    # The page is headless and unfocused: timers and rendering must not be throttled.
    "--disable-background-timer-throttling",
    "--disable-renderer-backgrounding",
    "--disable-backgrounding-occluded-windows",
)

_MARK = "__NEXTEVI_PROBE__"


def chromium_args(fake_mic_wav: Path | None, *, fake_ui: bool = True) -> list[str]:
    """Flags for headless Debian Chromium as root; a looped WAV as the microphone when given.
    ``fake_ui=False`` leaves permission prompts to the page's permissions (denied)."""
    args = list(_BASE_FLAGS)
    args.append("--use-fake-device-for-media-stream")
    if fake_ui:
        args.append("--use-fake-ui-for-media-stream")
    else:
        args.append("--deny-permission-prompts")
    if fake_mic_wav is not None:
        args.append(f"--use-file-for-fake-audio-capture={fake_mic_wav.resolve()}")
    return args


@dataclass
class JupyterLab:
    base_url: str
    token: str
    root: Path
    runtime_dir: Path
    test_key: str
    """A recognisable fake API key in the kernels' environment (NEXTEVI_BROWSER_TEST_KEY)."""

    def api(self, method: str, path: str, body: Any = None) -> Any:
        sep = "&" if "?" in path else "?"
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            f"{self.base_url}{path}{sep}token={self.token}", data=data, method=method
        )
        request.add_header("Content-Type", "application/json")
        with urllib.request.urlopen(request, timeout=30) as response:
            raw = response.read()
        return json.loads(raw) if raw else None

    def lab_url(self, notebook: str) -> str:
        # A fresh workspace per notebook: JupyterLab would otherwise reopen earlier tabs.
        workspace = notebook.rsplit(".", 1)[0].replace("/", "-")
        return (
            f"{self.base_url}/lab/workspaces/{workspace}/tree/{notebook}?reset&token={self.token}"
        )


def wait_for(
    predicate: Callable[[], Any], *, timeout: float, interval: float = 0.5, what: str = ""
) -> Any:
    """Poll until ``predicate()`` is truthy; return its value. Raise with ``what`` on timeout."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = predicate()
        if last:
            return last
        time.sleep(interval)
    raise TimeoutError(f"timed out after {timeout:.0f}s waiting for {what} (last: {last!r})")


_KERNEL_IDLE_JS = """() => {
  const w = window.jupyterapp && window.jupyterapp.shell.currentWidget;
  const kernel = w && w.sessionContext && w.sessionContext.session
    && w.sessionContext.session.kernel;
  return !!kernel && kernel.status === 'idle' && w.content && w.content.widgets.length > 0;
}"""


class LabNotebook:
    """A notebook written into the lab root, opened in ``page`` and run; ``probe`` evaluates a
    Python expression in the same kernel (through a second client on its connection file)."""

    def __init__(self, lab: JupyterLab, page: Any, name: str, cells: list[str]) -> None:
        self.lab = lab
        self.page = page
        self.name = name
        self.path = lab.root / name
        notebook = nbformat.v4.new_notebook()
        notebook.cells = [nbformat.v4.new_code_cell(source) for source in cells]
        notebook.metadata["kernelspec"] = {
            "name": "python3",
            "display_name": "Python 3 (ipykernel)",
            "language": "python",
        }
        nbformat.write(notebook, self.path)
        self.kernel_id: str | None = None
        self._client: Any = None

    # Browser side ------------------------------------------------------------------------

    def open_and_run(self, *, widget_selector: str = ".nextevi-voice-chat") -> None:
        page = self.page
        page.goto(self.lab.lab_url(self.name), wait_until="domcontentloaded")
        page.wait_for_selector(".jp-Notebook", timeout=90_000)
        page.wait_for_function(_KERNEL_IDLE_JS, timeout=90_000)
        # Running cells right after load occasionally does nothing: retry until the widget shows.
        for attempt in range(4):
            page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")
            try:
                page.wait_for_selector(widget_selector, timeout=30_000 + attempt * 15_000)
                break
            except Exception:
                if attempt == 3:
                    raise
                page.wait_for_function(_KERNEL_IDLE_JS, timeout=60_000)
        self.kernel_id = self._find_kernel_id()

    def widget(self) -> Any:
        return self.page.locator(".nextevi-voice-chat").first

    def save(self) -> None:
        self.page.evaluate("() => window.jupyterapp.commands.execute('docmanager:save')")

    # Kernel side -------------------------------------------------------------------------

    def _find_kernel_id(self) -> str:
        def lookup() -> str | None:
            for session in self.lab.api("GET", "/api/sessions"):
                if session.get("path", "").endswith(self.name) and session.get("kernel"):
                    return str(session["kernel"]["id"])
            return None

        return str(wait_for(lookup, timeout=30, what=f"kernel session of {self.name}"))

    def _kernel(self) -> Any:
        if self._client is None:
            from jupyter_client import BlockingKernelClient

            assert self.kernel_id is not None
            client = BlockingKernelClient(
                connection_file=str(self.lab.runtime_dir / f"kernel-{self.kernel_id}.json")
            )
            client.load_connection_file()
            client.start_channels()
            # Not wait_for_ready(): it drains IOPub until it is quiet for 0.2 s, which never
            # happens while the microphone streams (every comm message publishes status).
            client.kernel_info(reply=True, timeout=30)
            self._client = client
        return self._client

    def probe(self, expression: str, *, timeout: float = 30) -> Any:
        """Evaluate ``expression`` in the notebook's kernel and return it (JSON round trip)."""
        code = f"import json as _j\nprint({_MARK!r} + _j.dumps({expression}, default=str))"
        return self._run(code, timeout=timeout)

    def execute(self, code: str, *, timeout: float = 30) -> None:
        """Run ``code`` in the kernel (like a cell typed elsewhere); raise if it fails."""
        self._run(code + f"\nprint({_MARK!r} + 'null')", timeout=timeout)

    def _run(self, code: str, *, timeout: float) -> Any:
        chunks: list[str] = []
        errors: list[str] = []

        def hook(msg: dict[str, Any]) -> None:
            kind = msg["header"]["msg_type"]
            if kind == "stream":
                chunks.append(msg["content"]["text"])
            elif kind == "error":
                errors.append("\n".join(msg["content"]["traceback"]))

        reply = self._kernel().execute_interactive(
            code, output_hook=hook, timeout=timeout, store_history=False
        )
        if errors or reply["content"]["status"] != "ok":
            raise RuntimeError(f"kernel code failed: {''.join(errors) or reply['content']}")
        for line in "".join(chunks).splitlines():
            if line.startswith(_MARK):
                return json.loads(line[len(_MARK) :])
        raise RuntimeError(f"no probe output: {''.join(chunks)!r}")

    def wait_until(self, expression: str, *, timeout: float = 60, what: str = "") -> Any:
        """Probe ``expression`` until it is truthy; return its value."""
        return wait_for(
            lambda: self.probe(expression), timeout=timeout, interval=0.5, what=what or expression
        )

    def shutdown(self) -> None:
        try:
            if self._client is not None:
                try:
                    self.execute(
                        "for _w in [v for v in list(globals().values()) "
                        "if type(v).__name__ == 'VoiceChat']:\n    _w.close()",
                        timeout=20,
                    )
                finally:
                    self._client.stop_channels()
        finally:
            if self.kernel_id is not None:
                for session in self.lab.api("GET", "/api/sessions"):
                    if session.get("kernel", {}).get("id") == self.kernel_id:
                        self.lab.api("DELETE", f"/api/sessions/{session['id']}")
