"""Emulator turn latency per engine profile: end of user speech -> first ``tts_chunk``, split
into the configured silence wait and the processing after the end-of-turn decision, for
``auto`` (the default: Whisper finals decoded speculatively, PocketSphinx interims, Piper or
espeak-ng) and ``lite`` (PocketSphinx, espeak-ng). Baseline: the same turns through the
deterministic engines (no speech processing), which shows the floor set by VAD framing, pacing
and the socket."""

from __future__ import annotations

import asyncio

from nextevi_widgets.emulator import EmulatorProcess

from .emu_turns import API_KEY, TurnRunner, TurnTiming, espeak_utterance
from .harness import BenchSpec, Context, Goal, Metric, Skip, median, summarize

SILENCE = 0.5
UTTERANCE = "Hello there, I am feeling really happy today."
GOALS_MS = {"auto": 250.0, "lite": 400.0}
"""Processing p50 goal per profile (issue: <= 250 ms with Whisper finals on 2 cores)."""


async def _turns(config_id: str, pcm: bytes, count: int, warm_up: bool) -> list[TurnTiming]:
    emulator = EmulatorProcess(profile=config_id, preload=True, startup_timeout=90)
    await asyncio.to_thread(emulator.start)
    try:
        url = f"{emulator.url}/bench-latency?api_key={API_KEY}&config_id={config_id}"
        async with TurnRunner(url, SILENCE) as runner:
            if warm_up:  # first-use costs (model loading) are not what is measured
                await runner.turn(pcm)
            return [await runner.turn(pcm) for _ in range(count)]
    finally:
        await asyncio.to_thread(emulator.stop)


def _ms(values: list[float | None]) -> list[float]:
    return [1000 * v for v in values if v is not None]


async def run(ctx: Context) -> list[Metric]:
    pcm = espeak_utterance(UTTERANCE, ctx.workdir)
    count = ctx.pick(8, 3)
    base = await _turns("deterministic", pcm, count, warm_up=False)
    base_total = _ms([t.first_tts for t in base])
    base_processing = [t - 1000 * SILENCE for t in base_total]
    metrics = [
        Metric.single("silence wait (configured silence_threshold)", "ms", 1000 * SILENCE),
        Metric.from_samples(
            "deterministic: processing after end of turn (baseline)", "ms", base_processing
        ),
    ]
    errors = sum(t.errors for t in base)
    measured = 0
    for profile, goal_ms in GOALS_MS.items():
        real = await _turns(profile, pcm, count, warm_up=True)
        errors += sum(t.errors for t in real)
        total = _ms([t.first_tts for t in real])
        if not total:
            metrics.append(Metric.single(f"{profile}: no reply (engines not installed?)", "", 0))
            continue
        measured += 1
        processing = [t - 1000 * SILENCE for t in total]
        p50 = median(processing)
        metrics += [
            Metric.from_samples(
                f"{profile}: speech end -> first tts_chunk",
                "ms",
                total,
                baseline=summarize(base_total),
                ratio=median(total) / median(base_total) if base_total else None,
                note="baseline: deterministic engines, same audio and settings; ratio of medians",
            ),
            Metric.from_samples(
                f"{profile}:   processing after end of turn",
                "ms",
                processing,
                baseline=summarize(base_processing),
                goal=Goal(f"p50 <= {goal_ms:.0f} ms", p50 <= goal_ms),
                note="first tts_chunk minus the silence wait: VAD hangover framing, STT end of "
                "utterance (auto: the speculative Whisper decode), reply, TTS of the first "
                "sentence, socket",
            ),
            Metric.from_samples(
                f"{profile}: speech end -> final transcript",
                "ms",
                _ms([t.final_transcript for t in real]),
            ),
        ]
    if not measured:
        raise Skip("no real engine profile replied (is the engine stack installed?)")
    metrics.append(Metric.single("errors during the turns", "", errors))
    return metrics


SPEC = BenchSpec(
    "emulator_latency", "end of speech -> first TTS per engine profile (auto, lite)", run
)
