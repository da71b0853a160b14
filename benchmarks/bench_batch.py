"""Batch runs (``nextevi_widgets.batch``) on the emulator: throughput at concurrency 1, 2 and
4 beside the real-time pace of the same inputs, and memory held flat over 1,000 inputs.

Throughput: spoken sentences (espeak-ng, 2–3 s each) streamed at real-time pace, as a live
microphone would, through an emulator child process on the load profile (``lite``: WebRTC VAD,
PocketSphinx, espeak-ng), each input waiting for its reply to play out. The real-time pace is
60 / (the mean input's audio + trailing silence) inputs per minute: what one input at a time
would reach if nothing but the audio took time.

Memory: short synthetic-voice inputs sent faster than real time (``realtime=False``) at
concurrency 4 through an emulator child process on deterministic engines with a quick
assistant voice (``benchmarks/batch_emulator.py``). RSS of the batch process and of the
emulator at the start (after the first 5 % of inputs), the middle and the end.
"""

from __future__ import annotations

import asyncio
import shutil
import statistics
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from .harness import BenchSpec, Context, Goal, Metric, Skip, calibrated, calibration_loop

SENTENCES = (
    "I am so happy today, everything went wonderfully.",
    "I feel sad and tired, nothing went right.",
    "Please tell me the opening hours of the store.",
    "The meeting is on Tuesday at ten in the morning.",
    "Thank you so much, this is great news for us.",
    "I am really upset, the order never arrived.",
    "Can you help me change my flight to Friday?",
    "My internet has been slow since yesterday evening.",
)
TRAILING_SILENCE = 1.0
LOAD_PROFILE = "lite"


def _rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


async def _throughput(ctx: Context) -> list[Metric]:
    if shutil.which("espeak-ng") is None:
        raise Skip("espeak-ng is not installed")
    from nextevi_widgets.batch import arun_batch
    from nextevi_widgets.batch.audio import read_input_audio
    from nextevi_widgets.emulator import EmulatorProcess, synthesize_wav

    count = ctx.pick(12, 8)  # multiples of 4: whole waves at every concurrency
    folder = ctx.workdir / "spoken"
    folder.mkdir()
    paths = [
        synthesize_wav(SENTENCES[i % len(SENTENCES)], folder / f"{i:02d}.wav", voice="espeak")
        for i in range(count)
    ]
    seconds = [read_input_audio(p).duration + TRAILING_SILENCE for p in paths]
    pace = 60.0 / statistics.mean(seconds)
    loop = calibration_loop()
    metrics = [
        Metric.single(
            "real-time pace of these inputs (one at a time, audio only)",
            "inputs/min",
            pace,
            note=f"{count} inputs, {statistics.mean(seconds):.2f} s each with "
            f"{TRAILING_SILENCE:.0f} s of trailing silence",
        )
    ]
    rates: dict[int, float] = {}
    async with EmulatorProcess(profile=LOAD_PROFILE, preload=True) as emulator:
        for concurrency in (1, 2, 4):
            out = ctx.workdir / f"throughput-{concurrency}"
            summary = await arun_batch(
                paths,
                out,
                concurrency=concurrency,
                url=emulator.url,
                progress=False,
                trailing_silence=TRAILING_SILENCE,
            )
            if summary.failed or summary.succeeded != count:
                raise RuntimeError(f"batch at concurrency {concurrency} failed: {summary}")
            rates[concurrency] = summary.inputs_per_minute
            goal = None
            if concurrency > 1:
                wanted = 0.75 * concurrency * rates[1]
                goal = Goal(
                    calibrated(f"≥ 0.75 × {concurrency} × concurrency 1 ({wanted:.1f})", loop),
                    summary.inputs_per_minute >= wanted,
                )
            metrics.append(
                Metric.single(
                    f"batch throughput, concurrency {concurrency} (real time, {LOAD_PROFILE})",
                    "inputs/min",
                    summary.inputs_per_minute,
                    baseline=f"real-time pace {pace:.1f} inputs/min",
                    ratio=summary.inputs_per_minute / pace,
                    goal=goal,
                    note=f"{count} inputs in {summary.elapsed:.1f} s; each waits for its reply "
                    "to play out",
                )
            )
    return metrics


