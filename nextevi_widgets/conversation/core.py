"""``Conversation``: the rules of one voice conversation, without I/O.

It is fed events with their times (session-clock seconds) and answers with the changes its
owner applies; what must happen later (the end of the assistant's audio when no player
reports it) is a deadline, run by :meth:`Conversation.advance`. It reads no clock, arms no
timer and sends nothing, so a live session and a replay of the same events with the same
times build the same state::

    conversation = Conversation()
    changes = conversation.feed(event, t)      # apply them (publish, play, flush)
    deadline = conversation.next_deadline()    # call advance(deadline) then, if no event came

Turns, generations, barge-in and heard text follow the rules documented on
:class:`~nextevi_widgets.session.VoiceSession`; whether a player is attached is an event
(:class:`~.events.PlayerAttached`), never a guess.
"""

from __future__ import annotations

from typing import Any

from ..client.events import Disconnected, Reconnecting
from ..client.messages import (
    EmotionUpdate,
    ErrorMessage,
    IdleWarning,
    Interrupt,
    Interruption,
    LLMResponseChunk,
    SystemMessage,
    TextInput,
    Transcription,
    TTSChunk,
)
from .audio import OutgoingAudio
from .changes import Change, StateChanged
from .events import (
    PLAYBACK_BLOCKING_CODES,
    FrontEndProblem,
    FrontEndProblemCleared,
    PlaybackProgress,
    PlaybackStarted,
    PlaybackStats,
    PlayerAttached,
    PlayerDetached,
    SessionStopped,
)
from .latency import LatencyTracker
from .playback import PlaybackTracker
from .replies import Replies
from .state import Counters, LatencyRecord, LatencySummary, Message, WordEntry
from .transcript import DEFAULT_MAX_MESSAGES, Transcript, new_message

__all__ = ["Conversation", "Counters"]


