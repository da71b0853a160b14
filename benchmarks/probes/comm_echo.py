"""Baseline for the browser benchmarks: a bare anywidget that does nothing but comm messages.

Run inside the notebook kernel (the benchmark puts this file's source in a cell and calls
``start_probe``). The browser sends a 960-byte buffer every 20 ms stamped with its capture time
on the page clock (``performance.timeOrigin + performance.now()``, epoch ms); the kernel notes
its arrival on its own epoch clock and echoes it straight back; the page notes the round trip.
The kernel also sends stamped "down" messages that the page acknowledges with its arrival time.

Both clocks are the machine's system clock (same host), so one-way figures are timestamp
differences; the round trip halved is reported as a cross-check of that clock correlation.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from pathlib import Path
from typing import Any

import anywidget
import traitlets

_ESM = """
export default {
  render({ model, el }) {
    el.textContent = "comm echo probe";
    const count = model.get("count");
    let seq = 0;
    model.on("msg:custom", (msg) => {
      const now = performance.timeOrigin + performance.now();
      if (msg.kind === "echo") {
        model.send({ kind: "rtt", seq: msg.seq, rtt: now - msg.t_capture });
      } else if (msg.kind === "down") {
        model.send({ kind: "down_ack", seq: msg.seq, t_kernel: msg.t_kernel, t_page: now });
      }
    });
    const timer = setInterval(() => {
      if (seq >= count) { clearInterval(timer); return; }
      const pcm = new Int16Array(480);
      const t = performance.timeOrigin + performance.now();
      model.send({ kind: "probe", seq: seq++, t_capture: t }, undefined, [pcm.buffer]);
    }, 20);
    return () => clearInterval(timer);
  },
};
"""


class CommEchoProbe(anywidget.AnyWidget):
    _esm = traitlets.Unicode(_ESM).tag(sync=True)
    count = traitlets.Int(250).tag(sync=True)

    def __init__(self, out: Path, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.out = out
        self.up: list[float] = []
        self.rtt: list[float] = []
        self.down: list[float] = []
        self.on_msg(self._handle)

    def _handle(self, _widget: Any, content: dict[str, Any], buffers: list[Any]) -> None:
        now = time.time() * 1000
        kind = content.get("kind")
        if kind == "probe":
            self.up.append(now - content["t_capture"])
            self.send({"kind": "echo", "seq": content["seq"], "t_capture": content["t_capture"]})
            # Interleave kernel->page probes with the same cadence.
            self.send({"kind": "down", "seq": content["seq"], "t_kernel": time.time() * 1000})
        elif kind == "rtt":
            self.rtt.append(content["rtt"])
        elif kind == "down_ack":
            self.down.append(content["t_page"] - content["t_kernel"])

    async def finish(self, timeout: float) -> None:
        # Poll rather than await a future: comm handlers may run outside this task's loop.
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if len(self.rtt) >= self.count and len(self.down) >= self.count:
                break
            await asyncio.sleep(0.1)
        tmp = self.out.with_suffix(".tmp")
        tmp.write_text(json.dumps({"up": self.up, "rtt": self.rtt, "down": self.down}))
        os.replace(tmp, self.out)


def start_probe(out: str, count: int) -> CommEchoProbe:
    """Display the probe and return it; results go to ``out`` when all messages came back."""
    probe = CommEchoProbe(Path(out), count=count)
    asyncio.get_running_loop().create_task(probe.finish(timeout=count * 0.02 + 60))
    return probe
