"""PocketSphinx recognition in worker processes.

PocketSphinx holds the GIL while it decodes, so in one process every connection's recogniser
shares a single core however many threads run them. :class:`RecognitionWorkers` runs the
recognisers in a few child processes instead (fresh interpreters, see :class:`_Worker`). Each
connection's recogniser lives in one worker for its lifetime (the decoder is stateful), placed
on the worker with the fewest open recognisers. Calls block the
calling thread on a pipe, which releases the GIL, so the emulator's listen threads decode in
parallel.

The emulator uses workers when started with ``stt_workers > 0`` (``--stt-workers``); the
``default`` and ``neural`` profiles then build their recogniser through :func:`make_recognizer`.
"""

from __future__ import annotations

import logging
import os
import socket
import subprocess
import sys
import threading
import weakref
from collections import deque
from collections.abc import Sequence
from multiprocessing.connection import Connection
from typing import Any

import numpy as np

from .base import EngineUnavailableError, Int16Array, RecognitionResult, SpeechRecognizer

__all__ = [
    "WORKERS_SUPPORTED",
    "RecognitionWorkers",
    "RemoteRecognizer",
    "acquire_recognition_workers",
    "decoder_stats",
    "make_recognizer",
    "release_recognition_workers",
    "running_recognition_workers",
]

logger = logging.getLogger(__name__)

_START_TIMEOUT = 60.0
WORKERS_SUPPORTED = sys.platform != "win32"
"""Workers inherit their end of the pipe as a file descriptor (``pass_fds``): POSIX only."""


def _serve(conn: Connection) -> None:  # pragma: no cover - runs in the worker process
    """Worker main loop: ``(op, id, arg)`` requests; every op but ``close`` is answered with
    ``("ok", value)`` or ``("error", kind, message)``."""
    from .stt import PocketSphinxRecognizer, shared_decoder_pool

    shared_decoder_pool().preload()
    recognizers: dict[int, PocketSphinxRecognizer] = {}
    conn.send(("ok", None))
    while True:
        try:
            op, rid, arg = conn.recv()
        except (EOFError, OSError):
            return
        if op == "close":
            recognizers.pop(rid, None)
            continue
        try:
            if op == "open":
                recognizers[rid] = PocketSphinxRecognizer(arg)
                value: Any = None
            elif op == "start":
                recognizers[rid].start_utterance()
                value = None
            elif op == "feed":
                value = recognizers[rid].feed(np.frombuffer(arg, dtype="<i2"))
            elif op == "end":
                value = recognizers[rid].end_utterance()
            elif op == "stats":
                pool = shared_decoder_pool()
                value = {"leased": pool.leased, "idle": pool.idle}
            else:
                raise ValueError(f"unknown recognition request {op!r}")
            conn.send(("ok", value))
        except Exception as exc:
            conn.send(("error", type(exc).__name__, str(exc)))


