"""Kernel-side log of the microphone PCM a live ``VoiceChat`` received, for the wire benchmark
(runs in the notebook kernel): ``(epoch ms, cumulative PCM bytes)`` per frame, written as JSON
after ``seconds`` of streaming. The benchmark samples its byte counter on the same host clock
and divides the two over a common window."""

from __future__ import annotations

import asyncio
import json
import os
import time
from pathlib import Path
from typing import Any


def start_pcm_log(chat: Any, out: str, seconds: float) -> None:
    from nextevi_widgets.session import OutgoingAudio

    log: list[tuple[float, int]] = []
    total = 0

    def on_event(direction: str, event: object, _t: float) -> None:
        nonlocal total
        if direction == "out" and isinstance(event, OutgoingAudio):
            total += len(event.pcm)
            log.append((time.time() * 1000.0, total))

    chat.session.on_event(on_event)

    async def finish() -> None:
        deadline = time.monotonic() + seconds + 90
        while not log and time.monotonic() < deadline:  # noqa: ASYNC110 - fed by a callback
            await asyncio.sleep(0.1)
        await asyncio.sleep(seconds)
        path = Path(out)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps({"pcm_log": log, "binary_buffers": bool(chat.binary_buffers)}))
        os.replace(tmp, path)

    asyncio.get_running_loop().create_task(finish())
