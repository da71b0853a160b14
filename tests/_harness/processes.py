"""Server processes under test: a free port, then start, wait until a URL answers, and stop."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

from .waiting import eventually


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def tail(path: Path, chars: int = 3000) -> str:
    try:
        return path.read_text(errors="replace")[-chars:]
    except OSError:
        return ""


@contextlib.contextmanager
def served(
    argv: Sequence[str],
    *,
    ready_url: str,
    log: Path,
    cwd: Path,
    env: Mapping[str, str] | None = None,
    timeout: float = 90.0,
) -> Iterator[subprocess.Popen[bytes]]:
    """Run ``argv`` (output to ``log``) until ``ready_url`` answers an HTTP GET; stop it (and
    its process group) on exit. A process that exits first fails with the end of its log."""
    with log.open("wb") as out:
        proc = subprocess.Popen(
            list(argv),
            cwd=cwd,
            env=dict(env) if env is not None else None,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    name = Path(argv[0]).name

    def answers() -> bool:
        if proc.poll() is not None:
            raise RuntimeError(f"{name} exited ({proc.returncode}): {tail(log)}")
        try:
            urllib.request.urlopen(ready_url, timeout=5).close()
        except OSError:
            return False
        return True

    try:
        eventually(answers, timeout=timeout, interval=0.25, what=f"{name} to answer {ready_url}")
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
