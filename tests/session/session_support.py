"""Helpers for session tests: real audio files and a scripted WebSocket server for faults."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import numpy as np
import soundfile
import soxr
from websockets.asyncio.server import Server, ServerConnection, serve

from nextevi_widgets.emulator.deterministic import SyntheticVoice

API_KEY = "oak_session_secret_0123456789"
# Quick reconnects keep fault tests short.
FAST_CLIENT = {"reconnect_base_delay": 0.05, "reconnect_max_delay": 0.2}


def write_speech_wav(path: Path, rate: int = 44_100, channels: int = 2) -> float:
    """The synthetic user voice (real speech-band energy) resampled to ``rate`` with
    ``channels`` channels; returns its duration in seconds."""
    voice = SyntheticVoice().synthesize("hello there how are you today").astype(np.float32)
    voice = np.concatenate([np.zeros(2400, np.float32), voice / 32768.0])
    resampled = soxr.resample(voice, 24_000, rate)
    # Slightly different channels, so the downmix is a real mix.
    stereo = np.stack([resampled * (1.0 - 0.1 * c) for c in range(channels)], axis=1)
    soundfile.write(str(path), stereo, rate, subtype="PCM_16")
    return len(resampled) / rate


def wire(type_: str, **fields: Any) -> str:
    """A flat server message."""
    return json.dumps({"type": type_, **fields})


Handler = Callable[[ServerConnection, int], Awaitable[None]]


class ScriptedServer:
    """A real websockets server on 127.0.0.1 whose n-th connection runs ``handler(ws, n)``."""

    def __init__(self, handler: Handler, *, gate: asyncio.Event | None = None) -> None:
        self.handler = handler
        self.gate = gate
        """When given, every opening handshake waits for it: a server slow to accept."""
        self.connections = 0
        self.received: list[list[Any]] = []
        self._server: Server | None = None

    async def __aenter__(self) -> ScriptedServer:
        self._server = await serve(self._handle, "127.0.0.1", 0, process_request=self._hold)
        return self

    async def _hold(self, _ws: ServerConnection, _request: object) -> None:
        if self.gate is not None:
            await self.gate.wait()

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.close()
        await self._server.wait_closed()

    @property
    def url(self) -> str:
        assert self._server is not None
        port = next(iter(self._server.sockets)).getsockname()[1]
        return f"ws://127.0.0.1:{port}/ws/voice"

    async def _handle(self, ws: ServerConnection) -> None:
        self.connections += 1
        index = self.connections
        inbox: list[Any] = []
        self.received.append(inbox)

        async def collect() -> None:
            async for frame in ws:
                inbox.append(frame)

        collector = asyncio.ensure_future(collect())
        try:
            await self.handler(ws, index)
        finally:
            collector.cancel()


async def wait_for(predicate: Callable[[], bool], timeout: float = 10.0) -> None:
    """Poll ``predicate`` until true (generous timeout to avoid hangs, never a timing check)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        if loop.time() > deadline:
            raise TimeoutError("condition not reached")
        await asyncio.sleep(0.01)