class _SamplingWriter:
    """A dataset writer that samples both processes' RSS as inputs finish."""

    def __init__(self, path: Path, marks: Mapping[int, str], pids: dict[str, int]) -> None:
        from nextevi_widgets.dataset import DatasetWriter

        self._writer = DatasetWriter(path)
        self._marks = marks
        self._pids = pids
        self.count = 0
        self.samples: dict[str, dict[str, float]] = {}

    def add_session(
        self, session_id: str, events: Sequence[tuple[str, object, float]], **kw: Any
    ) -> None:
        self._writer.add_session(session_id, events, **kw)
        self.count += 1
        mark = self._marks.get(self.count)
        if mark is not None:
            self.samples[mark] = {name: _rss_mb(pid) for name, pid in self._pids.items()}

    def done_ids(self) -> set[str]:
        return self._writer.done_ids()

    def close(self) -> None:
        self._writer.close()


class _BenchEmulator:
    """The emulator child process with the ``batchbench`` profile (a subclass reusing
    ``EmulatorProcess``; only the module it runs differs)."""

    @staticmethod
    def make(max_connections: int) -> Any:
        from nextevi_widgets.emulator import EmulatorProcess

        class Process(EmulatorProcess):
            def _command(self) -> list[str]:
                cmd = super()._command()
                cmd[cmd.index("nextevi_widgets.emulator")] = "benchmarks.batch_emulator"
                return cmd

        from .batch_emulator import PROFILE

        return Process(profile=PROFILE, extra_args=["--max-connections", str(max_connections)])


async def _memory(ctx: Context) -> list[Metric]:
    import os

    from nextevi_widgets.batch import BatchInput, arun_batch, input_id
    from nextevi_widgets.emulator import synthesize_wav

    total = ctx.pick(1000, 200)
    folder = ctx.workdir / "short"
    folder.mkdir()
    voices = [
        synthesize_wav(text, folder / f"v{i}.wav", voice="synthetic")
        for i, text in enumerate(("hello there", "good morning to you", "thanks a lot"))
    ]
    # A thousand distinct inputs (ids), a few distinct files: the audio is not the point.
    inputs = [
        BatchInput(f"{input_id(voices[i % 3])}-{i}", voices[i % 3], {"n": i}) for i in range(total)
    ]
    first = max(1, total // 20)
    marks = {first: "start", total // 2: "middle", total: "end"}
    loop = calibration_loop()
    started = time.monotonic()
    async with _BenchEmulator.make(max_connections=8) as emulator:
        writer = _SamplingWriter(
            ctx.workdir / "memory", marks, {"batch": os.getpid(), "emulator": emulator.pid}
        )
        try:
            summary = await arun_batch(
                inputs,
                writer,
                concurrency=4,
                realtime=False,
                url=emulator.url,
                progress=False,
                trailing_silence=0.8,
                quiet_period=0.5,
            )
        finally:
            writer.close()
    elapsed = time.monotonic() - started
    if summary.succeeded != total:
        raise RuntimeError(f"memory batch incomplete: {summary}")
    metrics = []
    for name in ("batch", "emulator"):
        series = [writer.samples[m][name] for m in ("start", "middle", "end")]
        growth = series[2] - series[0]
        metrics.append(
            Metric.single(
                f"{name} process RSS over {total} inputs (start / middle / end)",
                "MB",
                series[2],
                baseline=" / ".join(f"{v:.0f}" for v in series) + " MB",
                goal=Goal(calibrated("growth start → end ≤ 20 MB", loop), growth <= 20.0),
                note=f"growth {growth:+.1f} MB from input {first} to {total}; "
                f"{summary.inputs_per_minute:.0f} inputs/min faster than real time, "
                f"{elapsed:.0f} s",
            )
        )
    return metrics


async def run(ctx: Context) -> list[Metric]:
    return [*await _throughput(ctx), *await _memory(ctx)]


SPEC = BenchSpec(
    "batch",
    "batch runs: throughput at concurrency 1/2/4 vs real-time pace; RSS over 1,000 inputs",
    run,
)


if __name__ == "__main__":  # python -m benchmarks.bench_batch [--quick]
    import sys

    context = Context.create(quick="--quick" in sys.argv)
    for metric in asyncio.run(run(context)):
        print(metric)
