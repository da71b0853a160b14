"""How each wire event changes a :class:`~nextevi_widgets.session.VoiceSession`.

Kept apart from the session class so the public surface (traits, start/close, sending) and the
conversation rules (turns, generations, barge-in, heard text) each stay readable.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from typing import TYPE_CHECKING, Any

from ..client.errors import ConnectionClosedError
from ..client.events import (
    Connected,
    Disconnected,
    ProtocolError,
    Reconnected,
    Reconnecting,
)
from ..client.messages import (
    ConnectionMetadata,
    EmotionUpdate,
    ErrorMessage,
    IdleWarning,
    Interruption,
    LLMResponseChunk,
    SystemMessage,
    TextInput,
    Transcription,
    TTSChunk,
)
from .playback import GenerationPlayback
from .text import describe_error, heard_prefix, merge_llm_text
from .transcript import new_message

if TYPE_CHECKING:
    from ..session import VoiceSession

__all__ = ["EventHandlers"]

logger = logging.getLogger(__name__)

REPORT_GRACE = 1.5
"""With a player registered, seconds past the estimated end of a reply to wait for its first
progress report before falling back to the estimate (e.g. a widget that is not displayed)."""
END_GRACE = 0.5
"""Without ``is_last``, seconds of silence from the server after the final text before a
drained reply counts as finished."""
_POLL = 0.25


class EventHandlers:
    """Conversation rules of one session (turns, replies, playback, errors)."""

    def __init__(self, session: VoiceSession) -> None:
        self.s = session
        # user turn
        self.interim_id: str | None = None
        self.utterance_start: float | None = None
        self.utterance_end: float | None = None
        self.last_interim_change: float | None = None
        self.emotions_target: str | None = None
        # assistant replies
        self.gen_id: str | None = None
        self.gen_closed = True
        self.drop_idless_audio = False
        self.interrupted: deque[str] = deque(maxlen=64)
        self.gen_messages: dict[str, str] = {}
        self.final_texts: deque[str] = deque(maxlen=64)
        """Replies whose final text arrived."""
        self.local_gens = 0
        self.chunk_count = 0
        # playback
        self.speaking_gen: str | None = None
        self.timer: asyncio.TimerHandle | None = None
        self.queue_empty_at: float | None = None

    # ------------------------------------------------------------------ dispatch

    def dispatch(self, event: object, now: float) -> None:
        self.check_speaking()
        if isinstance(event, Transcription):
            self.on_transcription(event, now)
        elif isinstance(event, LLMResponseChunk):
            self.on_llm_chunk(event, now)
        elif isinstance(event, TTSChunk):
            self.on_tts_chunk(event, now)
        elif isinstance(event, EmotionUpdate):
            self.on_emotions(event)
        elif isinstance(event, Interruption):
            self.interrupt_current("interruption", now)
        elif isinstance(event, TextInput):
            self.on_text_turn(event.text, now)
        elif isinstance(event, ErrorMessage):
            text = f"{event.error_code}: {event.error_message}"
            self.s._set(last_error=self.s._scrub(text))
            self.system_message(f"Error {self.s._scrub(text)}", now)
        elif isinstance(event, SystemMessage):
            if event.content:
                self.system_message(event.content, now)
        elif isinstance(event, IdleWarning):
            left = "" if event.time_remaining is None else f": {event.time_remaining:g} s left"
            self.system_message(f"Idle {event.warning_type.replace('_', ' ')}{left}", now)
        elif isinstance(event, ConnectionMetadata):
            if event.connection_id:
                self.s._set(connection_id=event.connection_id)
        elif isinstance(event, (Connected, Reconnected)):
            self.on_connected(event.connection_id)
        elif isinstance(event, Reconnecting):
            self.cut_turns("disconnect", now)
            self.s._set(state="reconnecting")
        elif isinstance(event, Disconnected):
            self.on_disconnected(event, now)
        elif isinstance(event, ProtocolError):
            self.s._set(last_error=self.s._scrub(f"Protocol error: {event.detail}"))
            self.s._refresh_stats()

    # ------------------------------------------------------------------ connection

    def on_connected(self, connection_id: str | None) -> None:
        s = self.s
        s._set(state="connected")
        if connection_id:
            s._set(connection_id=connection_id)
        s._flush_pending_texts()
        s._refresh_stats()

    def on_disconnected(self, event: Disconnected, now: float) -> None:
        self.cut_turns("disconnect", now)
        error = event.error
        if error is None and event.code is not None and 4000 <= event.code < 5000:
            error = ConnectionClosedError(event.code, event.reason)
        if error is not None:
            self.on_failure(error)
        elif self.s.state != "error":
            self.s._set(state="disconnected")

    def on_failure(self, error: BaseException) -> None:
        s = self.s
        text = s._scrub(describe_error(error))
        logger.warning("NextEVI session stopped: %s", text)
        s._set(last_error=text, state="error")

    def on_stopped(self) -> None:
        now = self.s._now()
        self.cut_turns("disconnect", now)
        if self.s.state != "error":
            self.s._set(state="disconnected")

    def cut_turns(self, reason: str, now: float) -> None:
        """The connection is gone: the pending user utterance was never finalised (dropped)
        and the reply in progress is cut where playback stopped."""
        s = self.s
        if self.interim_id is not None:
            if s._transcript.remove(self.interim_id):
                s._publish_messages()
            self.interim_id = None
        self.utterance_start = self.utterance_end = None
        s._set(interim_transcript="", is_user_speaking=False)
        self.interrupt_current(reason, now)

    # ------------------------------------------------------------------ user turns

    def on_transcription(self, event: Transcription, now: float) -> None:
        s = self.s
        text = event.transcript.strip()
        if event.event_type == "speech_started" and not text and not event.is_final:
            self.begin_utterance(now)
            s._set(is_user_speaking=True)
            return
        if event.event_type == "utterance_end":
            self.utterance_end = now
        if not event.is_final:
            if not text:
                return
            self.begin_utterance(now)
            if text != s.interim_transcript.strip():
                self.last_interim_change = now
            s._set(interim_transcript=event.transcript, is_user_speaking=True)
            fields: dict[str, Any] = {"text": text, "is_final": False, "end": now}
            if event.confidence is not None:
                fields["confidence"] = event.confidence
            if self.interim_id is None or s._transcript.get(self.interim_id) is None:
                self.interim_id = s._transcript.next_id("user")
                assert self.utterance_start is not None
                fields["start"] = self.utterance_start
                s._transcript.append(new_message(self.interim_id, "user", **fields))
            else:
                s._transcript.update(self.interim_id, **fields)
            s._publish_messages()
            return
        # Final.
        s._set(interim_transcript="", is_user_speaking=False)
        pending = s._transcript.get(self.interim_id)
        if not text:
            # A discarded utterance (noise): it leaves no message.
            if pending is not None and s._transcript.remove(self.interim_id):
                s._publish_messages()
            self.reset_utterance()
            return
        start = self.utterance_start
        speech_end = self.speech_end(now)
        if start is None:
            spoken = max((w.end or 0.0 for w in event.words), default=0.0)
            start = max(0.0, speech_end - spoken)
        emotions = {e.name: e.score for e in event.emotions}
        if not emotions and pending is not None:
            emotions = dict(pending.get("emotions") or {})
        fields = {
            "text": text,
            "is_final": True,
            "confidence": event.confidence,
            "emotions": emotions,
            "words": [w.to_wire() for w in event.words],
            "start": start,
            "end": max(start, speech_end),
        }
        if pending is not None and self.interim_id is not None:
            msg_id = self.interim_id
            s._transcript.update(msg_id, **fields)
        else:
            msg_id = s._transcript.next_id("user")
            s._transcript.append(new_message(msg_id, "user", **fields))
        s._publish_messages()
        self.emotions_target = msg_id
        self.reset_utterance()
        self.begin_reply_turn(msg_id, speech_end, now)

    def on_text_turn(self, text: str, now: float) -> None:
        s = self.s
        msg_id = s._transcript.next_id("user")
        s._transcript.append(new_message(msg_id, "user", text, now, confidence=1.0))
        s._publish_messages()
        self.emotions_target = None
        self.begin_reply_turn(msg_id, now, now)

    def begin_utterance(self, now: float) -> None:
        if self.utterance_start is None:
            self.utterance_start = now
            self.utterance_end = None
            self.last_interim_change = now
            self.emotions_target = None

    def reset_utterance(self) -> None:
        self.interim_id = None
        self.utterance_start = self.utterance_end = self.last_interim_change = None

    def speech_end(self, now: float) -> float:
        """Best estimate of when the user stopped speaking: the last voiced frame sent in this
        utterance, else the server's ``utterance_end``, else the last growing interim."""
        start = self.utterance_start
        voiced = self.s._last_voiced
        if voiced is not None and voiced <= now and (start is None or voiced >= start - 1.0):
            return voiced
        for candidate in (self.utterance_end, self.last_interim_change):
            if candidate is not None and candidate <= now:
                return candidate
        return now

    def begin_reply_turn(self, user_msg_id: str, speech_end: float, now: float) -> None:
        s = self.s
        s._latency.begin_turn(user_msg_id, speech_end, now)
        s._publish_latency()
        # Without generation ids, whatever comes next belongs to a new reply.
        self.gen_closed = True
        self.drop_idless_audio = False

    def on_emotions(self, event: EmotionUpdate) -> None:
        s = self.s
        scores = event.scores
        s._set(emotions=scores)
        if not scores:
            return
        if self.interim_id is not None and s._transcript.get(self.interim_id) is not None:
            s._transcript.update(self.interim_id, emotions=scores)
            s._publish_messages()
        elif self.emotions_target is not None:
            # The first update after a final transcript describes that utterance.
            if s._transcript.update(self.emotions_target, emotions=scores):
                s._publish_messages()
            self.emotions_target = None

    def system_message(self, text: str, now: float) -> None:
        s = self.s
        s._transcript.append(new_message(s._transcript.next_id("system"), "system", text, now))
        s._publish_messages()

    # ------------------------------------------------------------------ assistant replies

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
        s = self.s
        self.gen_id = gen_id
        self.gen_closed = False
        msg_id = s._transcript.next_id("assistant")
        self.gen_messages[gen_id] = msg_id
        while len(self.gen_messages) > 64:
            self.gen_messages.pop(next(iter(self.gen_messages)))
        s._transcript.append(
            new_message(msg_id, "assistant", "", now, is_final=False, generation_id=gen_id)
        )
        s._publish_messages()
        s._set(assistant_text="")

    def message_of(self, gen_id: str | None) -> dict[str, Any] | None:
        if gen_id is None:
            return None
        return self.s._transcript.get(self.gen_messages.get(gen_id))

    def on_llm_chunk(self, event: LLMResponseChunk, now: float) -> None:
        s = self.s
        gen_id = self.generation_for(event.generation_id, now, text=True)
        if gen_id is None:
            s._local["late_chunks_dropped"] += 1
            return
        message = self.message_of(gen_id)
        current = "" if message is None else str(message["text"])
        if event.is_final:
            text = event.content or current
        else:
            text = merge_llm_text(current, event.content)
        if message is not None:
            s._transcript.update(message["id"], text=text, is_final=event.is_final, end=now)
            s._publish_messages()
        if gen_id == self.gen_id:
            s._set(assistant_text=text)
        if text.strip() and s._latency.mark(gen_id, "first_text", now):
            s._publish_latency()
        if event.is_final:
            s._playback.generation(gen_id)
            if gen_id not in self.final_texts:
                self.final_texts.append(gen_id)
            self.check_speaking()

    def on_tts_chunk(self, event: TTSChunk, now: float) -> None:
        s = self.s
        gen_id = self.generation_for(event.generation_id, now, text=False)
        if gen_id is None:
            s._local["late_chunks_dropped"] += 1
            return
        self.chunk_count += 1
        chunk_id = event.chunk_id or f"{gen_id}-chunk-{self.chunk_count}"
        if s._playback.has_chunk(chunk_id):
            chunk_id = f"{chunk_id}#{self.chunk_count}"
        chunk = s._replace_chunk_id(event, chunk_id)
        first = s._playback.get(gen_id) is None or not s._playback.generation(gen_id).chunk_ids
        play_start = max(now, s._playback.est_end)
        gen = s._playback.add_chunk(
            gen_id, chunk_id, chunk.num_samples, chunk.sample_rate, now, is_last=chunk.is_last
        )
        s._local["tts_chunks"] += 1
        s._local["tts_seconds"] += chunk.duration
        if s._latency.mark(gen_id, "first_tts_chunk", now):
            s._publish_latency()
        if first:
            gen.first_est_start = play_start
        self.speaking_gen = gen_id
        self.queue_empty_at = None
        s._set(is_assistant_speaking=True)
        s._sink_chunk(chunk)
        self.schedule_check(max(0.0, s._playback.estimated_end(gen_id) - now))

    # ------------------------------------------------------------------ barge-in

    def interrupt_current(self, reason: str, now: float) -> None:
        """Flush playback and mark the unfinished reply(s) interrupted with what was heard."""
        s = self.s
        s._sink_stop(reason)
        cut = {g for g in (self.gen_id, self.speaking_gen) if g is not None}
        for gen_id in cut:
            gen = s._playback.get(gen_id)
            if gen is not None and gen.stopped:
                continue  # played in full, or already cut
            if gen_id in self.final_texts and (gen is None or not gen.chunk_ids):
                continue  # a text-only reply: complete, nothing to cut
            if gen_id and not gen_id.startswith("local-"):
                self.interrupted.append(gen_id)
            s._playback.stop(now, gen_id)
            if gen is None:
                gen = s._playback.generation(gen_id)
                gen.stopped = True
            gen.interrupted = True
            self.update_heard(gen_id, now, end=now)
            start = gen.first_est_start
            if (
                not gen.reports
                and start is not None
                and start < now
                and s._latency.mark(gen_id, "first_played", start, estimated=True)
            ):
                s._publish_latency()
        s._playback.stop(now)
        self.gen_id = None
        self.gen_closed = True
        self.drop_idless_audio = True
        self.speaking_gen = None
        self.cancel_timer()
        s._set(is_assistant_speaking=False)

    def update_heard(self, gen_id: str, now: float, *, end: float | None = None) -> None:
        s = self.s
        message = self.message_of(gen_id)
        if message is None:
            return
        text = str(message["text"])
        fraction = s._playback.heard_fraction(gen_id, text, now)
        changes: dict[str, Any] = {"interrupted": True, "heard_text": heard_prefix(text, fraction)}
        if end is not None:
            changes["end"] = end
        if s._transcript.update(message["id"], **changes):
            s._publish_messages()

    # ------------------------------------------------------------------ playback progress

    def on_playback_report(
        self, chunk_id: str, played: int, total: int, flushed: bool, now: float
    ) -> None:
        s = self.s
        gen = s._playback.report(chunk_id, played, total, flushed, now)
        if gen is None:
            return
        if gen.first_played is not None and s._latency.mark(
            gen.generation_id, "first_played", gen.first_played
        ):
            s._publish_latency()
        if gen.interrupted:
            # The player's final count after a flush: the heard text may grow a little.
            self.update_heard(gen.generation_id, now)
        self.check_speaking()

    def on_queue_level(self, queued_ms: float, now: float) -> None:
        if queued_ms <= 0.0:
            self.queue_empty_at = now
            self.check_speaking()
        else:
            self.queue_empty_at = None

    def schedule_check(self, delay: float) -> None:
        self.cancel_timer()
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return  # offline replay: checked on the next event instead
        self.timer = loop.call_later(delay + 0.01, self.check_speaking)

    def cancel_timer(self) -> None:
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None

    def check_speaking(self) -> None:
        """Decide whether the assistant's audio is still playing (reported or estimated)."""
        s = self.s
        gen_id = self.speaking_gen
        if gen_id is None:
            return
        gen = s._playback.get(gen_id)
        if gen is None:
            self.speaking_gen = None
            s._set(is_assistant_speaking=False)
            return
        now = s._now()
        est_end = s._playback.estimated_end(gen_id)
        if s._sinks and not gen.reports and now < est_end + REPORT_GRACE:
            self.schedule_check(min(max(0.0, est_end + REPORT_GRACE - now), _POLL * 4))
            return
        drained = gen.stopped or s._playback.drained(gen_id, now)
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
        self.schedule_check(delay)

    def finish_playback(self, gen: GenerationPlayback, now: float) -> None:
        s = self.s
        gen_id = gen.generation_id
        if not gen.stopped:
            gen.stopped = True
            message = self.message_of(gen_id)
            if message is not None and gen.is_last_seen:
                s._playback.learn_rate(str(message["text"]), gen.received_seconds)
        estimate = gen.first_est_start if gen.first_played is None else None
        if estimate is not None and s._latency.mark(
            gen_id, "first_played", estimate, estimated=True
        ):
            s._publish_latency()
        self.speaking_gen = None
        self.cancel_timer()
        s._set(is_assistant_speaking=False)
