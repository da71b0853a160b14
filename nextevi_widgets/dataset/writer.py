"""``DatasetWriter``: finished sessions in, Parquet part files out, safe to interrupt.

Sessions are buffered and flushed as one *part*: a file per table named
``part-<utc time>-<writer>-<n>.parquet``, each written under a hidden temporary name and renamed
into place, ``sessions`` last. A part's rows count only once its ``sessions`` file exists
(:class:`~nextevi_widgets.dataset.SessionDataset` ignores the rest), so a crash or Ctrl-C at
any moment leaves a dataset that reads, and :meth:`DatasetWriter.done_ids` tells exactly which
sessions made it. ``close()`` (or leaving the ``with`` block, also by an exception such as
KeyboardInterrupt) flushes what is buffered.
"""

from __future__ import annotations

import datetime
import json
import os
import time
import uuid
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from .rows import Event, Row, recording_from_events, session_rows
from .schema import FORMAT, MANIFEST, RESERVED_COLUMNS, SCHEMA_VERSION, SCHEMAS, TABLES

__all__ = ["DatasetWriter", "committed_parts", "read_manifest", "write_part"]

_COMMIT_ORDER = (*[name for name in TABLES if name != "sessions"], "sessions")


class DatasetWriter:
    """Writes sessions into the dataset at ``path`` (created when missing, appended to
    otherwise).

    ::

        with DatasetWriter("runs/eval") as writer:
            for session_id, events, labels in runs:
                if session_id not in writer.done_ids():
                    writer.add_session(session_id, events, labels=labels, meta={"config": "v2"})

    ``flush_every`` sessions or ``flush_seconds`` since the last flush (whichever comes
    first) make a part; ``flush_every=1`` writes each session at once. What is buffered when
    the process is killed (not interrupted) is not done and a resumed run does it again.
    Small parts are slow to query, so a normal ``close()`` merges the parts this writer wrote
    into a few large ones (``compact=False`` leaves them; see
    :func:`~nextevi_widgets.dataset.compact_dataset`); leaving the ``with`` block by an
    exception only flushes.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        flush_every: int = 16,
        flush_seconds: float = 30.0,
        compression: str = "zstd",
        compact: bool = True,
    ) -> None:
        if flush_every < 1:
            raise ValueError("flush_every must be at least 1")
        self.path = Path(path)
        self.flush_every = flush_every
        self.flush_seconds = flush_seconds
        self.compression = compression
        self.compact = compact
        self.closed = False
        _ensure_manifest(self.path)
        self._writer_id = uuid.uuid4().hex[:8]
        self._seq = 0
        self._parts: list[str] = []
        """The parts this writer wrote (compacted when it closes)."""
        self._buffer: list[dict[str, list[Row]]] = []
        self._last_flush = time.monotonic()
        existing, self._failed, self._label_types = _existing(self.path)
        self._done = set(existing)
        self._part_of = existing
        self._superseded: set[str] = set()
        """Older parts holding a failed session this writer wrote again."""
        newest = committed_parts(self.path)[-1:]
        self._last_stamp = newest[0].split("-")[1] if newest else ""

    # ------------------------------------------------------------------ public API

    def add_session(
        self,
        session_id: str,
        events: Sequence[Event],
        *,
        labels: Mapping[str, Any],
        meta: Mapping[str, Any],
        error: str | None = None,
    ) -> None:
        """Add one finished session: its ``(direction, event, t)`` triples as
        ``VoiceSession.on_event`` listeners receive them, the input's ``labels`` (one column
        each in ``sessions``), ``meta`` (``config``/``config_id``, ``started_at``,
        ``wall_s``, ``connection_id`` get columns, the rest is kept as JSON) and ``error``
        when the run failed (the session still gets its row, plus an ``errors`` row).

        A session id may be written again only if its earlier row has an error (a retry);
        the newer row then wins."""
        if self.closed:
            raise ValueError("DatasetWriter is closed")
        if not isinstance(session_id, str) or not session_id:
            raise ValueError(f"session_id must be a non-empty string, not {session_id!r}")
        if session_id in self._done and session_id not in self._failed:
            raise ValueError(f"session {session_id!r} is already in the dataset")
        recording = recording_from_events(events, name=session_id)
        rows = session_rows(session_id, recording, labels=labels, meta=meta, error=error)
        self._check_label_types(
            {k: v for k, v in rows.tables["sessions"][0].items() if k not in RESERVED_COLUMNS}
        )
        self._buffer.append(rows.tables)
        if session_id in self._part_of:
            self._superseded.add(self._part_of[session_id])
        self._done.add(session_id)
        if error is None:
            self._failed.discard(session_id)
        else:
            self._failed.add(session_id)
        if (
            len(self._buffer) >= self.flush_every
            or time.monotonic() - self._last_flush >= self.flush_seconds
        ):
            self.flush()

    def done_ids(self, *, include_errors: bool = True) -> set[str]:
        """Ids of the sessions in the dataset (written or buffered for the next flush);
        ``include_errors=False`` leaves out those whose row has an error (to retry them)."""
        if include_errors:
            return set(self._done)
        return self._done - self._failed

    def flush(self) -> None:
        """Write the buffered sessions as one part now."""
        if not self._buffer:
            self._last_flush = time.monotonic()
            return
        self._seq += 1
        part = f"part-{self._stamp()}-{self._writer_id}-{self._seq:05d}"
        tables = {name: self._table(name, part) for name in TABLES}
        write_part(self.path, part, tables, self.compression)
        self._parts.append(part)
        self._buffer.clear()
        self._last_flush = time.monotonic()

    def close(self, *, compact: bool | None = None) -> None:
        """Flush what is buffered and (unless ``compact=False`` here or when created) merge
        this writer's parts; further ``add_session`` calls fail."""
        if self.closed:
            return
        try:
            self.flush()
        finally:
            self.closed = True
        parts = sorted({*self._parts, *self._superseded})
        if (self.compact if compact is None else compact) and len(parts) > 1:
            from .compact import compact_dataset

            compact_dataset(self.path, parts=parts, compression=self.compression)

    def __enter__(self) -> DatasetWriter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        # Interrupted or failed: make what is done durable and get out of the way.
        self.close(compact=None if exc_type is None else False)

    def __repr__(self) -> str:
        state = "closed" if self.closed else f"buffered={len(self._buffer)}"
        return f"<DatasetWriter {str(self.path)!r} sessions={len(self._done)} {state}>"

    # ------------------------------------------------------------------ tables

    def _stamp(self) -> str:
        """UTC time of the flush to the microsecond, later than every part already there:
        part names sort oldest first (the newest row of a retried session wins)."""
        now = datetime.datetime.now(datetime.timezone.utc)
        stamp = now.strftime("%Y%m%dT%H%M%S%fZ")
        if stamp <= self._last_stamp:
            last = datetime.datetime.strptime(self._last_stamp, "%Y%m%dT%H%M%S%fZ")
            stamp = (last + datetime.timedelta(microseconds=1)).strftime("%Y%m%dT%H%M%S%fZ")
        self._last_stamp = stamp
        return stamp

    def _table(self, name: str, part: str) -> pa.Table:
        rows = [row for session in self._buffer for row in session[name]]
        for row in rows:
            row["part"] = part
        schema = SCHEMAS[name]
        if name == "sessions":
            schema = self._sessions_schema(rows)
        return pa.Table.from_pylist(rows, schema=schema)

    def _sessions_schema(self, rows: list[Row]) -> pa.Schema:
        schema = SCHEMAS["sessions"]
        labels = dict.fromkeys(k for row in rows for k in row if k not in schema.names)
        for label in labels:
            # A label with no value yet stays untyped (null), so later parts decide its type.
            schema = schema.append(pa.field(label, self._label_types.get(label, pa.null())))
        return schema

    def _check_label_types(self, labels: Mapping[str, Any]) -> None:
        """Each label keeps one column type across the dataset (ints may go in a float
        column); checked before anything is buffered."""
        found: dict[str, pa.DataType] = {}
        for label, value in labels.items():
            if value is None:
                continue
            kind = pa.scalar(value).type
            known = self._label_types.get(label)
            if known is None or known == kind:
                found[label] = kind
            elif not (pa.types.is_floating(known) and pa.types.is_integer(kind)):
                raise ValueError(
                    f"label {label!r} holds {known} values in this dataset, not {kind} ({value!r})"
                )
        for label, kind in found.items():
            self._label_types.setdefault(label, kind)


