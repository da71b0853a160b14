"""Kernel-side instrumentation of a live ``VoiceChat`` for the downlink benchmark (runs in the
notebook kernel).

* ``t_kernel``: the widget stamps every ``play_audio`` with the epoch ms at which it got the
  chunk from the session (the moment the session handled the server's ``tts_chunk``).
* ``t_scheduled``: the page answers with ``playback_started`` when the player worklet writes the
  chunk's first sample into an output render quantum, that quantum's context time mapped onto
  the page clock (``performance.timeOrigin + performance.now()``, epoch ms).

Both are this machine's system clock (kernel and browser on the same host), so the difference
is the one-way time from the kernel to the first scheduled sample.

Only each reply's first chunk is timed: it reaches an idle player, whereas later chunks wait in
the playback queue behind audio that is still playing (that wait is by design). Each reply is
interrupted once its first chunk has been scheduled, and the first reply (which creates the
AudioContext and loads the worklet) is a warm-up.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from pathlib import Path
from typing import Any


def start_downlink(chat: Any, out: str, replies: int, text: str = "hello there") -> None:
    """Ask for ``replies`` + 1 replies one after another, then write the timings to ``out``."""
    sent: dict[str, tuple[float, str]] = {}  # chunk_id -> (t_kernel, generation_id)
    first_chunk: dict[str, str] = {}  # generation_id -> its first chunk_id
    scheduled: dict[str, float] = {}  # chunk_id -> t_scheduled
    original_send = chat.send

    def send(content: dict[str, Any], buffers: Any = None) -> None:
        if content.get("kind") == "play_audio":
            gen, chunk = str(content["generation_id"]), str(content["chunk_id"])
            sent[chunk] = (float(content["t_kernel"]), gen)
            first_chunk.setdefault(gen, chunk)
        original_send(content, buffers)

    def on_msg(_widget: Any, content: Any, _buffers: Any) -> None:
        if isinstance(content, dict) and content.get("kind") == "playback_started":
            scheduled[str(content["chunk_id"])] = float(content["t_scheduled"])

    chat.send = send
    chat.on_msg(on_msg)

    async def run() -> None:
        chat.connect()
        await chat.session.wait_until("connected", timeout=60)
        timed: list[float] = []
        missed = 0
        for i in range(replies + 1):
            known = set(first_chunk)
            chat.say(text)
            deadline = time.monotonic() + 20
            chunk: str | None = None
            while time.monotonic() < deadline:
                fresh = [g for g in first_chunk if g not in known]
                chunk = first_chunk[fresh[0]] if fresh else None
                if chunk is not None and chunk in scheduled:
                    break
                await asyncio.sleep(0.01)
            if chunk is not None and chunk in scheduled:
                if i > 0:
                    timed.append(scheduled[chunk] - sent[chunk][0])
            else:
                missed += 1
            chat.interrupt()
            await asyncio.sleep(0.3)  # let the flush and the server's stop settle
        result = {"first_chunk_ms": timed, "missed": missed, "chunks_scheduled": len(scheduled)}
        path = Path(out)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(result))
        os.replace(tmp, path)

    asyncio.get_running_loop().create_task(run())
