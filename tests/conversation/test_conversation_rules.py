"""The conversation rules on event logs: no loop, no socket, no clock."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from nextevi_widgets.client.events import Disconnected
from nextevi_widgets.client.messages import (
    EmotionUpdate,
    Interrupt,
    Interruption,
    LLMResponseChunk,
    TextInput,
    Transcription,
    TTSChunk,
    normalize_emotions,
)
from nextevi_widgets.conversation import (
    Conversation,
    FrontEndProblem,
    Message,
    OutgoingAudio,
    PlaybackProgress,
    PlaybackStarted,
    PlayChunk,
    PlayerAttached,
    StateChanged,
    StopPlayback,
)
from nextevi_widgets.conversation.replies import REPORT_GRACE
from nextevi_widgets.conversation.text import heard_prefix

RATE = 24_000
REPLY = "one two three four five six seven eight nine ten"

Log = list[tuple[object, float]]


def tone(seconds: float, amplitude: float = 0.3) -> bytes:
    t = np.arange(round(seconds * RATE)) / RATE
    return (np.sin(2 * np.pi * 220 * t) * amplitude * 32767).astype("<i2").tobytes()


def chunk(index: int, seconds: float = 0.5, *, gen: str = "g1", last: bool = False) -> TTSChunk:
    return TTSChunk(
        audio=bytes(2 * round(seconds * RATE)),
        chunk_id=f"c{index}",
        generation_id=gen,
        is_last=last,
    )


def reply_log(start: float = 0.0) -> Log:
    """A typed user turn, a reply's final text, then 2 s of audio in four chunks."""
    return [
        (TextInput(text="hello"), start),
        (LLMResponseChunk(content=REPLY, generation_id="g1", is_final=True), start + 0.2),
        (chunk(1), start + 0.3),
        (chunk(2), start + 0.35),
        (chunk(3), start + 0.4),
        (chunk(4, last=True), start + 0.45),
    ]


def fold(log: Log, until: float | None = None) -> Conversation:
    conversation = Conversation()
    for event, t in log:
        conversation.feed(event, t)
    if until is not None:
        conversation.advance(until)
    return conversation


def assistant(conversation: Conversation) -> Message:
    return [m for m in conversation.messages if m["role"] == "assistant"][-1]


def state(conversation: Conversation) -> dict[str, Any]:
    return {
        "messages": conversation.messages,
        "latency": conversation.latency,
        "interim_transcript": conversation.interim_transcript,
        "assistant_text": conversation.assistant_text,
        "emotions": conversation.emotions,
        "is_user_speaking": conversation.is_user_speaking,
        "is_assistant_speaking": conversation.is_assistant_speaking,
        "deadline": conversation.next_deadline(),
        "now": conversation.now,
    }


# ---------------------------------------------------------------------- playout estimate


def test_the_playout_estimate_is_a_deadline_that_finishes_the_reply() -> None:
    conversation = fold(reply_log())
    assert conversation.is_assistant_speaking
    reply = assistant(conversation)
    assert reply["text"] == REPLY
    assert reply["is_final"]
    # Chunks play back to back from the first arrival: 0.3 s + 4 x 0.5 s.
    deadline = conversation.next_deadline()
    assert deadline is not None
    assert 2.3 <= deadline < 2.4
    assert conversation.advance(deadline - 0.001) == []
    assert conversation.is_assistant_speaking
    changes = conversation.advance(deadline)
    assert StateChanged("is_assistant_speaking", False) in changes
    assert conversation.next_deadline() is None
    record = conversation.latency[-1]
    assert record["first_played"] == 0.3
    assert record["played_estimated"] is True
    assert record["first_text"] == 0.2
    assert record["first_tts_chunk"] == 0.3
    assert assistant(conversation)["interrupted"] is False


def test_chunks_go_to_the_player_in_order_with_their_ids() -> None:
    conversation = Conversation()
    played: list[str | None] = []
    for event, t in reply_log():
        for change in conversation.feed(event, t):
            if isinstance(change, PlayChunk):
                played.append(change.chunk.chunk_id)
    assert played == ["c1", "c2", "c3", "c4"]


def test_a_chunk_without_an_id_gets_one_a_player_can_report() -> None:
    conversation = Conversation()
    conversation.feed(TextInput(text="hi"), 0.0)
    changes = conversation.feed(TTSChunk(audio=bytes(4800), generation_id="g9"), 0.1)
    (play,) = [c for c in changes if isinstance(c, PlayChunk)]
    assert play.chunk.chunk_id == "g9-chunk-1"


