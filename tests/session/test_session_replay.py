"""Offline replay through ``handle_event`` (no network): transcript, heard text, late chunks,
bounded messages, text helpers."""

from __future__ import annotations

from typing import Any

import numpy as np
from traitlets import HasTraits, Unicode, link

from nextevi_widgets.client.messages import (
    EmotionUpdate,
    ErrorMessage,
    Interruption,
    LLMResponseChunk,
    SystemMessage,
    TextInput,
    Transcription,
    TTSChunk,
    Word,
    normalize_emotions,
)
from nextevi_widgets.conversation.text import heard_prefix, merge_llm_text
from nextevi_widgets.session import OutgoingAudio, VoiceSession

TEXT = "one two three four five six seven eight"


def pcm(seconds: float, amplitude: int = 0) -> bytes:
    return np.full(int(seconds * 24_000), amplitude, dtype="<i2").tobytes()


def offline() -> VoiceSession:
    return VoiceSession(emulator=False, api_key="oak_replay_secret_key_000")


def user_turn(session: VoiceSession) -> None:
    session.handle_event(Transcription(transcript="hi", is_final=False), at=1.0)
    session.handle_event(
        EmotionUpdate(emotions=normalize_emotions({"joy": 0.7, "neutral": 0.3})), at=1.2
    )
    session.handle_event(Transcription(transcript="hi there", is_final=False), at=1.4)
    session.handle_event(
        Transcription(
            transcript="hi there",
            is_final=True,
            confidence=0.9,
            words=(Word("hi", 0.0, 0.3, 0.9), Word("there", 0.3, 0.7, 0.9)),
        ),
        at=2.0,
    )


def test_user_turn_interim_then_final_replaces_one_message() -> None:
    session = offline()
    seen: list[list[dict[str, Any]]] = []
    session.observe(lambda change: seen.append(change["new"]), names=["messages"])
    speaking: list[bool] = []
    session.observe(lambda change: speaking.append(change["new"]), names=["is_user_speaking"])

    user_turn(session)

    assert [m["text"] for m in seen[0]] == ["hi"]
    assert seen[0][0]["is_final"] is False
    assert len(session.messages) == 1
    message = session.messages[0]
    assert message["role"] == "user"
    assert message["text"] == "hi there"
    assert message["is_final"] is True
    assert message["confidence"] == 0.9
    # Emotions of the rolling update during the utterance stay attached to it.
    assert message["emotions"] == {"joy": 0.7, "neutral": 0.3}
    assert [w["word"] for w in message["words"]] == ["hi", "there"]
    assert message["start"] == 1.0
    assert 1.0 <= message["end"] <= 2.0
    assert speaking == [True, False]
    assert session.interim_transcript == ""
    # The update after the final transcript describes that utterance and replaces them.
    session.handle_event(
        EmotionUpdate(emotions=normalize_emotions({"joy": 0.2, "sadness": 0.8})), at=2.1
    )
    assert session.messages[0]["emotions"] == {"joy": 0.2, "sadness": 0.8}
    assert session.emotions == {"joy": 0.2, "sadness": 0.8}


def test_interruption_marks_heard_text_from_the_audio_duration_elapsed() -> None:
    session = offline()
    user_turn(session)
    session.handle_event(LLMResponseChunk(content="one two ", generation_id="g1"), at=2.1)
    session.handle_event(LLMResponseChunk(content=TEXT, is_final=True, generation_id="g1"), at=2.2)
    # 0.4 s of reply audio in two chunks, the second the last; playback starts on arrival.
    session.handle_event(TTSChunk(audio=pcm(0.2), generation_id="g1", chunk_id="a"), at=10.0)
    session.handle_event(
        TTSChunk(audio=pcm(0.2), generation_id="g1", chunk_id="b", is_last=True), at=10.05
    )
    assert session.is_assistant_speaking
    # A quarter of the audio has played when the user barges in.
    session.handle_event(Interruption(), at=10.1)

    reply = session.messages[-1]
    assert reply["role"] == "assistant"
    assert reply["interrupted"] is True
    assert reply["heard_text"] == "one two"  # 25 % of the text, cut back to a whole word
    assert reply["text"] == TEXT
    assert not session.is_assistant_speaking
    # Late audio of the interrupted reply is ignored.
    session.handle_event(TTSChunk(audio=pcm(0.2), generation_id="g1", chunk_id="c"), at=10.2)
    session.handle_event(LLMResponseChunk(content="more", generation_id="g1"), at=10.2)
    assert not session.is_assistant_speaking
    assert session.messages[-1]["text"] == TEXT
    session._refresh_stats()
    assert session.stats["late_chunks_dropped"] == 2
    assert session.stats["tts_chunks"] == 2


