"""The emulator's emotion scores point the right way on labelled speech.

Each example is a sentence spoken in a style that matches its label — espeak-ng with pitch,
rate and loudness settings (``-p/-s/-a``) across several voices and rates, and the Piper voice
with matching speed and volume — run through the real analyser with its own text, as the
emulator does with a final transcript. The top emotion must be the label: a plain request or
statement leads with ``neutral``, cheerful text and voice with ``joy``, sad with ``sadness``,
angry with ``anger``.

``TUNING`` are the sentences the scoring weights were checked against while they were set.
``HELD_OUT`` sentences, voices and rates were written afterwards; their first run missed 5
of 52 examples, and two general changes followed (cue words match by stem — "outrageous"
as "outrag*" —, and intensifiers inside cue phrases are skipped — "feel really down"), after
which one miss is left ("Set an alarm…": VADER scores "alarm" as negative). ``FRESH`` was
written after those changes and never used to adjust anything. Held-out sets are judged by
accuracy (every label, and overall), not example by example: the scores are heuristics.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np
import pytest
from engine_support import Int16Array, to_engine_rate

from nextevi_widgets.emulator.engines.base import EngineUnavailableError
from nextevi_widgets.emulator.engines.emotion import ProsodyEmotionAnalyzer
from nextevi_widgets.emulator.engines.tts import EspeakSynthesizer, VoiceStyle

pytestmark = pytest.mark.engines

LABELS = ("neutral", "joy", "sadness", "anger")
NO_PIPER = "the Piper voice is not installed (pip install 'nextevi-widgets[emulator]')"

TUNING: dict[str, tuple[str, ...]] = {
    "neutral": (
        "Can you remind me to water the plants on Friday?",
        "Please set a timer for ten minutes.",
        "The train leaves at seven in the morning.",
        "What time is it?",
    ),
    "joy": (
        "I am so happy today, this is wonderful!",
        "I got the job, I'm thrilled!",
        "What a fantastic day, I love it!",
    ),
    "sadness": (
        "I feel so sad and lonely today.",
        "My dog died last week and I miss him.",
        "Nothing is going right, I feel hopeless.",
    ),
    "anger": (
        "I am furious, this is completely unacceptable!",
        "Stop it, I hate when people lie to me!",
        "This stupid machine broke again and I am so angry!",
    ),
}

HELD_OUT: dict[str, tuple[str, ...]] = {
    "neutral": (
        "Remind me to call the dentist tomorrow morning",
        "How far is it from here to the station",
        "I usually take the bus to work",
        "Set an alarm for half past six",
    ),
    "joy": (
        "My sister had a baby girl, we are all so delighted",
        "This is the best birthday ever, thank you so much",
        "We finally finished the project and it looks amazing",
    ),
    "sadness": (
        "I miss my grandmother so much since she passed away",
        "Everyone forgot my birthday and I feel really down",
        "I failed the exam again and I feel miserable",
    ),
    "anger": (
        "I am so annoyed, they ignored my complaint again",
        "This is outrageous, I want my money back right now",
        "I'm fed up with the noise from next door, it makes me mad",
    ),
}

FRESH: dict[str, tuple[str, ...]] = {
    "neutral": (
        "Add eggs and butter to my shopping list",
        "When does the library close on Saturdays",
        "I parked the car behind the building",
    ),
    "joy": (
        "Yay, the holidays start tomorrow, I can't wait, it's going to be great",
        "I passed my driving test, I'm so excited",
    ),
    "sadness": (
        "I feel so lonely since my best friend moved away",
        "My cat is sick and I am really sad about it",
    ),
    "anger": (
        "I'm so angry, the landlord kept my deposit for no reason",
        "This is ridiculous, the bus drivers ignored us again and I hate it",
    ),
}

# espeak-ng renditions: a neutral delivery and one per emotion, relative to a base rate.
_ESPEAK_STYLE: dict[str, Callable[[int], dict[str, int]]] = {
    "neutral": lambda rate: {"rate": rate, "pitch": 50, "amplitude": 100},
    "joy": lambda rate: {"rate": rate + 35, "pitch": 80, "amplitude": 170},
    "sadness": lambda rate: {"rate": rate - 50, "pitch": 20, "amplitude": 45, "word_gap": 3},
    "anger": lambda rate: {"rate": rate + 25, "pitch": 40, "amplitude": 200},
}
# Piper: (length_scale, volume) — slower and quieter for sad, faster and louder for the rest.
_PIPER_STYLE = {"neutral": (1.0, 1.0), "joy": (0.85, 1.6), "sadness": (1.35, 0.45)}
_PIPER_STYLE["anger"] = (0.85, 2.0)

TUNING_VOICES = (("en-us", 175), ("en-us+f3", 140), ("en+m3", 200))
HELD_OUT_VOICES = (("en-us", 160), ("en-us+f3", 190), ("en+m3", 150), ("en-gb", 175))
FRESH_VOICES = (("en-us+f2", 170), ("en-us+m1", 185), ("en+f4", 155))


@dataclass(frozen=True)
class Example:
    label: str
    text: str
    voice: str  # "piper" or "<espeak voice>@<rate>"

    @property
    def id(self) -> str:
        return f"{self.label}-{self.voice}-{self.text[:24]}"


def _examples(
    sentences: dict[str, tuple[str, ...]], voices: tuple[tuple[str, int], ...]
) -> Iterator[Example]:
    """Every sentence once with piper and with two espeak voices, rotating through
    ``voices`` so each voice and rate speaks every label."""
    for label in LABELS:
        for i, text in enumerate(sentences[label]):
            for k in (i, i + 1):
                voice, rate = voices[k % len(voices)]
                yield Example(label, text, f"{voice}@{rate}")
            yield Example(label, text, "piper")


TUNING_EXAMPLES = list(_examples(TUNING, TUNING_VOICES))
HELD_OUT_EXAMPLES = list(_examples(HELD_OUT, HELD_OUT_VOICES)) + list(
    _examples(FRESH, FRESH_VOICES)
)


class Voices:
    """espeak-ng (CLI or library) and, when installed, Piper with speed and volume."""

    def __init__(self) -> None:
        self.espeak = EspeakSynthesizer()
        try:
            from nextevi_widgets.emulator.engines.tts import _load_piper

            self.piper = _load_piper()
        except EngineUnavailableError:
            self.piper = None

    def speak(self, example: Example) -> Int16Array:
        if example.voice == "piper":
            return self._piper(example.text, *_PIPER_STYLE[example.label])
        voice, rate = example.voice.split("@")
        style = VoiceStyle(voice=voice, **_ESPEAK_STYLE[example.label](int(rate)))
        synth = self.espeak.with_style(**vars(style))
        return to_engine_rate(synth.synthesize(example.text))

    def _piper(self, text: str, length_scale: float, volume: float) -> Int16Array:
        if self.piper is None:
            pytest.skip(NO_PIPER)
        from piper import SynthesisConfig

        from nextevi_widgets.emulator.engines.tts import _to_output_rate

        config = SynthesisConfig(
            length_scale=length_scale, volume=volume, noise_scale=0.0, noise_w_scale=0.0
        )
        parts, rate = [], 22_050
        with self.piper.lock:
            for chunk in self.piper.voice.synthesize(text, config):
                rate = int(chunk.sample_rate)
                parts.append(np.asarray(chunk.audio_int16_array, dtype=np.int16).reshape(-1))
        return to_engine_rate(_to_output_rate(np.concatenate(parts), rate))


@pytest.fixture(scope="module")
def voices() -> Voices:
    return Voices()


def _top(voices: Voices, example: Example) -> tuple[str, dict[str, float]]:
    # A fresh analyser: the first utterance of a session, judged against the prior alone.
    scores = ProsodyEmotionAnalyzer().analyze(voices.speak(example), example.text)
    return max(scores, key=scores.__getitem__), scores


@pytest.mark.parametrize("example", TUNING_EXAMPLES, ids=lambda e: e.id)
def test_top_emotion_matches_the_label(voices: Voices, example: Example) -> None:
    top, scores = _top(voices, example)
    assert top == example.label, scores


def test_top_emotion_matches_the_label_on_held_out_sentences_and_voices(voices: Voices) -> None:
    if voices.piper is None:
        pytest.skip(NO_PIPER)
    misses = []
    for example in HELD_OUT_EXAMPLES:
        top, _ = _top(voices, example)
        if top != example.label:
            misses.append(f"{example.id}: {top}")
    for label in LABELS:
        total = sum(1 for e in HELD_OUT_EXAMPLES if e.label == label)
        wrong = sum(1 for m in misses if m.startswith(f"{label}-"))
        assert wrong <= total // 4, misses  # at least 75 % per label
    assert len(misses) <= len(HELD_OUT_EXAMPLES) // 10, misses  # at least 90 % overall


def test_the_voice_moves_the_scores_when_the_words_do_not(voices: Voices) -> None:
    """Same neutral words: the sad delivery scores more sadness and less joy than the
    cheerful one, and the angry delivery scores more anger than the sad one."""
    text = "They moved the meeting to Thursday afternoon"
    scores = {}
    for label in LABELS:
        scores[label] = _top(voices, Example(label, text, "en-us@175"))[1]
    assert scores["sadness"]["sadness"] > scores["joy"]["sadness"]
    assert scores["joy"]["joy"] > scores["sadness"]["joy"]
    assert scores["anger"]["anger"] > scores["sadness"]["anger"]
    assert max(scores["neutral"], key=scores["neutral"].__getitem__) == "neutral"
