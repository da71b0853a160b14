"""Kernel-side instrumentation of a live ``VoiceChat`` for the uplink benchmark (runs in the
notebook kernel).

* Each microphone frame's page-clock capture time (``t_capture``, epoch ms) comes from the
  session's ``"out"`` events (:class:`OutgoingAudio`), stamped when the client has queued it.
* With the widget's ``_trace`` on, each ``audio_frame`` message carries page stamps of its last
  frame (worklet quantum done, main thread receipt, comm send); a comm callback put in front of
  the widget's own stamps the kernel's receipt.
* The moment a frame leaves on the WebSocket is when ``websockets`` writes it: its frame log
  (``> BINARY ...``, on the client's wire logger at DEBUG) is timestamped on the kernel's epoch
  clock. Frames leave in the order they were queued, so the n-th logged binary frame is the
  n-th frame handed to the client (runs with dropped frames are reported, not matched).

:func:`enable_wire_timing` must run before the widget connects (``websockets`` decides whether
to log frames when a connection opens).
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import time
from pathlib import Path
from typing import Any

WIRE_LOGGER = "nextevi_widgets.client.wire"


class _WireTimes(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.binary: list[float] = []
        self.text: int = 0

    def emit(self, record: logging.LogRecord) -> None:
        now = time.time() * 1000
        message = record.getMessage()
        if message.startswith("> BINARY"):
            self.binary.append(now)
        elif message.startswith("> TEXT"):
            self.text += 1


_HANDLER = _WireTimes()


def enable_wire_timing() -> None:
    logger = logging.getLogger(WIRE_LOGGER)
    logger.setLevel(logging.DEBUG)
    logger.addHandler(_HANDLER)


def start_uplink(chat: Any, out: str, frames: int, *, trace: bool = True) -> None:
    """Record ``frames`` microphone frames after the first wire frame, then write ``out``."""
    from nextevi_widgets.session import OutgoingAudio

    captured: list[tuple[float | None, int, bool]] = []
    queued: list[tuple[int | None, float]] = []
    messages: list[dict[str, Any]] = []

    def on_event(direction: str, event: object, _t: float) -> None:
        if direction == "out" and isinstance(event, OutgoingAudio):
            queued.append((event.seq, time.time() * 1000))
            captured.append((event.t_capture, len(event.pcm), bool(event.dropped)))

    def on_comm(_widget: Any, content: Any, buffers: Any) -> None:
        now = time.time() * 1000
        if isinstance(content, dict) and content.get("kind") == "audio_frame":
            times = content.get("t_capture")
            count = len(times) if isinstance(times, list) else int(content.get("frames", 1))
            messages.append(
                {
                    "seq": content.get("seq"),
                    "frames": count,
                    "trace": content.get("trace"),
                    "t_kernel": now,
                }
            )

    chat._trace = trace
    chat._msg_callbacks.callbacks.insert(0, on_comm)
    chat.session.on_event(on_event)

    async def finish() -> None:
        deadline = time.monotonic() + frames * 0.02 + 90
        while len(captured) < frames and time.monotonic() < deadline:  # noqa: ASYNC110 - a counter fed by a callback
            await asyncio.sleep(0.1)
        await asyncio.sleep(1.0)  # let the last frames leave
        result = {
            "t_capture": [c[0] for c in captured],
            "pcm_bytes": [c[1] for c in captured],
            "dropped": [c[2] for c in captured],
            "wire_binary": _HANDLER.binary,
            "queued": queued,
            "messages": messages,
            "stats": dict(chat.session.stats),
            "binary_buffers": bool(chat.binary_buffers),
        }
        path = Path(out)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(result, default=str))
        os.replace(tmp, path)

    asyncio.get_running_loop().create_task(finish())
