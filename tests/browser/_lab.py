"""Helpers that drive JupyterLab in Chromium and read facts back from the notebook's kernel."""

from __future__ import annotations

import json
from typing import Any

from _harness.lab import KERNEL_IDLE_JS, RUN_ALL_JS, JupyterLab, write_notebook
from _harness.waiting import eventually

_MARK = "__NEXTEVI_PROBE__"


class LabNotebook:
    """A notebook written into the lab root, opened in ``page`` and run; ``probe`` evaluates a
    Python expression in the same kernel (through a second client on its connection file)."""

    def __init__(self, lab: JupyterLab, page: Any, name: str, cells: list[str]) -> None:
        self.lab = lab
        self.page = page
        self.name = name
        self.path = lab.root / name
        write_notebook(self.path, cells)
        self.kernel_id: str | None = None
        self._client: Any = None

    # Browser side ------------------------------------------------------------------------

    def open_and_run(self, *, widget_selector: str = ".nextevi-voice-chat") -> None:
        page = self.page
        page.goto(self.lab.lab_url(self.name), wait_until="domcontentloaded")
        page.wait_for_selector(".jp-Notebook", timeout=90_000)
        page.wait_for_function(KERNEL_IDLE_JS, timeout=90_000)
        # Running cells right after load occasionally does nothing: retry until the widget shows.
        for attempt in range(4):
            page.evaluate(RUN_ALL_JS)
            try:
                page.wait_for_selector(widget_selector, timeout=30_000 + attempt * 15_000)
                break
            except Exception:
                if attempt == 3:
                    raise
                page.wait_for_function(KERNEL_IDLE_JS, timeout=60_000)
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

        return str(eventually(lookup, timeout=30, what=f"kernel session of {self.name}"))

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
        return eventually(
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
