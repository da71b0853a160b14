"""How many concurrent real-time sessions the emulator (one process) sustains on this machine,
per engine profile: ``lite`` (the load-test stack, goal >= 10), ``auto`` (Whisper finals: its
figure is reported, not judged) and ``deterministic`` (the no-speech baseline).

Levels of N sessions each run one user turn at the same time (starts
staggered over a second, as real users are); a level is sustained when every turn is answered
without errors, reply latency stays bounded (p95 of end of speech -> first TTS within twice the
single-session median plus 250 ms) and assistant audio keeps real-time pace.

The load profile runs once per recognition search (``NEXTEVI_EMULATOR_STT_SEARCH``: the default
``fast``, whose lattice gives word confidences, and the cheaper ``light``, tighter pruning and no
lattice), so the table shows the trade-off; each has its own goal row, with the calibration loop
beside it. The load generator (this process) runs on the same cores; its cost is part of the
figure."""

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
LOAD_PROFILE = "lite"
"""The profile the >= TARGET goal applies to."""
SEARCH_ENV = "NEXTEVI_EMULATOR_STT_SEARCH"
LOAD_SEARCHES = ("fast", "light")
"""Recognition searches the load profile is measured with (quick runs: the last one)."""


async def _one(url: str, pcm: bytes, delay: float) -> TurnTiming:
    await asyncio.sleep(delay)
    async with TurnRunner(url, SILENCE) as runner:
        return await runner.turn(pcm, timeout=45)


async def _level(
    base_url: str, pcm: bytes, n: int, rng: random.Random, profile: str
) -> list[TurnTiming]:
    query = f"api_key={API_KEY}&config_id={profile}"
    tasks = [_one(f"{base_url}/cap-{n}-{i}?{query}", pcm, rng.random()) for i in range(n)]
    return list(await asyncio.gather(*tasks))


def _keeps_pace(turn: TurnTiming) -> bool:
    # Audio is paced in real time with a short lead: the last chunk may arrive up to the
    # reply's duration after the first, never much later.
    return turn.reply_wall_s is not None and turn.reply_wall_s <= turn.reply_audio_s + 0.5


@contextmanager
def _search(value: str | None) -> Iterator[None]:
    """The recognition search the emulator (and its workers) start with (None: the default)."""
    previous = os.environ.get(SEARCH_ENV)
    if value is None:
        os.environ.pop(SEARCH_ENV, None)
    else:
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
    for search in ctx.pick(LOAD_SEARCHES, LOAD_SEARCHES[-1:]):
        metrics += await _profile(LOAD_PROFILE, pcm, levels, search)
    # One Whisper thread serves every auto session: fewer levels.
    metrics += await _profile("auto", pcm, ctx.pick([1, 2, 3, 4, 6], [1, 2, 4]), None)
    metrics += await _profile("deterministic", pcm, levels, None)
    return metrics


async def _profile(profile: str, pcm: bytes, levels: list[int], search: str | None) -> list[Metric]:
    label = f"{profile} ({search})" if search else profile
    rng = random.Random(7)
    with _search(search):
        emulator = EmulatorProcess(profile=profile, preload=True, startup_timeout=90)
        await asyncio.to_thread(emulator.start)
    metrics: list[Metric] = []
    sustained = 0
    single: float | None = None
    loop = calibration_loop()
    try:
        await _level(emulator.url, pcm, 1, rng, profile)  # warm-up
        for n in levels:
            turns = await _level(emulator.url, pcm, n, rng, profile)
            latencies = [1000 * t.first_tts for t in turns if t.first_tts is not None]
            if n == 1:
                if not latencies:
                    if profile == LOAD_PROFILE:
                        raise Skip(f"no reply from the {profile} engines")
                    return [Metric.single(f"{label}: no reply (not installed?)", "", 0)]
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
                    f"{label}: {n:>2} sessions: speech end -> first TTS",
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
    tested = levels[min(len(metrics), len(levels)) - 1]
    judged = profile == LOAD_PROFILE
    metrics.append(
        Metric.single(
            f"{label}: sessions sustained on {os.cpu_count()} cores",
            "",
            sustained,
            goal=Goal(calibrated(f">= {TARGET}", loop), sustained >= TARGET) if judged else None,
            note=f"highest level tested {tested}; "
            + ("more may fit" if sustained == tested else "the next level fell behind"),
        )
    )
    return metrics


SPEC = BenchSpec("emulator_capacity", "concurrent real-time sessions on this machine", run)
