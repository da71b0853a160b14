"""Word error rate of each engine profile's recogniser on our own test sentences.

Every sentence is spoken by espeak-ng (voices ``en-us``, ``en-us+f3``, ``en+m3`` at 140, 175
and 200 words per minute) and by the Piper voice, resampled to 16 kHz with the silence a real
turn carries around it, and fed to the profile's recogniser in 100 ms chunks as the emulator
does (interims included), then the utterance is ended and its final transcript scored with
``jiwer`` after normalisation (lower case, punctuation removed, English contractions
expanded: "I'm" = "I am"). Each voice first says one unscored warm-up sentence, as a speaker
would at the start of a session (PocketSphinx adapts to the speaker across utterances).

Profiles come from the emulator's registry; profiles that share one kind of recogniser are
measured once (the row names them all). ``deterministic`` is not measured: its recogniser plays
back a script, so a WER would mean nothing. WER does not depend on the machine's speed; the
figures are the same on any machine with the same package versions.

Standalone: ``python -m benchmarks.bench_wer [--quick]``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import soxr

from .harness import BenchSpec, Context, Goal, Metric, Skip

SENTENCES = (
    "Hello, I am feeling really happy today",
    "Thank you very much for your help",
    "Can you remind me to water the plants on Friday",
    "What time is it now",
    "I would like a cup of coffee please",
    "The weather is nice today",
    "My name is Sam and I live in a small town",
    "Can you tell me a story",
)
WARM_UP = "Good morning, this is a short test of my voice."
"""Spoken first by every voice and not scored (see ``measure``)."""
ESPEAK_VOICES = ("en-us", "en-us+f3", "en+m3")
ESPEAK_RATES = (140, 175, 200)
QUICK_VOICES = (("en-us", 175), ("en-us+f3", 140), ("en+m3", 200))
CHUNK = 1600  # 100 ms at 16 kHz
NOT_MEASURED = {"deterministic": "its recogniser plays back a script"}
QUALITY_GOAL = 10.0
"""Overall WER (%) the best profile should stay under (Whisper: 0-2 % on such audio)."""


def _transform() -> Any:
    import jiwer

    return jiwer.Compose(
        [
            jiwer.ToLowerCase(),
            jiwer.ExpandCommonEnglishContractions(),
            jiwer.RemovePunctuation(),  # type: ignore[no-untyped-call]
            jiwer.RemoveMultipleSpaces(),
            jiwer.Strip(),
            jiwer.ReduceToListOfListOfWords(),
        ]
    )


def _to_engine_rate(audio: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    speech = np.asarray(soxr.resample(audio, 24_000, 16_000), np.int16)
    return np.concatenate([np.zeros(4800, np.int16), speech, np.zeros(9600, np.int16)])


def _voices(quick: bool) -> list[tuple[str, Callable[[str], Any]]]:
    """(label, synthesize) for each speaker: espeak-ng voices and rates, then Piper."""
    from nextevi_widgets.emulator.engines.base import EngineUnavailableError
    from nextevi_widgets.emulator.engines.tts import (
        EspeakSynthesizer,
        PiperSynthesizer,
        VoiceStyle,
    )

    espeak = EspeakSynthesizer()
    pairs = QUICK_VOICES if quick else tuple((v, r) for v in ESPEAK_VOICES for r in ESPEAK_RATES)
    voices: list[tuple[str, Callable[[str], Any]]] = []
    for voice, rate in pairs:
        synth = espeak.with_style(**vars(VoiceStyle(voice=voice, rate=rate)))
        voices.append((f"espeak {voice} @{rate}", synth.synthesize))
    with contextlib.suppress(EngineUnavailableError):
        voices.append(("piper joe", PiperSynthesizer().synthesize))
    return voices


@dataclass
class ProfileRow:
    names: list[str]
    stt: Any
    kind: str
    hypotheses: dict[str, list[str]] = field(default_factory=dict)


def _profiles() -> tuple[list[ProfileRow], list[str]]:
    """One row per kind of recogniser among the registered profiles, best first; and the
    profiles left out with the reason."""
    from nextevi_widgets.emulator.engines.base import EngineUnavailableError
    from nextevi_widgets.emulator.profiles import get_engine_set, profile_names

    rows: dict[str, ProfileRow] = {}
    skipped: list[str] = []
    names = sorted(profile_names(), key=lambda n: (n not in ("auto", "whisper"), n))
    for name in names:
        if name in NOT_MEASURED:
            skipped.append(f"{name}: not measured ({NOT_MEASURED[name]})")
            continue
        try:
            stt = get_engine_set(name).stt
        except EngineUnavailableError as exc:
            skipped.append(f"{name}: not installed ({exc})")
            continue
        kind = f"{type(stt).__module__}.{type(stt).__qualname__}"
        if kind in rows:
            rows[kind].names.append(name)
        else:
            rows[kind] = ProfileRow([name], stt, type(stt).__name__)
    return list(rows.values()), skipped


def _recognise(stt: Any, audio: np.ndarray[Any, Any]) -> str:
    stt.start_utterance()
    for i in range(0, audio.size, CHUNK):
        stt.feed(audio[i : i + CHUNK])
    return str(stt.end_utterance().text)


def _wer(references: Sequence[str], hypotheses: Sequence[str]) -> tuple[float, int]:
    import jiwer

    transform = _transform()
    out = jiwer.process_words(
        list(references),
        list(hypotheses),
        reference_transform=transform,
        hypothesis_transform=transform,
    )
    words = out.hits + out.substitutions + out.deletions
    return 100.0 * out.wer, words


def measure(quick: bool) -> tuple[list[Metric], list[str]]:
    """All metrics, and printable lines (per profile, per voice)."""
    try:
        import jiwer  # noqa: F401
    except ImportError as exc:
        raise Skip("jiwer is not installed (pip install -e '.[dev]')") from exc
    sentences = SENTENCES[:4] if quick else SENTENCES
    rows, skipped = _profiles()
    if not rows:
        raise Skip("no profile with a speech recogniser is installed")
    voices = _voices(quick)
    audio = {
        label: [_to_engine_rate(np.asarray(speak(s), np.int16)) for s in (WARM_UP, *sentences)]
        for label, speak in voices
    }
    metrics: list[Metric] = []
    lines: list[str] = []
    best: float | None = None
    for row in rows:
        label = " = ".join(row.names)
        refs: list[str] = []
        hyps: list[str] = []
        families: dict[str, tuple[list[str], list[str]]] = {"espeak": ([], []), "piper": ([], [])}
        lines.append(f"{label} ({row.kind})")
        for voice, (warm_up, *clips) in audio.items():
            # PocketSphinx adapts its cepstral mean across utterances, so a new speaker is
            # heard worse at first, and better or worse depending on who spoke before. One
            # unscored utterance per voice starts each voice from its own state.
            _recognise(row.stt, warm_up)
            heard = [_recognise(row.stt, clip) for clip in clips]
            row.hypotheses[voice] = heard
            wer, words = _wer(sentences, heard)
            lines.append(f"  {voice:22s} WER {wer:5.1f} % over {words} words")
            metrics.append(Metric.single(f"{label}: {voice}", "%", wer))
            refs += sentences
            hyps += heard
            bucket = families["piper" if voice.startswith("piper") else "espeak"]
            bucket[0].extend(sentences)
            bucket[1].extend(heard)
        for family, (f_refs, f_hyps) in families.items():
            if f_refs:
                wer, words = _wer(f_refs, f_hyps)
                lines.append(f"  {family + ' voices':22s} WER {wer:5.1f} % over {words} words")
                metrics.append(Metric.single(f"{label}: all {family} voices", "%", wer))
        overall, words = _wer(refs, hyps)
        lines.append(f"  {'overall':22s} WER {overall:5.1f} % over {words} words")
        best = overall if best is None else min(best, overall)
        metrics.append(
            Metric.single(
                f"{label}: overall",
                "%",
                overall,
                note=f"{words} words, {len(audio)} voices; recogniser {row.kind}",
            )
        )
    if best is not None:
        metrics.append(
            Metric.single(
                "best profile, overall",
                "%",
                best,
                goal=Goal(f"<= {QUALITY_GOAL:g} %", best <= QUALITY_GOAL),
                note="; ".join(skipped) if skipped else "",
            )
        )
    lines += [f"skipped {s}" for s in skipped]
    return metrics, lines


async def run(ctx: Context) -> list[Metric]:
    metrics, lines = await asyncio.to_thread(measure, ctx.quick)
    print("\n".join(lines), flush=True)
    return metrics


SPEC = BenchSpec("wer", "word error rate per engine profile on espeak-ng and Piper speech", run)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_wer")
    parser.add_argument("--quick", action="store_true", help="3 voices, 4 sentences")
    args = parser.parse_args()
    _, lines = measure(args.quick)
    print("\n".join(lines))


if __name__ == "__main__":
    main()