class Conversation:
    """One conversation's state, changed only by :meth:`feed` and :meth:`advance`.

    Published values (``messages``, ``latency``, ``interim_transcript``, ``assistant_text``,
    ``emotions``, ``is_user_speaking``, ``is_assistant_speaking``) are attributes; every
    change to one is also returned as a :class:`~.changes.StateChanged`, in order, with the
    player's instructions (:class:`~.changes.PlayChunk`, :class:`~.changes.StopPlayback`).
    """

    def __init__(self, *, max_messages: int | None = DEFAULT_MAX_MESSAGES) -> None:
        self.now = 0.0
        """Time of the latest event or ``advance`` (times never go back)."""
        self.deadline: float | None = None
        self.interim_transcript = ""
        self.assistant_text = ""
        self.emotions: dict[str, float] = {}
        self.is_user_speaking = False
        self.is_assistant_speaking = False
        self.transcript = Transcript(max_messages)
        self.messages: list[Message] = []
        """The messages as last published (see :meth:`publish_messages`)."""
        self.latency_book = LatencyTracker()
        self.latency: list[LatencyRecord] = []
        self.playback = PlaybackTracker()
        self.counters = Counters()
        self.players = 0
        """Players attached (each reports playback)."""
        self.blocked: set[str] = set()
        """Front-end problems that stop the player from playing."""
        self.last_voiced: float | None = None
        # user turn
        self.interim_id: str | None = None
        self.utterance_start: float | None = None
        self.utterance_end: float | None = None
        self.last_interim_change: float | None = None
        self.emotions_target: str | None = None
        self.replies = Replies(self)
        self._out: list[Change] = []

    # ------------------------------------------------------------------ the protocol

    def feed(self, event: object, t: float) -> list[Change]:
        """Fold ``event`` that happened at ``t``; returns what changed, in order. Deadlines
        due by ``t`` run first. Unknown objects change nothing."""
        out: list[Change] = []
        self._out = out
        if t < self.now:
            t = self.now
        if self.deadline is not None and self.deadline <= t:
            self._run_deadlines(t)
        self.now = t
        self._dispatch(event, t)
        return out

    def advance(self, t: float) -> list[Change]:
        """Run the deadlines due by ``t``, each at its own time (so one call or several up to
        the same ``t`` give the same state); returns what changed."""
        out: list[Change] = []
        self._out = out
        self._run_deadlines(t)
        if t > self.now:
            self.now = t
        return out

    def next_deadline(self) -> float | None:
        """When :meth:`advance` has something to do, or None."""
        return self.deadline

    def set_max_messages(self, max_messages: int | None) -> list[Change]:
        """Keep only the newest ``max_messages`` (None: all)."""
        out: list[Change] = []
        self._out = out
        self.transcript.max_messages = max_messages
        if self.transcript.trim():
            self.publish_messages()
        return out

    # ------------------------------------------------------------------ published state

    @property
    def player_blocked(self) -> bool:
        """True while a front end reports that it cannot play the assistant's voice."""
        return bool(self.blocked)

    def latency_summary(self) -> LatencySummary:
        return self.latency_book.summary()

    def heard_text(self) -> dict[str, str | None]:
        """``{message id: heard text}`` of the assistant messages."""
        return {m["id"]: m["heard_text"] for m in self.messages if m["role"] == "assistant"}

    # ------------------------------------------------------------------ for the rules

    def emit(self, change: Change) -> None:
        self._out.append(change)

    def set(self, **values: Any) -> None:
        """Change published values; only real changes are reported."""
        for name, value in values.items():
            if getattr(self, name) != value:
                setattr(self, name, value)
                self._out.append(StateChanged(name, value))  # type: ignore[arg-type]

    def publish_messages(self) -> None:
        # ``messages`` is what was published: a streaming entry shows its text as of the last
        # republish (as the session's trait does), the transcript has the latest.
        self.messages = self.transcript.items
        self._out.append(StateChanged("messages", self.messages))

    def publish_latency(self) -> None:
        self.latency = self.latency_book.snapshot()
        self._out.append(StateChanged("latency", self.latency))

    def _run_deadlines(self, t: float) -> None:
        while self.deadline is not None and self.deadline <= t:
            at = self.deadline
            self.deadline = None
            if at > self.now:
                self.now = at
            self.replies.check_speaking(self.now)

    # ------------------------------------------------------------------ dispatch

    def _dispatch(self, event: object, now: float) -> None:
        replies = self.replies
        match event:
            case OutgoingAudio():
                # 50 a second: nothing but the level.
                if event.voiced:
                    self.last_voiced = now
                return
            case PlaybackProgress(chunk_id, played, total, flushed):
                replies.on_playback_report(chunk_id, int(played), int(total), flushed, now)
                return
            case PlaybackStarted(chunk_id, at):
                replies.on_playback_started(chunk_id, at)
                return
            case PlaybackStats(underruns, queued_ms):
                self.counters.playback_underruns = int(underruns)
                self.counters.queued_ms = float(queued_ms)
                replies.on_queue_level(float(queued_ms), now)
                return
            case PlayerAttached():
                self.players += 1
                return
            case PlayerDetached():
                self.players = max(0, self.players - 1)
                return
            case FrontEndProblem(code=code):
                if code in PLAYBACK_BLOCKING_CODES:
                    self.blocked.add(code)
                    replies.on_player_blocked()
                return
            case FrontEndProblemCleared(code=code):
                self.blocked.discard(code)
                return
            case Interrupt():
                replies.interrupt_current("user", now)
                return
            case SessionStopped():
                self.cut_turns(now)
                return
        replies.check_speaking(now)
        match event:
            case Transcription():
                self.on_transcription(event, now)
            case LLMResponseChunk():
                replies.on_llm_chunk(event, now)
            case TTSChunk():
                replies.on_tts_chunk(event, now)
            case EmotionUpdate():
                self.on_emotions(event)
            case Interruption():
                replies.interrupt_current("interruption", now)
            case TextInput(text=text):
                self.on_text_turn(text, now)
            case ErrorMessage(error_code=code, error_message=message):
                # Server text reaches here scrubbed of credentials and unencodable characters
                # by the client (the one choke point for network text), so it is used as is.
                self.system_message(f"Error {code}: {message}", now)
            case SystemMessage(content=content):
                if content:
                    self.system_message(content, now)
            case IdleWarning(warning_type=kind, time_remaining=remaining):
                left = "" if remaining is None else f": {remaining:g} s left"
                self.system_message(f"Idle {kind.replace('_', ' ')}{left}", now)
            case Reconnecting() | Disconnected():
                self.cut_turns(now)

    # ------------------------------------------------------------------ connection

    def cut_turns(self, now: float) -> None:
        """The connection is gone: the pending user utterance was never finalised (dropped)
        and the reply in progress is cut where playback stopped."""
        if self.interim_id is not None:
            if self.transcript.remove(self.interim_id):
                self.publish_messages()
            self.interim_id = None
        self.utterance_start = self.utterance_end = None
        self.set(interim_transcript="", is_user_speaking=False)
        self.replies.interrupt_current("disconnect", now)

    # ------------------------------------------------------------------ user turns

    def on_transcription(self, event: Transcription, now: float) -> None:
        transcript = self.transcript
        text = event.transcript.strip()
        if event.event_type == "speech_started" and not text and not event.is_final:
            self.begin_utterance(now)
            self.set(is_user_speaking=True)
            return
        if event.event_type == "utterance_end":
            self.utterance_end = now
        if not event.is_final:
            if not text:
                return
            self.begin_utterance(now)
            if text != self.interim_transcript.strip():
                self.last_interim_change = now
            self.set(interim_transcript=event.transcript, is_user_speaking=True)
            fields: dict[str, Any] = {"text": text, "is_final": False, "end": now}
            if event.confidence is not None:
                fields["confidence"] = event.confidence
            if self.interim_id is None or transcript.get(self.interim_id) is None:
                self.interim_id = transcript.next_id("user")
                assert self.utterance_start is not None
                fields["start"] = self.utterance_start
                transcript.append(new_message(self.interim_id, "user", **fields))
                self.publish_messages()
            else:
                # Streaming: ``interim_transcript`` carries the words; ``messages`` is
                # republished at the next boundary (the final transcript).
                transcript.update(self.interim_id, **fields)
            return
        # Final.
        self.set(interim_transcript="", is_user_speaking=False)
        pending = transcript.get(self.interim_id)
        if not text:
            # A discarded utterance (noise): it leaves no message.
            if pending is not None and transcript.remove(self.interim_id):
                self.publish_messages()
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
        words: list[WordEntry] = [w.to_wire() for w in event.words]  # type: ignore[misc]
        fields = {
            "text": text,
            "is_final": True,
            "confidence": event.confidence,
            "emotions": emotions,
            "words": words,
            "start": start,
            "end": max(start, speech_end),
        }
        if pending is not None and self.interim_id is not None:
            msg_id = self.interim_id
            transcript.update(msg_id, **fields)
        else:
            msg_id = transcript.next_id("user")
            transcript.append(new_message(msg_id, "user", **fields))
        self.publish_messages()
        self.emotions_target = msg_id
        self.reset_utterance()
        self.begin_reply_turn(msg_id, speech_end, now)

    def on_text_turn(self, text: str, now: float) -> None:
        self.replies.clear_finished_text()
        msg_id = self.transcript.next_id("user")
        self.transcript.append(new_message(msg_id, "user", text, now, confidence=1.0))
        self.publish_messages()
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
        voiced = self.last_voiced
        if voiced is not None and voiced <= now and (start is None or voiced >= start - 1.0):
            return voiced
        for candidate in (self.utterance_end, self.last_interim_change):
            if candidate is not None and candidate <= now:
                return candidate
        return now

    def begin_reply_turn(self, user_msg_id: str, speech_end: float, now: float) -> None:
        self.latency_book.begin_turn(user_msg_id, speech_end, now)
        self.publish_latency()
        self.replies.new_turn()

    def on_emotions(self, event: EmotionUpdate) -> None:
        scores = event.scores
        self.set(emotions=scores)
        if not scores:
            return
        transcript = self.transcript
        if self.interim_id is not None and transcript.get(self.interim_id) is not None:
            # Still streaming: ``emotions`` carries them; the final transcript republishes.
            transcript.update(self.interim_id, emotions=scores)
        elif self.emotions_target is not None:
            # The first update after a final transcript describes that utterance.
            if transcript.update(self.emotions_target, emotions=scores):
                self.publish_messages()
            self.emotions_target = None

    def system_message(self, text: str, now: float) -> None:
        transcript = self.transcript
        transcript.append(new_message(transcript.next_id("system"), "system", text, now))
        self.publish_messages()
