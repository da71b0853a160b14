"""One attempt at one input: connect, stream the audio as a live microphone would, wait for the
reply to finish, close; every event in both directions recorded as ``(direction, event, t)``.

The client gets no reconnects of its own (``max_reconnect_attempts=0``): a dropped connection
ends the attempt, and the batch retries the whole input on a fresh connection, so a dataset
row never holds two half conversations.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from ..client import (
    AuthenticationError,
    ClientEvent,
    ConnectionClosedError,
    Disconnected,
    ErrorMessage,
    Interruption,
    LLMResponseChunk,
    NextEVIClient,
    NextEVIError,
    Transcription,
    TTSChunk,
)
from ..client.audio import iter_frames
from ..client.messages import DEFAULT_SAMPLE_RATE
from ..session import OutgoingAudio

__all__ = [
    "Attempt",
    "EndReason",
    "FatalInputError",
    "StreamOptions",
    "TransientError",
    "stream_input",
]

EndReason = Literal["reply", "quiet", "stalled", "closed"]
EventTriple = tuple[str, object, float]

_AHEAD_FRAMES = 25
"""Frames ``realtime=False`` lets the client queue ahead of the socket (its queue drops the
oldest audio when full, so a fast sender must wait for it)."""
_SETTLE = 0.25
"""Seconds of quiet kept after the reply's last audio chunk (late emotion updates)."""


class TransientError(Exception):
    """A failure a new attempt may not hit: connection refused or dropped, 1011/1013 closes,
    a timeout. The attempt's events are discarded and the input is retried."""


class FatalInputError(Exception):
    """A failure a retry cannot fix (4xxx close, an in-band server error). ``auth`` is True for
    rejected credentials, which stop the whole run."""

    def __init__(self, message: str, *, auth: bool = False) -> None:
        super().__init__(message)
        self.auth = auth
        self.events: list[EventTriple] = []
        """What the attempt recorded before it failed (kept in the error row)."""


@dataclass(frozen=True)
class StreamOptions:
    realtime: bool = True
    frame_ms: int = 20
    trailing_silence: float = 1.0
    quiet_period: float = 2.0
    """With no reply under way, the turn is over once nothing arrived for this long."""
    reply_timeout: float = 30.0
    """A reply under way that sends nothing for this long is given up (``ended_by="stalled"``)."""


@dataclass
class Attempt:
    """What one attempt recorded."""

    events: list[EventTriple] = field(default_factory=list)
    ended_by: EndReason = "closed"
    server_errors: list[str] = field(default_factory=list)
    audio_seconds: float = 0.0
    connection_id: str | None = None
    started_at: float = 0.0
    """Epoch seconds when the attempt began."""
    wall_s: float = 0.0
    """Seconds from connecting to closing."""


class _Watch:
    """Folds incoming events into "is a reply still coming?" and wakes the waiter."""

    def __init__(self) -> None:
        self.changed = asyncio.Event()
        self.last = time.monotonic()
        self.user_open = False
        self.awaiting_reply = False
        self.reply_done = False
        self.playout_end = 0.0
        """When a listener playing the reply's chunks back to back from their arrival would
        hear its end (monotonic seconds): the recorded reply is then heard in full."""
        self.disconnected: Disconnected | None = None

    def see(self, event: object) -> None:
        self.last = time.monotonic()
        if isinstance(event, Transcription):
            if event.event_type == "speech_started":
                self.user_open = True
                self.reply_done = False
            elif event.is_final:
                self.user_open = False
                if event.transcript.strip() and event.is_speech_final is not False:
                    self.awaiting_reply = True
        elif isinstance(event, LLMResponseChunk):
            self.awaiting_reply = True
            self.reply_done = False
        elif isinstance(event, TTSChunk):
            self.awaiting_reply = True
            self.playout_end = max(self.last, self.playout_end) + event.duration
            if event.is_last:
                self.awaiting_reply = False
                self.reply_done = True
        elif isinstance(event, Interruption):
            self.awaiting_reply = False
            self.reply_done = True
            self.playout_end = self.last  # playback stops at an interruption
        elif isinstance(event, Disconnected):
            self.disconnected = event
        self.changed.set()

    @property
    def busy(self) -> bool:
        return self.user_open or self.awaiting_reply


