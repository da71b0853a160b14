"""Run many inputs through the API: bounded concurrency, retries, progress, resume, and a
dataset that stays consistent whatever stops the run.

Each finished input goes to the dataset writer at once (one atomic part per input), so what
is finished is kept when the run is interrupted. Inputs in flight when the run is cancelled
(Ctrl-C, a cancelled cell, :meth:`BatchRun.cancel`) are stopped and **not written**: the
dataset holds no half input, and a second run over the same inputs runs them again (it skips
every id the dataset already holds, error rows included).
"""

from __future__ import annotations

import asyncio
import logging
import os
import random
import time
from collections.abc import Generator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from ..client import AuthenticationError, NextEVIClient
from ..client.config import redact_url
from ..client.options import ConnectionKeywords, ConnectionOptions, options_from_keywords
from .audio import InputError, read_input_audio
from .inputs import BatchInput, Inputs, discover_inputs
from .stream import Attempt, FatalInputError, StreamOptions, TransientError, stream_input

if TYPE_CHECKING:
    from typing_extensions import Unpack

logger = logging.getLogger(__name__)

__all__ = [
    "BatchRun",
    "BatchSummary",
    "InputFailure",
    "SessionWriter",
    "arun_batch",
    "run_batch",
    "run_batch_sync",
]


class SessionWriter(Protocol):
    """What the batch needs from a dataset writer (``nextevi_widgets.dataset.DatasetWriter``)."""

    def add_session(
        self,
        session_id: str,
        events: Sequence[tuple[str, object, float]],
        *,
        labels: Mapping[str, Any],
        meta: Mapping[str, Any],
        error: str | None = None,
    ) -> Any: ...

    def done_ids(self) -> set[str]: ...

    def close(self) -> Any: ...


@dataclass(frozen=True)
class InputFailure:
    id: str
    path: str
    error: str


@dataclass(repr=False)
class BatchSummary:
    """How a run went. Updated while it runs (``BatchRun.summary``)."""

    total: int = 0
    """Inputs found."""
    skipped: int = 0
    """Already in the dataset (resume)."""
    succeeded: int = 0
    failed: int = 0
    """Written as error rows."""
    retries: int = 0
    """Extra attempts after transient failures."""
    not_run: int = 0
    """Left for a later run (cancelled, or the run stopped on an authentication error)."""
    audio_seconds: float = 0.0
    """Audio streamed by the inputs written (trailing silence included)."""
    elapsed: float = 0.0
    failures: list[InputFailure] = field(default_factory=list)
    stopped: str | None = None
    """Why the run stopped early (``"cancelled"`` or the authentication error), else None."""

    @property
    def written(self) -> int:
        return self.succeeded + self.failed

    @property
    def inputs_per_minute(self) -> float:
        return 60.0 * self.written / self.elapsed if self.elapsed > 0 else 0.0

    def __str__(self) -> str:
        text = (
            f"{self.written} of {self.total} inputs written ({self.succeeded} ok, "
            f"{self.failed} errors), {self.skipped} already done, {self.not_run} not run; "
            f"{self.elapsed:.1f} s, {self.inputs_per_minute:.1f} inputs/min"
        )
        if self.stopped:
            text += f"; stopped: {self.stopped}"
        return text

    def __repr__(self) -> str:
        return f"<BatchSummary {self}>"


@dataclass(frozen=True)
class _Connection:
    options: ConnectionOptions
    """The backend's options; the client gets no reconnects of its own (the batch retries)."""

    @property
    def url(self) -> str | None:
        return self.options.url

    @property
    def config_id(self) -> str | None:
        return self.options.resolve().config_id

    def client(self) -> NextEVIClient:
        return NextEVIClient(options=self.options)


@dataclass(frozen=True)
class _Plan:
    stream: StreamOptions
    retries: int
    retry_delay: float
    retry_max_delay: float
    input_timeout: float | None


