"""Run the emulator in a child process, so speech engines never compete with the caller's loop.

The child is ``python -m nextevi_widgets.emulator --port 0 --print-port --watch-stdin
--parent-pid <pid>``: it reports its bound port on stdout and exits when its stdin pipe closes
(which happens when this process exits or dies) or when it is re-parented. ``stop()`` is also
registered with :mod:`atexit`.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import os
import queue
import subprocess
import sys
import tempfile
import threading
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import IO

__all__ = ["READY_PREFIX", "EmulatorProcess", "EmulatorStartError"]

READY_PREFIX = "NEXTEVI_EMULATOR_PORT="


class EmulatorStartError(RuntimeError):
    """The emulator child process did not report a port (its log tail is in the message)."""


class EmulatorProcess:
    """A NextEVI emulator running in a child process.

    ::

        with EmulatorProcess(profile="deterministic") as emu:
            url = emu.url  # ws://127.0.0.1:<port>/ws/voice

    ``extra_args`` are passed to ``nextevi-widgets emulator`` (e.g. ``["--wav-chunks"]``).
    The child's log (stderr) goes to a temporary file, readable with :meth:`log_text`.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        profile: str | None = None,
        extra_args: Sequence[str] = (),
        log_level: str = "warning",
        preload: bool = False,
        startup_timeout: float = 60.0,
        python: str | None = None,
    ) -> None:
        self.host = host
        self.requested_port = port
        self.profile = profile
        self.extra_args = tuple(extra_args)
        self.log_level = log_level
        self.preload = preload
        self.startup_timeout = startup_timeout
        self.python = python or sys.executable
        self._proc: subprocess.Popen[str] | None = None
        self._port: int | None = None
        self._log: IO[bytes] | None = None
        self._lock = threading.Lock()

    # ---------------------------------------------------------------- properties

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("the emulator process is not started")
        return self._port

    @property
    def url(self) -> str:
        """``ws://host:port/ws/voice``; clients append ``/{connection_id}?...``."""
        host = "127.0.0.1" if self.host in ("", "0.0.0.0", "::") else self.host
        return f"ws://{host}:{self.port}/ws/voice"

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def log_text(self) -> str:
        """Everything the child has logged so far."""
        if self._log is None:
            return ""
        self._log.flush()
        return Path(self._log.name).read_text(encoding="utf-8", errors="replace")

    # ---------------------------------------------------------------- start / stop

    def _command(self) -> list[str]:
        cmd = [
            self.python,
            "-m",
            "nextevi_widgets.emulator",
            "--host",
            self.host,
            "--port",
            str(self.requested_port),
            "--print-port",
            "--watch-stdin",
            "--parent-pid",
            str(os.getpid()),
            "--log-level",
            self.log_level,
        ]
        if self.profile:
            cmd += ["--profile", self.profile]
        if self.preload:
            cmd.append("--preload")
        return cmd + list(self.extra_args)

    def _env(self) -> dict[str, str]:
        env = dict(os.environ)
        # Make this very package importable in the child even when it is not installed.
        root = str(Path(__file__).resolve().parents[2])
        env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH")) if p)
        env.setdefault("PYTHONUNBUFFERED", "1")
        return env

    def start(self) -> EmulatorProcess:
        """Launch the child and block until it reports its port; returns self."""
        with self._lock:
            if self.running:
                return self
            self._log = tempfile.NamedTemporaryFile(  # noqa: SIM115 - lives as long as self
                prefix="nextevi-emulator-", suffix=".log", delete=False
            )
            proc = subprocess.Popen(
                self._command(),
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=self._log,
                env=self._env(),
                text=True,
                bufsize=1,
            )
            self._proc = proc
            atexit.register(self.stop)
            lines: queue.Queue[str | None] = queue.Queue()
            threading.Thread(
                target=_pump, args=(proc, lines), name="nextevi-emulator-stdout", daemon=True
            ).start()
            try:
                self._port = self._await_port(proc, lines)
            except BaseException:
                self._kill(proc)
                raise
            return self

    def _await_port(self, proc: subprocess.Popen[str], lines: queue.Queue[str | None]) -> int:
        try:
            while True:
                line = lines.get(timeout=self.startup_timeout)
                if line is None:
                    break
                if line.startswith(READY_PREFIX):
                    return int(line[len(READY_PREFIX) :].strip())
        except queue.Empty:
            pass
        code = proc.poll()
        state = f"exited with status {code}" if code is not None else "did not report a port"
        tail = self.log_text()[-2000:]
        raise EmulatorStartError(f"emulator process {state}; log tail:\n{tail}")

    def stop(self, timeout: float = 5.0) -> None:
        """Ask the child to exit (close its stdin), then terminate, then kill."""
        with self._lock:
            proc, self._proc = self._proc, None
            self._port = None
        atexit.unregister(self.stop)
        if proc is None:
            return
        if proc.stdin is not None:
            with contextlib.suppress(OSError):
                proc.stdin.close()
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self._kill(proc, timeout)
        if proc.stdout is not None:
            proc.stdout.close()
        log, self._log = self._log, None
        if log is not None:
            log.close()
            Path(log.name).unlink(missing_ok=True)

    @staticmethod
    def _kill(proc: subprocess.Popen[str], timeout: float = 5.0) -> None:
        proc.terminate()
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()

    async def astart(self) -> EmulatorProcess:
        """:meth:`start` without blocking the running event loop."""
        return await asyncio.to_thread(self.start)

    async def astop(self) -> None:
        await asyncio.to_thread(self.stop)

    def __enter__(self) -> EmulatorProcess:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    async def __aenter__(self) -> EmulatorProcess:
        return await self.astart()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.astop()

    def __repr__(self) -> str:
        state = f"port={self._port}" if self.running else "stopped"
        return f"EmulatorProcess({self.host!r}, {state})"


def _pump(proc: subprocess.Popen[str], lines: queue.Queue[str | None]) -> None:
    """Forward the child's stdout lines (and keep draining so the pipe never fills)."""
    stream = proc.stdout
    if stream is None:
        lines.put(None)
        return
    try:
        for line in stream:
            lines.put(line)
    except (OSError, ValueError):
        pass
    lines.put(None)