async def stream_input(
    pcm: bytes, make_client: Callable[[], NextEVIClient], options: StreamOptions
) -> Attempt:
    """Run one attempt; raises :class:`TransientError` or :class:`FatalInputError`."""
    attempt = Attempt(started_at=time.time())
    t0 = time.monotonic()

    def note(direction: str, event: object) -> None:
        # Client lifecycle events carry the moment they happened; the rest is stamped now.
        at = event.at if isinstance(event, ClientEvent) and event.at else time.monotonic()
        attempt.events.append((direction, event, max(0.0, at - t0)))

    watch = _Watch()
    client = make_client()
    try:
        await client.connect()
    except AuthenticationError as exc:
        raise FatalInputError(str(exc), auth=True) from None
    except ConnectionClosedError as exc:
        raise FatalInputError(str(exc)) from None
    except NextEVIError as exc:
        raise TransientError(str(exc)) from None
    except OSError as exc:
        raise TransientError(f"cannot connect: {exc}") from None
    attempt.connection_id = client.connection_id
    note("out", client.settings)
    receiver = asyncio.get_running_loop().create_task(_receive(client, watch, note, attempt))
    try:
        attempt.audio_seconds = await _send_audio(client, pcm, options, watch, note)
        attempt.ended_by = await _wait_for_reply(watch, options)
        _check_disconnect(watch, before_end=False)
    except FatalInputError as exc:
        exc.events = attempt.events
        raise
    finally:
        await client.close()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait_for(receiver, timeout=5.0)
        if not receiver.done():
            receiver.cancel()
        attempt.events.sort(key=lambda triple: triple[2])
        attempt.wall_s = time.monotonic() - t0
    return attempt


async def _receive(
    client: NextEVIClient,
    watch: _Watch,
    note: Callable[[str, object], None],
    attempt: Attempt,
) -> None:
    async for event in client:
        note("in", event)
        if isinstance(event, ErrorMessage):
            attempt.server_errors.append(f"{event.error_code}: {event.error_message}")
        watch.see(event)


async def _send_audio(
    client: NextEVIClient,
    pcm: bytes,
    options: StreamOptions,
    watch: _Watch,
    note: Callable[[str, object], None],
) -> float:
    """Stream ``pcm`` plus trailing silence in frames of ``frame_ms``; returns seconds sent."""
    rate = DEFAULT_SAMPLE_RATE
    audio = pcm + bytes(2 * round(rate * max(0.0, options.trailing_silence)))
    loop = asyncio.get_running_loop()
    step = options.frame_ms / 1000.0
    origin = loop.time()
    base = client.stats.frames_sent
    for index, frame in enumerate(iter_frames(audio, frame_ms=options.frame_ms, rate=rate)):
        if options.realtime:
            delay = origin + index * step - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
        else:
            # The client exposes a counter, not an event: poll it briefly.
            while (  # noqa: ASYNC110
                index - (client.stats.frames_sent - base) > _AHEAD_FRAMES
                and watch.disconnected is None
            ):
                await asyncio.sleep(0.005)
        _check_disconnect(watch, before_end=True)
        client.send_audio_nowait(frame)
        note("out", OutgoingAudio(frame, rate, seq=index))
    return len(audio) / 2 / rate


async def _wait_for_reply(watch: _Watch, options: StreamOptions) -> EndReason:
    """Wait until the reply has finished (its last audio chunk, played out), or until nothing is
    under way and nothing arrived for ``quiet_period``, or a reply stalls for
    ``reply_timeout``."""
    while True:
        if watch.disconnected is not None:
            return "closed"
        now = time.monotonic()
        idle = now - watch.last
        if watch.reply_done and not watch.busy:
            limit, reason = _SETTLE + max(0.0, watch.playout_end - watch.last), "reply"
        elif watch.busy:
            limit, reason = options.reply_timeout, "stalled"
        else:
            limit, reason = options.quiet_period, "quiet"
        if idle >= limit:
            return reason  # type: ignore[return-value]
        watch.changed.clear()
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(watch.changed.wait(), limit - idle)


def _check_disconnect(watch: _Watch, *, before_end: bool) -> None:
    """Turn the client's final ``Disconnected`` into the attempt's outcome."""
    event = watch.disconnected
    if event is None:
        return
    error: Any = event.error
    if isinstance(error, AuthenticationError):
        raise FatalInputError(str(error), auth=True)
    if isinstance(error, ConnectionClosedError):
        raise FatalInputError(str(error))
    if error is not None:
        raise TransientError(f"connection lost (close code {event.code}: {event.reason or error})")
    if before_end:
        raise FatalInputError(
            f"the server closed the connection (code {event.code}) before the audio was sent"
        )
