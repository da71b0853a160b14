"""Compaction: many small parts merged into few large ones, safe to interrupt.

A batch run writes a part every few sessions; hundreds of small files make every query pay
for opening them (DuckDB, pandas and Dask alike). Compaction reads a run of parts, keeps only
the rows that count (a retried session's newest), and writes them as one part (temporary
names, renamed, ``sessions`` last); then it removes the old parts, ``sessions`` files first.
Interrupted at any moment, the dataset reads the same: before the new ``sessions`` file lands
the old parts are what counts; after it, a session in both is read from one of them only (the
reader keeps one part per session), and an old part whose ``sessions`` file is gone no longer
counts.
"""

from __future__ import annotations

import datetime
import os
import uuid
from collections.abc import Sequence
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from .schema import TABLES
from .writer import committed_parts, read_manifest, write_part

__all__ = ["compact_dataset"]

_STAMP = "%Y%m%dT%H%M%S%fZ"
MAX_SAMPLES = 2_000_000
"""Emotion-sample rows per compacted part (what bounds the memory compaction needs)."""


def compact_dataset(
    path: str | os.PathLike[str],
    *,
    parts: Sequence[str] | None = None,
    max_samples: int = MAX_SAMPLES,
    compression: str = "zstd",
) -> list[str]:
    """Merge the dataset's committed parts (or the named ``parts``), in order, into parts of
    up to ``max_samples`` emotion-sample rows, leaving out rows a retried session's newer row
    replaced (so every file read directly, by Dask or pandas, holds each session once).
    Returns the new parts' names. Run it when no
    other writer is retrying the same sessions (``DatasetWriter`` compacts its own parts when
    it closes normally)."""
    root = Path(path)
    read_manifest(root)
    committed = committed_parts(root)
    chosen = [p for p in committed if parts is None or p in set(parts)]
    winners = _winning_parts(root, committed)
    stale = {part for part in chosen if _has_superseded_rows(root, part, winners)}
    created: list[str] = []
    for group in _groups(root, chosen, max_samples):
        # a lone part is rewritten only to drop rows a retry replaced
        if len(group) > 1 or group[0] in stale:
            name = _merge(root, group, winners, compression)
            if name:
                created.append(name)
    return created


def _has_superseded_rows(root: Path, part: str, winners: dict[str, str]) -> bool:
    table = pq.read_table(root / "sessions" / f"{part}.parquet", columns=["session_id"])
    return any(winners.get(sid) != part for sid in table.column("session_id").to_pylist())


def _groups(root: Path, parts: list[str], max_samples: int) -> list[list[str]]:
    groups: list[list[str]] = []
    current: list[str] = []
    size = 0
    for part in parts:
        file = root / "emotion_samples" / f"{part}.parquet"
        rows = pq.read_metadata(file).num_rows if file.exists() else 0
        if current and size + rows > max_samples:
            groups.append(current)
            current, size = [], 0
        current.append(part)
        size += rows
    if current:
        groups.append(current)
    return groups


def _winning_parts(root: Path, committed: list[str]) -> dict[str, str]:
    """session id → the part whose rows count (the newest that has it)."""
    winners: dict[str, str] = {}
    for part in committed:  # oldest first: later parts overwrite
        table = pq.read_table(root / "sessions" / f"{part}.parquet", columns=["session_id"])
        for session_id in table.column("session_id").to_pylist():
            winners[session_id] = part
    return winners


def _merge(root: Path, group: list[str], winners: dict[str, str], compression: str) -> str:
    # Named just after the group's newest part: while the old parts are still there, the
    # merged one is the newer copy of every session it holds.
    newest = datetime.datetime.strptime(max(part.split("-")[1] for part in group), _STAMP)
    stamp = (newest + datetime.timedelta(microseconds=1)).strftime(_STAMP)
    name = f"part-{stamp}-c{uuid.uuid4().hex[:7]}-00001"
    keep = pa.array([f"{sid}\x00{part}" for sid, part in winners.items() if part in group])
    tables: dict[str, pa.Table] = {}
    for table_name in TABLES:
        pieces = [
            pq.read_table(file)
            for part in group
            if (file := root / table_name / f"{part}.parquet").exists()
        ]
        if not pieces:
            continue
        table = pa.concat_tables(pieces, promote_options="permissive")
        key = pc.binary_join_element_wise(table["session_id"], table["part"], "\x00")
        table = table.filter(pc.is_in(key, value_set=keep))
        table = table.set_column(
            table.schema.get_field_index("part"), "part", pa.array([name] * table.num_rows)
        )
        tables[table_name] = table
    if tables.get("sessions") is not None and tables["sessions"].num_rows:
        write_part(root, name, tables, compression)
    else:
        name = ""  # every row was replaced: the old part just goes
    # Old parts stop counting when their sessions file goes; then their other files go.
    for table_name in ("sessions", *[t for t in TABLES if t != "sessions"]):
        for part in group:
            (root / table_name / f"{part}.parquet").unlink(missing_ok=True)
    return name