# ---------------------------------------------------------------------- files


def read_manifest(path: Path) -> dict[str, Any]:
    """The dataset's manifest; a clear error for a folder that is not a dataset or one
    written by a newer version."""
    manifest_path = path / MANIFEST
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise FileNotFoundError(f"{path} is not a session dataset (no {MANIFEST})") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise ValueError(f"{manifest_path} is not a {FORMAT} manifest")
    version = manifest.get("schema_version")
    if not isinstance(version, int) or version > SCHEMA_VERSION:
        raise ValueError(
            f"{path} has schema version {version}; this nextevi-widgets reads up to "
            f"{SCHEMA_VERSION} (upgrade the package)"
        )
    return manifest


def committed_parts(path: Path) -> list[str]:
    """Names of the parts whose ``sessions`` file exists, oldest first."""
    folder = path / "sessions"
    if not folder.is_dir():
        return []
    return sorted(p.stem for p in folder.glob("part-*.parquet"))


def _ensure_manifest(path: Path) -> None:
    if (path / MANIFEST).exists():
        read_manifest(path)
        return
    if path.exists() and any(path.iterdir()):
        raise FileExistsError(f"{path} exists, is not empty and is not a session dataset")
    path.mkdir(parents=True, exist_ok=True)
    manifest = {
        "format": FORMAT,
        "schema_version": SCHEMA_VERSION,
        "tables": list(TABLES),
        "created": datetime.datetime.now(datetime.timezone.utc).isoformat(),
    }
    temp = path / f".{MANIFEST}.tmp"
    temp.write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")
    os.replace(temp, path / MANIFEST)


