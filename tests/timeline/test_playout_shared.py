"""The timeline's assistant turns and the conversation's headless playback estimate are one
estimate (``conversation.playback.PlayoutClock``): fed the same events they place every reply
at the same times, through gaps, back-to-back queueing and a barge-in."""

from __future__ import annotations

from nextevi_widgets.client.messages import Interruption, LLMResponseChunk, TextInput, TTSChunk
from nextevi_widgets.conversation import Conversation
from nextevi_widgets.conversation.playback import PlayoutClock
from nextevi_widgets.timeline import EmotionTimeline
from nextevi_widgets.timeline.feed import TimelineFeeder

RATE = 24_000


def chunk(gen: str, index: int, seconds: float = 0.5, *, last: bool = False) -> TTSChunk:
    return TTSChunk(
        audio=bytes(2 * round(seconds * RATE)),
        sample_rate=RATE,
        chunk_id=f"{gen}-{index}",
        generation_id=gen,
        is_last=last,
    )


LOG: list[tuple[object, float]] = [
    (TextInput(text="hi"), 1.0),
    (LLMResponseChunk(content="one two three four", generation_id="g1"), 1.2),
    # Queued back to back: the second and third start when the one before ends.
    (chunk("g1", 1), 1.3),
    (chunk("g1", 2), 1.4),
    (chunk("g1", 3, last=True), 1.5),
    (TextInput(text="again"), 4.0),
    (chunk("g2", 1), 4.2),
    (chunk("g2", 2), 4.25),
    (Interruption(), 4.6),  # cut mid-chunk
    (chunk("g2", 3), 4.7),  # a late chunk of the cut reply: never played
    (TextInput(text="and again"), 6.0),
    (chunk("g3", 1, 0.2), 6.5),
    (chunk("g3", 2, 0.2, last=True), 7.5),  # after a gap: starts when it arrives
]


def test_replies_are_placed_where_the_conversation_estimates_them() -> None:
    conversation = Conversation()
    timeline = EmotionTimeline()
    feeder = TimelineFeeder(timeline)
    checked = set()
    for event, t in LOG:
        conversation.feed(event, t)
        feeder("out" if isinstance(event, TextInput) else "in", event, t)
        if isinstance(event, (TTSChunk, Interruption)):
            # After every chunk and the barge-in, the reply's turn is the estimate's.
            turn = timeline.turns[-1]
            assert turn.role == "assistant"
            assert turn.key is not None
            gen = conversation.playback.generation(turn.key)
            estimate = (gen.first_est_start, conversation.playback.estimated_end(turn.key))
            assert (turn.start, turn.end) == estimate, (event, t)
            checked.add(turn.key)
    assert checked == {"g1", "g2", "g3"}
    turns = {turn.key: turn for turn in timeline.turns if turn.role == "assistant"}
    assert (turns["g1"].start, turns["g1"].end) == (1.3, 2.8)
    assert (turns["g2"].start, turns["g2"].end, turns["g2"].interrupted) == (4.2, 4.6, True)
    assert (turns["g3"].start, turns["g3"].end) == (6.5, 7.7)


def test_the_clock_queues_back_to_back_and_a_flush_cuts_the_queue() -> None:
    clock = PlayoutClock()
    assert clock.place(1.0, 0.5) == 1.0
    assert clock.place(1.1, 0.5) == 1.5  # waits for the first chunk
    assert clock.end == 2.0
    clock.cut(1.7)
    assert clock.end == 1.7
    assert clock.next_start(1.6) == 1.7
    assert clock.place(3.0, 0.25) == 3.0  # after a gap: plays on arrival
    clock.cut(5.0)  # a flush after the queue drained changes nothing
    assert clock.end == 3.25
