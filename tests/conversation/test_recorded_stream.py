"""Recordings store the whole event stream and fold it through the conversation."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from nextevi_widgets.client.messages import LLMResponseChunk, TextInput, TTSChunk
from nextevi_widgets.conversation import (
    Conversation,
    FrontEndProblem,
    FrontEndProblemCleared,
    LocalEvent,
    OutgoingAudio,
    PlaybackProgress,
    PlaybackStarted,
    PlaybackStats,
    PlayerAttached,
    PlayerDetached,
    SessionStopped,
)
from nextevi_widgets.recording import FORMAT_VERSION, Recorder, Recording, replay

FIXTURES = Path(__file__).parent.parent / "fixtures" / "recordings"


def test_a_format_1_recording_still_loads_and_folds_as_it_did(tmp_path: Path) -> None:
    # Written by the format-1 recorder, with what its loader rebuilt from it.
    for suffix in (".jsonl", ".wav"):
        shutil.copy(FIXTURES / f"format1-bargein{suffix}", tmp_path / f"old{suffix}")
    expected = json.loads((FIXTURES / "format1-bargein.expected.json").read_text())
    recording = Recording.load(tmp_path / "old")
    assert recording.version == 1
    assert FORMAT_VERSION == 2
    assert recording.complete
    assert recording.transcript == expected["transcript"]
    assert recording.latency == expected["latency"]
    assert recording.transcript[-1]["heard_text"] == "Once upon a"
    audio = [e.event for e in recording.events if isinstance(e.event, OutgoingAudio)]
    assert len(audio) == 10
    assert sum(frame.voiced for frame in audio) == 7


def test_every_local_event_round_trips(tmp_path: Path) -> None:
    events: list[tuple[str, object, float]] = [
        ("in", PlayerAttached(), 0.0),
        ("out", TextInput(text="hello"), 0.1),
        ("out", OutgoingAudio(bytes(960), seq=3, t_capture=12.5, level=-31.25), 0.12),
        ("in", LLMResponseChunk(content="hi there", generation_id="g", is_final=True), 0.2),
        ("in", TTSChunk(audio=bytes(4800), chunk_id="c1", generation_id="g", is_last=True), 0.3),
        ("in", PlaybackStarted("c1", 0.35), 0.31),
        ("in", PlaybackProgress("c1", 2400, 2400, False), 0.5),
        ("in", PlaybackStats(2, 0.0), 0.51),
        ("in", FrontEndProblem("audio_suspended", "resume me"), 0.6),
        ("in", FrontEndProblemCleared("audio_suspended"), 0.7),
        ("in", PlayerDetached(), 0.8),
        ("in", SessionStopped(), 0.9),
    ]
    with Recorder(tmp_path / "all") as recorder:
        for direction, event, t in events:
            recorder.record(direction, event, t)
    recording = Recording.load(tmp_path / "all")
    assert recording.version == FORMAT_VERSION
    loaded = [(e.direction, e.event, e.t) for e in recording.events]
    assert [(d, type(e), t) for d, e, t in loaded] == [(d, type(e), t) for d, e, t in events]
    local = (LocalEvent, OutgoingAudio)
    assert [e for _, e, _ in loaded if isinstance(e, local)] == [
        e for _, e, _ in events if isinstance(e, local)
    ]
    frame = recording.events[2].event
    assert isinstance(frame, OutgoingAudio)
    assert frame.level_dbfs == -31.25  # the level the live session saw, not the WAV's
    live = Conversation()
    for _direction, event, t in events:
        live.feed(event, t)
    live.advance(0.9)
    assert recording.transcript == live.messages
    assert recording.latency == live.latency
    assert recording.latency[-1]["first_played"] == 0.35
    assert recording.latency[-1]["played_estimated"] is False


async def test_replay_drives_a_conversation(tmp_path: Path) -> None:
    for suffix in (".jsonl", ".wav"):
        shutil.copy(FIXTURES / f"format1-bargein{suffix}", tmp_path / f"old{suffix}")
    recording = Recording.load(tmp_path / "old")
    conversation = Conversation()
    delivered = await replay(recording, conversation, speed=float("inf"))
    assert delivered == len(recording.events)
    assert recording.end is not None
    conversation.advance(recording.end)
    assert conversation.messages == recording.transcript
    assert conversation.latency == recording.latency
