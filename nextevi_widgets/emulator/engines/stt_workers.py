"""PocketSphinx recognition in worker processes.

PocketSphinx holds the GIL while it decodes, so in one process every connection's recogniser
shares a single core however many threads run them. :class:`RecognitionWorkers` runs the
recognisers in a few child processes instead (fresh interpreters, see :class:`_Worker`). Calls
block the calling thread on a pipe, which releases the GIL, so the emulator's listen threads
decode in parallel.

Decoder lifecycle (each costs ~95 MB in its worker): a connection's recogniser opens its decoder
when it first hears speech, on the worker with the fewest open decoders, and keeps it (the
decoder is stateful) until :meth:`RemoteRecognizer.close`, which the emulator calls when the
connection ends (through :meth:`EngineSet.close`). ``close`` is sent to the worker at once and
the worker frees the decoder before its next request: back into its pool (one idle decoder per
worker) or freed, with the heap trimmed so the memory goes back to the OS. Garbage collection
is only a fallback for recognisers nobody closed.

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
            closing = recognizers.pop(rid, None)
            if closing is not None:
                closing.close()
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

    def close_recognizer(self, rid: int) -> None:
        """Tell the worker to free ``rid``'s decoder now (no answer is awaited)."""
        with self.lock:
            try:
                while self.pending_close:
                    self.conn.send(("close", self.pending_close.popleft(), None))
                self.conn.send(("close", rid, None))
            except (OSError, BrokenPipeError):
                pass  # a worker that is gone holds no decoders

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
    """A :class:`~.stt.PocketSphinxRecognizer` living in a worker process (same interface).

    Its decoder is opened on first use (phrase mode: at once, so a bad phrase fails here) and
    freed by :meth:`close`."""

    def __init__(
        self, workers: RecognitionWorkers, rid: int, phrases: Sequence[str] | None
    ) -> None:
        self._workers = workers
        self._rid = rid
        self._phrases = list(phrases) if phrases is not None else None
        self.phrase_mode = phrases is not None
        self._worker: _Worker | None = None
        self._release: weakref.finalize[Any, Any] | None = None
        self._closed = False
        # Held while opening and closing, so a close from another thread waits for an open.
        self._state = threading.Lock()
        if self.phrase_mode:
            self._open()

    @property
    def worker_pid(self) -> int | None:
        """The worker holding this recogniser's decoder (None before it has one)."""
        worker = self._worker
        return worker.pid if worker is not None else None

    @property
    def has_decoder(self) -> bool:
        return self._worker is not None

    def _open(self) -> _Worker:
        worker = self._worker
        if worker is not None:
            return worker
        with self._state:
            if self._closed:
                raise RuntimeError("the recognizer is closed")
            if self._worker is None:
                worker = self._workers._place()
                try:
                    worker.call("open", self._rid, self._phrases)
                except BaseException:
                    self._workers._unplace(worker)
                    raise
                # Fallback for a recogniser nobody closes; the worker hears of it at its next
                # call (a finaliser may run inside a call, so it must not take the lock).
                self._release = weakref.finalize(self, _release, worker, self._rid)
                self._worker = worker
            return self._worker

    def close(self) -> None:
        """Free the decoder in its worker now. Idempotent; the recogniser is unusable after."""
        with self._state:
            self._closed = True
            worker, self._worker = self._worker, None
            release, self._release = self._release, None
        if worker is None or release is None or release.detach() is None:
            return
        self._workers._unplace(worker)
        worker.close_recognizer(self._rid)

    def start_utterance(self) -> None:
        self._open().call("start", self._rid)

    def feed(self, audio: Int16Array) -> str | None:
        if audio.size == 0:
            return None
        data = np.ascontiguousarray(audio, dtype="<i2").tobytes()
        result: str | None = self._open().call("feed", self._rid, data)
        return result

    def end_utterance(self) -> RecognitionResult:
        worker = self._worker
        if worker is None:  # never heard anything
            return RecognitionResult(text="", confidence=None)
        result: RecognitionResult = worker.call("end", self._rid)
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
        """Open decoders per worker (recognisers that have heard speech and are not closed)."""
        return [w.open for w in self._workers]

    def _place(self) -> _Worker:
        with self._lock:
            worker = min(self._workers, key=lambda w: w.open)
            worker.open += 1
            return worker

    def _unplace(self, worker: _Worker) -> None:
        with self._lock:
            worker.open -= 1

    def decoder_stats(self) -> list[dict[str, int | None]]:
        """Per worker: its pid and the decoders it holds (``leased`` to recognisers, ``idle``
        in its pool), as the worker itself counts them after every earlier request."""
        stats = []
        for worker in self._workers:
            counts = worker.call("stats", 0)
            stats.append({"pid": worker.pid, "leased": counts["leased"], "idle": counts["idle"]})
        return stats

    def recognizer(self, phrases: Sequence[str] | None = None) -> RemoteRecognizer:
        """A recogniser whose decoder opens, on the least busy worker, when it first hears
        speech (phrase mode: now)."""
        with self._lock:
            self._next_id += 1
            rid = self._next_id
        return RemoteRecognizer(self, rid, phrases)

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
