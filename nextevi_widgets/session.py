"""``VoiceSession``: one NextEVI conversation as observable traitlets.

The session runs a :class:`~nextevi_widgets.client.client.NextEVIClient` as a background task
on the running asyncio loop and folds every wire event into traits (``state``, ``messages``,
``interim_transcript``, ``emotions``...) that widgets, plots and user code observe or link.
It has no widget imports: the :class:`~nextevi_widgets.widget.VoiceChat` widget owns a session,
feeds it microphone frames and plays the TTS chunks it hands to registered audio sinks.

Kernel rules: :meth:`VoiceSession.start` returns at once; nothing here blocks the loop. All
trait changes happen on the loop's thread (calls from other threads hop onto it).

``messages`` keeps the newest :attr:`VoiceSession.max_messages` entries (default 1000; ``None``
keeps everything). It is republished at message boundaries (added, finalised, interrupted,
removed), not on every streaming delta: interim words and reply text stream through
``interim_transcript`` and ``assistant_text``. Republishing is a shallow list copy.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
from traitlets import Bool, Dict, Enum, HasTraits, Int, List, Unicode, observe

from ._session.alerts import Alerts
from ._session.backend import Backend, resolve_emulator_mode
from ._session.handlers import EventHandlers
from ._session.held_audio import HeldAudio
from ._session.latency import LatencyTracker
from ._session.options import SESSION_PARAMETERS
from ._session.playback import PlaybackTracker
from ._session.records import OutgoingAudio
from ._session.replies import PLAYBACK_BLOCKING_CODES
from ._session.runner import close_session, run_session
from ._session.stats import StatsBook
from ._session.streaming import stream_file
from ._session.text import describe_error
from ._session.transcript import DEFAULT_MAX_MESSAGES, Transcript
from ._session.waiting import STATES, SessionError, wait_for_condition
from .client.config import redact_url
from .client.messages import DEFAULT_SAMPLE_RATE, ClientMessage, Interrupt, TextInput, TTSChunk
from .client.options import ConnectionKeywords, ConnectionOptions, options_from_keywords
from .client.scrub import Scrubber

if TYPE_CHECKING:
    from pathlib import Path

    from typing_extensions import Unpack

    from .client.client import NextEVIClient
    from .recording import Recorder

__all__ = ["STATES", "OutgoingAudio", "SessionError", "VoiceSession"]

logger = logging.getLogger(__name__)


Direction = Literal["in", "out"]
EventListener = Callable[[Direction, object, float], None]
ChunkSink = Callable[[TTSChunk], None]
StopSink = Callable[[str], None]

_STATS_INTERVAL = 1.0
"""Seconds between ``stats`` refreshes: each one is a widget sync (a comm message to the page)."""
_VOICED_DBFS = -45.0


class VoiceSession(HasTraits):
    """A NextEVI voice conversation whose state is observable traitlets.

    With no credentials (argument or ``NEXTEVI_API_KEY``/``NEXTEVI_ACCESS_TOKEN``) and no
    ``url``, ``emulator="auto"`` starts the offline emulator in a child process and connects to
    it. ``emulator="inprocess"`` runs it on the current loop (tests); ``False`` always uses the
    real service. ``max_messages`` sets the trait of that name. How to connect is one
    :class:`~nextevi_widgets.client.options.ConnectionOptions`, given as ``options=`` or as its
    fields by keyword (``api_key=``, ``config_id=``, ``max_reconnect_attempts=``...); it reaches
    the :class:`~nextevi_widgets.client.client.NextEVIClient` as it is. An unknown keyword
    raises ``TypeError`` naming it here, not later in the background task.

    ::

        session = VoiceSession(config_id="deterministic")
        session.observe(lambda c: print(c["new"]), names=["state"])
        session.start()                 # returns at once; runs on the notebook's loop
        session.say("hello there")      # or send_audio()/send_file()
        VoiceSession(options=ConnectionOptions(api_key=key, config_id="my-config"))
    """

    state = Enum(STATES, default_value="disconnected")
    connection_id = Unicode(None, allow_none=True)
    interim_transcript = Unicode("")
    assistant_text = Unicode("")
    """Streaming text of the current (latest) assistant turn."""
    # No per-element trait: validating every dict on each republish made long sessions slow.
    messages: List[dict[str, Any]] = List()
    """``{id, role, text, is_final, confidence, emotions, start, end, interrupted, heard_text,
    generation_id, words}`` dicts, oldest first (``start``/``end`` on the session clock).

    Republished (a new list, so ``observe(names=["messages"])`` fires) when a message is added,
    finalised, interrupted, removed or trimmed, and when emotions are attached to a finished
    utterance. Streaming deltas are not republished one by one: interim words go to
    ``interim_transcript`` and reply text to ``assistant_text`` on every delta, and an entry
    still streaming (``is_final`` false) shows its text as of the last republish."""
    emotions = Dict()
    """Latest ``{name: score}`` (0..1) from the server."""
    is_user_speaking = Bool(False)
    is_assistant_speaking = Bool(False)
    last_error = Unicode("")
    stats = Dict()
    """Counters (refreshed once a second): frames_sent, frames_dropped, bytes_sent,
    messages_sent, messages_received, reconnects, protocol_errors, playback_underruns,
    queued_ms, tts_chunks, tts_seconds, late_chunks_dropped, latencies."""
    is_emulator = Bool(False)
    latency: List[dict[str, Any]] = List()
    """Per-turn records: ``user_speech_end``, ``final_transcript``, ``first_text``,
    ``first_tts_chunk``, ``first_played`` (session-clock seconds, ``None`` when not reached)."""
    max_messages = Int(DEFAULT_MAX_MESSAGES, allow_none=True)
    """Newest messages kept in ``messages`` (``None``: keep all)."""

    def __init__(
        self,
        *,
        options: ConnectionOptions | None = None,
        emulator: bool | Literal["auto", "process", "inprocess"] = "auto",
        autostart: bool = False,
        max_messages: int | None = DEFAULT_MAX_MESSAGES,
        **keywords: Unpack[ConnectionKeywords],
    ) -> None:
        try:
            connection = options_from_keywords(
                "VoiceSession", options, keywords, also_valid=SESSION_PARAMETERS
            )
        except TypeError as exc:
            raise exc.with_traceback(None) from None  # reported at the caller's line
        super().__init__(max_messages=max_messages)
        self._t0 = time.monotonic()
        self._options = connection
        self._emulator_mode = resolve_emulator_mode(emulator, connection)
        self.is_emulator = self._emulator_mode is not None
        self._client: NextEVIClient | None = None
        self._backend: Backend | None = None
        self._task: asyncio.Task[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._loop_thread: int | None = None
        self._listeners: list[EventListener] = []
        self._sinks: list[tuple[ChunkSink, StopSink]] = []
        self._pending_texts: deque[str] = deque(maxlen=100)
        self._held_audio = HeldAudio()
        self._player_blocked: set[str] = set()
        self._at: float | None = None
        self._last_voiced: float | None = None
        self._book = StatsBook()
        self._transcript = Transcript(self.max_messages)
        self._playback = PlaybackTracker()
        self._latency = LatencyTracker()
        self._alerts = Alerts(self)
        self._scrubber_key: tuple[str | None, ...] = ()
        self._scrubber = Scrubber()
        self._events = EventHandlers(self)
        if autostart:
            self.start()

    # ------------------------------------------------------------------ basics

    def __repr__(self) -> str:
        where = "emulator" if self.is_emulator else "service"
        return (
            f"<VoiceSession state={self.state!r} connection_id={self.connection_id!r} "
            f"{where} messages={len(self.messages)}>"
        )

    @property
    def clock(self) -> float:
        """Session clock: seconds since the session was created (monotonic)."""
        return time.monotonic() - self._t0

    def _now(self) -> float:
        return self._at if self._at is not None else self.clock

    @property
    def options(self) -> ConnectionOptions:
        """How this session connects (as given; the emulator's address is filled in only
        for the client)."""
        return self._options

    @property
    def client(self) -> NextEVIClient | None:
        """The live client while connected (None otherwise)."""
        return self._client

    @property
    def url(self) -> str | None:
        """The endpoint, credentials redacted."""
        client = self._client
        if client is not None:
            return str(client.url)
        url = self._backend.url if self._backend is not None else self._options.url
        return None if url is None else redact_url(url)

    def _scrub(self, text: str) -> str:
        """Text the session writes itself (error descriptions, front-end reports) without
        credentials. Server text is already scrubbed by the client, at the network boundary."""
        key = self._options.secrets()
        if key != self._scrubber_key:
            self._scrubber, self._scrubber_key = Scrubber(key), key
        return self._scrubber.text(text)

    def _set(self, **values: Any) -> None:
        """Assign traits one by one. An exception raised by an observer (user code, or a
        widget's comm that cannot send) never reaches the runner: it is logged and shown in
        ``last_error`` until that trait updates successfully again."""
        alerts: Alerts | None = getattr(self, "_alerts", None)
        for name, value in values.items():
            try:
                setattr(self, name, value)
            except Exception as exc:
                logger.exception("an observer of VoiceSession.%s raised", name)
                if alerts is not None:
                    alerts.sync_failed(name, exc)
            else:
                if alerts is not None and alerts.failed:
                    alerts.sync_ok(name)

    def _publish_messages(self) -> None:
        self._set(messages=self._transcript.items)

    def _publish_latency(self) -> None:
        self._set(latency=self._latency.snapshot())

    @observe("max_messages")
    def _on_max_messages(self, change: dict[str, Any]) -> None:
        # Also fires for a constructor keyword, before the transcript exists (it reads the trait).
        transcript: Transcript | None = getattr(self, "_transcript", None)
        if transcript is None:
            return
        transcript.max_messages = change["new"]
        if transcript.trim():
            self._publish_messages()

    def _off_loop(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> bool:
        """Re-schedule a call made from a foreign thread onto the loop thread."""
        loop = self._loop
        if loop is None or self._loop_thread in (None, threading.get_ident()):
            return False
        if loop.is_closed():
            return True
        loop.call_soon_threadsafe(lambda: fn(*args, **kwargs))
        return True

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> asyncio.Task[None]:
        """Connect in the background on the running loop and return the runner task at once.

        Raises :class:`RuntimeError` when no loop is running (in a plain script, call it from
        ``async`` code run by ``asyncio.run``). Calling it while running returns the same task.
        """
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            raise RuntimeError(
                "VoiceSession.start() needs a running asyncio event loop. In Jupyter, call it "
                "from a cell (the kernel runs one); in a script, call it inside "
                "`async def main()` run with `asyncio.run(main())`."
            ) from None
        if self._task is not None and not self._task.done():
            return self._task
        self._loop = loop
        self._loop_thread = threading.get_ident()
        self._alerts.reset()
        self._set(state="connecting", last_error="")
        task = loop.create_task(self._run(), name="nextevi-voice-session")
        task.add_done_callback(self._task_done)
        self._task = task
        return task

    def close(self) -> asyncio.Task[None] | None:
        """Stop the client and the emulator this session started. Returns the closing task
        (await it to be sure everything stopped), or None when nothing was running."""
        task = self._task
        if task is None or task.done():
            if self._backend is not None:
                self._backend.stop_now()
                self._backend = None
            if self.state != "error":
                self._set(state="disconnected")
            return None
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            if self._loop is not None and not self._loop.is_closed():
                self._loop.call_soon_threadsafe(self.close)
            return None
        return loop.create_task(self._aclose(task), name="nextevi-voice-session-close")

    async def _aclose(self, task: asyncio.Task[None]) -> None:
        await close_session(self, task)

    def _task_done(self, task: asyncio.Task[None]) -> None:
        if not task.cancelled() and task.exception() is not None:
            logger.error("VoiceSession runner failed", exc_info=task.exception())

    async def _run(self) -> None:
        await run_session(self)

    async def _tick(self) -> None:
        while True:
            await asyncio.sleep(_STATS_INTERVAL)
            self._refresh_stats()

    # ------------------------------------------------------------------ waiting

    async def wait_until(
        self,
        predicate_or_state: str | Callable[[VoiceSession], bool],
        timeout: float | None = 30.0,
    ) -> None:
        """Wait until ``state`` equals the given string, or until ``predicate(session)`` is
        true. Raises :class:`TimeoutError` after ``timeout`` seconds and
        :class:`SessionError` when the session fails or stops first.

        For scripts and tests. **Do not await it in a notebook cell** that needs widget
        messages (microphone audio, playback reports): Jupyter delivers those only after the
        cell finishes, so the cell would wait for something it is blocking.
        """
        await wait_for_condition(self, predicate_or_state, timeout)

    # ------------------------------------------------------------------ sending

    def send_audio(
        self,
        pcm: bytes | np.ndarray[Any, Any],
        *,
        t_capture: float | None = None,
        seq: int | None = None,
    ) -> None:
        """Send one microphone frame (PCM16 LE mono 24 kHz bytes, or int16/float samples).
        Never blocks. While the session is ``connecting``, frames are held (up to 5 s, the
        oldest dropped beyond that) and sent in order once connected; while ``reconnecting``
        the client queues them. A frame that cannot be sent or held (the session is not
        started, or a queue is full) is dropped and counted in ``stats["frames_dropped"]``."""
        if self._off_loop(self.send_audio, pcm, t_capture=t_capture, seq=seq):
            return
        data = self._pcm_bytes(pcm)
        client = self._client
        sent = False
        if self.state == "connecting":
            self._book.frames_dropped += self._held_audio.put(data)
            sent = True
        elif client is not None and self.state in ("connected", "reconnecting"):
            try:
                client.send_audio_nowait(data)
                sent = True
            except Exception:
                logger.debug("send_audio_nowait failed", exc_info=True)
        if not sent:
            self._book.frames_dropped += 1
        self._note_outgoing(data, seq=seq, t_capture=t_capture, dropped=not sent)

    @staticmethod
    def _pcm_bytes(pcm: bytes | bytearray | memoryview | np.ndarray[Any, Any]) -> bytes:
        if isinstance(pcm, bytes):
            return pcm
        from .client.audio import to_pcm16

        return to_pcm16(pcm)

    def _note_outgoing(
        self, data: bytes, *, seq: int | None, t_capture: float | None, dropped: bool
    ) -> None:
        now = self._now()
        # One record per frame: its level is computed once, here, and reused by listeners
        # (the emotion timeline needs it too).
        record = OutgoingAudio(data, DEFAULT_SAMPLE_RATE, seq, t_capture, dropped)
        if record.level_dbfs > _VOICED_DBFS:
            self._last_voiced = now
        if self._listeners:
            self._emit("out", record, now)

    async def send_file(
        self,
        path: str,
        *,
        realtime: bool = True,
        chunk_ms: int = 20,
        trailing_silence: float = 1.0,
    ) -> float:
        """Stream an audio file as the microphone and return the seconds sent.

        Any sample rate and channel count is resampled to 24 kHz mono. ``realtime`` paces the
        frames at speaking speed; otherwise they go as fast as the connection takes them.
        ``trailing_silence`` seconds of silence follow so the server sees the turn end. Waits
        for the connection first (start the session before calling this).
        """
        return await stream_file(
            self, path, realtime=realtime, chunk_ms=chunk_ms, trailing_silence=trailing_silence
        )

    def say(self, text: str) -> None:
        """Send ``text`` as a user turn (``text_input``, an extension the emulator supports)
        and add it to ``messages``. Queued until connected when called early."""
        if self._off_loop(self.say, text):
            return
        text = text.strip()
        if not text:
            return
        self.handle_event(TextInput(text=text))
        client = self._client
        if client is not None and self.state == "connected":
            self._spawn(client.send_text(text), "send_text")
        else:
            self._pending_texts.append(text)

    def interrupt(self) -> None:
        """Stop the assistant now: flush local playback (audio sinks get ``"user"``), mark the
        reply interrupted, and ask the server to stop generating."""
        if self._off_loop(self.interrupt):
            return
        now = self._now()
        self._events.replies.interrupt_current("user", now)
        self._emit("out", Interrupt(), now)
        client = self._client
        if client is not None and self.state == "connected":
            self._spawn(client.interrupt(), "interrupt")

    def _flush_held_audio(self) -> None:
        """Send the audio held while connecting, oldest first (before anything newer)."""
        client = self._client
        if client is None:
            return
        for frame in self._held_audio.drain():
            try:
                client.send_audio_nowait(frame)
            except Exception:
                logger.debug("send_audio_nowait failed", exc_info=True)
                self._book.frames_dropped += 1

    def _drop_held_audio(self) -> None:
        """The session stopped before connecting: what was held is lost (and counted)."""
        self._book.frames_dropped += self._held_audio.clear()

    def _flush_pending_texts(self) -> None:
        client = self._client
        while client is not None and self._pending_texts:
            self._spawn(client.send_text(self._pending_texts.popleft()), "send_text")

    def _spawn(self, coro: Any, what: str) -> None:
        task = asyncio.ensure_future(coro)

        def done(fut: asyncio.Future[Any]) -> None:
            if not fut.cancelled() and fut.exception() is not None:
                exc = fut.exception()
                assert exc is not None
                self._alerts.show("send", self._scrub(f"{what} failed: {describe_error(exc)}"))

        task.add_done_callback(done)

    # ------------------------------------------------------------------ listeners and sinks

    def on_event(self, callback: EventListener) -> Callable[[], None]:
        """Call ``callback(direction, event, t)`` for every wire event: ``"in"`` for server
        messages and client lifecycle events, ``"out"`` for what the session sends
        (:class:`OutgoingAudio` frames, ``TextInput``, ``Interrupt``); ``t`` is the session
        clock. Returns a function that unsubscribes. Exceptions are logged, not raised."""
        self._listeners.append(callback)

        def unsubscribe() -> None:
            if callback in self._listeners:
                self._listeners.remove(callback)

        return unsubscribe

    def record(self, path: str | Path) -> Recorder:
        """Record this session from now on: every event as JSON lines (``<path>.jsonl``, flushed
        per event) and a stereo WAV (``<path>.wav``: user left, assistant as heard right).
        Call ``.close()`` on the returned :class:`~nextevi_widgets.recording.Recorder` to
        finish; load it later with ``Recording.load(path)``."""
        from .recording import Recorder

        return Recorder.attach(self, path)

    def _emit(self, direction: Direction, event: object, at: float) -> None:
        for listener in list(self._listeners):
            try:
                listener(direction, event, at)
            except Exception:
                logger.exception("VoiceSession event listener raised")

    def add_audio_sink(self, on_chunk: ChunkSink, on_stop: StopSink) -> Callable[[], None]:
        """Register a player: ``on_chunk(TTSChunk)`` for each chunk to play (``chunk_id`` is
        always set) and ``on_stop(reason)`` to flush (``"interruption"``, ``"user"``,
        ``"disconnect"``). Report back with :meth:`report_playback`. Returns an unsubscribe
        function."""
        entry = (on_chunk, on_stop)
        self._sinks.append(entry)

        def unsubscribe() -> None:
            if entry in self._sinks:
                self._sinks.remove(entry)

        return unsubscribe

    def _sink_chunk(self, chunk: TTSChunk) -> None:
        for on_chunk, _ in list(self._sinks):
            try:
                on_chunk(chunk)
            except Exception:
                logger.exception("audio sink raised on a TTS chunk")

    def _sink_stop(self, reason: str) -> None:
        for _, on_stop in list(self._sinks):
            try:
                on_stop(reason)
            except Exception:
                logger.exception("audio sink raised on stop")

    # ------------------------------------------------------------------ reports from a player

    def report_playback(
        self, chunk_id: str, played_samples: int, total_samples: int, flushed: bool = False
    ) -> None:
        """A player's progress for one chunk: cumulative samples that reached the speakers
        (``flushed`` when the rest was discarded)."""
        if self._off_loop(self.report_playback, chunk_id, played_samples, total_samples, flushed):
            return
        self._events.replies.on_playback_report(
            chunk_id, int(played_samples), int(total_samples), bool(flushed), self._now()
        )

    def report_playback_started(self, chunk_id: str, t_scheduled_ms: float) -> None:
        """A player scheduled the chunk's first sample to play at ``t_scheduled_ms`` (epoch ms
        on this machine's system clock, as the widget's page clock is). The first chunk of a
        reply sets the turn's measured ``first_played``."""
        if self._off_loop(self.report_playback_started, chunk_id, t_scheduled_ms):
            return
        at = self.clock + (float(t_scheduled_ms) / 1000.0 - time.time())
        self._events.replies.on_playback_started(chunk_id, at)

    def report_playback_stats(self, underruns: int, queued_ms: float) -> None:
        """The player's underrun counter and queued audio (ms)."""
        if self._off_loop(self.report_playback_stats, underruns, queued_ms):
            return
        self._book.playback_underruns = int(underruns)
        self._book.queued_ms = float(queued_ms)
        self._events.replies.on_queue_level(float(queued_ms), self._now())

    def report_client_error(self, code: str, message: str) -> None:
        """A front-end problem (mic denied, insecure origin...) shown in ``last_error``. A
        problem that means the player cannot play (``audio_suspended``, ``playback_error``,
        ``insecure_origin``, ``no_audio_worklet``) also stops the session from counting the
        assistant as audible until :meth:`clear_client_error`."""
        if self._off_loop(self.report_client_error, code, message):
            return
        self._alerts.show("client", self._scrub(f"{code}: {message}"[:2000]))
        if code in PLAYBACK_BLOCKING_CODES:
            self._player_blocked.add(code)
            self._events.replies.on_player_blocked()

    def clear_client_error(self, code: str) -> None:
        """The front end's problem ``code`` is gone: drop it from ``last_error`` (when it is
        still the alert shown) and, for a playback problem, count on the player again."""
        if self._off_loop(self.clear_client_error, code):
            return
        self._player_blocked.discard(code)
        if self._alerts.cause == "client" and self.last_error.startswith(f"{code}: "):
            self._alerts.clear("client")

    @property
    def player_blocked(self) -> bool:
        """True while a front end reports that it cannot play the assistant's voice."""
        return bool(self._player_blocked)

    # ------------------------------------------------------------------ events

    def handle_event(self, event: object, *, at: float | None = None) -> None:
        """Fold one event into the session state and pass it to ``on_event`` listeners.

        Used by the live runner and by offline replay. Server messages and client lifecycle
        events are ``"in"``; ``TextInput``/``OutgoingAudio`` records are ``"out"`` (replaying
        them updates the transcript without sending anything). ``at`` (session-clock seconds)
        overrides the time of the event, for replay.
        """
        previous, self._at = self._at, at
        try:
            now = self._now()
            outgoing = isinstance(event, (ClientMessage, OutgoingAudio))
            self._emit("out" if outgoing else "in", event, now)
            if isinstance(event, OutgoingAudio):
                if at is not None and event.level_dbfs > _VOICED_DBFS:
                    self._last_voiced = now
                return
            self._events.dispatch(event, now)
        finally:
            self._at = previous

    # ------------------------------------------------------------------ stats

    def _refresh_stats(self) -> None:
        stats = self._book.build(self._client, self._latency.summary())
        if stats != self.stats:
            self._set(stats=stats)

    def _replace_chunk_id(self, chunk: TTSChunk, chunk_id: str) -> TTSChunk:
        return chunk if chunk.chunk_id == chunk_id else replace(chunk, chunk_id=chunk_id)
