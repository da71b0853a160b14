"""Kernel CPU for one live session: a real ipykernel runs a ``VoiceChat`` (its emulator in a
child process, so speech engines are not counted) fed 20 ms microphone frames in real time
through the widget's comm-message handler, talking in turns (2 s of voice, 3 s of room
silence), with a live ``EmotionPlot`` attached to the session (capped at 4 updates a second,
each time emotion data arrives).

Four phases in one kernel: the plot with its default renderer (the browser draws; the kernel
builds and sends the visible data), the same with 5 frames per comm message
(``frames_per_message=5``: the latency/CPU trade-off), the same plot switched to
``renderer="png"`` (matplotlib
renders in a thread of the kernel), and the session with the plot closed (the baseline). The
kernel process's own CPU time (user + system, all threads, children excluded) is read with
psutil over each phase and divided by wall time; the idle kernel is shown too, and the
calibration loop (measured in this process before and after the phases) beside the goal.
Not included: the ZMQ and comm deserialisation of real browser messages (the frames are handed
to the widget's handler directly, as the browser benchmark's comm echo shows that cost)."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import psutil  # type: ignore[import-untyped]

from .harness import BenchSpec, Context, Goal, Metric, Skip, calibrated, calibration_loop

GOAL_PERCENT = 3.0
"""Kernel CPU per live session with the browser-drawn plot, on the CI machine class."""
BATCH = 5
"""Frames per comm message in the batched phase (``VoiceChat.frames_per_message``)."""

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
_batch = 1  # frames per comm message (the widget's frames_per_message)
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
        n = _batch
        pcm = b"".join(_frames[(seq + i) % len(_frames)] for i in range(n))
        content = {"kind": "audio_frame", "seq": seq, "t_capture": time.time() * 1000,
                   "sample_rate": 24000}
        if n > 1:
            content["frames"] = n
        chat._on_browser_msg(chat, content, [memoryview(pcm)])
        seq += n
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


async def _phase(client: Any, proc: Any, seconds: float) -> tuple[float, float, str]:
    """(CPU % over ``seconds``, plot redraws per second, probe output after)."""
    before = await _execute(client, PROBE)
    if not before.startswith("connected"):
        raise RuntimeError(f"the session is not connected: {before.strip()}")
    cpu = await _measure(proc, seconds)
    after = await _execute(client, PROBE)
    redraws = 0.0
    if has_plot_token(before) and has_plot_token(after):
        redraws = (int(after.split()[2]) - int(before.split()[2])) / seconds
    return cpu, redraws, after.strip()


async def run(ctx: Context) -> list[Metric]:
    try:
        from jupyter_client.manager import AsyncKernelManager
    except ImportError as exc:
        raise Skip(f"jupyter_client is not installed ({exc})") from None
    seconds = ctx.pick(45.0, 8.0)
    loop_before = calibration_loop()
    manager = AsyncKernelManager(kernel_name="python3")
    await manager.start_kernel(cwd=str(ctx.workdir))
    client = manager.client()
    client.start_channels()
    try:
        # Before anything streams: wait_for_ready also makes sure IOPub is subscribed, so
        # the first execute's replies are not lost (it cannot be used once IOPub is busy).
        await client.wait_for_ready(timeout=60)
        pid = getattr(manager.provisioner, "pid", None)
        if pid is None:
            raise Skip("cannot find the kernel's process id")
        proc = psutil.Process(pid)
        await _execute(client, "import nextevi_widgets.widget")  # imports are not the session
        idle = await _measure(proc, seconds / 2)
        await _execute(client, SETUP)
        await asyncio.sleep(3)  # connection and first frames
        browser, browser_rate, probe = await _phase(client, proc, seconds)
        await _execute(client, f"_batch = {BATCH}")
        batched, _, _ = await _phase(client, proc, seconds)
        await _execute(client, "_batch = 1")
        await _execute(client, "if _plot is not None: _plot.renderer = 'png'")
        png, png_rate, _ = await _phase(client, proc, seconds)
        await _execute(client, "if _plot is not None: _plot.close()")
        bare, _, _ = await _phase(client, proc, seconds)
    finally:
        client.stop_channels()
        await manager.shutdown_kernel(now=True)
    if not has_plot_token(probe):
        raise Skip("nextevi_widgets.timeline is not available: no emotion plot")
    loop_after = calibration_loop()
    # The slower of the two: the machine as it was for at least part of the run.
    loop = max(loop_before, loop_after)
    common = f"{seconds:.0f} s of 20 ms frames per phase, one kernel; state/frames/redraws after: "

    def within_goal(percent: float) -> Goal:
        return Goal(calibrated(f"<= {GOAL_PERCENT:g} % of one core", loop), percent <= GOAL_PERCENT)

    return [
        Metric.single(
            "kernel CPU, live session + emotion plot at 4 Hz",
            "% core",
            browser,
            baseline=f"same session, no plot {bare:.2f} % core; idle kernel {idle:.2f} %",
            ratio=browser / bare if bare > 0 else None,
            goal=within_goal(browser),
            note=common + f"{probe}; the plot's default renderer (the browser draws, the kernel "
            f"sends the visible data): {browser_rate:.2f} updates/s",
        ),
        Metric.single(
            f"kernel CPU, same with frames_per_message={BATCH}",
            "% core",
            batched,
            baseline=f"one frame per message {browser:.2f} % core",
            ratio=batched / browser if browser > 0 else None,
            goal=within_goal(batched),
            note=f"the trade-off: {BATCH} frames of 20 ms per comm message (one timer wake-up, "
            f"one handler call and one client-queue wake-up per message) add up to "
            f"{(BATCH - 1) * 20} ms of uplink latency to a message's first frame",
        ),
        Metric.single(
            "kernel CPU, same session without the plot",
            "% core",
            bare,
            baseline=f"idle kernel {idle:.2f} %",
            note="the session alone: comm handler, frame split, level, client queue, "
            "websockets send, incoming events and widget syncs (the 20 ms frame generator "
            "standing in for the browser's comm messages runs in the kernel too)",
        ),
        Metric.single(
            "kernel CPU, same with the plot rendered by matplotlib in the kernel",
            "% core",
            png,
            baseline=f"same session, no plot {bare:.2f} % core",
            ratio=png / bare if bare > 0 else None,
            note=f"EmotionPlot(renderer='png'): blitted Agg redraws and PNG encoding in the "
            f"kernel's render thread, {png_rate:.2f} redraws/s",
        ),
    ]


SPEC = BenchSpec("kernel_cpu", "kernel CPU of one live session", run)