async def arun_batch(
    inputs: Inputs,
    out: str | os.PathLike[str] | SessionWriter,
    *,
    concurrency: int = 2,
    realtime: bool = True,
    path_column: str = "path",
    id_column: str | None = None,
    label_columns: Sequence[str] | None = None,
    progress: bool | Mapping[str, Any] | Any = True,
    retries: int = 3,
    retry_errors: bool = False,
    retry_delay: float = 1.0,
    retry_max_delay: float = 30.0,
    trailing_silence: float = 1.0,
    quiet_period: float = 2.0,
    reply_timeout: float = 30.0,
    input_timeout: float | None = None,
    emulator: bool | str = "auto",
    summary: BatchSummary | None = None,
    options: ConnectionOptions | None = None,
    **connection: Unpack[ConnectionKeywords],
) -> BatchSummary:
    """Run ``inputs`` through the API and write one dataset row per input to ``out``.

    ``inputs``: see :func:`~nextevi_widgets.batch.discover_inputs` (files, folders, a CSV or
    DataFrame with ``path_column`` and label columns). ``out``: a dataset folder (opened with
    ``nextevi_widgets.dataset.DatasetWriter``) or a writer object.

    Each input is streamed as a live microphone would, in 20 ms frames at real-time pace, then
    ``trailing_silence`` seconds of silence so the turn ends; the run waits for the reply to
    finish (its last audio chunk, or ``quiet_period`` without events when no reply comes) and
    closes. ``realtime=False`` sends as fast as the connection takes the audio: for local
    emulator runs (the real service expects real-time audio).

    At most ``concurrency`` inputs run at once. A transient failure (connection refused or
    dropped, a 1011/1013 close, a timeout) is retried up to ``retries`` times with jittered
    exponential backoff from ``retry_delay`` seconds; a bad input (unreadable, not audio,
    empty, a server error) becomes an error row and the run goes on; rejected credentials are
    not retried: that input gets an error row and the run stops (fix them and run again).
    Inputs whose ids the dataset already holds are skipped, so running again resumes;
    ``retry_errors=True`` runs the inputs whose rows are errors again (their new rows win).
    ``input_timeout`` bounds one attempt (default: the audio's duration at the chosen pace
    plus ``reply_timeout`` plus 30 s).

    ``progress``: a tqdm bar (``tqdm.auto``: a widget in notebooks, text in terminals) counting
    inputs, with the error count beside it; ``False`` for none, a mapping of tqdm arguments
    (``file``, ``desc``, ...) to adjust it, or a bar of your own to update (left open).

    The connection: ``options=`` (a :class:`~nextevi_widgets.client.ConnectionOptions`) or
    its fields as keywords (``url``, ``api_key``, ``config_id``, ``settings`` ...), as for
    ``NextEVIClient``; its reconnect policy is not used (a dropped input is retried whole, on
    a fresh connection). Without ``url`` or credentials (here or in the environment) the
    embedded emulator is started in a child process (``emulator="auto"``; ``"inprocess"``,
    ``"process"`` or ``False`` to choose) and stopped at the end; ``config_id`` then picks its
    engine profile (e.g. ``"deterministic"``, ``"lite"``).
    """
    try:
        connection_options = options_from_keywords(
            "run_batch", options, connection, also_valid=_PARAMETERS
        )
    except TypeError as exc:
        raise exc.with_traceback(None) from None  # reported at the caller's line
    if concurrency < 1:
        raise ValueError("concurrency must be at least 1")
    if retries < 0:
        raise ValueError("retries must not be negative")
    summary = summary if summary is not None else BatchSummary()
    found = discover_inputs(
        inputs, path_column=path_column, id_column=id_column, label_columns=label_columns
    )
    summary.total = len(found)
    bar, owns_bar = _progress_bar(progress, total=len(found))
    plan = _Plan(
        StreamOptions(
            realtime=realtime,
            trailing_silence=trailing_silence,
            quiet_period=quiet_period,
            reply_timeout=reply_timeout,
        ),
        retries,
        retry_delay,
        retry_max_delay,
        input_timeout,
    )
    from .._session.backend import open_backend, resolve_emulator_mode

    mode = resolve_emulator_mode(emulator, connection_options)
    writer, owns_writer = _open_writer(out)
    if owns_writer:
        try:
            _check_label_names(found)
        except ValueError:
            writer.close()
            raise
    started = time.monotonic()
    try:
        done = _done_ids(writer, retry_errors)
        todo = [item for item in found if item.id not in done]
        summary.skipped = len(found) - len(todo)
        if bar is not None and summary.skipped:
            bar.update(summary.skipped)
        backend = await open_backend(mode, connection_options)
        if not realtime and not backend.is_emulator:
            logger.warning(
                "realtime=False sends audio faster than real time; it is meant for a local "
                "emulator, and the service at %s may not accept it",
                redact_url(backend.url or "the default endpoint"),
            )
        try:
            target = _Connection(backend.options.replace(max_reconnect_attempts=0))
            target.client()  # a configuration error (no config id...) stops the run here
            await _run_all(todo, target, plan, writer, summary, bar, concurrency)
        finally:
            await backend.aclose()
    except asyncio.CancelledError:
        summary.stopped = summary.stopped or "cancelled"
        raise
    finally:
        summary.elapsed = time.monotonic() - started
        summary.not_run = summary.total - summary.skipped - summary.written
        if bar is not None and owns_bar:
            bar.close()
        if owns_writer:
            writer.close()
    return summary


