"""The :class:`VoiceChat` widget: browser mic and speakers bridged to a kernel-side session."""

from __future__ import annotations

import asyncio
import base64
import inspect
import logging
import sys
import time
import uuid
import weakref
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Literal, cast, get_args

import anywidget
import ipywidgets
import traitlets

from .._comm import (
    AudioFrameMsg,
    BrowserMessage,
    CaptureStateMsg,
    ClientErrorClearedMsg,
    ClientErrorMsg,
    PlayAudioMsg,
    PlaybackProgressMsg,
    PlaybackStartedMsg,
    PlaybackStatsMsg,
    StopPlaybackMsg,
    StopReason,
    UiActionMsg,
    frame_pcm,
    split_frames,
)
from .._comm_validate import UnionValidator, validator
from .._session.options import SESSION_PARAMETERS, SessionKeywords
from ..client.options import ConnectionOptions, options_from_keywords
from ..client.scrub import comm_safe
from .convert import ui_emotions, ui_error, ui_messages, ui_stats, ui_text
from .errors import ErrorPanel
from .page_order import PageOrder

if TYPE_CHECKING:
    from typing_extensions import Unpack

    from ..client.messages import TTSChunk
    from ..session import VoiceSession

__all__ = ["ECHO_STRATEGIES", "VoiceChat"]

_logger = logging.getLogger("nextevi_widgets.widget")

_STATIC = Path(__file__).resolve().parent.parent / "static"

_BROWSER_MESSAGES: UnionValidator[BrowserMessage] = validator("BrowserMessage")
_STOP_REASONS = frozenset(get_args(StopReason))

ECHO_STRATEGIES = ("aec", "half-duplex", "headphones")
MAX_FRAMES_PER_MESSAGE = 50
"""One second of audio per comm message at most."""

# session trait -> (widget trait, UI-safe projection)
_LINKS: dict[str, tuple[str, Callable[[Any], Any]]] = {
    "state": ("state", str),
    "connection_id": ("connection_id", ui_text),
    # Bounded like the messages' text (the session keeps the full text).
    "interim_transcript": ("interim_transcript", ui_text),
    "assistant_text": ("assistant_text", ui_text),
    "messages": ("messages", ui_messages),
    "emotions": ("emotions", ui_emotions),
    "is_user_speaking": ("is_user_speaking", bool),
    "is_assistant_speaking": ("is_assistant_speaking", bool),
    "last_error": ("last_error", ui_error),
    "stats": ("stats", ui_stats),
    "is_emulator": ("is_emulator", bool),
}


class VoiceChatKeywords(SessionKeywords, total=False):
    """Every keyword ``VoiceChat`` takes besides ``session=`` and ``options=``: the session's
    (connection fields included) and the widget's audio settings."""

    echo_strategy: Literal["aec", "half-duplex", "headphones"]
    echo_cancellation: bool
    noise_suppression: bool
    auto_gain_control: bool
    device_id: str
    volume: float
    muted: bool
    mic_enabled: bool
    binary_buffers: bool
    frames_per_message: int


def _in_colab() -> bool:
    return "google.colab" in sys.modules


