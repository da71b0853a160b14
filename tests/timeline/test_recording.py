"""Record a real session (in-process emulator), load it, replay it, survive truncation."""

from __future__ import annotations

import asyncio
import json
import shutil
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from timeline_support import reply_finished

from nextevi_widgets.client.messages import Interruption, TTSChunk
from nextevi_widgets.recording import (
    FORMAT_VERSION,
    Recorder,
    Recording,
    compare_recordings,
    replay,
)
from nextevi_widgets.recording.wav import IncrementalWav, read_wav
from nextevi_widgets.session import VoiceSession
from nextevi_widgets.timeline import EmotionTimeline

TOL = 0.01  # seconds: the live session cuts a reply on interrupt() just before it logs it


def rms(x: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(x.astype(np.float64))))) if x.size else 0.0


async def record_conversation(
    make_session: Callable[..., VoiceSession], speech_wav: Path, stem: Path
) -> tuple[VoiceSession, EmotionTimeline, Recorder]:
    """A spoken turn, then a text turn interrupted while the reply plays."""
    session = make_session()
    timeline = EmotionTimeline.attach(session)
    recorder = session.record(stem)
    session.start()
    await session.wait_until("connected", timeout=30)
    await session.send_file(str(speech_wav), realtime=True, trailing_silence=0.8)
    await session.wait_until(reply_finished, timeout=30)
    session.say("I feel a bit sad today")
    await session.wait_until(lambda s: s.is_assistant_speaking, timeout=30)
    await asyncio.sleep(0.4)
    session.interrupt()
    await session.wait_until(lambda s: not s.is_assistant_speaking, timeout=30)
    await asyncio.sleep(0.3)
    closing = session.close()
    if closing is not None:
        await closing
    recorder.close()
    return session, timeline, recorder


def assert_same_messages(replayed: list[dict], live: list[dict]) -> None:
    assert [(m["role"], m["text"], m["interrupted"]) for m in replayed] == [
        (m["role"], m["text"], m["interrupted"]) for m in live
    ]
    for a, b in zip(replayed, live, strict=True):
        assert a["emotions"] == b["emotions"]
        assert a["start"] == pytest.approx(b["start"], abs=TOL)
        assert a["end"] == pytest.approx(b["end"], abs=TOL)


async def test_record_load_replay_round_trip(
    make_session: Callable[..., VoiceSession], speech_wav: Path, tmp_path: Path
) -> None:
    stem = tmp_path / "call"
    live, live_timeline, recorder = await record_conversation(make_session, speech_wav, stem)
    assert recorder.closed
    assert any(m["interrupted"] for m in live.messages)
    assert any(m["emotions"] for m in live.messages)

    rec = Recording.load(stem)
    assert rec.complete
    assert rec.skipped_lines == 0
    assert len(rec.events) == recorder.events
    times = [e.t for e in rec.events]
    assert times == sorted(times)
    # No audio in the log: chunks keep metadata and their place in the WAV.
    lines = (tmp_path / "call.jsonl").read_text().splitlines()
    tts_lines = [line for line in lines if '"tts_chunk"' in line]
    assert tts_lines
    assert not [line for line in tts_lines if '"content"' in line]
    assert all(len(line) < 4000 for line in lines)

    # The offline rebuild matches the live session.
    assert_same_messages(rec.transcript, live.messages)
    assert len(rec.latency) == len(live.latency) == 2
    for a, b in zip(rec.latency, live.latency, strict=True):
        for stage in ("user_speech_end", "final_transcript", "first_text", "first_tts_chunk"):
            assert a[stage] == pytest.approx(b[stage], abs=TOL)

    # ... and so does the timeline.
    timeline = rec.timeline
    assert timeline.names == live_timeline.names
    np.testing.assert_allclose(timeline.times, live_timeline.times)
    np.testing.assert_allclose(timeline.values, live_timeline.values)
    assert [t.role for t in timeline.turns] == [t.role for t in live_timeline.turns]
    for a, b in zip(timeline.turns, live_timeline.turns, strict=True):
        assert a.start == pytest.approx(b.start, abs=1e-9)
        assert a.end == pytest.approx(b.end, abs=1e-9)
        assert a.interrupted == b.interrupted
    assert timeline.interruptions == pytest.approx(live_timeline.interruptions)

    # Replay into a fresh session and into a bare timeline.
    fresh = VoiceSession(emulator=False)
    replayed_timeline = EmotionTimeline()
    count = await replay(rec, fresh, speed=float("inf"))
    await replay(rec, replayed_timeline, speed=float("inf"))
    assert count == len([e for e in rec.events if e.event is not None])
    assert_same_messages(fresh.messages, live.messages)
    np.testing.assert_allclose(replayed_timeline.values, live_timeline.values)
    assert len(replayed_timeline.turns) == len(live_timeline.turns)


