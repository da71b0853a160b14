"""The ``nextevi-widgets demo`` subcommand.

* ``demo [JUPYTER ARGS...]`` opens JupyterLab on ``notebooks/01_quickstart.ipynb``.
* ``demo --headless [--wav PATH] [--profile NAME] [--text TEXT]...`` runs a conversation
  without a browser (:func:`nextevi_widgets._demo.run_headless`).

The demo's JupyterLab compresses its websockets (permessage-deflate): Jupyter Server leaves
that off by default, and each 20 ms microphone frame then costs ~1.5 bytes per PCM byte on the
wire because of the Jupyter message envelope; with compression the envelope's repeated parts
cost a few bytes (see README, "Bandwidth"). ``--no-websocket-compression`` keeps the default.

Module-level imports stay light: the CLI imports this module for every command.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
from pathlib import Path
from typing import Any

__all__ = ["QUICKSTART", "find_quickstart", "lab_environment", "register"]

QUICKSTART = Path("notebooks") / "01_quickstart.ipynb"


def register(subparsers: Any) -> None:
    """Add the ``demo`` subcommand to the ``nextevi-widgets`` parser."""
    parser = subparsers.add_parser(
        "demo",
        help="open JupyterLab on the quickstart notebook, or run it headless",
        description=(
            "Open JupyterLab on notebooks/01_quickstart.ipynb (extra arguments go to "
            "`jupyter lab`), or with --headless run a conversation with a WAV file as the "
            "microphone against the offline emulator and print what happened."
        ),
    )
    parser.add_argument("--headless", action="store_true", help="no browser: WAV in, text out")
    parser.add_argument("--wav", help="WAV file to use as the microphone (--headless)")
    parser.add_argument(
        "--profile", help="emulator engine profile (--headless; default: the emulator's default)"
    )
    parser.add_argument(
        "--text",
        action="append",
        help="a sentence to speak, one turn each; repeat for more turns (--headless)",
    )
    parser.add_argument(
        "--no-realtime",
        action="store_true",
        help="stream the WAV as fast as possible instead of at real-time pace (--headless)",
    )
    parser.add_argument(
        "--no-websocket-compression",
        action="store_true",
        help="leave Jupyter Server's websocket compression off (its default)",
    )
    parser.add_argument(
        "jupyter_args",
        nargs=argparse.REMAINDER,
        help="arguments for `jupyter lab` (after `--`, e.g. `demo -- --port 9999`)",
    )
    parser.set_defaults(func=run_demo)


def find_quickstart(start: Path | None = None) -> Path | None:
    """``notebooks/01_quickstart.ipynb`` in ``start`` (default: cwd) or the source checkout."""
    candidates = [(start or Path.cwd()) / QUICKSTART]
    candidates.append(Path(__file__).resolve().parents[1] / QUICKSTART)
    for path in candidates:
        if path.is_file():
            return path
    return None


def run_demo(args: argparse.Namespace) -> int:
    """Run the ``demo`` subcommand; returns the exit status."""
    extra = list(args.jupyter_args or [])
    if extra[:1] == ["--"]:
        extra = extra[1:]
    if args.headless:
        import asyncio

        from ._demo import run_headless

        wav = Path(args.wav) if args.wav else None
        asyncio.run(
            run_headless(wav, profile=args.profile, text=args.text, realtime=not args.no_realtime)
        )
        return 0
    notebook = find_quickstart()
    if notebook is None:
        print(f"nextevi-widgets demo: cannot find {QUICKSTART}", file=sys.stderr)
        return 1
    # Prefer the jupyter next to this interpreter (the venv), then PATH.
    search = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
    jupyter = shutil.which("jupyter", path=search)
    if jupyter is None:
        print("nextevi-widgets demo: `jupyter` not found (pip install jupyterlab)", file=sys.stderr)
        return 1
    command = [jupyter, "lab", str(notebook), *extra]
    env = dict(os.environ)
    if not args.no_websocket_compression:
        env = lab_environment(env, _config_home())
    os.execve(jupyter, command, env)
    return 0  # not reached


def _config_home() -> Path:
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache) / "nextevi-widgets" / "jupyter-config"


def lab_environment(env: dict[str, str], config_dir: Path) -> dict[str, str]:
    """``env`` with ``config_dir`` first on ``JUPYTER_CONFIG_PATH``, holding a Jupyter Server
    config that turns websocket compression on (the rest of the user's config still loads)."""
    config_dir.mkdir(parents=True, exist_ok=True)
    config: dict[str, dict[str, object]] = {"ServerApp": {"websocket_compression_options": {}}}
    (config_dir / "jupyter_server_config.json").write_text(json.dumps(config, indent=2) + "\n")
    paths = [str(config_dir), *filter(None, env.get("JUPYTER_CONFIG_PATH", "").split(os.pathsep))]
    return {**env, "JUPYTER_CONFIG_PATH": os.pathsep.join(paths)}
