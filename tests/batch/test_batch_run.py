"""Batch runs against the in-process emulator (quick deterministic engines): rows per input,
bad inputs as error rows, resume, cancellation, the progress bar."""

from __future__ import annotations

import asyncio
import io
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import soundfile
from fast_sessions import FAST_PROFILE

from nextevi_widgets.batch import BatchSummary, arun_batch, run_batch, run_batch_sync
from nextevi_widgets.dataset import SessionDataset

FAST: dict[str, Any] = {
    "emulator": "inprocess",
    "config_id": FAST_PROFILE,
    "realtime": False,
    "progress": False,
    "trailing_silence": 0.6,
    "quiet_period": 1.0,
}
GUARD = 120.0
"""Against hangs only; never a speed expectation."""


async def _run(inputs: Any, out: Path, **options: Any) -> BatchSummary:
    return await asyncio.wait_for(arun_batch(inputs, out, **{**FAST, **options}), GUARD)


def _sessions(path: Path) -> dict[str, dict[str, Any]]:
    """The sessions table by id (missing values as None)."""
    frame = SessionDataset.open(path).df("sessions")
    frame = frame.astype(object).where(frame.notna(), None)
    return {row["session_id"]: row for row in frame.to_dict(orient="records")}


async def test_each_input_becomes_a_row_with_its_labels_transcript_and_reply(
    spoken: list[Path], tmp_path: Path
) -> None:
    table = tmp_path / "set.csv"
    rows = zip(spoken, ["a", "b", "c"], strict=True)
    table.write_text(
        "path,sentiment\n" + "".join(f"{p.relative_to(tmp_path)},{s}\n" for p, s in rows)
    )
    out = tmp_path / "ds"
    summary = await _run(table, out, concurrency=2)
    assert (summary.total, summary.succeeded, summary.failed, summary.not_run) == (3, 3, 0, 0)
    dataset = SessionDataset.open(out)
    sessions = dataset.df("sessions")
    assert sorted(sessions["sentiment"]) == ["a", "b", "c"]
    assert sessions["error"].isna().all()
    meta = [json.loads(m) for m in sessions["meta"]]
    assert {m["ended_by"] for m in meta} == {"reply"}
    assert {m["source"] for m in meta} == {"csv"}
    turns = dataset.df("turns")
    for session_id in sessions["session_id"]:
        roles = list(turns[turns["session_id"] == session_id].sort_values("turn")["role"])
        assert roles[:2] == ["user", "assistant"]
    replies = turns[turns["role"] == "assistant"]
    assert (replies["text"].str.len() > 0).all()
    assert not replies["interrupted"].any()  # the run waited for each reply to play out
    assert len(dataset.df("latency")) == 3


async def test_bad_inputs_get_error_rows_and_the_run_goes_on(
    spoken: list[Path], tmp_path: Path
) -> None:
    not_audio = tmp_path / "notes.wav"
    not_audio.write_text("these are words, not sound")
    empty = tmp_path / "empty.wav"
    soundfile.write(empty, np.zeros(0, dtype=np.int16), 24_000)
    missing = tmp_path / "gone.wav"
    inputs = [not_audio, spoken[0], empty, missing, spoken[1]]
    out = tmp_path / "ds"
    summary = await _run(inputs, out)
    assert (summary.succeeded, summary.failed) == (2, 3)
    errors = {Path(f.path).name: f.error for f in summary.failures}
    assert "cannot read notes.wav as audio" in errors["notes.wav"]
    assert "empty.wav holds no audio" in errors["empty.wav"]
    assert "file not found" in errors["gone.wav"]
    rows = _sessions(out)
    assert len(rows) == 5
    by_name = {json.loads(r["meta"])["path"].rsplit("/", 1)[-1]: r for r in rows.values()}
    assert by_name["notes.wav"]["error"] == errors["notes.wav"]
    assert by_name["00.wav"]["error"] is None
    assert by_name["00.wav"]["n_user_turns"] >= 1