async def _run_all(
    todo: list[BatchInput],
    connection: _Connection,
    plan: _Plan,
    writer: SessionWriter,
    summary: BatchSummary,
    bar: Any,
    concurrency: int,
) -> None:
    queue = iter(todo)
    stop = asyncio.Event()

    async def worker() -> None:
        for item in queue:
            if stop.is_set():
                return
            outcome = await _run_input(item, connection, plan, summary)
            labels, meta, events, error = outcome
            writer.add_session(item.id, events, labels=labels, meta=meta, error=error)
            if error is None:
                summary.succeeded += 1
                summary.audio_seconds += float(meta.get("audio_seconds", 0.0))
            else:
                summary.failed += 1
                summary.failures.append(InputFailure(item.id, str(item.path), error))
                if meta.get("auth_failed"):
                    summary.stopped = error
                    stop.set()
            if bar is not None:
                bar.update(1)
                if summary.failed:
                    bar.set_postfix(errors=summary.failed, refresh=False)

    workers = [asyncio.ensure_future(worker()) for _ in range(min(concurrency, len(todo)))]
    try:
        await asyncio.gather(*workers)
    finally:
        for task in workers:
            task.cancel()
        await asyncio.gather(*workers, return_exceptions=True)


async def _run_input(
    item: BatchInput, connection: _Connection, plan: _Plan, summary: BatchSummary
) -> tuple[dict[str, Any], dict[str, Any], list[tuple[str, object, float]], str | None]:
    labels = dict(item.labels)
    meta: dict[str, Any] = {
        "path": str(item.path),
        "source": item.source,
        "realtime": plan.stream.realtime,
        "url": redact_url(connection.url) if connection.url else None,
        "config_id": connection.config_id,
    }
    try:
        audio = await asyncio.to_thread(read_input_audio, item.path)
    except InputError as exc:
        return labels, {**meta, "attempts": 0}, [], str(exc)
    meta.update(
        source_sample_rate=audio.source_rate,
        source_channels=audio.source_channels,
        source_format=audio.source_format,
        input_seconds=round(audio.duration, 4),
    )
    timeout = plan.input_timeout
    if timeout is None:
        pace = 1.0 if plan.stream.realtime else 0.1
        speech = audio.duration + plan.stream.trailing_silence
        timeout = speech * pace + plan.stream.reply_timeout + 30.0
    attempts = 0
    while True:
        attempts += 1
        try:
            attempt: Attempt = await asyncio.wait_for(
                stream_input(audio.pcm, connection.client, plan.stream), timeout
            )
        except asyncio.TimeoutError:
            failure = f"timed out after {timeout:.0f} s"
        except TransientError as exc:
            failure = str(exc)
        except FatalInputError as exc:
            meta.update(attempts=attempts, auth_failed=exc.auth)
            return labels, meta, exc.events, str(exc)
        except AuthenticationError as exc:  # raised by the client itself, to be safe
            meta.update(attempts=attempts, auth_failed=True)
            return labels, meta, [], str(exc)
        else:
            meta.update(
                attempts=attempts,
                ended_by=attempt.ended_by,
                connection_id=attempt.connection_id,
                started_at=attempt.started_at,
                wall_s=round(attempt.wall_s, 4),
                audio_seconds=round(attempt.audio_seconds, 4),
            )
            error = None
            if attempt.server_errors:
                error = "server error " + "; ".join(attempt.server_errors)
            return labels, meta, attempt.events, error
        if attempts > plan.retries:
            meta.update(attempts=attempts)
            return labels, meta, [], f"gave up after {attempts} attempts: {failure}"
        summary.retries += 1
        cap = min(plan.retry_max_delay, plan.retry_delay * 2 ** (attempts - 1))
        await asyncio.sleep(random.uniform(cap / 2, cap))


def _done_ids(writer: SessionWriter, retry_errors: bool) -> set[str]:
    if retry_errors:
        done_ids: Any = writer.done_ids
        return set(done_ids(include_errors=False))
    return set(writer.done_ids())


def _check_label_names(found: Sequence[BatchInput]) -> None:
    """Refuse label columns the dataset reserves before any input runs (the writer would
    refuse them at the first row)."""
    from ..dataset.schema import RESERVED_COLUMNS

    names = {name for item in found for name in item.labels}
    clashes = sorted(names & RESERVED_COLUMNS)
    if clashes:
        raise ValueError(
            f"label columns {', '.join(map(repr, clashes))} clash with dataset columns; rename "
            "them or choose the labels with label_columns= (--labels)"
        )