# ---------------------------------------------------------------------- barge-in


def test_barge_in_without_reports_cuts_the_text_at_the_estimated_playout() -> None:
    # 0.75 s of the 2 s reply played out (from 0.3 s) when the server interrupts at 1.05 s.
    conversation = fold([*reply_log(), (Interruption(), 1.05)])
    reply = assistant(conversation)
    assert reply["interrupted"] is True
    assert reply["end"] == 1.05
    assert reply["heard_text"] == heard_prefix(REPLY, 0.75 / 2.0)
    assert reply["heard_text"] == "one two three four five"[: len(reply["heard_text"] or "")]
    assert not conversation.is_assistant_speaking
    assert conversation.next_deadline() is None
    assert conversation.latency[-1]["played_estimated"] is True
    # Late audio of the cut reply is dropped and counted.
    changes = conversation.feed(chunk(5), 1.2)
    assert not [c for c in changes if isinstance(c, PlayChunk)]
    assert conversation.counters.late_chunks_dropped == 1


def test_barge_in_with_reports_uses_what_the_player_played() -> None:
    log: Log = [(PlayerAttached(), 0.0), *reply_log()]
    log += [
        (PlaybackStarted("c1", 0.5), 0.52),
        (PlaybackProgress("c1", RATE // 2, RATE // 2), 1.0),
        (PlaybackProgress("c2", RATE // 4, RATE // 2), 1.3),
    ]
    conversation = Conversation()
    for event, t in log:
        conversation.feed(event, t)
    changes = conversation.feed(Interrupt(), 1.35)
    assert StopPlayback("user") in changes
    reply = assistant(conversation)
    # 0.75 s reported of 2 s, whatever the estimate says at 1.35 s (1.05 s).
    assert reply["heard_text"] == heard_prefix(REPLY, 0.75 / 2.0)
    record = conversation.latency[-1]
    assert record["first_played"] == 0.5
    assert record["played_estimated"] is False
    # The player's final count after the flush extends what was heard.
    conversation.feed(PlaybackProgress("c2", RATE // 2, RATE // 2, flushed=True), 1.4)
    assert assistant(conversation)["heard_text"] == heard_prefix(REPLY, 1.0 / 2.0)


def test_an_attached_player_is_waited_for_before_the_estimate_counts() -> None:
    attached = fold([(PlayerAttached(), 0.0), *reply_log()])
    alone = fold(reply_log())
    end = alone.next_deadline()
    assert end is not None
    alone.advance(end)
    attached.advance(end)
    assert not alone.is_assistant_speaking
    assert attached.is_assistant_speaking  # no report yet: give the player its grace
    attached.advance(end + REPORT_GRACE + 0.1)
    assert not attached.is_assistant_speaking
    assert attached.latency == alone.latency


def test_a_player_that_cannot_play_is_not_heard() -> None:
    conversation = fold([(FrontEndProblem("audio_suspended", "suspended"), 0.0), *reply_log()])
    assert not conversation.is_assistant_speaking
    assert conversation.player_blocked


def test_a_disconnect_drops_the_pending_utterance_and_cuts_the_reply() -> None:
    log: Log = [
        *reply_log(),
        (Transcription(transcript="and then", is_final=False), 0.8),
        (Disconnected(code=1006, reason="gone"), 1.0),
    ]
    conversation = fold(log)
    assert [m["role"] for m in conversation.messages] == ["user", "assistant"]
    assert assistant(conversation)["interrupted"] is True
    assert conversation.interim_transcript == ""


# ---------------------------------------------------------------------- user turns


def test_speech_end_is_the_last_voiced_frame() -> None:
    log: Log = [
        (Transcription(transcript="", is_final=False, event_type="speech_started"), 1.0),
        (OutgoingAudio(tone(0.02)), 1.1),
        (Transcription(transcript="hello", is_final=False), 1.2),
        (OutgoingAudio(tone(0.02)), 1.5),
        (OutgoingAudio(tone(0.02, amplitude=0.0)), 1.6),
        (Transcription(transcript="hello there", is_final=True), 2.0),
        (EmotionUpdate(emotions=normalize_emotions({"joy": 0.8})), 2.1),
    ]
    conversation = fold(log)
    (user,) = conversation.messages
    assert (user["start"], user["end"], user["text"]) == (1.0, 1.5, "hello there")
    assert user["emotions"] == {"joy": 0.8}
    record = conversation.latency[-1]
    assert (record["user_speech_end"], record["final_transcript"]) == (1.5, 2.0)


def test_a_recorded_level_is_the_level_the_rules_use() -> None:
    # A silent frame that a recording says was loud counts as voiced (the stored level wins).
    loud = OutgoingAudio(bytes(960), level=-20.0)
    assert loud.voiced
    conversation = fold([(TextInput(text="x"), 0.0), (loud, 0.5)])
    assert conversation.last_voiced == 0.5


# ---------------------------------------------------------------------- properties

GENERATIONS = ["g1", "g2", None]


@st.composite
def event_logs(draw: st.DrawFn) -> Log:
    """Plausible, messy logs: turns, replies with or without ids, audio, reports, barge-ins."""
    steps = draw(st.integers(min_value=1, max_value=30))
    t = 0.0
    log: Log = []
    chunks = 0
    for _ in range(steps):
        t += draw(st.sampled_from([0.0, 0.01, 0.05, 0.2, 0.5, 1.0, 3.0]))
        kind = draw(st.integers(min_value=0, max_value=11))
        gen = draw(st.sampled_from(GENERATIONS))
        event: object
        if kind == 0:
            event = TextInput(text="hi there")
        elif kind == 1:
            event = Transcription(transcript=draw(st.sampled_from(["", "so", "so then"])))
        elif kind == 2:
            event = Transcription(transcript=draw(st.sampled_from(["", "so then"])), is_final=True)
        elif kind == 3:
            final = draw(st.booleans())
            event = LLMResponseChunk(content="sure thing ", generation_id=gen, is_final=final)
        elif kind in (4, 5):
            chunks += 1
            seconds = draw(st.sampled_from([0.1, 0.4, 1.0]))
            event = TTSChunk(
                audio=bytes(2 * round(seconds * RATE)),
                chunk_id=f"c{chunks}" if draw(st.booleans()) else None,
                generation_id=gen,
                is_last=draw(st.booleans()),
            )
        elif kind == 6:
            event = draw(st.sampled_from([Interruption(), Interrupt()]))
        elif kind == 7:
            event = OutgoingAudio(b"", level=draw(st.sampled_from([-80.0, -20.0])))
        elif kind == 8:
            event = PlayerAttached()
        elif kind == 9 and chunks:
            target = f"c{draw(st.integers(min_value=1, max_value=chunks))}"
            played = draw(st.sampled_from([0, 2400, 24_000]))
            event = PlaybackProgress(target, played, 24_000, draw(st.booleans()))
        elif kind == 10 and chunks:
            target = f"c{draw(st.integers(min_value=1, max_value=chunks))}"
            event = PlaybackStarted(target, t - 0.05)
        else:
            event = EmotionUpdate(emotions=normalize_emotions({"calm": 0.4}))
        log.append((event, t))
    return log


@settings(max_examples=150, deadline=None)
@given(event_logs())
def test_the_same_log_gives_the_same_state(log: Log) -> None:
    end = log[-1][1] + 5.0
    assert state(fold(log, end)) == state(fold(log, end))


@settings(max_examples=150, deadline=None)
@given(event_logs(), st.lists(st.floats(min_value=0.0, max_value=1.0), max_size=8))
def test_splitting_advance_does_not_change_the_outcome(log: Log, cuts: Sequence[float]) -> None:
    end = log[-1][1] + 5.0
    whole = fold(log, end)
    split = Conversation()
    previous = 0.0
    for event, t in log:
        # Advance in steps somewhere between the previous event and this one.
        for cut in sorted(cuts):
            split.advance(previous + (t - previous) * cut)
        split.feed(event, t)
        previous = t
    for cut in sorted(cuts):
        split.advance(previous + (end - previous) * cut)
    split.advance(end)
    assert state(split) == state(whole)


@settings(max_examples=100, deadline=None)
@given(event_logs())
def test_the_changes_say_everything_that_changed(log: Log) -> None:
    conversation = Conversation()
    mirror = state(conversation)
    for event, t in log:
        for change in conversation.feed(event, t):
            if isinstance(change, StateChanged):
                mirror[change.name] = change.value
    for change in conversation.advance(log[-1][1] + 5.0):
        if isinstance(change, StateChanged):
            mirror[change.name] = change.value
    actual = state(conversation)
    for name in ("deadline", "now"):
        del actual[name], mirror[name]
    # By design an entry still streaming is republished at its next boundary only (its words
    # stream through interim_transcript/assistant_text): compare the ids, not its words.
    streaming = {m["id"] for m in actual["messages"] if not (m["is_final"] or m["interrupted"])}
    for side in (mirror, actual):
        side["messages"] = [m["id"] if m["id"] in streaming else m for m in side["messages"]]
    assert mirror == actual