def _existing(path: Path) -> tuple[dict[str, str], set[str], dict[str, pa.DataType]]:
    """Session ids already written (with the part of their newest row), those whose newest
    row has an error, label types."""
    done: dict[str, str] = {}
    failed: set[str] = set()
    types: dict[str, pa.DataType] = {}
    base = set(SCHEMAS["sessions"].names)
    for part in committed_parts(path):
        file = path / "sessions" / f"{part}.parquet"
        schema = pq.read_schema(file)
        for field in schema:
            if field.name not in base and not pa.types.is_null(field.type):
                types.setdefault(field.name, field.type)
        table = pq.read_table(file, columns=["session_id", "error"])
        for session_id, error in zip(
            table.column("session_id").to_pylist(),
            table.column("error").to_pylist(),
            strict=True,
        ):
            done[session_id] = part
            if error is None:
                failed.discard(session_id)
            else:
                failed.add(session_id)
    return done, failed, types


def write_part(root: Path, part: str, tables: Mapping[str, pa.Table], compression: str) -> None:
    """Write one part: every table's file under a hidden temporary name, then renamed into
    place, ``sessions`` last (it commits the part). Empty tables other than ``sessions`` get
    no file."""
    staged: list[tuple[Path, Path]] = []
    try:
        for name in _COMMIT_ORDER:
            table = tables.get(name)
            if table is None or (table.num_rows == 0 and name != "sessions"):
                continue
            folder = root / name
            folder.mkdir(exist_ok=True)
            temp = folder / f".{part}.parquet.tmp"
            _write_durably(table, temp, compression)
            staged.append((temp, folder / f"{part}.parquet"))
        for temp, final in staged:
            os.replace(temp, final)
    except BaseException:
        for temp, _ in staged:
            temp.unlink(missing_ok=True)
        raise


def _write_durably(table: pa.Table, path: Path, compression: str) -> None:
    with open(path, "wb") as sink:
        pq.write_table(table, sink, compression=compression)
        sink.flush()
        os.fsync(sink.fileno())
