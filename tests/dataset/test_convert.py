"""JSON-lines recordings (``Recording.load``) into a dataset."""

from __future__ import annotations

from pathlib import Path

from conftest import Recorded

from nextevi_widgets.dataset import DatasetWriter, SessionDataset, convert_recordings
from nextevi_widgets.recording import Recording, recording_paths


def test_recordings_convert_like_the_live_events(tmp_path: Path, recorded: Recorded) -> None:
    ds = SessionDataset.from_recordings(
        recorded.recordings,
        tmp_path / "from-recordings",
        labels=lambda rec: {"turns_spoken": sum(m["role"] == "user" for m in rec.transcript)},
        meta={"config": "deterministic"},
    )
    with DatasetWriter(tmp_path / "live") as writer:
        for index, events in enumerate(recorded.events):
            writer.add_session(f"session-{index}", events, labels={}, meta={})
    live = SessionDataset.open(tmp_path / "live")

    sessions = ds.df("sessions").set_index("session_id")
    assert list(sessions.index) == ["session-0", "session-1"]
    assert list(sessions["turns_spoken"]) == [1, 2]
    assert set(sessions["config"]) == {"deterministic"}
    assert sessions["started_at"].notna().all()
    assert list(sessions["connection_id"]) == list(live.df("sessions")["connection_id"])
    for table, order in [
        ("turns", "session_id, turn"),
        ("latency", "session_id, user_turn"),
        ("emotion_samples", "session_id, t, name"),
    ]:
        query = f"select * exclude (part) from {table} order by {order}"
        converted, original = ds.sql(query), live.sql(query)
        assert len(converted) == len(original) > 0, table
        assert converted.equals(original), table


def test_converting_again_skips_what_is_there(tmp_path: Path, recorded: Recorded) -> None:
    out = tmp_path / "ds"
    assert convert_recordings(recorded.recordings[:1], out) == ["session-0"]
    assert convert_recordings(recorded.recordings, out) == ["session-1"]
    assert len(SessionDataset.open(out)) == 2


def test_a_truncated_recording_converts_up_to_its_last_event(
    tmp_path: Path, recorded: Recorded
) -> None:
    jsonl, wav = recording_paths(recorded.recordings[1])
    cut = tmp_path / "cut"
    lines = jsonl.read_text().splitlines()
    (tmp_path / "cut.jsonl").write_text("\n".join(lines[: len(lines) // 2]) + '\n{"t": 1.0, "di')
    (tmp_path / "cut.wav").write_bytes(wav.read_bytes())
    recording = Recording.load(cut)
    assert not recording.complete
    ds = SessionDataset.from_recordings([cut], tmp_path / "ds")
    row = ds.df("sessions").iloc[0]
    assert row["session_id"] == "cut"
    assert row["n_events"] == len([e for e in recording.events if e.event is not None])
    assert '"truncated": true' in row["meta"]
