"""Assistant replies of a conversation: generations, streaming text, TTS audio handed to the
player, barge-in, and whether the assistant is still audible (reported or estimated).

Nothing here reads a clock or arms a timer: every method gets the time of the event it
handles, and a check that must happen later is a deadline the owner's ``advance`` runs."""

from __future__ import annotations

from collections import deque
from dataclasses import replace
from typing import TYPE_CHECKING, Any, Protocol

from ..client.messages import LLMResponseChunk, TTSChunk
from .changes import PlayChunk, StopPlayback, StopReason
from .playback import GenerationPlayback
from .text import heard_prefix, merge_llm_text
from .transcript import new_message

if TYPE_CHECKING:
    from .changes import Change
    from .latency import LatencyTracker
    from .playback import PlaybackTracker
    from .state import Counters, Message
    from .transcript import Transcript


class ReplyHost(Protocol):
    """What replies read and change of the conversation that holds them."""

    assistant_text: str
    deadline: float | None
    transcript: Transcript
    latency_book: LatencyTracker
    playback: PlaybackTracker
    counters: Counters
    players: int

    @property
    def player_blocked(self) -> bool: ...

    def emit(self, change: Change) -> None: ...

    def set(self, **values: Any) -> None: ...

    def publish_messages(self) -> None: ...

    def publish_latency(self) -> None: ...


__all__ = ["END_GRACE", "REPORT_GRACE", "Replies", "ReplyHost"]

REPORT_GRACE = 1.5
"""With a player attached, seconds past the estimated end of a reply to wait for its first
progress report before falling back to the estimate (e.g. a widget that is not displayed)."""
END_GRACE = 0.5
"""Without ``is_last``, seconds of silence from the server after the final text before a
drained reply counts as finished."""
_POLL = 0.25
_CHECK_LAG = 0.01
"""A check runs this long after the moment it waits for (so that moment has passed)."""


