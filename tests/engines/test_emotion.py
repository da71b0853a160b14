"""Prosody features and emotion scores on real espeak-ng renditions and pure tones."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
from engine_support import Int16Array

from nextevi_widgets.client.messages import EMOTION_NAMES
from nextevi_widgets.emulator.engines.base import EmotionAnalyzer
from nextevi_widgets.emulator.engines.emotion import (
    ProsodyEmotionAnalyzer,
    emotional_valence,
    project_emotions,
    text_valence,
)
from nextevi_widgets.emulator.engines.prosody import count_syllables, extract_prosody, yin_pitch
from nextevi_widgets.emulator.engines.tts import EXCITED, NEUTRAL, SAD

pytestmark = pytest.mark.engines

SENTENCES = (
    "The train leaves at seven in the morning",
    "I went to the market and bought some bread",
    "Hello, I am feeling really happy today",
)
STYLES = {"sad": SAD, "neutral": NEUTRAL, "excited": EXCITED}


def activated(scores: dict[str, float]) -> float:
    return scores["anger"] + scores["joy"] + scores["surprise"] + scores["fear"]


@pytest.mark.parametrize("f0", [90.0, 150.0, 240.0, 380.0])
def test_yin_finds_the_pitch_of_a_tone(f0: float) -> None:
    t = np.arange(16_000) / 16_000
    tone = 0.3 * np.sin(2 * np.pi * f0 * t) + 0.1 * np.sin(2 * np.pi * 2 * f0 * t)
    pitch, level = yin_pitch((tone * 32767).astype(np.int16))
    assert np.nanmedian(pitch) == pytest.approx(f0, rel=0.01)
    assert np.isfinite(pitch).mean() > 0.9
    assert level.max() > -20.0


def test_noise_is_unvoiced(noise: Callable[[float, float], Int16Array]) -> None:
    features = extract_prosody(noise(1.0, -20.0))
    assert features.voiced_ratio < 0.1


def test_silence_has_no_features() -> None:
    features = extract_prosody(np.zeros(16_000, np.int16))
    assert features.duration == 0.0
    assert not features.voiced


def test_syllable_count() -> None:
    assert count_syllables("Hello, I am feeling really happy today") == 12
    assert count_syllables("") == 0


def test_styles_move_the_prosodic_features(speak: Callable[..., Int16Array]) -> None:
    text = SENTENCES[0]
    sad, neutral, excited = (extract_prosody(speak(text, **vars(s)), text) for s in STYLES.values())
    assert sad.f0_median < neutral.f0_median < excited.f0_median
    assert sad.loudness_db < neutral.loudness_db < excited.loudness_db
    assert sad.speaking_rate < neutral.speaking_rate < excited.speaking_rate
    # Without a transcript the rate comes from energy peaks, which still order the styles.
    blind = [extract_prosody(speak(text, **vars(s))).speaking_rate for s in STYLES.values()]
    assert blind == sorted(blind)


@pytest.mark.parametrize("sentence", SENTENCES)
def test_arousal_orders_sad_neutral_excited_in_a_fresh_session(
    speak: Callable[..., Int16Array], sentence: str
) -> None:
    """The first utterance of a session (no baseline yet) already gets a sensible arousal."""
    arousal = {}
    group = {}
    sadness = {}
    for name, style in STYLES.items():
        analyzer = ProsodyEmotionAnalyzer()
        audio = speak(sentence, **vars(style))
        arousal[name] = analyzer.arousal(audio)
        scores = analyzer.analyze(audio, sentence)
        # With a transcript the speaking rate is counted in syllables rather than peaks.
        assert analyzer.last_arousal == pytest.approx(arousal[name], abs=0.1)
        group[name] = activated(scores)
        sadness[name] = scores["sadness"]
    assert arousal["sad"] < arousal["neutral"] < arousal["excited"]
    assert arousal["sad"] < 0.35
    assert arousal["excited"] > 0.65
    assert group["sad"] < group["neutral"] < group["excited"]
    assert sadness["sad"] > sadness["excited"]
    assert group["excited"] > sadness["excited"]


def test_baseline_judges_later_utterances_against_the_speaker(
    speak: Callable[..., Int16Array],
) -> None:
    analyzer = ProsodyEmotionAnalyzer()
    assert isinstance(analyzer, EmotionAnalyzer)
    excited_line = speak(SENTENCES[1], **vars(EXCITED))
    before = analyzer.arousal(excited_line)
    # Three calm utterances, each analysed twice as it grows (as the emulator does).
    for text in SENTENCES:
        calm = speak(text, **vars(SAD))
        analyzer.analyze(calm[: calm.size // 2], None)
        analyzer.analyze(calm, text)
    analyzer.analyze(speak("Okay"), "Okay")  # starts a new utterance: the last calm one counts
    assert analyzer.model.baseline_size == 3
    after = analyzer.arousal(excited_line)
    assert after > before  # against a quiet, slow speaker, the same line sounds more excited
    ordered = [analyzer.arousal(speak(SENTENCES[0], **vars(s))) for s in STYLES.values()]
    assert ordered == sorted(ordered)


def test_scores_cover_the_documented_names(speak: Callable[..., Int16Array]) -> None:
    scores = ProsodyEmotionAnalyzer().analyze(speak(SENTENCES[0]), SENTENCES[0])
    assert set(scores) == set(EMOTION_NAMES)
    assert all(0.0 <= v <= 1.0 for v in scores.values())
    assert sum(scores.values()) == pytest.approx(1.0, abs=1e-3)


@pytest.mark.parametrize(
    ("text", "high", "low"),
    [
        ("I am so happy today", "joy", "sadness"),
        ("I feel terrible and sad", "sadness", "joy"),
    ],
)
def test_valence_direction(
    speak: Callable[..., Int16Array], text: str, high: str, low: str
) -> None:
    scores = ProsodyEmotionAnalyzer().analyze(speak(text), text)
    assert scores[high] > scores[low]


def test_vader_valence() -> None:
    assert text_valence("I am so happy today") > 0.5
    assert text_valence("I feel terrible and sad") < -0.5
    assert text_valence("The train leaves at seven") == 0.0
    assert text_valence(None) == 0.0


def test_hesitation_raises_confusion_but_a_plain_question_does_not() -> None:
    plain = project_emotions(0.0, 0.5, "I went to the shop")
    puzzled = project_emotions(0.0, 0.5, "Um, what do you mean? I don't understand")
    assert puzzled["confusion"] > plain["confusion"]
    assert max(puzzled, key=puzzled.__getitem__) == "confusion"
    question = project_emotions(0.0, 0.5, "What time is it?")
    assert question["confusion"] == pytest.approx(plain["confusion"])
    assert max(question, key=question.__getitem__) == "neutral"


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("I am so worried about the exam", "fear"),
        ("That food was disgusting", "disgust"),
        ("Wow, I can't believe it", "surprise"),
        ("I'm so sorry to hear that, that must be hard", "empathy"),
        ("I am not happy at all", "sadness"),  # a negated cue word does not count
    ],
)
def test_cue_words_pick_the_names_valence_and_arousal_cannot(text: str, name: str) -> None:
    scores = project_emotions(emotional_valence(text), 0.55, text)
    assert max(scores, key=scores.__getitem__) == name


def test_projection_follows_the_circumplex() -> None:
    def top(v: float, a: float) -> str:
        scores = project_emotions(v, a)
        return max(scores, key=scores.__getitem__)

    assert top(0.0, 0.45) == "neutral"
    assert top(0.8, 0.65) == "joy"
    assert top(-0.7, 0.2) == "sadness"
    assert top(-0.7, 0.95) == "anger"
    # Arousal alone never makes surprise (its cue words do, above).
    assert top(0.0, 1.0) != "surprise"
