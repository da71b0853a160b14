"""How each wire event changes a :class:`~nextevi_widgets.session.VoiceSession`.

Kept apart from the session class so the public surface (traits, start/close, sending) and the
conversation rules (turns, generations, barge-in, heard text) each stay readable.
"""

from __future__ import annotations

import logging
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
from .replies import Replies
from .text import describe_error
from .transcript import new_message

if TYPE_CHECKING:
    from ..session import VoiceSession

__all__ = ["EventHandlers"]

logger = logging.getLogger(__name__)


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
        self.replies = Replies(session)

    # ------------------------------------------------------------------ dispatch

    def dispatch(self, event: object, now: float) -> None:
        replies = self.replies
        replies.check_speaking()
        if isinstance(event, Transcription):
            self.on_transcription(event, now)
        elif isinstance(event, LLMResponseChunk):
            replies.on_llm_chunk(event, now)
        elif isinstance(event, TTSChunk):
            replies.on_tts_chunk(event, now)
        elif isinstance(event, EmotionUpdate):
            self.on_emotions(event)
        elif isinstance(event, Interruption):
            replies.interrupt_current("interruption", now)
        elif isinstance(event, TextInput):
            self.on_text_turn(event.text, now)
        elif isinstance(event, ErrorMessage):
            # Server text reaches here scrubbed of credentials and unencodable characters by
            # the client (the one choke point for network text), so it is used as it is.
            text = f"{event.error_code}: {event.error_message}"
            self.s._alerts.show("connection", text)
            self.system_message(f"Error {text}", now)
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
            self.s._alerts.show("connection", f"Protocol error: {event.detail}")
            self.s._refresh_stats()

    # ------------------------------------------------------------------ connection

    def on_connected(self, connection_id: str | None) -> None:
        s = self.s
        s._flush_held_audio()  # speech captured while connecting goes first, in order
        s._set(state="connected")
        # A new connection is up: alerts about the previous one no longer apply.
        s._alerts.clear("connection", "send")
        if connection_id:
            s._set(connection_id=connection_id)
        s._flush_pending_texts()
        s._refresh_stats()

    def on_disconnected(self, event: Disconnected, now: float) -> None:
        self.cut_turns("disconnect", now)
        # Final counters before the state says "stopped": whoever waits for that reads them.
        self.s._refresh_stats()
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
        s._refresh_stats()
        s._alerts.show("stopped", text)
        s._set(state="error")

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
        self.replies.interrupt_current(reason, now)

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
                s._publish_messages()
            else:
                # Streaming: ``interim_transcript`` carries the words; ``messages`` is
                # republished at the next boundary (the final transcript).
                s._transcript.update(self.interim_id, **fields)
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
            self.replies.clear_finished_text()  # a final with no interim before it
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
        self.replies.clear_finished_text()
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
            self.replies.clear_finished_text()

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
        self.replies.new_turn()

    def on_emotions(self, event: EmotionUpdate) -> None:
        s = self.s
        scores = event.scores
        s._set(emotions=scores)
        if not scores:
            return
        if self.interim_id is not None and s._transcript.get(self.interim_id) is not None:
            # Still streaming: ``emotions`` carries them; the final transcript republishes.
            s._transcript.update(self.interim_id, emotions=scores)
        elif self.emotions_target is not None:
            # The first update after a final transcript describes that utterance.
            if s._transcript.update(self.emotions_target, emotions=scores):
                s._publish_messages()
            self.emotions_target = None

    def system_message(self, text: str, now: float) -> None:
        s = self.s
        s._transcript.append(new_message(s._transcript.next_id("system"), "system", text, now))
        s._publish_messages()
