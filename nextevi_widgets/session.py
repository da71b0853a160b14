"""``VoiceSession``: one NextEVI conversation as observable traitlets.

The session runs a :class:`~nextevi_widgets.client.client.NextEVIClient` as a background task
on the running asyncio loop and folds every wire event into traits (``state``, ``messages``,
``interim_transcript``, ``emotions``...) that widgets, plots and user code observe or link.
It has no widget imports: the :class:`~nextevi_widgets.widget.VoiceChat` widget owns a session,
feeds it microphone frames and plays the TTS chunks it hands to registered audio sinks.

The session is a shell around a :class:`~nextevi_widgets.conversation.Conversation`: every
call (``send_audio``, ``say``, ``interrupt``, ``report_*``, adding a player) and every client
event becomes one event of :data:`~nextevi_widgets.conversation.ConversationEvent`, fed to
the conversation at one session-clock time (the time listeners and recorders get); the
changes it answers become trait updates and player calls, and its next deadline is armed on
the loop. A recording therefore replays to the same state.

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
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
from traitlets import Bool, Dict, Enum, HasTraits, Int, List, Unicode, observe

from ._session.alerts import Alerts
from ._session.backend import Backend, open_backend, resolve_emulator_mode
from ._session.held_audio import HeldAudio
from ._session.options import SESSION_PARAMETERS
from ._session.stats import StatsBook
from ._session.streaming import stream_file
from ._session.text import describe_error
from ._session.waiting import STATES, SessionError, wait_for_condition
from .client.config import redact_url
from .client.errors import ConnectionClosedError
from .client.events import Connected, Disconnected, ProtocolError, Reconnected, Reconnecting
from .client.messages import (
    DEFAULT_SAMPLE_RATE,
    ConnectionMetadata,
    ErrorMessage,
    Interrupt,
    TextInput,
    TTSChunk,
)
from .client.options import ConnectionKeywords, ConnectionOptions, options_from_keywords
from .client.scrub import Scrubber
from .conversation import (
    DEFAULT_MAX_MESSAGES,
    Change,
    Conversation,
    Direction,
    FrontEndProblem,
    FrontEndProblemCleared,
    LatencyRecord,
    Message,
    OutgoingAudio,
    PlaybackProgress,
    PlaybackStarted,
    PlaybackStats,
    PlayChunk,
    PlayerAttached,
    PlayerDetached,
    SessionStats,
    SessionStopped,
    StateChanged,
    StopPlayback,
    direction_of,
)

if TYPE_CHECKING:
    from pathlib import Path

    from typing_extensions import Unpack

    from .client.client import NextEVIClient
    from .recording import Recorder

__all__ = ["STATES", "OutgoingAudio", "SessionError", "VoiceSession"]

logger = logging.getLogger(__name__)


EventListener = Callable[[Direction, object, float], None]
ChunkSink = Callable[[TTSChunk], None]
StopSink = Callable[[str], None]

_STATS_INTERVAL = 1.0
"""Seconds between ``stats`` refreshes: each one is a widget sync (a comm message to the page)."""


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
    messages: List[Message] = List()
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
    stats: Dict[str, Any] = Dict()
    """Counters (refreshed once a second): frames_sent, frames_dropped, bytes_sent,
    messages_sent, messages_received, reconnects, protocol_errors, playback_underruns,
    queued_ms, tts_chunks, tts_seconds, late_chunks_dropped, latencies."""
    is_emulator = Bool(False)
    latency: List[LatencyRecord] = List()
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
        self._book = StatsBook()
        self._conversation = Conversation(max_messages=self.max_messages)
        self._deadline_timer: asyncio.TimerHandle | None = None
        self._armed: float | None = None
        self._applying = 0
        self._alerts = Alerts(self._show_error, lambda: self.last_error, self._scrub)
        self._scrubber_key: tuple[str | None, ...] = ()
        self._scrubber = Scrubber()
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

    @property
    def conversation(self) -> Conversation:
        """The conversation model this session feeds (read it, do not feed it)."""
        return self._conversation

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

    def _show_error(self, text: str) -> None:
        self._set(last_error=text)

    @observe("max_messages")
    def _on_max_messages(self, change: dict[str, Any]) -> None:
        # Also fires for a constructor keyword, before the conversation exists (it reads the
        # trait).
        conversation: Conversation | None = getattr(self, "_conversation", None)
        if conversation is not None:
            self._apply(conversation.set_max_messages(change["new"]))

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
        """Close the client (which ends the runner's event loop), then wait for the runner."""
        client = self._client
        if client is not None:
            try:
                await client.close()
            except Exception:
                logger.debug("client close failed", exc_info=True)
        if not task.done():
            done, _ = await asyncio.wait({task}, timeout=5.0)
            if not done:
                task.cancel()
                await asyncio.wait({task}, timeout=5.0)

    def _task_done(self, task: asyncio.Task[None]) -> None:
        if not task.cancelled() and task.exception() is not None:
            logger.error("VoiceSession runner failed", exc_info=task.exception())

    async def _run(self) -> None:
        """The background task: start the backend (emulator or service), run the client, fold
        its events in, and clean everything up however it ends."""
        ticker = asyncio.ensure_future(self._tick())
        client: NextEVIClient | None = None
        try:
            backend = await open_backend(self._emulator_mode, self._options)
            self._backend = backend
            self._set(is_emulator=backend.is_emulator)
            from .client.client import NextEVIClient

            client = NextEVIClient(options=backend.options)
            self._client = client
            await client.connect()
            self._on_connected(client.connection_id)
            await self._fold_events(client)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            if client is not None and client.finished:
                # What the server said before the failure (e.g. an error message right before
                # an authentication close) was received: show it rather than lose it.
                await self._fold_events(client)
            self._on_failure(exc)
        finally:
            ticker.cancel()
            self._drop_held_audio()
            self._client = None
            if client is not None:
                self._book.fold(client)
                try:
                    await client.close()
                except Exception:
                    logger.debug("client close failed", exc_info=True)
            self._on_stopped()
            started, self._backend = self._backend, None
            if started is not None:
                try:
                    await started.aclose()
                except Exception:
                    logger.warning("stopping the emulator failed", exc_info=True)
            self._refresh_stats()

    async def _fold_events(self, client: NextEVIClient) -> None:
        async for event in client:
            try:
                self.handle_event(event)
            except Exception:
                logger.exception("VoiceSession failed to handle %s", type(event).__name__)

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
        await wait_for_condition(self, predicate_or_state, timeout, lambda: self._task)

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
        # One record per frame: its level is computed once and reused by the conversation
        # and the listeners (the emotion timeline needs it too).
        self._feed(OutgoingAudio(data, DEFAULT_SAMPLE_RATE, seq, t_capture, not sent), "out")

    @staticmethod
    def _pcm_bytes(pcm: bytes | bytearray | memoryview | np.ndarray[Any, Any]) -> bytes:
        if isinstance(pcm, bytes):
            return pcm
        from .client.audio import to_pcm16

        return to_pcm16(pcm)

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
            self,
            path,
            started=self._task is not None,
            realtime=realtime,
            chunk_ms=chunk_ms,
            trailing_silence=trailing_silence,
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
        self._feed(Interrupt(), "out")
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
        self._feed(PlayerAttached(), "in")

        def unsubscribe() -> None:
            if entry in self._sinks:
                self._sinks.remove(entry)
                self._feed(PlayerDetached(), "in")

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
        self._feed(
            PlaybackProgress(chunk_id, int(played_samples), int(total_samples), bool(flushed)),
            "in",
        )

    def report_playback_started(self, chunk_id: str, t_scheduled_ms: float) -> None:
        """A player scheduled the chunk's first sample to play at ``t_scheduled_ms`` (epoch ms
        on this machine's system clock, as the widget's page clock is). The first chunk of a
        reply sets the turn's measured ``first_played``."""
        if self._off_loop(self.report_playback_started, chunk_id, t_scheduled_ms):
            return
        at = self.clock + (float(t_scheduled_ms) / 1000.0 - time.time())
        self._feed(PlaybackStarted(chunk_id, at), "in")

    def report_playback_stats(self, underruns: int, queued_ms: float) -> None:
        """The player's underrun counter and queued audio (ms)."""
        if self._off_loop(self.report_playback_stats, underruns, queued_ms):
            return
        self._feed(PlaybackStats(int(underruns), float(queued_ms)), "in")

    def report_client_error(self, code: str, message: str) -> None:
        """A front-end problem (mic denied, insecure origin...) shown in ``last_error``. A
        problem that means the player cannot play (``audio_suspended``, ``playback_error``,
        ``insecure_origin``, ``no_audio_worklet``) also stops the session from counting the
        assistant as audible until :meth:`clear_client_error`."""
        if self._off_loop(self.report_client_error, code, message):
            return
        text = self._scrub(f"{code}: {message}"[:2000])
        self._alerts.show("client", text)
        self._feed(FrontEndProblem(code, text[len(code) + 2 :]), "in")

    def clear_client_error(self, code: str) -> None:
        """The front end's problem ``code`` is gone: drop it from ``last_error`` (when it is
        still the alert shown) and, for a playback problem, count on the player again."""
        if self._off_loop(self.clear_client_error, code):
            return
        self._feed(FrontEndProblemCleared(code), "in")
        if self._alerts.cause == "client" and self.last_error.startswith(f"{code}: "):
            self._alerts.clear("client")

    @property
    def player_blocked(self) -> bool:
        """True while a front end reports that it cannot play the assistant's voice."""
        return self._conversation.player_blocked

    # ------------------------------------------------------------------ events

    def handle_event(self, event: object, *, at: float | None = None) -> None:
        """Fold one event into the session state and pass it to ``on_event`` listeners.

        Used by the live runner and by offline replay. Server messages and client lifecycle
        events are ``"in"``; ``TextInput``/``OutgoingAudio`` records are ``"out"`` (replaying
        them updates the transcript without sending anything). ``at`` (session-clock seconds)
        overrides the time of the event, for replay.
        """
        self._feed(event, direction_of(event), at)
        match event:
            case Connected(connection_id=connection_id) | Reconnected(connection_id=connection_id):
                self._on_connected(connection_id)
            case Reconnecting():
                self._set(state="reconnecting")
            case Disconnected():
                self._on_disconnected(event)
            case ProtocolError(detail=detail):
                self._alerts.show("connection", f"Protocol error: {detail}")
                self._refresh_stats()
            case ErrorMessage(error_code=code, error_message=message):
                # Server text reaches here scrubbed by the client (the one choke point for
                # network text), so it is shown as it is.
                self._alerts.show("connection", f"{code}: {message}")
            case ConnectionMetadata(connection_id=connection_id) if connection_id:
                self._set(connection_id=connection_id)

    # ------------------------------------------------------------------ the conversation

    def _feed(self, event: object, direction: Direction, at: float | None = None) -> None:
        """Hand ``event`` to the listeners and the conversation at one time (the same time a
        recorder stores, so a replay is the same fold), apply the changes, re-arm the
        conversation's deadline."""
        conversation = self._conversation
        t = self.clock if at is None else at
        if t < conversation.now:
            t = conversation.now
        if self._listeners:
            self._emit(direction, event, t)
        changes = conversation.feed(event, t)
        if changes:
            self._apply(changes)
        if conversation.deadline != self._armed:
            self._arm()

    def _apply(self, changes: list[Change]) -> None:
        conversation = self._conversation
        self._applying += 1
        serial = self._applying
        for change in changes:
            match change:
                case StateChanged(name=name, value=value):
                    if serial != self._applying:
                        # A player called back meanwhile and newer changes were applied:
                        # what is current now, not this older value.
                        value = getattr(conversation, name)
                    self._set(**{name: value})
                case PlayChunk(chunk=chunk):
                    self._sink_chunk(chunk)
                case StopPlayback(reason=reason):
                    self._sink_stop(reason)

    def _arm(self) -> None:
        """Schedule the conversation's next deadline on the loop (none without a running loop:
        an offline fold runs deadlines at the next event)."""
        if self._deadline_timer is not None:
            self._deadline_timer.cancel()
            self._deadline_timer = None
        self._armed = None
        deadline = self._conversation.deadline
        if deadline is None:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        self._armed = deadline
        self._deadline_timer = loop.call_at(loop.time() + (deadline - self.clock), self._due)

    def _due(self) -> None:
        self._deadline_timer = None
        self._armed = None
        changes = self._conversation.advance(max(self.clock, self._conversation.now))
        if changes:
            self._apply(changes)
        self._arm()

    # ------------------------------------------------------------------ connection

    def _on_connected(self, connection_id: str | None) -> None:
        self._flush_held_audio()  # speech captured while connecting goes first, in order
        self._set(state="connected")
        # A new connection is up: alerts about the previous one no longer apply.
        self._alerts.clear("connection", "send")
        if connection_id:
            self._set(connection_id=connection_id)
        self._flush_pending_texts()
        self._refresh_stats()

    def _on_disconnected(self, event: Disconnected) -> None:
        error = event.error
        if error is None and event.code is not None and 4000 <= event.code < 5000:
            error = ConnectionClosedError(event.code, event.reason)
        if error is not None:
            self._on_failure(error)
        elif self.state != "error":
            self._set_stopped("disconnected")

    def _on_failure(self, error: BaseException) -> None:
        text = self._scrub(describe_error(error))
        logger.warning("NextEVI session stopped: %s", text)
        self._alerts.show("stopped", text)
        self._set_stopped("error")

    def _on_stopped(self) -> None:
        self._feed(SessionStopped(), "in")
        if self.state != "error":
            self._set_stopped("disconnected")

    def _set_stopped(self, state: Literal["disconnected", "error"]) -> None:
        """Turn ``state`` to a stopped one, ``stats`` refreshed first: whoever waits for the stop
        reads the final counters (they otherwise refresh once a second)."""
        self._refresh_stats()
        self._set(state=state)

    # ------------------------------------------------------------------ stats

    def _refresh_stats(self) -> None:
        conversation = self._conversation
        stats: SessionStats = self._book.build(
            self._client, conversation.counters, conversation.latency_summary()
        )
        if stats != self.stats:
            self._set(stats=stats)