class _Worker:
    """One child process and the pipe to it (one request at a time, under ``lock``).

    The child is a plain ``python -m`` of this module with its end of a socket pair, rather
    than a multiprocessing "spawn" child: those re-import the parent's ``__main__``, which a
    script or notebook need not guard. It exits when the pipe closes (the parent is gone)."""

    def __init__(self) -> None:
        if not WORKERS_SUPPORTED:
            raise EngineUnavailableError("recognition workers need a POSIX system (pass_fds)")
        parent, child = socket.socketpair()
        self.process = subprocess.Popen(
            [sys.executable, "-m", __name__, str(child.fileno())],
            pass_fds=(child.fileno(),),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        child.close()
        self.conn = Connection(parent.detach())
        self.lock = threading.Lock()
        self.open = 0
        self.pending_close: deque[int] = deque()
        self.pid: int | None = self.process.pid

    def wait_ready(self) -> None:
        try:
            ready = self.conn.poll(_START_TIMEOUT)
            reply = self.conn.recv() if ready else None
        except (EOFError, OSError):
            reply = None
        if reply is None or reply[0] != "ok":
            self.stop()
            stderr = (
                self.process.stderr.read().decode(errors="replace") if self.process.stderr else ""
            )
            raise EngineUnavailableError(
                "a speech recognition worker did not start"
                + (f": {stderr[-500:]}" if stderr else "")
            )

    def call(self, op: str, rid: int, arg: Any = None) -> Any:
        with self.lock:
            try:
                while self.pending_close:
                    self.conn.send(("close", self.pending_close.popleft(), None))
                self.conn.send((op, rid, arg))
                reply = self.conn.recv()
            except (EOFError, OSError, BrokenPipeError) as exc:
                raise EngineUnavailableError(
                    f"the speech recognition worker (pid {self.pid}) is gone: {exc!r}"
                ) from None
        if reply[0] == "ok":
            return reply[1]
        _, kind, message = reply
        if kind == "ValueError":
            raise ValueError(message)
        raise RuntimeError(f"speech recognition worker: {kind}: {message}")

    def stop(self) -> None:
        self.conn.close()
        try:
            self.process.wait(2.0)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(2.0)
        if self.process.stderr is not None:
            self.process.stderr.close()


class RemoteRecognizer:
    """A :class:`~.stt.PocketSphinxRecognizer` living in a worker process (same interface)."""

    def __init__(self, worker: _Worker, rid: int, phrases: Sequence[str] | None) -> None:
        self._worker = worker
        self._rid = rid
        worker.call("open", rid, list(phrases) if phrases is not None else None)
        self.phrase_mode = phrases is not None
        # Closed lazily by the worker's next caller: a finaliser may run inside a call.
        weakref.finalize(self, _release, worker, rid)

    @property
    def worker_pid(self) -> int | None:
        return self._worker.pid

    def start_utterance(self) -> None:
        self._worker.call("start", self._rid)

    def feed(self, audio: Int16Array) -> str | None:
        if audio.size == 0:
            return None
        data = np.ascontiguousarray(audio, dtype="<i2").tobytes()
        result: str | None = self._worker.call("feed", self._rid, data)
        return result

    def end_utterance(self) -> RecognitionResult:
        result: RecognitionResult = self._worker.call("end", self._rid)
        return result


def _release(worker: _Worker, rid: int) -> None:
    # No lock: a finaliser can run while its thread holds one. ``open`` only guides placement.
    worker.open -= 1
    worker.pending_close.append(rid)


class RecognitionWorkers:
    """``processes`` recognition workers; :meth:`recognizer` places a new recogniser on the
    least busy one. Start-up waits until every worker has loaded its decoder."""

    def __init__(self, processes: int) -> None:
        if processes < 1:
            raise ValueError("processes must be >= 1")
        self._workers = [_Worker() for _ in range(processes)]
        self._lock = threading.Lock()
        self._next_id = 0
        try:
            for worker in self._workers:
                worker.wait_ready()
        except BaseException:
            self.close()
            raise

    @property
    def processes(self) -> int:
        return len(self._workers)

    @property
    def pids(self) -> list[int | None]:
        return [w.pid for w in self._workers]

    def load(self) -> list[int]:
        """Open recognisers per worker."""
        return [w.open for w in self._workers]

    def decoder_stats(self) -> list[dict[str, int | None]]:
        """Per worker: its pid and the decoders it holds (``leased`` to recognisers, ``idle``
        in its pool), as the worker itself counts them after every earlier request."""
        stats = []
        for worker in self._workers:
            counts = worker.call("stats", 0)
            stats.append({"pid": worker.pid, "leased": counts["leased"], "idle": counts["idle"]})
        return stats

    def recognizer(self, phrases: Sequence[str] | None = None) -> RemoteRecognizer:
        with self._lock:
            worker = min(self._workers, key=lambda w: w.open)
            worker.open += 1
            self._next_id += 1
            rid = self._next_id
        try:
            return RemoteRecognizer(worker, rid, phrases)
        except BaseException:
            with self._lock:
                worker.open -= 1
            raise

    def close(self) -> None:
        for worker in self._workers:
            worker.stop()


_shared: RecognitionWorkers | None = None
_wanted = 0
_users = 0
_shared_lock = threading.Lock()


def acquire_recognition_workers(processes: int) -> None:
    """Ask for ``processes`` workers in this process (started by the first recogniser that
    needs them, so a server whose connections never use PocketSphinx never spawns them); pair
    with :func:`release_recognition_workers`."""
    global _wanted, _users
    if processes < 1:
        raise ValueError("processes must be >= 1")
    with _shared_lock:
        _wanted = max(_wanted, processes)
        _users += 1


def release_recognition_workers() -> None:
    global _shared, _users, _wanted
    with _shared_lock:
        _users = max(0, _users - 1)
        if _users == 0:
            _wanted = 0
            if _shared is not None:
                _shared.close()
                _shared = None


def running_recognition_workers() -> RecognitionWorkers | None:
    """The workers of this process, if started."""
    return _shared


def decoder_stats() -> list[dict[str, int | None]]:
    """The PocketSphinx decoders of this process (when it has loaded any) and of its
    recognition workers: ``pid``, ``leased`` and ``idle`` per process. Blocks on each worker."""
    stats: list[dict[str, int | None]] = []
    stt = sys.modules.get(f"{__package__}.stt")
    if stt is not None:
        pool = stt.shared_decoder_pool()
        if pool.created:
            stats.append({"pid": os.getpid(), "leased": pool.leased, "idle": pool.idle})
    workers = _shared
    if workers is not None:
        stats += workers.decoder_stats()
    return stats


def make_recognizer(phrases: Sequence[str] | None = None) -> SpeechRecognizer:
    """A PocketSphinx recogniser: in a worker when workers were asked for, else in this
    process."""
    global _shared
    global _wanted
    with _shared_lock:
        if _shared is None and _wanted:
            try:
                _shared = RecognitionWorkers(_wanted)
                logger.info("speech recognition in %d worker processes", _wanted)
            except (OSError, EngineUnavailableError) as exc:
                # Recognition still works in this process, on one core: say so, once.
                logger.warning("recognition workers unavailable (%s); decoding in-process", exc)
                _wanted = 0
        workers = _shared
    if workers is not None:
        return workers.recognizer(phrases)
    from .stt import PocketSphinxRecognizer

    return PocketSphinxRecognizer(phrases)


if __name__ == "__main__":  # pragma: no cover - the worker process
    _serve(Connection(int(sys.argv[1])))