def _open_writer(out: str | os.PathLike[str] | SessionWriter) -> tuple[SessionWriter, bool]:
    if isinstance(out, (str, os.PathLike)):
        from ..dataset import DatasetWriter

        writer: SessionWriter = DatasetWriter(Path(out))
        return writer, True
    return out, False


def _progress_bar(progress: bool | Mapping[str, Any] | Any, *, total: int) -> tuple[Any, bool]:
    """``(bar or None, whether we made it)``; see ``progress`` in :func:`arun_batch`."""
    if progress is False or progress is None:
        return None, False
    if callable(getattr(progress, "update", None)) and not isinstance(progress, Mapping):
        bar: Any = progress
        bar.total = total
        return bar, False
    from tqdm.auto import tqdm

    options: dict[str, Any] = {"desc": "batch", "unit": "input", "dynamic_ncols": True}
    if isinstance(progress, Mapping):
        options.update(progress)
    return tqdm(total=total, **options), True


class BatchRun:
    """A batch running as a task on the current event loop (what :func:`run_batch` returns).

    ``await run`` gives the :class:`BatchSummary`; :attr:`summary` is updated while it runs;
    :meth:`cancel` stops it (finished inputs are kept, inputs in flight are not written).
    """

    def __init__(self, task: asyncio.Task[BatchSummary], summary: BatchSummary) -> None:
        self._task = task
        self.summary = summary

    def __await__(self) -> Generator[Any, None, BatchSummary]:
        return self._task.__await__()

    @property
    def task(self) -> asyncio.Task[BatchSummary]:
        return self._task

    def done(self) -> bool:
        return self._task.done()

    def cancel(self) -> bool:
        return self._task.cancel()

    def result(self) -> BatchSummary:
        """The summary of a finished run (raises what the run raised)."""
        return self._task.result()

    def __repr__(self) -> str:
        state = "done" if self.done() else "running"
        return f"<BatchRun {state}: {self.summary}>"


def run_batch(
    inputs: Inputs, out: str | os.PathLike[str] | SessionWriter, **options: Any
) -> BatchRun:
    """Start :func:`arun_batch` as a background task on the running loop and return at once.

    For notebooks and async code: a cell returns immediately and the progress bar updates
    while you work; ``summary = await run`` waits for the end. Cancelling the task (or the
    cell awaiting it) stops the run and leaves a consistent dataset. From a plain script use
    :func:`run_batch_sync`.
    """
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        raise RuntimeError(
            "run_batch needs a running event loop (a notebook or async code); "
            "use run_batch_sync in a script"
        ) from None
    # Inputs are found and the bar is made here, in the cell: a bad path raises at once and
    # the bar is shown under the cell that started the run.
    connection = {k: v for k, v in options.items() if k not in _PARAMETERS}
    try:  # a misspelt keyword raises here, in the cell, naming it
        options_from_keywords(
            "run_batch", options.get("options"), connection, also_valid=_PARAMETERS
        )
    except TypeError as exc:
        raise exc.with_traceback(None) from None
    discovery = {k: options.pop(k) for k in _DISCOVERY if k in options}
    found = discover_inputs(inputs, **discovery)
    bar, _ = _progress_bar(options.pop("progress", True), total=len(found))
    summary = BatchSummary(total=len(found))
    batch = arun_batch(found, out, progress=bar or False, summary=summary, **options)
    task = loop.create_task(batch, name="nextevi-batch")
    if bar is not None:
        task.add_done_callback(lambda _: bar.close())
    return BatchRun(task, summary)


_DISCOVERY = ("path_column", "id_column", "label_columns")
_PARAMETERS = (
    *_DISCOVERY,
    "concurrency",
    "realtime",
    "progress",
    "retries",
    "retry_errors",
    "retry_delay",
    "retry_max_delay",
    "trailing_silence",
    "quiet_period",
    "reply_timeout",
    "input_timeout",
    "emulator",
    "options",
)


def run_batch_sync(
    inputs: Inputs, out: str | os.PathLike[str] | SessionWriter, **options: Any
) -> BatchSummary:
    """:func:`arun_batch` for scripts: runs its own event loop and blocks until done. Ctrl-C
    stops the run cleanly (finished inputs kept) and raises ``KeyboardInterrupt``."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(arun_batch(inputs, out, **options))
    raise RuntimeError(
        "run_batch_sync cannot run inside a running event loop (a notebook); "
        "use run = run_batch(...) there"
    )
