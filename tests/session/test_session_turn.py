"""Whole turns against the in-process emulator: audio file and text input."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from session_support import write_speech_wav
from traitlets import Bool, HasTraits, Unicode, dlink, link

from nextevi_widgets.client.messages import EMOTION_NAMES, Transcription, TTSChunk
from nextevi_widgets.emulator.deterministic import DEFAULT_SCRIPT, RuleResponder
from nextevi_widgets.session import OutgoingAudio, VoiceSession

USER_TEXT = DEFAULT_SCRIPT[0]  # what the deterministic recogniser hears


def expected_reply(user_text: str) -> str:
    return "".join(RuleResponder().respond(user_text, {}))


def reply_finished(session: VoiceSession) -> bool:
    return (
        len(session.messages) >= 2
        and session.messages[-1]["role"] == "assistant"
        and session.messages[-1]["is_final"]
        and not session.is_assistant_speaking
        and bool(session.latency)
        and session.latency[-1]["first_played"] is not None
    )


async def test_audio_file_turn_updates_every_trait(
    make_session: Callable[..., VoiceSession], tmp_path: Path
) -> None:
    wav = tmp_path / "speech.wav"
    duration = write_speech_wav(wav, rate=44_100, channels=2)
    session = make_session()
    names = [
        "state",
        "interim_transcript",
        "is_user_speaking",
        "is_assistant_speaking",
        "messages",
        "emotions",
        "assistant_text",
    ]
    changes: dict[str, list[Any]] = {name: [] for name in names}
    session.observe(lambda change: changes[change["name"]].append(change["new"]), names=names)
    events: list[tuple[str, object, float]] = []
    session.on_event(lambda direction, event, t: events.append((direction, event, t)))

    session.start()
    sent = await session.send_file(str(wav), realtime=True, trailing_silence=0.8)
    await session.wait_until(reply_finished, timeout=30)

    # 44.1 kHz stereo went out as 24 kHz mono, with the trailing silence.
    assert abs(sent - (duration + 0.8)) < 0.01
    frames = [e for d, e, _ in events if d == "out" and isinstance(e, OutgoingAudio)]
    assert abs(sum(f.duration for f in frames) - sent) < 1e-6
    assert all(f.sample_rate == 24_000 and not f.dropped for f in frames)

    assert changes["state"][:2] == ["connecting", "connected"]
    interims = [text for text in changes["interim_transcript"] if text]
    assert interims
    assert all(USER_TEXT.startswith(text) for text in interims)
    assert changes["interim_transcript"][-1] == ""
    assert changes["is_user_speaking"][:2] == [True, False]
    assert changes["is_assistant_speaking"] == [True, False]
    assert all(isinstance(value, list) for value in changes["messages"])
    assert next(len(value) for value in changes["messages"]) == 1

    user, reply = session.messages
    assert user["role"] == "user"
    assert user["text"] == USER_TEXT
    assert user["is_final"]
    assert user["confidence"] == 0.95
    assert set(user["emotions"]) <= set(EMOTION_NAMES)
    assert user["emotions"]
    assert [w["word"] for w in user["words"]] == USER_TEXT.split()
    assert user["start"] <= user["end"]
    assert session.emotions == user["emotions"]

    text = expected_reply(USER_TEXT)
    assert reply["role"] == "assistant"
    assert reply["text"] == text
    assert reply["interrupted"] is False
    assert reply["heard_text"] is None
    assert reply["generation_id"]
    assert session.assistant_text == text
    assert changes["assistant_text"][-1] == text

    record = session.latency[-1]
    assert record["user_message_id"] == user["id"]
    assert record["generation_id"] == reply["generation_id"]
    stages = [record[k] for k in ("user_speech_end", "final_transcript", "first_tts_chunk")]
    assert stages == sorted(stages)
    assert record["first_text"] <= record["first_tts_chunk"]
    assert record["played_estimated"] is True  # headless: no player reported

    tts = [e for d, e, _ in events if d == "in" and isinstance(e, TTSChunk)]
    finals = [e for d, e, _ in events if isinstance(e, Transcription) and e.is_final]
    assert tts
    assert len(finals) == 1
    times = [t for _, _, t in events]
    assert times == sorted(times)
    await session.wait_until(lambda s: s.stats.get("tts_chunks") == len(tts), timeout=5)
    stats = session.stats
    assert stats["frames_sent"] == len(frames)
    assert stats["frames_dropped"] == 0
    assert abs(stats["tts_seconds"] - sum(c.duration for c in tts)) < 0.01
    assert stats["latencies"]["turns"] == 1


async def test_text_turn_with_links_to_other_objects(
    make_session: Callable[..., VoiceSession],
) -> None:
    class Mirror(HasTraits):
        text = Unicode("")
        speaking = Bool(False)
        state = Unicode("")

    session = make_session()
    mirror = Mirror()
    link((session, "assistant_text"), (mirror, "text"))
    link((session, "is_assistant_speaking"), (mirror, "speaking"))
    dlink((session, "state"), (mirror, "state"))
    speaking: list[bool] = []
    mirror.observe(lambda change: speaking.append(change["new"]), names=["speaking"])

    session.start()
    session.say("thanks")  # before the connection is up: queued, then sent
    await session.wait_until(reply_finished, timeout=30)

    text = expected_reply("thanks")
    assert [(m["role"], m["text"]) for m in session.messages] == [
        ("user", "thanks"),
        ("assistant", text),
    ]
    assert mirror.text == text
    assert speaking == [True, False]
    assert mirror.state == "connected"
    assert session.latency[-1]["user_speech_end"] == session.messages[0]["start"]
