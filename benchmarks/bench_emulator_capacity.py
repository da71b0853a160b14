"""How many concurrent real-time sessions the emulator (real offline engines, one process)
sustains on this machine. Levels of N sessions each run one user turn at the same time (starts
staggered over a second, as real users are); a level is sustained when every turn is answered
without errors, reply latency stays bounded (p95 of end of speech -> first TTS within twice the
single-session median plus 250 ms) and assistant audio keeps real-time pace.

The load generator (this process) runs on the same cores; its cost is part of the figure.
Run once per recognition search setting (``NEXTEVI_EMULATOR_STT_SEARCH``: the default ``fast``
and the cheaper ``light``), so the table shows the trade-off; each has its own goal row, with
the calibration loop beside it."""

from __future__ import annotations

import asyncio
import os
import random
from collections.abc import Iterator
from contextlib import contextmanager

from nextevi_widgets.emulator import EmulatorProcess

from .emu_turns import API_KEY, TurnRunner, TurnTiming, espeak_utterance
from .harness import (
    BenchSpec,
    Context,
    Goal,
    Metric,
    Skip,
    calibrated,
    calibration_loop,
    median,
    p95,
)

SILENCE = 0.5
UTTERANCE = "Hello there, I am feeling really happy today."
TARGET = 10
LOAD_PROFILE = "default"
"""The cheap engine stack (WebRTC VAD, PocketSphinx, espeak-ng): the emulator's load profile."""
SEARCH_ENV = "NEXTEVI_EMULATOR_STT_SEARCH"
SEARCHES = ("fast", "light")


async def _one(url: str, pcm: bytes, delay: float) -> TurnTiming:
    await asyncio.sleep(delay)
    async with TurnRunner(url, SILENCE) as runner:
        return await runner.turn(pcm, timeout=45)


async def _level(
    base_url: str, pcm: bytes, n: int, rng: random.Random, profile: str = LOAD_PROFILE
) -> list[TurnTiming]:
    query = f"api_key={API_KEY}&config_id={profile}"
    tasks = [_one(f"{base_url}/cap-{n}-{i}?{query}", pcm, rng.random()) for i in range(n)]
    return list(await asyncio.gather(*tasks))


def _keeps_pace(turn: TurnTiming) -> bool:
    # Audio is paced in real time with a short lead: the last chunk may arrive up to the
    # reply's duration after the first, never much later.
    return turn.reply_wall_s is not None and turn.reply_wall_s <= turn.reply_audio_s + 0.5


@contextmanager
def _search(value: str) -> Iterator[None]:
    """The recognition search the emulator (and its workers) start with."""
    previous = os.environ.get(SEARCH_ENV)
    os.environ[SEARCH_ENV] = value
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop(SEARCH_ENV, None)
        else:
            os.environ[SEARCH_ENV] = previous


async def run(ctx: Context) -> list[Metric]:
    pcm = espeak_utterance(UTTERANCE, ctx.workdir)
    levels = ctx.pick([1, 2, 4, 6, 8, 10, 12], [1, 4, 8])
    metrics: list[Metric] = []
    for search in ctx.pick(SEARCHES, SEARCHES[-1:]):
        metrics += await _levels(pcm, levels, search)
    return metrics


async def _levels(pcm: bytes, levels: list[int], search: str) -> list[Metric]:
    rng = random.Random(7)
    with _search(search):
        emulator = EmulatorProcess(profile=LOAD_PROFILE, preload=True, startup_timeout=90)
        await asyncio.to_thread(emulator.start)
    metrics: list[Metric] = []
    sustained = 0
    single: float | None = None
    loop = calibration_loop()
    try:
        await _level(emulator.url, pcm, 1, rng)  # warm-up
        for n in levels:
            turns = await _level(emulator.url, pcm, n, rng)
            latencies = [1000 * t.first_tts for t in turns if t.first_tts is not None]
            if n == 1:
                if not latencies:
                    raise Skip(f"no reply from the {LOAD_PROFILE} engines")
                single = median(latencies)
            assert single is not None
            bound = 2 * single + 250
            answered = len(latencies) == n and all(t.errors == 0 for t in turns)
            paced = all(_keeps_pace(t) for t in turns)
            ok = answered and paced and p95(latencies) <= bound
            if ok:  # levels stop at the first failure, so this is an unbroken run
                sustained = n
            if ok:
                status = "sustained"
            else:
                status = "unanswered" if not answered else "late audio" if not paced else "slow"
            metrics.append(
                Metric.from_samples(
                    f"{search}: {n:>2} sessions: speech end -> first TTS",
                    "ms",
                    latencies,
                    baseline=f"bound {bound:.0f} ms",
                    ratio=p95(latencies) / single if latencies else None,
                    note=f"{status}; {len(latencies)}/{n} answered, "
                    f"{sum(_keeps_pace(t) for t in turns)}/{n} kept real-time pace",
                )
            )
            if not ok:
                break
    finally:
        await asyncio.to_thread(emulator.stop)
    loop = max(loop, calibration_loop())
    tested = levels[min(len(metrics), len(levels)) - 1]
    metrics.append(
        Metric.single(
            f"{search}: sessions sustained on {os.cpu_count()} cores",
            "",
            sustained,
            goal=Goal(calibrated(f">= {TARGET}", loop), sustained >= TARGET),
            note=f"profile {LOAD_PROFILE}, {SEARCH_ENV}={search}; highest level tested "
            f"{tested}; "
            + ("more may fit" if sustained == tested else "the next level fell behind"),
        )
    )
    return metrics


SPEC = BenchSpec("emulator_capacity", "concurrent real-time sessions on this machine", run)