def test_player_reports_decide_heard_text_and_sinks_get_chunks_and_stop() -> None:
    session = offline()
    chunks: list[TTSChunk] = []
    stops: list[str] = []
    unsubscribe = session.add_audio_sink(chunks.append, stops.append)
    session.handle_event(LLMResponseChunk(content=TEXT, is_final=True, generation_id="g"), at=1)
    for index in range(4):
        last = index == 3
        chunk = TTSChunk(audio=pcm(0.1), generation_id="g", is_last=last)  # no chunk_id
        session.handle_event(chunk, at=1.0 + index * 0.01)
    assert len(chunks) == 4
    ids = [c.chunk_id for c in chunks]
    assert all(ids)
    assert len(set(ids)) == 4
    # The player heard the first chunk and half of the second (1.5 of 4 chunks).
    session.report_playback(ids[0], 2400, 2400)
    session.report_playback(ids[1], 1200, 2400)
    session.handle_event(Interruption(), at=5.0)
    assert stops == ["interruption"]
    reply = session.messages[-1]
    assert reply["interrupted"] is True
    assert reply["heard_text"] == heard_prefix(TEXT, 1.5 / 4)
    assert session.latency == []  # no user turn, so no latency record
    unsubscribe()
    session.handle_event(LLMResponseChunk(content="x", is_final=True, generation_id="h"), at=6)
    session.handle_event(TTSChunk(audio=pcm(0.1), generation_id="h"), at=6.0)
    assert len(chunks) == 4


def test_text_turn_error_and_system_messages() -> None:
    session = offline()
    session.handle_event(TextInput(text="hello"), at=1.0)
    session.handle_event(SystemMessage(content="Welcome", message_type="initial"), at=1.1)
    session.handle_event(
        ErrorMessage(error_code="AUDIO_PROCESSING_FAILED", error_message="bad chunk"), at=1.2
    )
    roles = [(m["role"], m["text"]) for m in session.messages]
    assert roles == [
        ("user", "hello"),
        ("system", "Welcome"),
        ("system", "Error AUDIO_PROCESSING_FAILED: bad chunk"),
    ]
    assert session.last_error == "AUDIO_PROCESSING_FAILED: bad chunk"
    assert session.latency[0]["user_speech_end"] == 1.0


def test_on_event_sees_both_directions_with_session_clock_times() -> None:
    session = offline()
    events: list[tuple[str, str, float]] = []
    unsubscribe = session.on_event(lambda d, e, t: events.append((d, type(e).__name__, t)))
    session.handle_event(OutgoingAudio(pcm(0.02, 3000)), at=0.5)
    session.handle_event(Transcription(transcript="a", is_final=True), at=0.7)
    unsubscribe()
    session.handle_event(Transcription(transcript="b", is_final=True), at=0.9)
    assert events == [("out", "OutgoingAudio", 0.5), ("in", "Transcription", 0.7)]


def test_messages_are_bounded_and_every_change_notifies() -> None:
    session = offline()
    session.max_messages = 3
    lengths: list[int] = []
    session.observe(lambda change: lengths.append(len(change["new"])), names=["messages"])
    for index in range(5):
        session.handle_event(SystemMessage(content=f"note {index}"), at=float(index))
    assert lengths == [1, 2, 3, 3, 3]
    assert [m["text"] for m in session.messages] == ["note 2", "note 3", "note 4"]
    session.max_messages = 1
    assert [m["text"] for m in session.messages] == ["note 4"]


def test_link_follows_streaming_assistant_text() -> None:
    class Mirror(HasTraits):
        text = Unicode("")

    session = offline()
    mirror = Mirror()
    link((session, "assistant_text"), (mirror, "text"))
    session.handle_event(LLMResponseChunk(content="Hello ", generation_id="g"), at=1.0)
    assert mirror.text == "Hello "
    session.handle_event(LLMResponseChunk(content="world", generation_id="g"), at=1.1)
    assert mirror.text == "Hello world"
    session.handle_event(
        LLMResponseChunk(content="Hello world!", is_final=True, generation_id="g"), at=1.2
    )
    assert mirror.text == "Hello world!"


def test_failing_observer_does_not_stop_event_handling(caplog: Any) -> None:
    session = offline()

    def broken(_change: Any) -> None:
        raise RuntimeError("observer bug")

    session.observe(broken, names=["messages"])
    session.handle_event(Transcription(transcript="first", is_final=True), at=1.0)
    session.handle_event(LLMResponseChunk(content="ok", is_final=True, generation_id="g"), at=2)
    assert [m["text"] for m in session.messages] == ["first", "ok"]
    assert session.assistant_text == "ok"
    assert "observer bug" in caplog.text


