"""One JupyterLab server for browser tests and benchmarks: started on a free port with a token,
offline (no news or update checks), its app exposed to the page (``window.jupyterapp``) so
notebooks are run through JupyterLab's command registry rather than by clicking, which depends
on focus. Its settings, workspaces, runtime files and log live in ``root/.nextevi-jupyter``
(hidden from the file browser)."""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import sys
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .processes import free_port, served

INSECURE_HOST = "nextevi-insecure.test"
"""The server accepts it as its own name; browsers launched with ``--host-resolver-rules``
mapping it to 127.0.0.1 load pages that are not a secure context (only https, localhost and
loopback addresses are)."""

KERNEL_IDLE_JS = """() => {
  const w = window.jupyterapp && window.jupyterapp.shell.currentWidget;
  const kernel = w && w.sessionContext && w.sessionContext.session
    && w.sessionContext.session.kernel;
  return !!kernel && kernel.status === 'idle' && w.content && w.content.widgets.length > 0;
}"""
"""True once the current notebook's kernel is idle and its cells are shown."""

RUN_ALL_JS = "() => window.jupyterapp.commands.execute('notebook:run-all-cells')"


@dataclass
class JupyterLab:
    base_url: str
    token: str
    root: Path
    runtime_dir: Path
    log: Path
    kernel_env: dict[str, str]
    """What was added to the kernels' environment."""

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

    def lab_url(self, notebook: str, *, base_url: str | None = None) -> str:
        """The page of ``notebook`` in a workspace of its own (``reset``): only it is open and
        current, never tabs from earlier pages. ``base_url``: reach the server another way
        (a proxy)."""
        workspace = notebook.rsplit(".", 1)[0].replace("/", "-")
        base = base_url or self.base_url
        return f"{base}/lab/workspaces/{workspace}/tree/{notebook}?reset&token={self.token}"


def write_notebook(path: Path, cells: Sequence[str]) -> None:
    """A Python 3 notebook of code ``cells``, not yet run."""
    import nbformat

    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell(source) for source in cells]
    notebook.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3 (ipykernel)",
        "language": "python",
    }
    nbformat.write(notebook, path)


def _write_settings(settings: Path) -> None:
    """User settings: save widget state with the notebook; no news/update checks (offline)."""
    widget = settings / "@jupyter-widgets" / "jupyterlab-manager"
    widget.mkdir(parents=True, exist_ok=True)
    (widget / "plugin.jupyterlab-settings").write_text(json.dumps({"saveState": True}))
    notes = settings / "@jupyterlab" / "apputils-extension"
    notes.mkdir(parents=True, exist_ok=True)
    (notes / "notification.jupyterlab-settings").write_text(
        json.dumps({"fetchNews": "false", "checkForUpdates": False})
    )


@contextlib.contextmanager
def jupyter_lab(
    root: Path,
    *,
    websocket_compression: bool = False,
    server_args: Sequence[str] = (),
    env: Mapping[str, str] | None = None,
) -> Iterator[JupyterLab]:
    """JupyterLab serving ``root`` until the block ends.

    ``websocket_compression`` turns permessage-deflate on (off by default in Jupyter Server);
    ``server_args`` are more command-line options (other front ends' settings); ``env`` is
    added to the kernels' environment. No NextEVI credentials reach the kernels."""
    root.mkdir(parents=True, exist_ok=True)
    state = root / ".nextevi-jupyter"
    runtime = state / "runtime"
    runtime.mkdir(parents=True, exist_ok=True)
    _write_settings(state / "settings")
    config = state / "jupyter_server_config.json"
    # A dict (even empty) turns permessage-deflate on; None (Jupyter's default) keeps it off.
    compression: dict[str, Any] | None = {} if websocket_compression else None
    config.write_text(json.dumps({"ServerApp": {"websocket_compression_options": compression}}))
    port = free_port()
    token = secrets.token_hex(16)
    environ = {
        **os.environ,
        "JUPYTER_RUNTIME_DIR": str(runtime),
        "JUPYTER_PLATFORM_DIRS": "1",
        "PYTHONUNBUFFERED": "1",
        **(env or {}),
    }
    environ.pop("NEXTEVI_API_KEY", None)
    environ.pop("NEXTEVI_ACCESS_TOKEN", None)
    argv = [
        str(Path(sys.executable).parent / "jupyter"),
        "lab",
        "--allow-root",
        "--no-browser",
        f"--port={port}",
        "--ServerApp.ip=127.0.0.1",
        f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={root}",
        f"--config={config}",
        "--LabApp.expose_app_in_browser=True",
        f"--LabApp.user_settings_dir={state / 'settings'}",
        f"--LabApp.workspaces_dir={state / 'workspaces'}",
        "--LabApp.news_url=",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        "--ServerApp.disable_check_xsrf=True",
        # A name that is not localhost, for pages that must not be a secure context.
        "--ServerApp.local_hostnames=localhost",
        f"--ServerApp.local_hostnames={INSECURE_HOST}",
        *server_args,
    ]
    base_url = f"http://127.0.0.1:{port}"
    log = state / "jupyterlab.log"
    with served(argv, ready_url=f"{base_url}/api?token={token}", log=log, cwd=root, env=environ):
        yield JupyterLab(base_url, token, root, runtime, log, dict(env or {}))
