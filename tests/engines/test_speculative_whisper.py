"""Whisper finals decoded speculatively while the silence window runs, and the engines' own
word confidences (Whisper probabilities, PocketSphinx lattice posteriors) on clean and noisy
speech. The Whisper model loads once per test process (a module-level singleton)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
import soxr
from engine_support import Int16Array, words_of

from nextevi_widgets.emulator.engines.base import ENGINE_SAMPLE_RATE, RecognitionResult
from nextevi_widgets.emulator.engines.stt import (
    DecoderPool,
    PocketSphinxRecognizer,
    SpeculativeWhisperRecognizer,
    whisper_available,
)

pytestmark = [
    pytest.mark.engines,
    pytest.mark.skipif(not whisper_available(), reason="needs nextevi-widgets[emulator]"),
]

FIRST = "I feel terrible and sad about my job"
SECOND = "and then we can go to the park"


def quiet(seconds: float) -> Int16Array:
    return np.zeros(round(seconds * ENGINE_SAMPLE_RATE), np.int16)


def feed(rec: SpeculativeWhisperRecognizer, audio: Int16Array) -> None:
    for i in range(0, audio.size, 480):  # 30 ms, as the VAD frames it
        rec.feed(audio[i : i + 480])


def one_turn(rec: SpeculativeWhisperRecognizer, speech: Int16Array) -> RecognitionResult:
    """Speech, the pause the turn detector reports after 0.12 s of silence, the rest of the
    0.6 s silence window, end of turn."""
    rec.start_utterance()
    feed(rec, speech)
    feed(rec, quiet(0.12))
    rec.pause()
    feed(rec, quiet(0.48))
    return rec.end_utterance()


def turn_with_a_resumed_pause(
    rec: SpeculativeWhisperRecognizer, first: Int16Array, second: Int16Array
) -> RecognitionResult:
    rec.start_utterance()
    feed(rec, first)
    feed(rec, quiet(0.12))
    rec.pause()  # the early decode starts here: it only knows the first half
    feed(rec, quiet(0.15))
    rec.resume()
    feed(rec, second)
    feed(rec, quiet(0.12))
    rec.pause()
    feed(rec, quiet(0.48))
    return rec.end_utterance()


@pytest.fixture(scope="module")
def clips(speak: Callable[..., Int16Array]) -> dict[str, Int16Array]:
    tail = round(0.6 * ENGINE_SAMPLE_RATE)  # speak() pads 0.3 s before and 0.6 s after
    return {"first": speak(FIRST)[:-tail], "second": speak(SECOND)[4800:-tail]}


def test_speculative_final_equals_the_decode_at_end_of_turn(clips: dict[str, Int16Array]) -> None:
    speculative = SpeculativeWhisperRecognizer(speculate=True)
    plain = SpeculativeWhisperRecognizer(speculate=False)
    early = one_turn(speculative, clips["first"])
    late = one_turn(plain, clips["first"])
    assert (speculative.speculations_used, plain.speculations_used) == (1, 0)
    assert early == late
    assert words_of(early.text) == words_of(FIRST)


def test_a_pause_that_speech_resumes_discards_the_early_decode(
    clips: dict[str, Int16Array],
) -> None:
    speculative = SpeculativeWhisperRecognizer(speculate=True)
    plain = SpeculativeWhisperRecognizer(speculate=False)
    result = turn_with_a_resumed_pause(speculative, clips["first"], clips["second"])
    reference = turn_with_a_resumed_pause(plain, clips["first"], clips["second"])
    assert speculative.speculations_discarded == 1
    assert speculative.speculations_used == 1
    assert result == reference
    # The early decode heard only the first half; the final has both.
    heard = words_of(result.text)
    assert heard[: len(words_of(FIRST))] == words_of(FIRST)
    assert {"go", "park"} <= set(heard)


def test_interims_come_from_the_streaming_recogniser(clips: dict[str, Int16Array]) -> None:
    rec = SpeculativeWhisperRecognizer(PocketSphinxRecognizer())
    rec.start_utterance()
    partials = [
        p
        for i in range(0, clips["first"].size, 1600)
        if (p := rec.feed(clips["first"][i : i + 1600]))
    ]
    result = rec.end_utterance()
    assert partials  # PocketSphinx's words while the user speaks
    assert words_of(result.text) == words_of(FIRST)  # Whisper's at the end


def test_closing_releases_the_interim_decoder_now(clips: dict[str, Int16Array]) -> None:
    pool = DecoderPool(max_idle=0)  # a released decoder is freed, so leased counts it exactly
    rec = SpeculativeWhisperRecognizer(PocketSphinxRecognizer(pool=pool))
    rec.start_utterance()
    rec.feed(clips["first"][:4800])
    rec.pause()  # a speculative decode in flight
    assert pool.leased == 1
    rec.close()  # the connection ended: no garbage collection involved (rec is still referenced)
    assert pool.leased == 0
    rec.close()  # idempotent
    assert pool.leased == 0


def noisy(audio: Int16Array, snr_db: float) -> Int16Array:
    rms = float(np.sqrt(np.mean(audio.astype(np.float64) ** 2)))
    noise = np.random.default_rng(7).normal(0.0, rms / 10 ** (snr_db / 20), audio.size)
    return np.clip(np.round(audio + noise), -32768, 32767).astype(np.int16)


def check_confidences(result: RecognitionResult) -> list[float]:
    assert result.confidence is not None
    assert 0.0 <= result.confidence <= 1.0
    scores = [w.confidence for w in result.words]
    assert scores
    assert all(s is not None and 0.0 <= s <= 1.0 for s in scores)
    return [float(s) for s in scores if s is not None]


def test_whisper_confidences_fall_when_speech_is_buried_in_noise(
    clips: dict[str, Int16Array],
) -> None:
    rec = SpeculativeWhisperRecognizer(speculate=False)
    clean = one_turn(rec, clips["first"])
    buried = one_turn(rec, noisy(clips["first"], 0.0))
    clean_words, buried_words = check_confidences(clean), check_confidences(buried)
    assert len(set(clean_words)) > 1  # per word, not one constant
    assert clean.confidence is not None
    assert buried.confidence is not None
    assert clean.confidence > buried.confidence
    assert np.mean(clean_words) > np.mean(buried_words)


SENTENCES = (
    "I would like a cup of coffee please",
    "Hello, I am feeling really happy today",
    "What time is it in London",
    "Please remind me to water the plants",
)


def test_pocketsphinx_posteriors_fall_when_speech_is_buried_in_noise() -> None:
    from nextevi_widgets.emulator.engines.base import EngineUnavailableError
    from nextevi_widgets.emulator.engines.tts import PiperSynthesizer

    try:
        voice = PiperSynthesizer()  # natural speech: PocketSphinx is sure of much of it
    except EngineUnavailableError:
        pytest.skip("needs the Piper voice")
    rec = PocketSphinxRecognizer()
    clean: list[float] = []
    buried: list[float] = []
    for sentence in SENTENCES:
        audio = np.asarray(soxr.resample(voice.synthesize(sentence), 24_000, 16_000), np.int16)
        audio = np.concatenate([quiet(0.3), audio, quiet(0.3)])
        for target, signal in ((clean, audio), (buried, noisy(audio, 10.0))):
            rec.start_utterance()
            rec.feed(signal)
            target += check_confidences(rec.end_utterance())
    assert len(set(clean)) > 1
    assert np.mean(clean) > np.mean(buried) + 0.1
