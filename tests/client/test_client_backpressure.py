"""A server that stops reading: ``send_audio`` never blocks, queued audio stays bounded, the
oldest audio is dropped and counted, control messages still go first once the network recovers."""

from __future__ import annotations

import asyncio
import json

import numpy as np
from _harness.scripted_server import Connection, ScriptedServer
from client_servers import TIMEOUT, collect, make_client

from nextevi_widgets.client.events import Disconnected

FRAME = 4800  # 100 ms of PCM16 at 24 kHz: the client's largest frame
MAX_FRAMES = 8


async def test_stalled_server_never_blocks_the_caller_and_bounds_memory() -> None:
    resume = asyncio.Event()
    got_text = asyncio.Event()

    async def script(s: Connection) -> None:
        await s.send_metadata()
        await s.next_json()  # settings
        s.ws.transport.pause_reading()  # stop reading: the client's socket buffers fill up
        await asyncio.wait_for(resume.wait(), TIMEOUT)
        s.ws.transport.resume_reading()
        await s.wait_for_type("text_input")
        got_text.set()
        await s.drain()  # keep reading so the client's closing handshake gets through

    async with ScriptedServer(script) as server:
        client = make_client(server, max_queued_frames=MAX_FRAMES)
        await client.connect()
        frame = np.full(FRAME // 2, 1000, dtype="<i2").tobytes()
        sent = 0
        peak_queued_bytes = 0
        # Keep streaming (yielding to the loop between frames, as a real producer does) until
        # the stalled network forces drops; 40 MB is far beyond any socket buffer.
        while client.stats.frames_dropped < 50 and sent < 8000:  # 8000 frames = 38 MB
            await asyncio.wait_for(client.send_audio(frame), TIMEOUT)
            sent += 1
            peak_queued_bytes = max(peak_queued_bytes, client._outbox.audio_bytes)
            await asyncio.sleep(0)
        assert client.state == "connected"
        stats = client.stats
        queued = client._outbox.audio_frames
        assert stats.frames_dropped >= 50
        assert stats.frames_sent < sent
        # Every frame is accounted for, except at most one held by the blocked sender.
        in_flight = sent - (stats.frames_sent + stats.frames_dropped + queued)
        assert in_flight in (0, 1)
        assert queued <= MAX_FRAMES
        assert peak_queued_bytes <= MAX_FRAMES * FRAME
        ws = client._ws
        assert ws is not None
        assert ws.transport.get_write_buffer_size() <= 64 * 1024

        # Control messages are never dropped: queued now, delivered once reading resumes.
        await asyncio.wait_for(client.send_text("still there?"), TIMEOUT)
        resume.set()
        await asyncio.wait_for(got_text.wait(), TIMEOUT)
        await client.close()
        events = await collect(client)

    last = events[-1]
    assert isinstance(last, Disconnected)
    assert last.error is None
    texts = [
        json.loads(f)["text"]
        for f in server.sessions[0].received
        if isinstance(f, str) and json.loads(f)["type"] == "text_input"
    ]
    assert texts == ["still there?"]