async def test_a_second_run_skips_what_is_done(spoken: list[Path], tmp_path: Path) -> None:
    out = tmp_path / "ds"
    first = await _run(spoken[:2], out)
    assert first.written == 2
    second = await _run(spoken, out)
    assert (second.total, second.skipped, second.succeeded) == (3, 2, 1)
    rows = _sessions(out)
    assert len(rows) == 3
    third = await _run(spoken, out)
    assert (third.skipped, third.written) == (3, 0)
    assert len(_sessions(out)) == 3


async def test_a_cancelled_run_keeps_finished_inputs_and_resumes(
    spoken: list[Path], tmp_path: Path
) -> None:
    out = tmp_path / "ds"
    inputs = spoken + [p.with_name("x" + p.name) for p in spoken]
    for original, copy in zip(spoken, inputs[3:], strict=True):
        copy.write_bytes(original.read_bytes())
    # Real-time pace: a run of six inputs takes long enough to interrupt mid-way.
    run = run_batch(inputs, out, **{**FAST, "realtime": True, "concurrency": 2})

    async def first_written() -> None:
        while run.summary.written < 1:  # noqa: ASYNC110 - the summary is plain data
            await asyncio.sleep(0.02)

    await asyncio.wait_for(first_written(), GUARD)
    run.cancel()
    with pytest.raises(asyncio.CancelledError):
        await run
    summary = run.summary
    assert summary.stopped == "cancelled"
    assert 1 <= summary.written < 6
    assert summary.not_run == 6 - summary.written
    # Finished inputs are in the dataset (flushed at cancellation), in-flight ones are not.
    rows = _sessions(out)
    assert len(rows) == summary.written
    assert all(r["error"] is None for r in rows.values())
    resumed = await _run(inputs, out, concurrency=2)
    assert resumed.skipped == summary.written
    assert resumed.written == 6 - summary.written
    assert len(_sessions(out)) == 6


async def test_the_progress_bar_counts_inputs_and_errors(
    spoken: list[Path], tmp_path: Path
) -> None:
    stream = io.StringIO()
    bad = tmp_path / "bad.wav"
    bad.write_text("no")
    progress = {"file": stream, "ascii": True, "mininterval": 0, "desc": "eval"}
    await _run([spoken[0], bad], tmp_path / "ds", progress=progress)
    text = stream.getvalue()
    assert "eval:" in text
    assert "1/2" in text
    assert "2/2" in text
    assert "errors=1" in text


async def test_run_batch_returns_at_once_and_awaiting_it_gives_the_summary(
    spoken: list[Path], tmp_path: Path
) -> None:
    run = run_batch(spoken[:1], tmp_path / "ds", **FAST)
    assert not run.done()  # the cell returned; the batch runs as a task on this loop
    summary = await asyncio.wait_for(run, GUARD)
    assert summary is run.summary
    assert summary.succeeded == 1
    assert "1 of 1 inputs written" in repr(run)


async def test_a_misspelt_keyword_is_refused_at_once_by_name(tmp_path: Path) -> None:
    with pytest.raises(TypeError, match="concurency"):
        run_batch([], tmp_path / "ds", concurency=2)
    with pytest.raises(TypeError, match="max_reconect_attempts"):
        await arun_batch([], tmp_path / "ds", max_reconect_attempts=2)
    assert not (tmp_path / "ds").exists()


async def test_a_label_named_like_a_dataset_column_is_refused_before_any_input(
    spoken: list[Path], tmp_path: Path
) -> None:
    table = tmp_path / "set.csv"
    table.write_text(f"path,config,label\n{spoken[0]},v2,positive\n")
    with pytest.raises(ValueError, match=r"'config' clash with dataset columns"):
        await _run(table, tmp_path / "ds")
    summary = await _run(table, tmp_path / "ds", label_columns=["label"])
    assert summary.succeeded == 1


def test_run_batch_sync_runs_a_script_batch_and_refuses_a_running_loop(
    spoken: list[Path], tmp_path: Path
) -> None:
    summary = run_batch_sync(spoken[:1], tmp_path / "ds", **FAST)
    assert summary.succeeded == 1

    async def inside_a_loop() -> None:
        with pytest.raises(RuntimeError, match="use run = run_batch"):
            run_batch_sync(spoken[:1], tmp_path / "ds", **FAST)

    asyncio.run(inside_a_loop())
