"""``NextEVIClient``: the kernel-side asyncio client for the NextEVI voice WebSocket.

Built on ``websockets.asyncio.client.connect`` (never the legacy API). One supervisor task per
client owns the connection; while a connection is up it runs three child tasks:

* a **receiver** that parses every frame into events (malformed frames become
  :class:`ProtocolError` events; the connection stays up);
* a **sender** that drains the :class:`~._outbox.Outbox` (control messages first, then a bounded
  ring of audio frames whose oldest entries are dropped when the network stalls);
* an optional **keepalive** that queues ``keep_alive`` messages.

Reconnect policy (the vendor React SDK's, plus re-sending settings):

* close 1000 from the server -> ``Disconnected`` without error;
* any 4000–4999 close, or an HTTP 401/403/404 (and other 4xx) upgrade rejection -> no retry,
  ``Disconnected(error=AuthenticationError | ConnectionClosedError)``;
* anything else (1001 "going away" included, since it is what a restarting or draining server
  sends; 1006, 1011–1014, network errors, open timeouts, HTTP 408/429/5xx) -> reconnect with
  full-jitter exponential backoff, a fresh connection id and ``session_settings`` sent first;
  after ``max_reconnect_attempts`` failures -> ``Disconnected(error=ReconnectExhaustedError)``.
  The attempt counter resets once a new connection has delivered a frame.

Events already received are never replayed or discarded by a reconnect. Credentials never appear
in ``repr``, logs (websockets' own debug output is redacted too) or exception messages.

Everything that comes from the network passes one :class:`~.scrub.Scrubber` before it becomes
an event, a log record or an exception: every string of every frame (keys and fields no model
reads included), close reasons, the text of connection errors, and websockets' frame log. So a
server that echoes the key (or sends a lone surrogate) cannot put it anywhere.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import random
import threading
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, TypeVar

import numpy.typing as npt
from websockets.asyncio.client import ClientConnection
from websockets.asyncio.client import connect as ws_connect
from websockets.exceptions import ConnectionClosed

from .._version import __version__
from ._event_queue import EventQueue
from ._failures import describe_open_failure
from ._outbox import Outbox
from ._wire_log import RedactingLogger
from .audio import to_pcm16
from .config import (
    Credentials,
    auth_headers,
    build_url,
    new_connection_id,
    redact_url,
)
from .errors import (
    AuthenticationError,
    ClientClosedError,
    ConnectionClosedError,
    NextEVIError,
    ReconnectExhaustedError,
)
from .events import (
    Connected,
    Disconnected,
    Event,
    ProtocolError,
    Reconnected,
    Reconnecting,
)
from .messages import (
    AudioInput,
    Dialect,
    ErrorMessage,
    Interrupt,
    KeepAlive,
    MessageParseError,
    SessionSettings,
    TextInput,
    UnknownMessage,
    parse_server_message,
)
from .options import ConnectionKeywords, ConnectionOptions, options_from_keywords
from .scrub import Scrubber

if TYPE_CHECKING:
    from typing_extensions import Unpack

__all__ = ["ClientState", "ClientStats", "NextEVIClient"]

logger = logging.getLogger("nextevi_widgets.client")
logger.addHandler(logging.NullHandler())
_wire_logger = logging.getLogger("nextevi_widgets.client.wire")
"""websockets' own connection log (handshake lines, frames), always passed through redaction."""

ClientState = Literal["disconnected", "connecting", "connected", "reconnecting", "closed", "error"]
E = TypeVar("E", bound=Event)

_MAX_FRAME_BYTES = 4800  # 100 ms at 24 kHz: bigger chunks are split so the queue bound is in time
_MAX_MESSAGE_BYTES = 8 * 2**20
_PREVIEW_CHARS = 80
_PREVIEW_SCAN = 4096
_AUTH_CODES = (4001, 4003)