class Replies:
    """Which reply is current, which were cut, and when the assistant stops being heard."""

    def __init__(self, conversation: ReplyHost) -> None:
        self.c = conversation
        self.gen_id: str | None = None
        self.gen_closed = True
        """Without server generation ids, the next text or audio starts a new reply."""
        self.drop_idless_audio = False
        self.interrupted: deque[str] = deque(maxlen=64)
        self.gen_messages: dict[str, str] = {}
        self.final_texts: deque[str] = deque(maxlen=64)
        """Replies whose final text arrived."""
        self.local_gens = 0
        self.chunk_count = 0
        self.speaking_gen: str | None = None
        self.queue_empty_at: float | None = None

    def new_turn(self) -> None:
        """A user turn ended: whatever comes next belongs to a new reply."""
        self.gen_closed = True
        self.drop_idless_audio = False

    def clear_finished_text(self) -> None:
        """A user turn starts: the previous reply's text leaves ``assistant_text`` (it stays in
        ``messages``), so a view never shows it again as streaming under the newer turn. A
        reply still streaming keeps its text."""
        c = self.c
        if not c.assistant_text:
            return
        streaming = self.gen_id is not None and not self.gen_closed
        if streaming and self.gen_id not in self.final_texts:
            return
        c.set(assistant_text="")

    def generation_for(self, server_id: str | None, now: float, *, text: bool) -> str | None:
        """The reply an event belongs to, starting a new one when needed; None for a late
        event of an interrupted reply (dropped)."""
        if server_id is not None:
            if server_id in self.interrupted:
                return None
            if server_id != self.gen_id:
                self.begin_generation(server_id, now)
            return server_id
        if self.drop_idless_audio and not text:
            return None
        if self.gen_id is None or self.gen_closed:
            self.local_gens += 1
            self.begin_generation(f"local-{self.local_gens}", now)
        self.drop_idless_audio = False
        return self.gen_id

    def begin_generation(self, gen_id: str, now: float) -> None:
        c = self.c
        self.gen_id = gen_id
        self.gen_closed = False
        msg_id = c.transcript.next_id("assistant")
        self.gen_messages[gen_id] = msg_id
        while len(self.gen_messages) > 64:
            self.gen_messages.pop(next(iter(self.gen_messages)))
        c.transcript.append(
            new_message(msg_id, "assistant", "", now, is_final=False, generation_id=gen_id)
        )
        c.publish_messages()
        c.set(assistant_text="")

    def message_of(self, gen_id: str | None) -> Message | None:
        if gen_id is None:
            return None
        return self.c.transcript.get(self.gen_messages.get(gen_id))

    def on_llm_chunk(self, event: LLMResponseChunk, now: float) -> None:
        c = self.c
        gen_id = self.generation_for(event.generation_id, now, text=True)
        if gen_id is None:
            c.counters.late_chunks_dropped += 1
            return
        message = self.message_of(gen_id)
        current = "" if message is None else str(message["text"])
        if event.is_final:
            text = event.content or current
        else:
            text = merge_llm_text(current, event.content)
        if message is not None:
            changed = c.transcript.update(
                message["id"], text=text, is_final=event.is_final, end=now
            )
            # Deltas stream through ``assistant_text``; ``messages`` is republished when the
            # reply is final (or interrupted), not on every delta.
            if changed and event.is_final:
                c.publish_messages()
        if gen_id == self.gen_id:
            c.set(assistant_text=text)
        if text.strip() and c.latency_book.mark(gen_id, "first_text", now):
            c.publish_latency()
        if event.is_final:
            c.playback.generation(gen_id)
            if gen_id not in self.final_texts:
                self.final_texts.append(gen_id)
            self.check_speaking(now)

    def on_tts_chunk(self, event: TTSChunk, now: float) -> None:
        c = self.c
        gen_id = self.generation_for(event.generation_id, now, text=False)
        if gen_id is None:
            c.counters.late_chunks_dropped += 1
            return
        self.chunk_count += 1
        chunk_id = event.chunk_id or f"{gen_id}-chunk-{self.chunk_count}"
        if c.playback.has_chunk(chunk_id):
            chunk_id = f"{chunk_id}#{self.chunk_count}"
        chunk = event if event.chunk_id == chunk_id else replace(event, chunk_id=chunk_id)
        first = c.playback.get(gen_id) is None or not c.playback.generation(gen_id).chunk_ids
        play_start = c.playback.clock.next_start(now)
        gen = c.playback.add_chunk(
            gen_id, chunk_id, chunk.num_samples, chunk.sample_rate, now, is_last=chunk.is_last
        )
        c.counters.tts_chunks += 1
        c.counters.tts_seconds += chunk.duration
        if c.latency_book.mark(gen_id, "first_tts_chunk", now):
            c.publish_latency()
        if first:
            gen.first_est_start = play_start
        if c.player_blocked:
            c.emit(PlayChunk(chunk))  # the page said it cannot play: nobody hears this
            return
        self.speaking_gen = gen_id
        self.queue_empty_at = None
        c.set(is_assistant_speaking=True)
        c.emit(PlayChunk(chunk))
        self.schedule_check(now, max(0.0, c.playback.estimated_end(gen_id) - now))

    def on_player_blocked(self) -> None:
        """The player reported it cannot play: the assistant is not audible, whatever the
        estimate says."""
        self.speaking_gen = None
        self.cancel_timer()
        self.c.set(is_assistant_speaking=False)

    # ------------------------------------------------------------------ barge-in

    def interrupt_current(self, reason: StopReason, now: float) -> None:
        """Flush playback and mark the unfinished reply(s) interrupted with what was heard."""
        c = self.c
        c.emit(StopPlayback(reason))
        cut = {g for g in (self.gen_id, self.speaking_gen) if g is not None}
        for gen_id in cut:
            gen = c.playback.get(gen_id)
            if gen is not None and gen.stopped:
                continue  # played in full, or already cut
            if gen_id in self.final_texts and (gen is None or not gen.chunk_ids):
                continue  # a text-only reply: complete, nothing to cut
            if gen_id and not gen_id.startswith("local-"):
                self.interrupted.append(gen_id)
            c.playback.stop(now, gen_id)
            if gen is None:
                gen = c.playback.generation(gen_id)
                gen.stopped = True
            gen.interrupted = True
            self.update_heard(gen_id, now, end=now)
            start = gen.first_est_start
            if (
                not gen.reports
                and start is not None
                and start < now
                and c.latency_book.mark(gen_id, "first_played", start, estimated=True)
            ):
                c.publish_latency()
        c.playback.stop(now)
        self.gen_id = None
        self.gen_closed = True
        self.drop_idless_audio = True
        self.speaking_gen = None
        self.cancel_timer()
        c.set(is_assistant_speaking=False)

    def update_heard(self, gen_id: str, now: float, *, end: float | None = None) -> None:
        c = self.c
        message = self.message_of(gen_id)
        if message is None:
            return
        text = str(message["text"])
        fraction = c.playback.heard_fraction(gen_id, text, now)
        changes: dict[str, Any] = {"interrupted": True, "heard_text": heard_prefix(text, fraction)}
        if end is not None:
            changes["end"] = end
        if c.transcript.update(message["id"], **changes):
            c.publish_messages()

    # ------------------------------------------------------------------ playback progress

    def on_playback_report(
        self, chunk_id: str, played: int, total: int, flushed: bool, now: float
    ) -> None:
        c = self.c
        gen = c.playback.report(chunk_id, played, total, flushed, now)
        if gen is None:
            return
        if gen.first_played is not None and c.latency_book.mark(
            gen.generation_id, "first_played", gen.first_played
        ):
            c.publish_latency()
        if gen.interrupted:
            # The player's final count after a flush: the heard text may grow a little.
            self.update_heard(gen.generation_id, now)
        self.check_speaking(now)

    def on_playback_started(self, chunk_id: str, at: float) -> None:
        c = self.c
        gen = c.playback.started(chunk_id, at)
        if (
            gen is not None
            and gen.first_played is not None
            and c.latency_book.mark(gen.generation_id, "first_played", gen.first_played)
        ):
            c.publish_latency()

    def on_queue_level(self, queued_ms: float, now: float) -> None:
        if queued_ms <= 0.0:
            self.queue_empty_at = now
            self.check_speaking(now)
        else:
            self.queue_empty_at = None

    def schedule_check(self, now: float, delay: float) -> None:
        """Check again ``delay`` seconds after ``now`` (the conversation's next deadline)."""
        self.c.deadline = now + delay + _CHECK_LAG

    def cancel_timer(self) -> None:
        self.c.deadline = None

    def check_speaking(self, now: float) -> None:
        """Decide whether the assistant's audio is still playing (reported or estimated)."""
        c = self.c
        gen_id = self.speaking_gen
        if gen_id is None:
            return
        gen = c.playback.get(gen_id)
        if gen is None:
            self.speaking_gen = None
            c.set(is_assistant_speaking=False)
            return
        est_end = c.playback.estimated_end(gen_id)
        if c.players and not gen.reports and now < est_end + REPORT_GRACE:
            self.schedule_check(now, min(max(0.0, est_end + REPORT_GRACE - now), _POLL * 4))
            return
        drained = gen.stopped or c.playback.drained(gen_id, now)
        if not drained and gen.reports and self.queue_empty_at is not None:
            drained = gen.last_arrival is not None and self.queue_empty_at >= gen.last_arrival
        last_arrival = gen.last_arrival if gen.last_arrival is not None else now
        finished = (
            gen.stopped
            or gen.is_last_seen
            or (gen_id in self.final_texts and now - last_arrival >= END_GRACE)
        )
        if drained and finished:
            self.finish_playback(gen, now)
            return
        delay = _POLL if drained or gen.reports else max(0.0, est_end - now)
        self.schedule_check(now, delay)

    def finish_playback(self, gen: GenerationPlayback, now: float) -> None:
        c = self.c
        gen_id = gen.generation_id
        if not gen.stopped:
            gen.stopped = True
            message = self.message_of(gen_id)
            if message is not None and gen.is_last_seen:
                c.playback.learn_rate(str(message["text"]), gen.received_seconds)
        estimate = gen.first_est_start if gen.first_played is None else None
        if estimate is not None and c.latency_book.mark(
            gen_id, "first_played", estimate, estimated=True
        ):
            c.publish_latency()
        self.speaking_gen = None
        self.cancel_timer()
        c.set(is_assistant_speaking=False)
