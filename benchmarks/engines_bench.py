"""Per-call costs of the offline speech engines (and PocketSphinx word error rates).

Standalone: ``python -m benchmarks.engines_bench [--quick]`` prints a table. ``SPEC`` plugs
into the benchmark harness. Optional engines (Piper, Whisper, silero) are measured when
installed and skipped otherwise.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import soxr

from nextevi_widgets.emulator.engines.base import EngineUnavailableError, SpeechSynthesizer
from nextevi_widgets.emulator.engines.emotion import ProsodyEmotionAnalyzer
from nextevi_widgets.emulator.engines.responder import RuleResponder
from nextevi_widgets.emulator.engines.stt import (
    DecoderPool,
    PocketSphinxRecognizer,
    WhisperRecognizer,
    shared_decoder_pool,
)
from nextevi_widgets.emulator.engines.tts import EspeakSynthesizer, PiperSynthesizer, VoiceStyle
from nextevi_widgets.emulator.engines.vad import EnergyVad, SileroVad, WebRtcVad
from tests._harness.speech import word_errors

from .harness import BenchSpec, Context, Metric

SENTENCES = (
    "Hello, I am feeling really happy today",
    "Thank you very much for your help",
    "I would like a cup of coffee please",
    "Can you tell me a story",
    "The weather is nice today",
    "What time is it now",
)
CHUNK = 1600  # 100 ms at 16 kHz


def _ms(fn: Callable[..., Any], *args: Any) -> float:
    started = time.perf_counter()
    fn(*args)
    return (time.perf_counter() - started) * 1000


def _to16(audio: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    speech = np.asarray(soxr.resample(audio, 24_000, 16_000), np.int16)
    return np.concatenate([np.zeros(4800, np.int16), speech, np.zeros(9600, np.int16)])


def _tts_metrics(name: str, synth: SpeechSynthesizer, repeats: int) -> list[Metric]:
    synth.synthesize("Warm up.")
    samples = [_ms(synth.synthesize, s) for _ in range(repeats) for s in SENTENCES]
    return [Metric.from_samples(f"TTS {name}, one sentence (~2.5 s)", "ms", samples)]


def _stt_metrics(label: str, audios: dict[str, Any], make: Callable[[], Any]) -> list[Metric]:
    recognizer = make()
    feeds: list[float] = []
    ends: list[float] = []
    errors = words = 0
    for sentence, audio in audios.items():
        recognizer.start_utterance()
        for i in range(0, audio.size, CHUNK):
            chunk = audio[i : i + CHUNK]
            feeds.append(_ms(recognizer.feed, chunk))
        started = time.perf_counter()
        text = recognizer.end_utterance().text
        ends.append((time.perf_counter() - started) * 1000)
        e, n = word_errors(sentence, text)
        errors, words = errors + e, words + n
    return [
        Metric.from_samples(f"STT {label}: feed per 100 ms chunk", "ms", feeds),
        Metric.from_samples(f"STT {label}: end_utterance", "ms", ends),
        Metric.single(f"STT {label}: WER over {words} words", "%", 100.0 * errors / words),
    ]


def _lease(pool: DecoderPool | None = None) -> None:
    PocketSphinxRecognizer(pool=pool).start_utterance()  # the decoder is leased at first use


def _classify(vad: Any, frames: list[Any]) -> None:
    for frame in frames:
        vad.is_speech(frame)


def _reply(responder: RuleResponder, text: str) -> None:
    "".join(responder.respond(text, {"neutral": 0.6}))


def _optional(build: Callable[[], list[Metric]]) -> list[Metric]:
    try:
        return build()
    except EngineUnavailableError:
        return []


async def run(ctx: Context) -> list[Metric]:
    return await asyncio.to_thread(_run, ctx.quick)


def _run(quick: bool) -> list[Metric]:
    repeats = 1 if quick else 3
    metrics: list[Metric] = []

    espeak = EspeakSynthesizer(VoiceStyle(voice="en-us+f3"))
    metrics += _tts_metrics(f"espeak-ng ({espeak.transport})", espeak, repeats)
    if espeak.transport == "cli":
        metrics += _tts_metrics("espeak-ng (library)", EspeakSynthesizer(transport="library"), 3)
    piper: PiperSynthesizer | None = None
    try:
        load = _ms(lambda: PiperSynthesizer())
        piper = PiperSynthesizer()
        metrics.append(Metric.single("Piper voice load (first)", "ms", load))
        metrics += _tts_metrics("Piper", piper, repeats)
    except EngineUnavailableError:
        pass

    creations = []
    for _ in range(2 if quick else 4):
        pool = DecoderPool()
        creations.append(_ms(_lease, pool))
        gc.collect()
    metrics.append(Metric.from_samples("PocketSphinx decoder creation", "ms", creations))
    shared_decoder_pool().preload()
    metrics.append(
        Metric.from_samples(
            "PocketSphinx lease from a warm pool",
            "ms",
            [_ms(_lease) for _ in range(5)],
        )
    )

    espeak_audio = {s: _to16(espeak.synthesize(s)) for s in SENTENCES}
    lm_pool = DecoderPool()
    metrics += _stt_metrics(
        "PocketSphinx LM, espeak", espeak_audio, lambda: PocketSphinxRecognizer(pool=lm_pool)
    )
    metrics += _stt_metrics(
        "PocketSphinx phrases, espeak",
        espeak_audio,
        lambda: PocketSphinxRecognizer(SENTENCES, pool=DecoderPool()),
    )
    if piper is not None:
        piper_audio = {s: _to16(piper.synthesize(s)) for s in SENTENCES}
        metrics += _stt_metrics(
            "PocketSphinx LM, Piper", piper_audio, lambda: PocketSphinxRecognizer(pool=lm_pool)
        )
    metrics += _optional(
        lambda: [Metric.single("Whisper model load (first)", "ms", _ms(WhisperRecognizer))]
    )
    metrics += _optional(
        lambda: _stt_metrics("Whisper tiny.en, espeak", espeak_audio, WhisperRecognizer)
    )

    analyzer = ProsodyEmotionAnalyzer()
    emotion = [_ms(analyzer.analyze, a, s) for _ in range(repeats) for s, a in espeak_audio.items()]
    metrics.append(Metric.from_samples("emotion analyze, one utterance (~3 s)", "ms", emotion))

    stream = np.concatenate(list(espeak_audio.values()))
    vads: list[tuple[str, Callable[[], Any]]] = [("WebRTC", WebRtcVad), ("energy", EnergyVad)]
    vads.append(("silero", SileroVad))
    for name, make in vads:
        try:
            vad = make()
        except EngineUnavailableError:
            continue
        n = vad.frame_samples
        frames = [stream[i : i + n] for i in range(0, stream.size - n + 1, n)]
        total = _ms(_classify, vad, frames)
        per_10ms = 1000 * total / (stream.size / 160)
        metrics.append(Metric.single(f"VAD {name}, per 10 ms of audio", "us", per_10ms))

    responder = RuleResponder()
    replies = [_ms(_reply, responder, s) for _ in range(repeats) for s in SENTENCES]
    metrics.append(Metric.from_samples("rule responder, one reply", "ms", replies))
    return metrics


SPEC = BenchSpec("engines", "offline speech engine per-call costs and WER", run)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    ctx = Context(quick=args.quick, workdir=Path(tempfile.mkdtemp(prefix="nextevi-bench-")))
    for m in asyncio.run(run(ctx)):
        if m.value is not None:
            print(f"{m.name:<48} {m.value:10.2f} {m.unit}")
        else:
            print(f"{m.name:<48} {m.median:10.2f} {m.unit} median  {m.p95:8.2f} p95  n={m.n}")


if __name__ == "__main__":
    main()