def test_merge_llm_text_accepts_deltas_and_cumulative_text() -> None:
    assert merge_llm_text("", "Hello") == "Hello"
    assert merge_llm_text("Hello", " there") == "Hello there"
    assert merge_llm_text("Hello", "Hello there") == "Hello there"


def test_heard_prefix_cuts_back_to_whole_words() -> None:
    assert heard_prefix(TEXT, 0.0) == ""
    assert heard_prefix(TEXT, 1.0) == TEXT
    assert heard_prefix(TEXT, 0.25) == "one two"
    assert heard_prefix("supercalifragilistic", 0.5) == ""


def test_streaming_deltas_go_to_text_traits_and_messages_change_at_boundaries() -> None:
    session = offline()
    published: list[list[tuple[str, str, bool]]] = []
    session.observe(
        lambda c: published.append([(m["role"], m["text"], m["is_final"]) for m in c["new"]]),
        names=["messages"],
    )
    interims: list[str] = []
    session.observe(lambda c: interims.append(c["new"]), names=["interim_transcript"])
    replies: list[str] = []
    session.observe(lambda c: replies.append(c["new"]), names=["assistant_text"])
    words = ["one", "two", "three", "four"]
    for i in range(1, len(words) + 1):
        session.handle_event(Transcription(transcript=" ".join(words[:i]), is_final=False), at=i)
    session.handle_event(Transcription(transcript=" ".join(words), is_final=True), at=5.0)
    for i, delta in enumerate(["Sure, ", "here ", "it ", "is."]):
        session.handle_event(LLMResponseChunk(content=delta, generation_id="g"), at=6 + i / 10)
    session.handle_event(
        LLMResponseChunk(content="Sure, here it is.", is_final=True, generation_id="g"), at=7
    )
    # Every delta reached the streaming traits...
    assert interims == ["one", "one two", "one two three", "one two three four", ""]
    assert replies[-4:] == ["Sure, ", "Sure, here ", "Sure, here it ", "Sure, here it is."]
    # ...while messages changed only when an entry was added or finished.
    assert published == [
        [("user", "one", False)],
        [("user", "one two three four", True)],
        [("user", "one two three four", True), ("assistant", "", False)],
        [("user", "one two three four", True), ("assistant", "Sure, here it is.", True)],
    ]


def test_interrupted_reply_is_republished_with_the_text_streamed_so_far() -> None:
    session = offline()
    user_turn(session)
    session.handle_event(LLMResponseChunk(content="one two ", generation_id="g1"), at=2.1)
    session.handle_event(LLMResponseChunk(content="three", generation_id="g1"), at=2.2)
    session.handle_event(TTSChunk(audio=pcm(1.0), chunk_id="c1", generation_id="g1"), at=2.3)
    session.handle_event(Interruption(), at=2.8)
    reply = session.messages[-1]
    assert reply["role"] == "assistant"
    assert reply["interrupted"] is True
    assert reply["text"] == "one two three"


def test_latency_snapshots_share_settled_records_and_match_the_tracker() -> None:
    session = offline()
    snapshots: list[list[dict[str, Any]]] = []
    session.observe(lambda c: snapshots.append(c["new"]), names=["latency"])
    for turn in range(8):
        t0 = 10.0 * turn
        session.handle_event(Transcription(transcript=f"turn {turn}", is_final=True), at=t0)
        gen = f"g{turn}"
        session.handle_event(LLMResponseChunk(content="ok", generation_id=gen), at=t0 + 0.3)
        session.handle_event(
            TTSChunk(audio=pcm(0.2), chunk_id=f"c{turn}", generation_id=gen), at=t0 + 0.5
        )
    records = session.conversation.latency_book.records
    assert session.latency == records  # equal content...
    assert all(a is not b for a, b in zip(session.latency, records, strict=True))  # ...copies
    assert [r["turn"] for r in session.latency] == list(range(1, 9))
    assert all(r["first_tts_chunk"] == 10.0 * i + 0.5 for i, r in enumerate(session.latency))
    # Settled records are shared between successive snapshots, not copied again.
    older, newer = snapshots[-2], snapshots[-1]
    assert older[0] is newer[0]
    # A published snapshot is never changed afterwards.
    first_turn = snapshots[0]
    assert first_turn[0]["first_text"] is None
