"""A session dataset's files: the manifest, committed parts, and writing one part safely.

Shared by the writer, the compactor and the reader (see :mod:`.writer` for the layout).
"""

from __future__ import annotations

import datetime
import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from .schema import FORMAT, MANIFEST, SCHEMA_VERSION, TABLES

__all__ = ["committed_parts", "ensure_manifest", "read_manifest", "write_part"]

_COMMIT_ORDER = (*[name for name in TABLES if name != "sessions"], "sessions")


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


def ensure_manifest(path: Path) -> None:
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
