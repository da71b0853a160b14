"""What checking comm messages against their declarations costs the kernel.

Every VoiceChat browser message is validated (``nextevi_widgets/_comm_validate.py``) before its
handler runs; ``audio_frame`` arrives 50 times a second per session. Timed per message in
batches of 200 (one batch = one sample), for the messages a live page sends most, beside the
same-run baseline of decoding the message's JSON (which Jupyter does for every message anyway)
and the calibration loop. Also ``python -m benchmarks.bench_comm [--quick]``.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from collections.abc import Callable
from functools import partial
from typing import Any

from .harness import (
    BenchSpec,
    Context,
    Goal,
    Metric,
    calibrated,
    calibration_loop,
    p95,
    summarize,
)

BATCH = 200
GOAL_US = 20.0
"""Per audio_frame: 50 a second then cost at most 0.1 % of a core."""

_ENVELOPE = {"page": "page-lq3k2x-4f8a9c1d", "n": 12345}
MESSAGES: dict[str, dict[str, Any]] = {
    "audio_frame": {"kind": "audio_frame", "seq": 4242, "t_capture": 1733150000123.25, **_ENVELOPE},
    "audio_frame, 10 irregular times": {
        "kind": "audio_frame",
        "seq": 4242,
        "t_capture": [1733150000123.25 + 20.01 * i for i in range(10)],
        **_ENVELOPE,
    },
    "playback_progress": {
        "kind": "playback_progress",
        "chunk_id": "chunk-17",
        "played_samples": 4800,
        "total_samples": 9600,
        "flushed": False,
        **_ENVELOPE,
    },
}


def _per_message_us(fn: Callable[[], Any], batches: int) -> list[float]:
    samples = []
    for _ in range(batches):
        started = time.perf_counter()
        for _ in range(BATCH):
            fn()
        samples.append((time.perf_counter() - started) / BATCH * 1e6)
    return samples


async def run(ctx: Context) -> list[Metric]:
    from nextevi_widgets._comm_validate import validator

    browser = validator("BrowserMessage")
    batches = ctx.pick(500, 100)
    loop = calibration_loop(ctx.pick(15, 5))
    goal = calibrated(f"<= {GOAL_US:g} µs p95 per audio_frame", loop)
    metrics = []
    for name, message in MESSAGES.items():
        text = json.dumps(message)
        validated = _per_message_us(partial(browser.validate, message), batches)
        decoded = _per_message_us(partial(json.loads, text), batches)
        metrics.append(
            Metric.from_samples(
                f"validate {name}",
                "µs",
                validated,
                baseline=f"json.loads of it {summarize(decoded, 'µs')}",
                ratio=p95(validated) / p95(decoded),
                goal=Goal(goal, p95(validated) <= GOAL_US) if name == "audio_frame" else None,
                note=f"per message, batches of {BATCH}; ratio: p95 over json.loads p95",
            )
        )
    return metrics


SPEC = BenchSpec("comm", "comm message validation before dispatch", run)


def main() -> None:
    ctx = Context.create(quick="--quick" in sys.argv)
    for metric in asyncio.run(run(ctx)):
        goal = f"  goal {metric.goal.text}: {metric.goal.met}" if metric.goal else ""
        print(
            f"{metric.name}: median {metric.median:.2f} / p95 {metric.p95:.2f} µs"
            f" (baseline {metric.baseline}, ratio {metric.ratio or 0:.2f}){goal}"
        )


if __name__ == "__main__":
    main()
