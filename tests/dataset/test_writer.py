"""DatasetWriter → SessionDataset round trip on real emulator sessions; schema, errors, retries."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest
from conftest import Recorded

from nextevi_widgets.client.messages import Transcription
from nextevi_widgets.dataset import SCHEMA_VERSION, SCHEMAS, DatasetWriter, SessionDataset
from nextevi_widgets.dataset.rows import recording_from_events


def write(path: Path, recorded: Recorded, **options: object) -> SessionDataset:
    with DatasetWriter(path, **options) as writer:  # type: ignore[arg-type]
        for index, events in enumerate(recorded.events):
            writer.add_session(
                f"s{index}",
                events,
                labels={"sentiment": ["positive", "negative"][index], "speaker": index},
                meta={"config": "deterministic", "wall_s": 1.5, "input": f"in-{index}.wav"},
            )
    return SessionDataset.open(path)


def test_round_trip_matches_the_sessions_own_fold(tmp_path: Path, recorded: Recorded) -> None:
    ds = write(tmp_path / "ds", recorded)
    sessions = ds.df("sessions").set_index("session_id")
    assert list(sessions.index) == ["s0", "s1"]
    assert list(sessions["sentiment"]) == ["positive", "negative"]
    assert list(sessions["speaker"]) == [0, 1]
    assert set(sessions["config"]) == {"deterministic"}
    assert json.loads(sessions.loc["s0", "meta"]) == {"input": "in-0.wav"}
    assert sessions.loc["s0", "wall_s"] == 1.5
    assert sessions["error"].isna().all()

    for index, events in enumerate(recorded.events):
        sid = f"s{index}"
        recording = recording_from_events(events)
        row = sessions.loc[sid]
        assert row["n_events"] == len(events)
        assert row["duration_s"] == pytest.approx(recording.duration)
        assert str(row["connection_id"]).startswith("voice_")

        turns = ds.sql("select * from turns where session_id = ? order by turn", [sid])
        assert list(turns["text"]) == [m["text"] for m in recording.transcript]
        assert list(turns["role"]) == ["user", "assistant"] * (index + 1)
        assert row["n_user_turns"] == index + 1

        latency = ds.sql("select * from latency where session_id = ? order by user_turn", [sid])
        assert len(latency) == index + 1
        for record, (_, got) in zip(recording.latency, latency.iterrows(), strict=True):
            assert got["user_speech_end"] == record["user_speech_end"]
            assert got["first_played"] == record["first_played"]
            assert got["response_s"] == pytest.approx(
                record["first_tts_chunk"] - record["user_speech_end"]
            )

        transcripts = ds.sql("select * from transcripts where session_id = ? order by t", [sid])
        sent = [e for _, e, _ in events if isinstance(e, Transcription)]
        assert list(transcripts["text"]) == [e.transcript for e in sent]
        finals = transcripts[transcripts["is_final"]]
        assert len(finals) == index + 1
        words = finals.iloc[0]["words"]
        assert [w["word"] for w in words] == finals.iloc[0]["text"].split()
        assert (~transcripts["is_final"]).sum() > 0  # interims are kept

        samples = ds.sql(
            "select t, name, score, turn, role from emotion_samples where session_id = ?", [sid]
        )
        timeline = recording.timeline
        expected = int(np.count_nonzero(~np.isnan(timeline.values)))
        assert len(samples) == expected == row["n_emotion_samples"] > 0
        first = samples[samples["t"] == samples["t"].min()].set_index("name")["score"]
        column = timeline.values[int(np.argmin(timeline.times))]
        for name, value in zip(timeline.names, column, strict=True):
            if not math.isnan(value):
                assert first[name] == pytest.approx(value, abs=1e-6)
        assert set(samples["role"].dropna()) <= {"user", "assistant"}
        assert samples["turn"].notna().all()
    assert len(ds.table("errors")) == 0


def test_files_have_the_documented_schema(tmp_path: Path, recorded: Recorded) -> None:
    ds = write(tmp_path / "ds", recorded)
    manifest = json.loads((tmp_path / "ds" / "_dataset.json").read_text())
    assert manifest["schema_version"] == SCHEMA_VERSION == ds.schema_version
    for name, schema in SCHEMAS.items():
        for file in ds.files(name):
            got = pq.read_schema(file)
            assert got.names[: len(schema.names)] == schema.names
            for field in schema:
                assert got.field(field.name).type == field.type, (name, field.name)
    sessions_schema = pq.read_schema(ds.files("sessions")[0])
    assert sessions_schema.names[len(SCHEMAS["sessions"]) :] == ["sentiment", "speaker"]
    # every row of a part names it, in every table
    part = Path(ds.files("sessions")[0]).stem
    assert set(ds.table("emotion_samples").column("part").to_pylist()) == {part}


def test_newer_schema_version_is_refused_with_the_fix(tmp_path: Path, recorded: Recorded) -> None:
    write(tmp_path / "ds", recorded)
    manifest_path = tmp_path / "ds" / "_dataset.json"
    manifest = json.loads(manifest_path.read_text())
    manifest["schema_version"] = SCHEMA_VERSION + 1
    manifest_path.write_text(json.dumps(manifest))
    with pytest.raises(ValueError, match="upgrade the package"):
        SessionDataset.open(tmp_path / "ds")
    with pytest.raises(ValueError, match="upgrade the package"):
        DatasetWriter(tmp_path / "ds")


def test_not_a_dataset(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="not a session dataset"):
        SessionDataset.open(tmp_path)
    (tmp_path / "other.txt").write_text("x")
    with pytest.raises(FileExistsError, match="not a session dataset"):
        DatasetWriter(tmp_path)


def test_error_rows_and_retry(tmp_path: Path, recorded: Recorded) -> None:
    path = tmp_path / "ds"
    with DatasetWriter(path) as writer:
        writer.add_session("bad", [], labels={"sentiment": "neutral"}, meta={}, error="boom")
        writer.add_session("ok", recorded.events[0], labels={"sentiment": "positive"}, meta={})
        with pytest.raises(ValueError, match="already in the dataset"):
            writer.add_session("ok", recorded.events[0], labels={}, meta={})
        assert writer.done_ids() == {"bad", "ok"}
        assert writer.done_ids(include_errors=False) == {"ok"}
    ds = SessionDataset.open(path)
    errors = ds.df("errors")
    assert errors[["session_id", "source", "code", "message"]].values.tolist() == [
        ["bad", "run", "run_error", "boom"]
    ]
    assert ds.sql("select error from sessions where session_id = 'bad'")["error"][0] == "boom"

    # A later run retries the failed session: its new rows replace the old ones everywhere.
    with DatasetWriter(path) as writer:
        assert writer.done_ids() == {"bad", "ok"}
        assert writer.done_ids(include_errors=False) == {"ok"}
        writer.add_session("bad", recorded.events[1], labels={"sentiment": "neutral"}, meta={})
    ds = SessionDataset.open(path)
    sessions = ds.df("sessions").set_index("session_id")
    assert sorted(sessions.index) == ["bad", "ok"]
    assert sessions.loc["bad"].isna()["error"]
    assert len(ds.table("errors")) == 0
    assert len(ds.sql("select * from latency where session_id = 'bad'")) == 2
    assert DatasetWriter(path).done_ids(include_errors=False) == {"bad", "ok"}


def test_bad_labels_are_refused_before_anything_is_buffered(
    tmp_path: Path, recorded: Recorded
) -> None:
    with DatasetWriter(tmp_path / "ds") as writer:
        with pytest.raises(ValueError, match="clashes with a sessions column"):
            writer.add_session("a", recorded.events[0], labels={"error": "x"}, meta={})
        with pytest.raises(ValueError, match="must be a string, number"):
            writer.add_session("a", recorded.events[0], labels={"tags": ["x"]}, meta={})
        assert writer.done_ids() == set()
        writer.add_session("a", recorded.events[0], labels={"n": 1, "x": None}, meta={})
        writer.flush()
        with pytest.raises(ValueError, match="label 'n' holds int64 values in this dataset"):
            writer.add_session("b", recorded.events[0], labels={"n": "one"}, meta={})
        writer.add_session("c", recorded.events[0], labels={"n": None, "x": 2.5}, meta={})
    # types are read back from the files
    with (
        DatasetWriter(tmp_path / "ds") as writer,
        pytest.raises(ValueError, match="label 'n' holds int64"),
    ):
        writer.add_session("d", recorded.events[0], labels={"n": 0.5}, meta={})
    sessions = SessionDataset.open(tmp_path / "ds").df("sessions")
    assert sessions["session_id"].tolist() == ["a", "c"]
    assert sessions["n"].tolist()[0] == 1
    assert sessions["x"].tolist()[1] == 2.5


def test_parts_and_flushing(tmp_path: Path, recorded: Recorded) -> None:
    path = tmp_path / "ds"
    with DatasetWriter(path, flush_every=1, compact=False) as writer:
        writer.add_session("a", recorded.events[0], labels={}, meta={})
        # flushed at once: another reader sees it while the writer is open
        assert SessionDataset.open(path).df("sessions")["session_id"].tolist() == ["a"]
        writer.add_session("b", recorded.events[0], labels={}, meta={})
    ds = SessionDataset.open(path)
    assert len(ds.parts) == 2
    assert len(ds) == 2
    assert sorted(ds.df("turns")["session_id"].unique()) == ["a", "b"]
    with pytest.raises(ValueError, match="closed"):
        writer.add_session("c", [], labels={}, meta={})
    with pytest.raises(KeyError, match="the tables are sessions"):
        ds.table("nope")
