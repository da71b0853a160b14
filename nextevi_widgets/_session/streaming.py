"""``VoiceSession.send_file``: an audio file as the microphone, paced or as fast as the
connection takes it."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Protocol

from ..client.messages import DEFAULT_SAMPLE_RATE
from .stats import client_counters
from .waiting import SessionError

if TYPE_CHECKING:
    from ..client.client import NextEVIClient


class Microphone(Protocol):
    """What streaming a file needs of a session."""

    @property
    def state(self) -> str: ...

    @property
    def client(self) -> NextEVIClient | None: ...

    async def wait_until(self, predicate_or_state: str, timeout: float | None = ...) -> None: ...

    def send_audio(self, pcm: bytes) -> None: ...


__all__ = ["stream_file"]

CONNECT_WAIT = 90.0
"""How long to wait for the connection (a child emulator may be loading engines)."""
AHEAD_FRAMES = 25
"""Frames ``realtime=False`` lets the client queue ahead of the socket."""


async def stream_file(
    session: Microphone,
    path: str,
    *,
    started: bool,
    realtime: bool,
    chunk_ms: int,
    trailing_silence: float,
) -> float:
    """See :meth:`VoiceSession.send_file`."""
    from ..client.audio import iter_frames, read_wav_as_pcm16

    pcm = await asyncio.to_thread(read_wav_as_pcm16, path, target_rate=DEFAULT_SAMPLE_RATE)
    pcm += bytes(2 * round(DEFAULT_SAMPLE_RATE * max(0.0, trailing_silence)))
    if not started:
        raise SessionError("start() the session before send_file()")
    await session.wait_until("connected", timeout=CONNECT_WAIT)
    loop = asyncio.get_running_loop()
    step = chunk_ms / 1000.0
    origin = loop.time()
    client = session.client
    base = client_counters(client).get("frames_sent", 0)
    for index, frame in enumerate(iter_frames(pcm, frame_ms=chunk_ms, rate=DEFAULT_SAMPLE_RATE)):
        if realtime:
            delay = origin + index * step - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
        else:
            # The client never waits (a full queue drops the oldest audio): keep only a few
            # frames queued so a long file is not dropped in bulk. The client exposes a
            # counter, not an event, hence the short polling sleep.
            while (  # noqa: ASYNC110
                session.client is client
                and client is not None
                and session.state in ("connected", "reconnecting")
                and index - (client_counters(client).get("frames_sent", 0) - base) > AHEAD_FRAMES
            ):
                await asyncio.sleep(0.005)
            if session.client is None:
                raise SessionError(f"the connection closed while sending {path}")
        session.send_audio(frame)
    return len(pcm) / 2 / DEFAULT_SAMPLE_RATE
