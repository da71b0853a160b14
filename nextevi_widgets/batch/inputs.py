"""What a batch runs: audio files, folders, or a table (CSV / pandas DataFrame) of paths with
label columns, turned into an ordered list of :class:`BatchInput` with stable ids.

An id must not change between two runs over the same inputs (resume skips ids already in the
dataset), so it is derived from the file, not from the run: a hash of the resolved path, size
and modification time, or the value of a table's id column when one is named.
"""

from __future__ import annotations

import csv
import hashlib
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, TypeAlias

__all__ = [
    "AUDIO_SUFFIXES",
    "BatchInput",
    "InputSource",
    "Inputs",
    "discover_inputs",
    "input_id",
]

InputSource = Literal["file", "folder", "csv", "dataframe"]

AUDIO_SUFFIXES = frozenset(
    {".wav", ".flac", ".ogg", ".oga", ".opus", ".mp3", ".aif", ".aiff", ".au", ".caf", ".w64"}
)
"""Files a folder contributes (case-insensitive). Files named explicitly are used whatever
their suffix: one soundfile cannot read gets an error row, like any other bad input."""

Inputs: TypeAlias = "str | os.PathLike[str] | Any | Iterable[str | os.PathLike[str] | BatchInput]"
"""A file, a folder, a ``.csv`` file, a pandas DataFrame, or a list of files/folders/inputs."""


@dataclass(frozen=True)
class BatchInput:
    """One audio input: where it is, its stable ``id``, and the labels carried to the dataset."""

    id: str
    path: Path
    labels: Mapping[str, Any] = field(default_factory=dict)
    source: InputSource = "file"


def input_id(path: Path, extra: str = "") -> str:
    """A stable id for ``path``: hash of its resolved path, size and mtime (the path alone when
    it cannot be read, so a missing file still gets an id and an error row)."""
    resolved = path.resolve()
    try:
        stat = resolved.stat()
        key = f"{resolved}|{stat.st_size}|{stat.st_mtime_ns}|{extra}"
    except OSError:
        key = f"{resolved}|missing|{extra}"
    return hashlib.sha256(key.encode("utf-8", "surrogateescape")).hexdigest()[:20]


def discover_inputs(
    inputs: Inputs,
    *,
    path_column: str = "path",
    id_column: str | None = None,
    label_columns: Sequence[str] | None = None,
) -> list[BatchInput]:
    """Turn ``inputs`` into an ordered list of :class:`BatchInput`.

    * an audio file: one input;
    * a folder: its audio files (:data:`AUDIO_SUFFIXES`), recursively, sorted by path;
    * a ``.csv`` file or a pandas DataFrame: one input per row; ``path_column`` holds the
      audio path (relative paths in a CSV are relative to the CSV's folder), ``id_column`` (if
      given) the input's id, and the other columns (or ``label_columns``) become labels;
    * a list of any of the files, folders and :class:`BatchInput` above, in that order.

    Raises ``FileNotFoundError`` for a folder or CSV that does not exist and ``ValueError``
    for a table without the path column or with repeated ids. Audio files are not opened here:
    a missing or unreadable one becomes an error row when the batch runs it.
    """
    found: list[BatchInput] = []
    if _is_dataframe(inputs):
        found = _from_rows(
            _dataframe_rows(inputs), Path.cwd(), "dataframe", path_column, id_column, label_columns
        )
    elif isinstance(inputs, (str, os.PathLike)):
        found = _from_path(Path(inputs), path_column, id_column, label_columns)
    else:
        for item in inputs:
            if isinstance(item, BatchInput):
                found.append(item)
            else:
                found.extend(_from_path(Path(item), path_column, id_column, label_columns))
    return _unique(found)


def _from_path(
    path: Path, path_column: str, id_column: str | None, label_columns: Sequence[str] | None
) -> list[BatchInput]:
    if path.is_dir():
        files = sorted(
            p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in AUDIO_SUFFIXES
        )
        return [BatchInput(input_id(p), p, {}, "folder") for p in files]
    if path.suffix.lower() == ".csv":
        if not path.is_file():
            raise FileNotFoundError(f"no such CSV file: {path}")
        with path.open(newline="", encoding="utf-8-sig") as handle:
            rows = list(csv.DictReader(handle))
        if not rows:
            return []
        return _from_rows(rows, path.parent, "csv", path_column, id_column, label_columns)
    return [BatchInput(input_id(path), path, {}, "file")]


def _from_rows(
    rows: list[dict[str, Any]],
    base: Path,
    source: InputSource,
    path_column: str,
    id_column: str | None,
    label_columns: Sequence[str] | None,
) -> list[BatchInput]:
    if rows and path_column not in rows[0]:
        columns = ", ".join(map(repr, rows[0])) or "none"
        raise ValueError(f"no path column {path_column!r} in the table (columns: {columns})")
    if id_column is not None and rows and id_column not in rows[0]:
        raise ValueError(f"no id column {id_column!r} in the table")
    out = []
    for row in rows:
        raw = str(row[path_column] or "").strip()
        path = Path(raw).expanduser()
        if not path.is_absolute():
            path = base / path
        if label_columns is None:
            names = [k for k in row if k not in (path_column, id_column)]
        else:
            missing = [k for k in label_columns if k not in row]
            if missing:
                raise ValueError(f"label columns not in the table: {', '.join(missing)}")
            names = list(label_columns)
        labels = {name: row[name] for name in names}
        if id_column is not None:
            ident = str(row[id_column])
        else:
            ident = input_id(path, extra=repr(sorted(labels.items(), key=lambda kv: kv[0])))
        out.append(BatchInput(ident, path, labels, source))
    if id_column is not None:
        seen: set[str] = set()
        for item in out:
            if item.id in seen:
                raise ValueError(f"id {item.id!r} appears twice in column {id_column!r}")
            seen.add(item.id)
    return out


def _unique(found: list[BatchInput]) -> list[BatchInput]:
    """The same file listed twice (e.g. a file and its folder) is a second input with its own
    id: ``<id>-2``, ``<id>-3`` in order of appearance, stable across runs."""
    counts: dict[str, int] = {}
    out = []
    for item in found:
        counts[item.id] = counts.get(item.id, 0) + 1
        if counts[item.id] > 1:
            item = BatchInput(f"{item.id}-{counts[item.id]}", item.path, item.labels, item.source)
        out.append(item)
    return out


def _is_dataframe(value: object) -> bool:
    module = type(value).__module__
    return module.startswith("pandas") and type(value).__name__ == "DataFrame"


def _dataframe_rows(frame: Any) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = frame.to_dict(orient="records")
    # numpy scalars -> Python values, so labels are plain data.
    return [{str(k): _plain(v) for k, v in row.items()} for row in rows]


def _plain(value: Any) -> Any:
    item = getattr(value, "item", None)
    if callable(item) and type(value).__module__ == "numpy":
        return item()
    return value
