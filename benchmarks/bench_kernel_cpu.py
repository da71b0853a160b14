"""Kernel CPU for one live session: a real ipykernel runs a ``VoiceChat`` (its emulator in a
child process, so speech engines are not counted) fed 20 ms microphone frames in real time
through the widget's comm-message handler, talking in turns (2 s of voice, 3 s of room
silence), with a live ``EmotionPlot`` attached to the session (capped at 4 redraws a second;
it redraws in its own thread of the kernel process whenever emotion data arrives).

The kernel process's own CPU time (user + system, children excluded) is read with psutil over
the run and divided by wall time. Baseline: the same kernel idle for the same duration.
Not included: the ZMQ and comm deserialisation of real browser messages (the frames are handed
to the widget's handler directly, as the browser benchmark's comm echo shows that cost)."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import psutil  # type: ignore[import-untyped]

from .harness import BenchSpec, Context, Goal, Metric, Skip

SETUP = r"""
import asyncio, time
import numpy as np
from nextevi_widgets.widget import VoiceChat
from nextevi_widgets.emulator.deterministic import SyntheticVoice

chat = VoiceChat(config_id="deterministic", emulator="process")
chat.connect()
_voice = SyntheticVoice().synthesize("hello there how are you today")[: 2 * 24000]
_turn = np.concatenate([_voice, np.zeros(3 * 24000, np.int16)]).astype("<i2").tobytes()
_frames = [_turn[i : i + 960] for i in range(0, len(_turn), 960)]
_plot = None
try:
    from nextevi_widgets.timeline import EmotionPlot
    _plot = EmotionPlot(chat.session, max_fps=4.0)
except ImportError:
    pass

async def _mic():
    while chat.session.state != "connected":
        await asyncio.sleep(0.05)
    loop = asyncio.get_running_loop()
    start = loop.time()
    seq = 0
    while True:
        frame = _frames[seq % len(_frames)]
        content = {"kind": "audio_frame", "seq": seq, "t_capture": time.time() * 1000,
                   "sample_rate": 24000}
        chat._on_browser_msg(chat, content, [memoryview(frame)])
        seq += 1
        await asyncio.sleep(max(0.0, start + seq * 0.02 - loop.time()))

_tasks = [asyncio.get_running_loop().create_task(_mic())]
"""

PROBE = (
    "print(chat.session.state, chat.session.stats.get('frames_sent', 0),"
    " _plot.stats['redraws'] if _plot is not None else None, _plot is not None)"
)


async def _execute(client: Any, code: str, timeout: float = 60) -> str:
    msg_id = client.execute(code)
    output: list[str] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        msg = await client.get_iopub_msg(timeout=timeout)
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        kind = msg["msg_type"]
        if kind == "stream":
            output.append(msg["content"]["text"])
        elif kind == "error":
            raise RuntimeError("\n".join(msg["content"]["traceback"])[-2000:])
        elif kind == "status" and msg["content"]["execution_state"] == "idle":
            return "".join(output)
    raise TimeoutError("kernel did not finish in time")


def has_plot_token(probe: str) -> bool:
    return probe.strip().endswith("True")


def _cpu_seconds(proc: Any) -> float:
    times = proc.cpu_times()
    return float(times.user + times.system)


async def _measure(proc: Any, seconds: float) -> float:
    """Percent of one core used by the kernel process over ``seconds``."""
    cpu0, wall0 = _cpu_seconds(proc), time.monotonic()
    await asyncio.sleep(seconds)
    return 100 * (_cpu_seconds(proc) - cpu0) / (time.monotonic() - wall0)


async def run(ctx: Context) -> list[Metric]:
    try:
        from jupyter_client.manager import AsyncKernelManager
    except ImportError as exc:
        raise Skip(f"jupyter_client is not installed ({exc})") from None
    seconds = ctx.pick(60.0, 8.0)
    manager = AsyncKernelManager(kernel_name="python3")
    await manager.start_kernel(cwd=str(ctx.workdir))
    client = manager.client()
    client.start_channels()
    try:
        await client.wait_for_ready(timeout=60)
        pid = getattr(manager.provisioner, "pid", None)
        if pid is None:
            raise Skip("cannot find the kernel's process id")
        proc = psutil.Process(pid)
        await _execute(client, "import nextevi_widgets.widget")  # imports are not the session
        idle = await _measure(proc, seconds / 2)
        await _execute(client, SETUP)
        await asyncio.sleep(3)  # connection and first frames
        probe = first_probe = await _execute(client, PROBE)
        if not probe.startswith("connected"):
            raise RuntimeError(f"the session did not connect: {probe.strip()}")
        live = await _measure(proc, seconds)
        probe = await _execute(client, PROBE)
        redraws_before = int(first_probe.split()[2]) if has_plot_token(first_probe) else 0
    finally:
        client.stop_channels()
        await manager.shutdown_kernel(now=True)
    has_plot = has_plot_token(probe)
    redraw_rate = (int(probe.split()[2]) - redraws_before) / seconds if has_plot else 0.0
    return [
        Metric.single(
            "kernel CPU, live session" + (" + emotion plot at 4 Hz" if has_plot else ""),
            "% core",
            live,
            baseline=f"idle kernel {idle:.2f} % core",
            ratio=live / idle if idle > 0 else None,
            goal=Goal("<= 5 % of one core", live <= 5),
            note=f"{seconds:.0f} s of 20 ms frames; state/frames/redraws/plot after: "
            f"{probe.strip()}; plot redraws {redraw_rate:.2f}/s during the run"
            + ("" if has_plot else "; no emotion plot (nextevi_widgets.timeline not there yet)"),
        )
    ]


SPEC = BenchSpec("kernel_cpu", "kernel CPU of one live session", run)
