"""Emulator turn latency with the real offline engines (profile ``default``): end of user speech
-> first ``tts_chunk``, split into the configured silence wait and the processing after the
end-of-turn decision. Baseline: the same turns through the deterministic engines (no speech
processing), which shows the floor set by VAD framing, pacing and the socket."""

from __future__ import annotations

import asyncio

from nextevi_widgets.emulator import EmulatorProcess

from .emu_turns import API_KEY, TurnRunner, TurnTiming, espeak_utterance
from .harness import BenchSpec, Context, Goal, Metric, Skip, median, summarize

SILENCE = 0.5
UTTERANCE = "Hello there, I am feeling really happy today."


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
    count = ctx.pick(8, 2)
    real = await _turns("default", pcm, count, warm_up=True)
    base = await _turns("deterministic", pcm, count, warm_up=False)
    total = _ms([t.first_tts for t in real])
    if not total:
        raise Skip("the default engines produced no reply (is the engine stack installed?)")
    base_total = _ms([t.first_tts for t in base])
    processing = [t - 1000 * SILENCE for t in total]
    base_processing = [t - 1000 * SILENCE for t in base_total]
    p50 = median(processing)
    return [
        Metric.from_samples(
            "speech end -> first tts_chunk",
            "ms",
            total,
            baseline=summarize(base_total),
            ratio=median(total) / median(base_total) if base_total else None,
            note="baseline: deterministic engines, same audio and settings; ratio of medians",
        ),
        Metric.single("  silence wait (configured silence_threshold)", "ms", 1000 * SILENCE),
        Metric.from_samples(
            "  processing after end of turn",
            "ms",
            processing,
            baseline=summarize(base_processing),
            goal=Goal("p50 <= 400 ms", p50 <= 400),
            note="first tts_chunk minus the silence wait: VAD hangover framing, STT end of "
            "utterance, reply, TTS of the first sentence, socket",
        ),
        Metric.from_samples(
            "speech end -> final transcript", "ms", _ms([t.final_transcript for t in real])
        ),
        Metric.single(
            "errors during the turns", "", sum(t.errors for t in real) + sum(t.errors for t in base)
        ),
    ]


SPEC = BenchSpec("emulator_latency", "end of speech -> first TTS with the real engines", run)
