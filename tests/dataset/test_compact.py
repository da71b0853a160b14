"""Compaction: small parts merged, same contents, retried sessions resolved, safe to stop."""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq
import pytest
from conftest import Recorded

from nextevi_widgets.dataset import TABLES, DatasetWriter, SessionDataset, compact_dataset


def contents(ds: SessionDataset) -> dict[str, list[tuple[object, ...]]]:
    """Every table's rows without the ``part`` column, in a stable order."""
    out = {}
    for name in TABLES:
        frame = ds.sql(
            f"select * exclude (part, words) from {name}"
            if name == "transcripts"
            else f"select * exclude (part) from {name}"
        )
        out[name] = sorted(map(tuple, frame.astype(str).values.tolist()))
    return out


def write(path: Path, recorded: Recorded, *, compact: bool) -> None:
    with DatasetWriter(path, flush_every=1, compact=compact) as writer:
        writer.add_session("bad", [], labels={"k": "x"}, meta={}, error="boom")
        for n in range(4):
            writer.add_session(f"s{n}", recorded.events[n % 2], labels={"k": str(n)}, meta={})
        writer.add_session("bad", recorded.events[0], labels={"k": "x"}, meta={})  # retried


def test_writer_compacts_its_parts_on_close(tmp_path: Path, recorded: Recorded) -> None:
    write(tmp_path / "small", recorded, compact=False)
    write(tmp_path / "merged", recorded, compact=True)
    small, merged = (
        SessionDataset.open(tmp_path / "small"),
        SessionDataset.open(tmp_path / "merged"),
    )
    assert len(small.parts) == 5  # the first held only the failed attempt: left out
    assert len(merged.parts) == 1
    assert all(len(merged.files(name)) <= 1 for name in TABLES)
    assert contents(merged) == contents(small)
    assert len(merged) == 5
    assert merged.sql("select error from sessions where session_id = 'bad'")["error"].isna().all()
    assert len(merged.table("errors")) == 0  # the failed attempt's error row is gone
    assert DatasetWriter(tmp_path / "merged").done_ids(include_errors=False) == {
        "bad",
        "s0",
        "s1",
        "s2",
        "s3",
    }


def test_compacting_some_parts_keeps_a_later_retry(tmp_path: Path, recorded: Recorded) -> None:
    path = tmp_path / "ds"
    write(path, recorded, compact=False)
    before = contents(SessionDataset.open(path))
    parts = SessionDataset.open(path).parts
    # the failed attempt's part goes into the merge, the retry's part stays outside it
    created = compact_dataset(path, parts=parts[:3])
    ds = SessionDataset.open(path)
    assert ds.parts == sorted([*created, *parts[3:]])
    assert contents(ds) == before
    compact_dataset(path, max_samples=10**9)
    ds = SessionDataset.open(path)
    assert len(ds.parts) == 1
    assert contents(ds) == before


def test_interrupted_compaction_reads_the_same(
    tmp_path: Path, recorded: Recorded, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "ds"
    write(path, recorded, compact=False)
    before = contents(SessionDataset.open(path))
    removed: list[Path] = []
    original = Path.unlink

    def unlink(self: Path, missing_ok: bool = False) -> None:
        if self.suffix == ".parquet" and len(removed) == 2:
            raise KeyboardInterrupt  # stopped while removing the old parts
        removed.append(self)
        original(self, missing_ok=missing_ok)

    monkeypatch.setattr(Path, "unlink", unlink)
    with pytest.raises(KeyboardInterrupt):
        compact_dataset(path)
    monkeypatch.undo()
    assert len(list((path / "sessions").glob("part-*.parquet"))) == 5  # merged + 4 old
    ds = SessionDataset.open(path)
    assert contents(ds) == before
    # the old parts hold nothing the merged one does not: they are left out, files too
    assert len(ds.parts) == 1
    assert all(len(ds.files(name)) <= 1 for name in TABLES)
    compact_dataset(path)  # finishing the job later
    assert contents(SessionDataset.open(path)) == before
    assert len(SessionDataset.open(path).parts) == 1


def test_a_retry_run_leaves_each_session_once_in_the_files(
    tmp_path: Path, recorded: Recorded
) -> None:
    path = tmp_path / "ds"
    with DatasetWriter(path) as writer:
        writer.add_session("bad", [], labels={}, meta={}, error="boom")
        writer.add_session("ok", recorded.events[0], labels={}, meta={})
    with DatasetWriter(path) as writer:  # a second run retries the failure
        writer.add_session("bad", recorded.events[1], labels={}, meta={})
    ds = SessionDataset.open(path)
    assert len(ds.parts) == 1
    # read straight from the files, as Dask or pandas would
    sessions = pq.read_table(path / "sessions").to_pandas()
    assert sorted(sessions["session_id"]) == ["bad", "ok"]
    assert sessions["error"].isna().all()
    assert not list((path / "errors").glob("part-*.parquet"))  # its error row went with it
    latency = pq.read_table(path / "latency").to_pandas()
    assert sorted(latency["session_id"]) == ["bad", "bad", "ok"]