class VoiceChat(anywidget.AnyWidget):
    """Talk to NextEVI from the notebook: the browser captures the mic and plays the assistant,
    the kernel holds the connection (and the API key, which never reaches the page).

    ``VoiceChat()`` with no credentials starts the offline emulator. Audio settings
    (``echo_strategy=``, ``volume=``...) are the widget's; ``options=`` (a
    :class:`~nextevi_widgets.client.options.ConnectionOptions`), its fields as keywords
    (``api_key=``, ``config_id=``...) and ``emulator=``/``max_messages=`` go to the
    :class:`~nextevi_widgets.session.VoiceSession` it creates. An unknown keyword raises
    ``TypeError`` naming it. Pass ``session=`` to show an existing session instead (it is then
    not closed with the widget).

    The observable state lives on :attr:`session`; the widget syncs a UI-safe subset of it.
    """

    _esm = _STATIC / "voice_chat.js"
    _css = _STATIC / "voice_chat.css"

    # Mirrors of session state (kernel -> browser only).
    state = traitlets.Unicode("idle").tag(sync=True)
    connection_id = traitlets.Unicode("").tag(sync=True)
    interim_transcript = traitlets.Unicode("").tag(sync=True)
    assistant_text = traitlets.Unicode("").tag(sync=True)
    messages = traitlets.List(traitlets.Dict()).tag(sync=True)
    emotions = traitlets.List(traitlets.Dict()).tag(sync=True)
    is_user_speaking = traitlets.Bool(False).tag(sync=True)
    is_assistant_speaking = traitlets.Bool(False).tag(sync=True)
    last_error = traitlets.Unicode("").tag(sync=True)
    stats = traitlets.Dict().tag(sync=True)
    is_emulator = traitlets.Bool(False).tag(sync=True)

    # Audio settings (either side may change them).
    echo_strategy = traitlets.Enum(ECHO_STRATEGIES, default_value="aec").tag(sync=True)
    """``"aec"``: browser echo cancellation on (full duplex). ``"half-duplex"``: the mic is gated
    while the assistant's audio plays. ``"headphones"``: no browser processing at all."""
    echo_cancellation = traitlets.Bool(True).tag(sync=True)
    """Capture constraint; forced on by ``"aec"`` and off by ``"headphones"``."""
    noise_suppression = traitlets.Bool(True).tag(sync=True)
    """Capture constraint; forced off by ``"headphones"``."""
    auto_gain_control = traitlets.Bool(True).tag(sync=True)
    """Capture constraint; forced off by ``"headphones"``."""
    device_id = traitlets.Unicode("").tag(sync=True)
    volume = traitlets.Float(1.0, min=0.0, max=1.0).tag(sync=True)
    muted = traitlets.Bool(False).tag(sync=True)
    """Speaker mute (the assistant's audio)."""
    mic_enabled = traitlets.Bool(False).tag(sync=True)
    """Whether the mic should stream; the mic button toggles it."""
    binary_buffers = traitlets.Bool(True).tag(sync=True)
    """False where the front end cannot carry binary comm buffers (Colab): audio travels as
    base64 text instead."""
    capture_view = traitlets.Unicode("").tag(sync=True)
    """Id of the one view that owns the microphone (empty when none)."""
    frames_per_message = traitlets.Int(1, min=1, max=MAX_FRAMES_PER_MESSAGE).tag(sync=True)
    """20 ms mic frames per comm message. 1 (default) is the lowest latency; more frames share
    one ~500-byte Jupyter message envelope (fewer bytes on the wire) but the first frame of each
    message waits for the others: N frames add up to (N - 1) x 20 ms. The kernel splits them
    back, so the session sees the same 20 ms frames either way."""
    _trace = traitlets.Bool(False).tag(sync=True)
    """Benchmarks: audio_frame messages carry page-side timestamps of the capture path."""
    _token = traitlets.Unicode().tag(sync=True)
    """Random per-widget id: the front end keys its model-wide state on it."""

    _sync_alert: tuple[frozenset[str], str] | None = None
    """The keys whose last sync failed and the summary shown for it in ``last_error``."""
    _reporting = False
    _closed = True
    """Until ``__init__`` completes: a widget whose construction failed closes as a bare one."""

    @traitlets.default("_token")
    def _default_token(self) -> str:
        return uuid.uuid4().hex

    def __init__(
        self,
        *,
        session: VoiceSession | None = None,
        options: ConnectionOptions | None = None,
        **keywords: Unpack[VoiceChatKeywords],
    ) -> None:
        rest: dict[str, Any] = dict(keywords)
        widget_options = {name: rest.pop(name) for name in list(rest) if self._is_ui(name)}
        own = {name: rest.pop(name) for name in SESSION_PARAMETERS if name in rest}
        valid = {*SESSION_PARAMETERS, "session", *VoiceChatKeywords.__annotations__}
        try:
            connection = options_from_keywords("VoiceChat", options, rest, also_valid=valid)
        except TypeError as exc:
            raise exc.with_traceback(None) from None  # reported at the caller's line
        if session is not None and (options is not None or rest or own):
            raise TypeError("pass credentials and options to the session, not with session=")
        owns_session = session is None
        if session is None:
            from ..session import VoiceSession

            session = VoiceSession(options=connection, **own)
        # Everything is checked before the widget (and its comm) exists.
        widget_options.setdefault("binary_buffers", not _in_colab())
        super().__init__(**widget_options)
        self._errors = ErrorPanel(scrub=self._scrub)
        self._container: ipywidgets.VBox | None = None
        self._task: asyncio.Task[Any] | None = None
        self._closed = False
        self._owns_session = owns_session
        self._session: VoiceSession = session
        self._links = [
            traitlets.dlink((session, source), (self, target), self._guard(source, transform))
            for source, (target, transform) in _LINKS.items()
            if session.has_trait(source)
        ]
        self._unsubscribe = session.add_audio_sink(self._on_tts_chunk, self._on_tts_stop)
        self._page_order = PageOrder()
        self.on_msg(self._on_browser_msg)

    @classmethod
    def _is_ui(cls, name: str) -> bool:
        trait = cls.class_traits().get(name)
        return trait is not None and trait.metadata.get("sync", False) and name not in _LINKS

    # Public API --------------------------------------------------------------------------

    @property
    def session(self) -> VoiceSession:
        """The observable :class:`~nextevi_widgets.session.VoiceSession` behind the widget."""
        return self._session

    @property
    def error_output(self) -> ipywidgets.Output:
        """The ``Output`` under the widget where callback errors are shown."""
        return self._errors.output

    def connect(self) -> asyncio.Task[Any]:
        """Start the session on the running loop (returns at once). Idempotent while running."""
        if self._task is None or self._task.done():
            self._task = self._session.start()
        return self._task

    def disconnect(self) -> None:
        """Stop the mic and close the connection (the widget stays usable for display)."""
        self.mic_enabled = False
        self._call_maybe_async(self._session.close)

    def say(self, text: str) -> None:
        """Send ``text`` as if the user had said it (works without a microphone)."""
        self._session.say(text)

    def interrupt(self) -> None:
        """Stop the assistant: flush playback in the browser and tell the server."""
        self._session.interrupt()

    def close(self) -> None:
        """Close the widget and, when the widget created it, the session (and its emulator)."""
        if self._closed:
            super().close()
            return
        self._closed = True
        self._unsubscribe()
        for link in self._links:
            link.unlink()
        if self._owns_session:
            self._call_maybe_async(self._session.close)
        if self._container is not None:
            self._container.close()
        self._errors.close()
        super().close()

    @traitlets.observe("comm")
    def _watch_comm(self, change: dict[str, Any]) -> None:
        """Stop the session when the front end closes the widget's comm without closing the
        widget: marimo does so when the widget's cell re-runs or is deleted, and the tasks of
        the old session would otherwise run on, holding the microphone and the emulator."""
        comm = change["new"]
        close = getattr(comm, "close", None)
        if close is None or getattr(close, "_nextevi_watch", False):
            return
        widget = weakref.ref(self)

        def close_and_stop(*args: Any, **kwargs: Any) -> Any:
            try:
                return close(*args, **kwargs)
            finally:
                owner = widget()
                if owner is not None and owner.comm is comm:
                    owner._on_comm_closed()

        close_and_stop._nextevi_watch = True  # type: ignore[attr-defined]
        comm.close = close_and_stop

    def _on_comm_closed(self) -> None:
        if not self._closed:
            self.close()

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        # The widget plus an (initially empty) error area under it.
        if self._container is None:
            self._container = ipywidgets.VBox([self, self._errors.output])
        return self._container._repr_mimebundle_(**kwargs)

    # Session -> browser ------------------------------------------------------------------

    def _on_tts_chunk(self, chunk: TTSChunk) -> None:
        try:
            msg: PlayAudioMsg = {
                "kind": "play_audio",
                "chunk_id": str(chunk.chunk_id or ""),
                "sample_rate": int(chunk.sample_rate),
                "generation_id": str(chunk.generation_id or ""),
                "is_last": bool(chunk.is_last),
                "t_kernel": time.time() * 1000.0,
            }
            if self.binary_buffers:
                self.send(msg, buffers=[chunk.audio])
            else:
                msg["pcm_b64"] = base64.b64encode(chunk.audio).decode("ascii")
                self.send(msg)
        except Exception as exc:
            self._report("play_audio", exc)

    def _on_tts_stop(self, reason: str) -> None:
        try:
            self._send_stop(reason)
        except Exception as exc:
            self._report("stop_playback", exc)

    def _send_stop(self, reason: str) -> None:
        stop: StopReason = cast("StopReason", reason) if reason in _STOP_REASONS else "interruption"
        msg: StopPlaybackMsg = {"kind": "stop_playback", "reason": stop}
        self.send(msg)

    # Browser -> kernel -------------------------------------------------------------------

    def _on_browser_msg(self, _widget: Any, content: Any, buffers: Sequence[Any] | None) -> None:
        if not isinstance(content, Mapping):
            self._dispatch_browser_msg(content, buffers)
            return
        for message, message_buffers in self._page_order.accept(content, buffers):
            self._dispatch_browser_msg(message, message_buffers)

    def _dispatch_browser_msg(self, content: Any, buffers: Sequence[Any] | None) -> None:
        # Checked against its declaration (_comm.py) first: a bad message is reported naming
        # its kind and field, and the handlers read typed fields.
        kind = content.get("kind") if isinstance(content, Mapping) else None
        try:
            message = _BROWSER_MESSAGES.validate(content)
            self._HANDLERS[message["kind"]](self, message, buffers)
        except Exception as exc:
            self._report(f"comm {kind}", exc)

    def _on_audio_frame(self, msg: AudioFrameMsg, buffers: Sequence[Any] | None) -> None:
        pcm = frame_pcm(msg, buffers)
        if pcm is None:
            raise ValueError("audio_frame without Int16 PCM")
        send = self._session.send_audio
        for frame, seq, t_capture in split_frames(msg, pcm):
            send(frame, t_capture=t_capture, seq=seq)

    def _on_playback_progress(self, msg: PlaybackProgressMsg, _buffers: Any) -> None:
        self._session.report_playback(
            msg["chunk_id"], msg["played_samples"], msg["total_samples"], msg["flushed"]
        )

    def _on_playback_started(self, msg: PlaybackStartedMsg, _buffers: Any) -> None:
        self._session.report_playback_started(msg["chunk_id"], float(msg["t_scheduled"]))

    def _on_playback_stats(self, msg: PlaybackStatsMsg, _buffers: Any) -> None:
        self._session.report_playback_stats(msg["underruns"], float(msg["queued_ms"]))

    def _on_client_error(self, msg: ClientErrorMsg, _buffers: Any) -> None:
        code = msg["code"]
        message = self._scrub(msg["message"][:2000])
        self.last_error = f"{code}: {message}"
        self._session.report_client_error(code, message)

    def _on_client_error_cleared(self, msg: ClientErrorClearedMsg, _buffers: Any) -> None:
        code = msg["code"]
        if self.last_error.startswith(f"{code}: "):
            self.last_error = ""
        self._session.clear_client_error(code)

    def _on_ui_action(self, msg: UiActionMsg, _buffers: Any) -> None:
        action = msg["action"]
        if action == "connect":
            self.connect()
        elif action == "disconnect":
            self.disconnect()
        elif action == "interrupt":
            self.interrupt()
        elif action == "say":
            text = msg.get("text", "").strip()
            if text:
                self.say(text)

    def _on_capture_state(self, msg: CaptureStateMsg, _buffers: Any) -> None:
        view_id = msg["view_id"]
        if msg["capturing"]:
            # First claim wins; a view can take the claim over explicitly (a stale tab).
            if not self.capture_view or msg.get("take_over", False):
                self.capture_view = view_id
        elif self.capture_view == view_id:
            self.capture_view = ""

    _HANDLERS: ClassVar[dict[str, Callable[[VoiceChat, Any, Any], None]]] = {
        "audio_frame": _on_audio_frame,
        "playback_progress": _on_playback_progress,
        "playback_started": _on_playback_started,
        "playback_stats": _on_playback_stats,
        "client_error": _on_client_error,
        "client_error_cleared": _on_client_error_cleared,
        "ui_action": _on_ui_action,
        "capture_state": _on_capture_state,
    }
    """One handler per kind of :data:`~nextevi_widgets._comm.BrowserMessage` (a test checks
    that none is missing)."""

    # Helpers -----------------------------------------------------------------------------

    def _guard(self, name: str, transform: Callable[[Any], Any]) -> Callable[[Any], Any]:
        """Wrap a projection so a bad value shows as an error instead of vanishing."""

        def guarded(value: Any) -> Any:
            try:
                return transform(value)
            except Exception as exc:
                self._report(f"sync {name}", exc)
                return getattr(self, _LINKS[name][0])

        return guarded

    def send_state(self, key: str | Iterable[str] | None = None) -> None:
        """Send state to the front end; a failure (a value the comm cannot encode, a closed
        channel) shows in the error box instead of vanishing in the observer that set it."""
        keys = frozenset([key] if isinstance(key, str) else key or ())
        try:
            super().send_state(key)
        except Exception as exc:
            if self._reporting:
                _logger.error("could not sync %s either", sorted(keys), exc_info=exc)
                return
            names = ", ".join(sorted(keys)) or "state"
            self._report(f"sync {names}", exc)
            self._sync_alert = (keys, self.last_error)
            return
        alert = self._sync_alert
        if alert is not None and keys and alert[0] <= keys:
            # What failed has now reached the page: the alert's cause is gone.
            self._sync_alert = None
            if self.last_error == alert[1]:
                self.last_error = ui_error(self._session.last_error)

    def _report(self, where: str, exc: BaseException) -> None:
        self._reporting = True
        try:
            summary = self._errors.report(where, exc)
            self.last_error = ui_text(summary)
        finally:
            self._reporting = False

    def _scrub(self, text: str) -> str:
        session: VoiceSession | None = getattr(self, "_session", None)
        return session._scrub(text) if session is not None else comm_safe(text)

    def _call_maybe_async(self, fn: Callable[[], Any]) -> None:
        result = fn()
        if inspect.isawaitable(result):
            task = asyncio.ensure_future(result)
            task.add_done_callback(self._log_task_error)

    def _log_task_error(self, task: asyncio.Future[Any]) -> None:
        if not task.cancelled() and task.exception() is not None:
            exc = task.exception()
            assert exc is not None
            self._report("session", exc)