async def test_wav_holds_user_left_and_heard_assistant_right(
    make_session: Callable[..., VoiceSession], speech_wav: Path, tmp_path: Path
) -> None:
    stem = tmp_path / "call"
    _, live_timeline, _ = await record_conversation(make_session, speech_wav, stem)
    rec = Recording.load(stem)
    rate = rec.sample_rate
    assert rate == 24_000
    audio = rec.audio

    def window(start: float, end: float, channel: int) -> np.ndarray:
        a, b = (round((x - rec.t0) * rate) for x in (start, end))
        return audio[max(0, a) : max(0, b), channel]

    user, reply, _, cut = live_timeline.turns
    assert rms(window(user.start + 0.3, user.end - 0.1, 0)) > 300  # the user spoke
    assert rms(window(user.start + 0.3, user.end - 0.1, 1)) == 0  # nobody else did
    assert rms(window(reply.start, reply.end, 1)) > 300
    assert rms(window(reply.start, reply.end, 0)) < 50  # trailing silence only
    # The interrupted reply is heard up to the barge-in and not after it.
    assert cut.interrupted
    assert rms(window(cut.start, cut.end, 1)) > 300
    assert rms(window(cut.end + 0.01, cut.end + 1.0, 1)) == 0
    # A chunk line knows where its audio went.
    chunks = [e for e in rec.events if isinstance(e.event, TTSChunk)]
    placed = [e for e in chunks if e.data["wav_samples"] > 0]
    assert placed
    offset = placed[0].data["wav_offset"]
    assert np.array_equal(
        np.frombuffer(placed[0].event.audio, "<i2")[:100], audio[offset : offset + 100, 1]
    )
    assert any(isinstance(e.event, Interruption) for e in rec.events)


async def test_truncated_recording_loads(
    make_session: Callable[..., VoiceSession], speech_wav: Path, tmp_path: Path
) -> None:
    stem = tmp_path / "call"
    live, _, _ = await record_conversation(make_session, speech_wav, stem)
    full = Recording.load(stem)

    cut = tmp_path / "cut"
    jsonl = (tmp_path / "call.jsonl").read_bytes()
    lines = jsonl.split(b"\n")
    keep = b"\n".join(lines[: len(lines) // 2]) + b"\n" + lines[len(lines) // 2][:25]
    (tmp_path / "cut.jsonl").write_bytes(keep)
    wav = (tmp_path / "call.wav").read_bytes()
    (tmp_path / "cut.wav").write_bytes(wav[: len(wav) // 2 + 3])  # mid-frame
    partial = Recording.load(cut)
    assert not partial.complete
    assert partial.skipped_lines == 0
    assert len(partial.events) == len(lines) // 2 - 1  # minus the header line
    assert partial.audio.shape == ((len(wav) // 2 + 3 - 44) // 4, 2)
    assert np.array_equal(partial.audio, full.audio[: len(partial.audio)])
    assert partial.duration > 0
    assert partial.transcript  # rebuilt as far as the log goes
    assert live.messages[0]["text"].startswith(partial.transcript[0]["text"])


def test_crashed_writer_leaves_a_readable_wav(tmp_path: Path) -> None:
    writer = IncrementalWav(tmp_path / "x.wav", 24_000)
    block = (np.arange(2 * 30_000) % 20_000).astype(np.int16).reshape(-1, 2)
    writer.write(block)  # header updated (>= 1 s)
    writer.write(block[:1000])  # header now stale, as after a crash
    shutil.copy(tmp_path / "x.wav", tmp_path / "crashed.wav")
    writer.close()
    audio, rate = read_wav(tmp_path / "crashed.wav")
    assert rate == 24_000
    assert np.array_equal(audio, np.concatenate([block, block[:1000]]))
    import soundfile

    data, rate = soundfile.read(str(tmp_path / "x.wav"), dtype="int16")
    assert data.shape == (31_000, 2)


def test_unclosed_recorder_still_loads(tmp_path: Path) -> None:
    from nextevi_widgets.client.messages import EmotionUpdate, normalize_emotions

    recorder = Recorder(tmp_path / "live")
    recorder.record("in", EmotionUpdate(emotions=normalize_emotions({"joy": 0.5})), 1.0)
    recorder.record("in", EmotionUpdate(emotions=normalize_emotions({"joy": 0.7})), 1.5)
    rec = Recording.load(tmp_path / "live.jsonl")
    assert not rec.complete
    assert rec.timeline.values[:, 0].tolist() == [0.5, 0.7]
    header = json.loads((tmp_path / "live.jsonl").read_text().splitlines()[0])
    assert header["version"] == FORMAT_VERSION == 2
    assert header["wav"] == "live.wav"
    recorder.close()
    assert Recording.load(tmp_path / "live").complete


async def test_compare_and_timed_replay(
    make_session: Callable[..., VoiceSession], speech_wav: Path, tmp_path: Path
) -> None:
    await record_conversation(make_session, speech_wav, tmp_path / "a")
    rec = Recording.load(tmp_path / "a")
    rows = compare_recordings([rec, tmp_path / "a.jsonl"])
    assert len(rows) == 2
    assert rows[0]["user_turns"] == 2
    assert rows[0]["assistant_turns"] == 2
    assert rows[0]["interruptions"] == 1
    assert rows[0]["response_ms"] is not None
    assert rows[0]["response_ms"] > 0
    assert rows[0]["mean_neutral"] == pytest.approx(rec.timeline.mean()["neutral"])
    assert rows[0] == rows[1]
    # Timed replay (speed 50): same events, delivered in order.
    seen: list[float] = []
    fresh = VoiceSession(emulator=False)
    fresh.on_event(lambda _d, _e, t: seen.append(t))
    await replay(rec, fresh, speed=50.0)
    assert seen == sorted(seen)
    assert len(seen) == len([e for e in rec.events if e.event is not None])
