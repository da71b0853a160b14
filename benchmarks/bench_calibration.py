"""Machine calibration: how fast this machine is right now, to read the other figures against.

Three fixed workloads, timed repeatedly: a pure-Python loop, a numpy FFT, and a WebSocket echo
over loopback with ``websockets`` (the transport every kernel-side figure rides on). Figures
from two machines are comparable only after dividing by these.
"""

from __future__ import annotations

import time

import numpy as np
from websockets.asyncio.client import connect
from websockets.asyncio.server import ServerConnection, serve

from .harness import BenchSpec, Context, Metric, python_loop


def _numpy_fft(data: np.ndarray) -> float:
    started = time.perf_counter()
    np.fft.rfft(data)
    return (time.perf_counter() - started) * 1000


async def _ws_echo(rounds: int) -> list[float]:
    async def echo(ws: ServerConnection) -> None:
        async for message in ws:
            await ws.send(message)

    payload = bytes(960)  # one 20 ms PCM16 frame at 24 kHz
    samples: list[float] = []
    async with serve(echo, "127.0.0.1", 0) as server:
        port = server.sockets[0].getsockname()[1]
        async with connect(f"ws://127.0.0.1:{port}") as ws:
            for _ in range(rounds):
                started = time.perf_counter()
                await ws.send(payload)
                await ws.recv()
                samples.append((time.perf_counter() - started) * 1000)
    return samples


async def run(ctx: Context) -> list[Metric]:
    repeats = ctx.pick(30, 10)
    data = np.random.default_rng(0).standard_normal(2**20)
    return [
        Metric.from_samples(
            "python loop (200k iterations)", "ms", [python_loop()[0] for _ in range(repeats)]
        ),
        Metric.from_samples("numpy rfft (2^20)", "ms", [_numpy_fft(data) for _ in range(repeats)]),
        Metric.from_samples(
            "loopback WebSocket echo, 960 B",
            "ms",
            await _ws_echo(ctx.pick(500, 100)),
            note="round trip through websockets on 127.0.0.1; the floor under every "
            "kernel-side latency figure",
        ),
    ]


SPEC = BenchSpec("calibration", "machine speed reference", run)
