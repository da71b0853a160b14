"""How many concurrent real-time sessions the emulator (one process) sustains on this machine,
per engine profile: ``lite`` (the load-test stack, goal >= 10), ``auto`` (Whisper finals: its
figure is reported, not judged) and ``deterministic`` (the no-speech baseline).

Levels of N sessions each run one user turn at the same time (starts
staggered over a second, as real users are); a level is sustained when every turn is answered
without errors, reply latency stays bounded (p95 of end of speech -> first TTS within twice the
single-session median plus 250 ms) and assistant audio keeps real-time pace.

The load generator (this process) runs on the same cores; its cost is part of the figure."""

from __future__ import annotations

import asyncio
import os
import random

from nextevi_widgets.emulator import EmulatorProcess

from .emu_turns import API_KEY, TurnRunner, TurnTiming, espeak_utterance
from .harness import BenchSpec, Context, Goal, Metric, Skip, median, p95

SILENCE = 0.5
UTTERANCE = "Hello there, I am feeling really happy today."
TARGET = 10
LOAD_PROFILE = "lite"
"""The profile the >= TARGET goal applies to."""
PROFILES = ("lite", "auto", "deterministic")


async def _one(url: str, pcm: bytes, delay: float) -> TurnTiming:
    await asyncio.sleep(delay)
    async with TurnRunner(url, SILENCE) as runner:
        return await runner.turn(pcm, timeout=45)


async def _level(
    base_url: str, pcm: bytes, n: int, rng: random.Random, profile: str = LOAD_PROFILE
) -> list[TurnTiming]:
    tasks = [
        _one(f"{base_url}/cap-{n}-{i}?api_key={API_KEY}&config_id={profile}", pcm, rng.random())
        for i in range(n)
    ]
    return list(await asyncio.gather(*tasks))


def _keeps_pace(turn: TurnTiming) -> bool:
    # Audio is paced in real time with a short lead: the last chunk may arrive up to the
    # reply's duration after the first, never much later.
    return turn.reply_wall_s is not None and turn.reply_wall_s <= turn.reply_audio_s + 0.5


async def run(ctx: Context) -> list[Metric]:
    pcm = espeak_utterance(UTTERANCE, ctx.workdir)
    metrics: list[Metric] = []
    for profile in PROFILES:
        levels = ctx.pick([1, 2, 4, 6, 8, 10, 12], [1, 4, 8])
        if profile == "auto":  # one Whisper thread serves every session
            levels = ctx.pick([1, 2, 3, 4, 6], [1, 2, 4])
        metrics += await _profile(profile, pcm, levels)
    return metrics


async def _profile(profile: str, pcm: bytes, levels: list[int]) -> list[Metric]:
    rng = random.Random(7)
    emulator = EmulatorProcess(profile=profile, preload=True, startup_timeout=90)
    await asyncio.to_thread(emulator.start)
    metrics: list[Metric] = []
    sustained = 0
    single: float | None = None
    try:
        await _level(emulator.url, pcm, 1, rng, profile)  # warm-up
        for n in levels:
            turns = await _level(emulator.url, pcm, n, rng, profile)
            latencies = [1000 * t.first_tts for t in turns if t.first_tts is not None]
            if n == 1:
                if not latencies:
                    if profile == LOAD_PROFILE:
                        raise Skip(f"no reply from the {profile} engines")
                    return [Metric.single(f"{profile}: no reply (not installed?)", "", 0)]
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
                    f"{profile}: {n:>2} sessions: speech end -> first TTS",
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
    metrics.append(
        Metric.single(
            f"{profile}: sessions sustained on {os.cpu_count()} cores",
            "",
            sustained,
            goal=Goal(f">= {TARGET}", sustained >= TARGET) if profile == LOAD_PROFILE else None,
            note=f"highest level tested {tested}; "
            + ("more may fit" if sustained == tested else "the next level fell behind"),
        )
    )
    return metrics


SPEC = BenchSpec("emulator_capacity", "concurrent real-time sessions on this machine", run)