@dataclass
class ClientStats:
    """Counters since the client was created.

    ``frames_*``/``bytes_sent`` are audio (``bytes_sent`` counts PCM bytes); ``messages_sent``
    counts JSON control messages (settings, text, interrupt, keepalive); ``messages_received``
    counts every WebSocket message from the server, malformed ones included.
    """

    frames_sent: int = 0
    frames_dropped: int = 0
    bytes_sent: int = 0
    messages_sent: int = 0
    messages_received: int = 0
    reconnects: int = 0
    protocol_errors: int = 0
    events_dropped: int = 0


class NextEVIClient:
    """Async client for one NextEVI voice session, with automatic reconnects.

    Use it as ``async with NextEVIClient(...) as client: async for event in client: ...`` or
    register callbacks with :meth:`on`. ``connect()`` returns as soon as the socket is open and
    ``session_settings`` is sent, so it is safe to await in a notebook cell; everything else runs
    as background tasks on the running loop.

    Configure it with a :class:`~.options.ConnectionOptions` (``options=``) or with its fields
    as keyword arguments (``NextEVIClient(api_key=..., config_id=..., max_reconnect_attempts=3)``);
    an unknown keyword raises ``TypeError`` naming it. Unset credentials come from
    ``NEXTEVI_API_KEY``/``NEXTEVI_ACCESS_TOKEN``, ``NEXTEVI_CONFIG_ID``, ``NEXTEVI_PROJECT_ID``;
    the endpoint from ``url`` or ``NEXTEVI_WEBSOCKET_URL``/``NEXTEVI_BASE_URL`` (see
    :meth:`~.options.ConnectionOptions.resolve`). With an ``access_token`` the client sends
    ``Authorization: Bearer`` and, unless ``token_in_query=False``, the ``authorization`` query
    parameter as a fallback.

    ``dialect`` selects how JSON messages are written (``"both"``: docs envelope plus flat
    fields). ``send_text`` and ``interrupt`` are extensions the real service may not support.
    """

    first_frame_grace: float = 1.0
    """How long ``connect()`` waits for the first server frame or a close, so that a server which
    accepts the upgrade and then closes with 4xxx makes ``connect()`` raise. Settings are already
    sent by then; a silent server only delays ``connect()`` by this much."""

    close_timeout: float = 5.0
    """Seconds to wait for the closing handshake before the socket is dropped."""

    def __init__(
        self, *, options: ConnectionOptions | None = None, **keywords: Unpack[ConnectionKeywords]
    ) -> None:
        try:
            resolved = options_from_keywords(
                "NextEVIClient", options, keywords, also_valid=["options"]
            )
        except TypeError as exc:
            raise exc.with_traceback(None) from None  # reported at the caller's line
        self._options = resolved
        found = resolved.resolve()
        self._credentials: Credentials = found.credentials()
        self._base_url = found.endpoint()
        self._settings = resolved.settings if resolved.settings is not None else SessionSettings()
        self._audio_transport = resolved.audio_transport
        self._keepalive_interval = resolved.keepalive_interval
        self._max_reconnect_attempts = max(0, resolved.max_reconnect_attempts)
        self._reconnect_base_delay = max(0.0, resolved.reconnect_base_delay)
        self._reconnect_max_delay = max(0.0, resolved.reconnect_max_delay)
        self._open_timeout = resolved.open_timeout
        self._dialect: Dialect = resolved.dialect
        self._user_agent = resolved.user_agent or f"nextevi-widgets/{__version__}"
        self._token_in_query = resolved.token_in_query
        self._scrubber = Scrubber(self._credentials.secrets(), url=self._base_url)
        self._wire_log = RedactingLogger(_wire_logger, self._scrubber)
        self._log = RedactingLogger(logger, self._scrubber)

        self._state: ClientState = "disconnected"
        self._stats = ClientStats()
        self._last_error: Exception | None = None
        self._connection_id: str | None = None
        self._redacted_url = redact_url(
            build_url(self._base_url, "{connection_id}", self._credentials)
        )
        self._outbox = Outbox(resolved.max_queued_frames)
        self._queue = EventQueue(resolved.max_pending_events)
        self._settled = asyncio.Event()
        self._closing = False
        self._ws: ClientConnection | None = None
        self._supervisor: asyncio.Task[None] | None = None
        self._loop_thread: int | None = None

    # ------------------------------------------------------------------ public properties

    @property
    def state(self) -> ClientState:
        """``disconnected`` (not yet connected), ``connecting``, ``connected``,
        ``reconnecting``, ``closed`` (clean end) or ``error`` (stopped by an error)."""
        return self._state

    @property
    def connection_id(self) -> str | None:
        """The id in the current (or last) connection's URL path."""
        return self._connection_id

    @property
    def url(self) -> str:
        """The endpoint of the current (or last) connection, credentials redacted."""
        return self._redacted_url

    @property
    def stats(self) -> ClientStats:
        self._stats.events_dropped = self._queue.dropped
        return self._stats

    @property
    def finished(self) -> bool:
        """True once the final ``Disconnected`` has been emitted. Events received before it
        stay readable, and iterating the client then ends by itself."""
        return self._queue.ended

    @property
    def last_error(self) -> Exception | None:
        """The error that stopped the client (or the last connection failure), if any."""
        return self._last_error

    @property
    def options(self) -> ConnectionOptions:
        """The options this client was built with, as given (unset credentials are read
        from the environment when the client is created)."""
        return self._options

    @property
    def settings(self) -> SessionSettings:
        """The settings sent at every (re)connect."""
        return self._settings

    def __repr__(self) -> str:
        return (
            f"<NextEVIClient state={self._state!r} url={self._redacted_url!r} "
            f"connection_id={self._connection_id!r}>"
        )

    __str__ = __repr__

    # ------------------------------------------------------------------ lifecycle

    async def connect(self) -> None:
        """Open the connection, send ``session_settings`` at once and start the background tasks.

        Raises :class:`AuthenticationError`/:class:`ConnectionClosedError` when the server
        rejects the first connection (HTTP 401/403/404 or a 4xxx close right after opening),
        and :class:`NextEVIError` when it cannot be reached at all (no retry on the first
        connect: a wrong URL should fail fast).
        """
        if self._state != "disconnected":
            raise NextEVIError(f"connect() needs a fresh client (state is {self._state!r})")
        self._loop_thread = threading.get_ident()
        self._state = "connecting"
        try:
            ws = await self._open()
        except asyncio.CancelledError:
            self._finish(Disconnected(code=None, reason="connect cancelled"), "closed")
            raise
        except Exception as exc:
            failure = describe_open_failure(exc, self._scrubber, self.url)
            error = failure.error
            if failure.retryable:
                error = NextEVIError(f"could not connect to {self.url}: {failure.reason}")
            self._finish(Disconnected(code=failure.code, reason=failure.reason, error=error))
            raise error from None
        if self._closing:
            await ws.close()
            return
        self._state = "connected"
        self._emit(Connected(connection_id=self._connection_id or "", url=self.url))
        self._supervisor = asyncio.get_running_loop().create_task(
            self._supervise(ws), name=f"nextevi-client-{self._connection_id}"
        )
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._settled.wait(), self.first_frame_grace)
        # A 4xxx close right after the first open is a rejection: report it to the caller.
        failed = self._last_error
        first = self._stats.reconnects == 0
        if self._queue.ended and first and isinstance(failed, ConnectionClosedError):
            raise failed

    async def close(self) -> None:
        """Close cleanly (code 1000) and stop the background tasks. Idempotent. Events already
        received stay readable; iteration then ends after a final ``Disconnected``."""
        self._closing = True
        ws, supervisor = self._ws, self._supervisor
        if ws is not None:
            with contextlib.suppress(Exception):
                await ws.close(1000, "client closed")
        if supervisor is not None and not supervisor.done():
            if ws is None:
                supervisor.cancel()
            _, pending = await asyncio.wait({supervisor}, timeout=self.close_timeout)
            if pending:
                supervisor.cancel()
            await asyncio.gather(supervisor, return_exceptions=True)
        self._finish(Disconnected(code=1000, reason="closed by client"), "closed")
        self._queue.cancel_callbacks()

    async def __aenter__(self) -> NextEVIClient:
        await self.connect()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    # ------------------------------------------------------------------ events

    def __aiter__(self) -> AsyncIterator[Event]:
        return self

    async def __anext__(self) -> Event:
        try:
            return await self.recv()
        except ClientClosedError:
            raise StopAsyncIteration from None

    async def recv(self) -> Event:
        """The next event. Cancellation-safe (an event is only taken when returned). Raises
        :class:`ClientClosedError` once the final ``Disconnected`` has been returned."""
        return await self._queue.recv()

    def on(
        self, event_type: type[E] | None, callback: Callable[[E], object | Awaitable[object]]
    ) -> Callable[[], None]:
        """Call ``callback(event)`` for every event of ``event_type`` (``None``: all events) as
        it arrives; coroutine callbacks are scheduled as tasks. Exceptions are logged and never
        stop the client. Returns a function that unsubscribes. Callbacks see events in addition
        to (not instead of) ``recv``/iteration."""
        return self._queue.on(event_type, callback)

    # ------------------------------------------------------------------ sending

    async def send_audio(self, audio: bytes | bytearray | memoryview | npt.NDArray[Any]) -> None:
        """Queue audio (PCM16 LE mono 24 kHz bytes, or a numpy array; see
        :func:`~.audio.to_pcm16`). Never waits for the network: when the queue is full the
        oldest audio is dropped and counted in ``stats.frames_dropped``."""
        self.send_audio_nowait(audio)

    def send_audio_nowait(self, audio: bytes | bytearray | memoryview | npt.NDArray[Any]) -> None:
        """Synchronous :meth:`send_audio` for comm callbacks; call it from the loop's thread."""
        self._check_thread()
        pcm = to_pcm16(audio)
        if 0 < len(pcm) <= _MAX_FRAME_BYTES:
            frames = [pcm]  # a mic frame: the usual case
        else:
            frames = [pcm[i : i + _MAX_FRAME_BYTES] for i in range(0, len(pcm), _MAX_FRAME_BYTES)]
        if self._queue.ended or self._closing:
            self._stats.frames_dropped += len(frames)
            return
        for frame in frames:
            payload: str | bytes = frame
            if self._audio_transport == "json":
                payload = AudioInput.from_pcm(frame).to_json(self._dialect)
            self._stats.frames_dropped += self._outbox.put_audio(payload, len(frame))

    async def send_text(self, text: str) -> None:
        """Send ``text_input``. **Extension**: the real service may ignore it."""
        self._send_control(TextInput(text=text).to_json(self._dialect))

    async def interrupt(self) -> None:
        """Send ``interrupt`` (stop the current response). **Extension**, same caveat."""
        self._send_control(Interrupt().to_json(self._dialect))

    async def keep_alive(self) -> None:
        """Send an application-level ``keep_alive``."""
        self._send_control(KeepAlive().to_json(self._dialect))

    async def update_settings(self, settings: SessionSettings) -> None:
        """Store ``settings`` (re-sent first on every reconnect) and send them now if
        connected. Whether the real service honours mid-session changes is unknown."""
        self._settings = settings
        if self._state in ("connected", "reconnecting") and not self._closing:
            self._send_control(self._settings_json())

    # ------------------------------------------------------------------ internals: sending

    def _check_thread(self) -> None:
        if self._loop_thread is not None and threading.get_ident() != self._loop_thread:
            raise RuntimeError(
                "NextEVIClient send methods must be called from the event loop's thread "
                "(use loop.call_soon_threadsafe)"
            )

    def _send_control(self, payload: str) -> None:
        self._check_thread()
        if self._queue.ended or self._closing:
            raise ClientClosedError("the client has stopped; cannot send")
        self._outbox.put_control(payload)

    def _settings_json(self) -> str:
        fresh = dataclasses.replace(self._settings, timestamp=None, message_id=None)
        return fresh.to_json(self._dialect)

    # ------------------------------------------------------------------ internals: events

    def _emit(self, event: Event) -> None:
        self._queue.emit(event)

    def _finish(self, event: Disconnected, state: ClientState | None = None) -> None:
        """Emit the final event once and settle the state."""
        if self._queue.ended:
            return
        self._state = state or ("error" if event.error is not None else "closed")
        if event.error is not None:
            self._last_error = event.error
            self._log.warning("NextEVI client stopped: %s", event.error)
        else:
            self._log.info("NextEVI client disconnected (code %s)", event.code)
        self._emit(event)
        self._settled.set()
        self._stats.frames_dropped += self._outbox.clear_audio()

    def _protocol_error(self, detail: str, preview: str) -> None:
        self._stats.protocol_errors += 1
        self._log.debug("protocol error from server: %s", detail)
        self._emit(ProtocolError(detail=detail, frame_preview=preview))

    # ------------------------------------------------------------------ internals: connection

    async def _open(self) -> ClientConnection:
        """Open one connection with a fresh id and send the settings before anything else."""
        connection_id = new_connection_id()
        url = build_url(
            self._base_url, connection_id, self._credentials, token_in_query=self._token_in_query
        )
        self._redacted_url = redact_url(url)
        self._log.debug("connecting to %s", self._redacted_url)
        ws = await ws_connect(
            url,
            additional_headers=auth_headers(self._credentials),
            user_agent_header=self._user_agent,
            open_timeout=self._open_timeout,
            close_timeout=self.close_timeout,
            compression=None,
            max_size=_MAX_MESSAGE_BYTES,
            logger=self._wire_log,
        )
        try:
            self._connection_id = connection_id
            await ws.send(self._settings_json())
            self._stats.messages_sent += 1
        except ConnectionClosed:
            pass  # the receiver reports the close code right away
        except BaseException:
            ws.transport.abort()
            raise
        return ws

    async def _supervise(self, ws: ClientConnection) -> None:
        attempt = 0
        try:
            while True:
                code, reason, got_frames = await self._serve(ws)
                if got_frames:
                    attempt = 0
                if self._closing:
                    self._finish(Disconnected(code=code, reason=reason or "closed by client"))
                    return
                if code == 1000:
                    self._finish(Disconnected(code=code, reason=reason), "closed")
                    return
                if 4000 <= code <= 4999:
                    cls = AuthenticationError if code in _AUTH_CODES else ConnectionClosedError
                    self._finish(Disconnected(code=code, reason=reason, error=cls(code, reason)))
                    return
                self._log.info("connection dropped (code %d %s); reconnecting", code, reason)
                reopened = await self._reconnect(code, reason, attempt)
                if reopened is None:
                    return
                ws, attempt = reopened
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # a bug must not leave iterators hanging
            self._log.exception("NextEVI client supervisor failed")
            error = NextEVIError(f"internal client error: {type(exc).__name__}")
            self._finish(Disconnected(code=None, reason="internal error", error=error))

    async def _reconnect(
        self, code: int | None, reason: str, attempt: int
    ) -> tuple[ClientConnection, int] | None:
        last = f"close code {code} {reason}".strip()
        while True:
            attempt += 1
            if attempt > self._max_reconnect_attempts:
                error = ReconnectExhaustedError(self._max_reconnect_attempts, last)
                self._finish(Disconnected(code=code, reason=reason, error=error))
                return None
            cap = min(self._reconnect_max_delay, self._reconnect_base_delay * 2 ** (attempt - 1))
            delay = random.uniform(0.0, cap)
            self._state = "reconnecting"
            self._emit(Reconnecting(attempt=attempt, delay=delay, code=code, reason=reason))
            await asyncio.sleep(delay)
            try:
                ws = await self._open()
            except Exception as exc:
                failure = describe_open_failure(exc, self._scrubber, self.url)
                if not failure.retryable:
                    event = Disconnected(
                        code=failure.code, reason=failure.reason, error=failure.error
                    )
                    self._finish(event)
                    return None
                self._last_error = failure.error
                last, code, reason = failure.reason, failure.code, failure.reason
                self._log.info("reconnect attempt %d failed: %s", attempt, failure.reason)
                continue
            if self._closing:
                await ws.close()
                self._finish(Disconnected(code=1000, reason="closed by client"))
                return None
            self._stats.reconnects += 1
            self._state = "connected"
            self._emit(Reconnected(connection_id=self._connection_id or "", attempt=attempt))
            return ws, attempt

    async def _serve(self, ws: ClientConnection) -> tuple[int, str, bool]:
        """Run receiver, sender and keepalive until the connection ends; return its close code,
        reason and whether any frame arrived."""
        self._ws = ws
        loop = asyncio.get_running_loop()
        helpers = [loop.create_task(self._send_loop(ws))]
        if self._keepalive_interval is not None:
            helpers.append(loop.create_task(self._keepalive_loop(self._keepalive_interval)))
        try:
            got_frames = await self._receive(ws)
        finally:
            for task in helpers:
                task.cancel()
            await asyncio.gather(*helpers, return_exceptions=True)
            self._ws = None
            if ws.close_code is None:
                ws.transport.abort()
        self._settled.set()
        code = ws.close_code if ws.close_code is not None else 1006
        return code, self._scrubber.text(ws.close_reason or ""), got_frames

    async def _receive(self, ws: ClientConnection) -> bool:
        got_frames = False
        try:
            async for frame in ws:
                got_frames = True
                self._stats.messages_received += 1
                if isinstance(frame, bytes):
                    text = frame[:_PREVIEW_SCAN].decode("utf-8", "replace")
                    preview = _preview(self._scrubber.raw_frame(text), 24)
                    self._protocol_error(f"unexpected binary frame ({len(frame)} bytes)", preview)
                    continue
                try:
                    # The choke point: every string (keys too) is scrubbed before a model,
                    # an event or a log line can hold it.
                    message = parse_server_message(self._scrubber.frame(frame))
                except MessageParseError as exc:
                    preview = _preview(self._scrubber.raw_frame(frame))
                    self._protocol_error(self._scrubber.text(str(exc)), preview)
                    continue
                if isinstance(message, UnknownMessage):
                    self._log.debug("unknown message type %r", message.message_type[:40])
                if not isinstance(message, ErrorMessage):
                    self._settled.set()
                self._emit(message)
        except ConnectionClosed:
            pass
        return got_frames

    async def _send_loop(self, ws: ClientConnection) -> None:
        while True:
            item = await self._outbox.get()
            try:
                await ws.send(item.payload)
            except ConnectionClosed:
                if item.kind == "control":
                    self._outbox.put_control(str(item.payload), front=True)
                else:
                    self._stats.frames_dropped += 1
                return
            if item.kind == "audio":
                self._stats.frames_sent += 1
                self._stats.bytes_sent += item.pcm_bytes
            else:
                self._stats.messages_sent += 1

    async def _keepalive_loop(self, interval: float) -> None:
        while True:
            await asyncio.sleep(interval)
            self._outbox.put_control(KeepAlive().to_json(self._dialect))


def _preview(frame: str, limit: int = _PREVIEW_CHARS) -> str:
    text = frame[:limit]
    return text + "…" if len(frame) > limit else text
