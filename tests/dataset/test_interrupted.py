"""A writer killed or interrupted mid-run leaves a dataset that opens, with the right done ids."""

from __future__ import annotations

import pickle
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import Recorded

from nextevi_widgets.dataset import TABLES, DatasetWriter, SessionDataset

WRITER = """
import pickle, sys
from nextevi_widgets.dataset import DatasetWriter

events = pickle.load(open(sys.argv[1], "rb"))
with DatasetWriter(sys.argv[2], flush_every=int(sys.argv[3]), flush_seconds=1e9) as writer:
    n = 0
    while True:
        session_id = f"s{n:05d}"
        writer.add_session(session_id, events, labels={"n": n}, meta={})
        print("added", session_id, flush=True)
        n += 1
"""


def run_until(tmp_path: Path, recorded: Recorded, flush_every: int, sig: int) -> list[str]:
    """Start a writer process, let it add a few sessions, send ``sig``; the ids it said it
    added."""
    events = tmp_path / "events.pickle"
    events.write_bytes(pickle.dumps(recorded.events[0]))
    script = tmp_path / "writer.py"
    script.write_text(WRITER)
    process = subprocess.Popen(
        [sys.executable, str(script), str(events), str(tmp_path / "ds"), str(flush_every)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    added: list[str] = []
    for line in process.stdout:
        added.append(line.split()[1])
        if len(added) == 6:
            process.send_signal(sig)
            break
    rest, errors = process.communicate(timeout=120)
    added += [line.split()[1] for line in rest.splitlines() if line.startswith("added")]
    assert process.returncode != 0, errors  # it was stopped, not finished
    return added


def check_consistent(ds: SessionDataset) -> set[str]:
    ids = set(ds.df("sessions")["session_id"])
    assert len(ids) == len(ds)
    for name in TABLES:
        assert set(ds.table(name).column("session_id").to_pylist()) <= ids, name
    turns = ds.sql("select session_id, count(*) as n from turns group by session_id")
    assert set(turns["n"]) == {2}  # every session has all its rows, none half-written
    return ids


def test_killed_writer_leaves_committed_sessions(tmp_path: Path, recorded: Recorded) -> None:
    added = run_until(tmp_path, recorded, flush_every=1, sig=signal.SIGKILL)
    ds = SessionDataset.open(tmp_path / "ds")
    ids = check_consistent(ds)
    # each add_session flushed before it returned; the one in flight may or may not be in
    assert set(added) <= ids
    assert len(ids - set(added)) <= 1
    assert DatasetWriter(tmp_path / "ds").done_ids() == ids


def test_interrupted_writer_flushes_what_it_buffered(tmp_path: Path, recorded: Recorded) -> None:
    added = run_until(tmp_path, recorded, flush_every=10_000, sig=signal.SIGINT)
    ds = SessionDataset.open(tmp_path / "ds")
    ids = check_consistent(ds)
    assert set(added) <= ids
    assert len(ids - set(added)) <= 1
    assert len(ds.parts) == 1  # all buffered, written once on the way out
    with DatasetWriter(tmp_path / "ds") as writer:
        assert writer.done_ids() == ids
        writer.add_session("resumed", recorded.events[0], labels={"n": -1}, meta={})
    assert len(SessionDataset.open(tmp_path / "ds")) == len(ids) + 1


def test_rows_of_an_uncommitted_part_are_ignored(tmp_path: Path, recorded: Recorded) -> None:
    """A crash between the renames: table files whose ``sessions`` file never landed, and
    temporary files, are not read."""
    path = tmp_path / "ds"
    with DatasetWriter(path) as writer:
        writer.add_session("a", recorded.events[0], labels={}, meta={})
    ds = SessionDataset.open(path)
    for name in TABLES:
        if name == "sessions" or not ds.files(name):
            continue
        source = Path(ds.files(name)[0])
        shutil.copy(source, source.with_name("part-29991231T000000000000Z-dead-00001.parquet"))
        shutil.copy(source, source.with_name(".part-x.parquet.tmp"))
    reopened = SessionDataset.open(path)
    for name in TABLES:
        assert reopened.table(name).num_rows == ds.table(name).num_rows, name
        assert len(reopened.files(name)) == len(ds.files(name))
    with DatasetWriter(path) as writer:
        assert writer.done_ids() == {"a"}


@pytest.mark.parametrize("flush_every", [1, 3])
def test_done_ids_include_buffered_sessions(
    tmp_path: Path, recorded: Recorded, flush_every: int
) -> None:
    with DatasetWriter(tmp_path / "ds", flush_every=flush_every, compact=False) as writer:
        for n in range(4):
            writer.add_session(f"s{n}", recorded.events[0], labels={}, meta={})
            assert writer.done_ids() == {f"s{i}" for i in range(n + 1)}
    assert len(SessionDataset.open(tmp_path / "ds").parts) == (4 if flush_every == 1 else 2)
