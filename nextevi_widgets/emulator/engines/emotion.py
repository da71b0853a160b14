"""Heuristic emotion scores from prosody and words — a stand-in, not the service's model.

The real service runs a trained speech-emotion model. Nothing comparable ships offline, so the
emulator approximates the two dimensions such models mostly capture:

- **Arousal** (activation, 0..1) from prosody (:mod:`.prosody`): higher pitch, louder, faster
  speech and a wider pitch range read as more activated. Each feature is compared with a
  reference that starts as an absolute prior (typical adult speech) and moves toward the
  session's own running baseline as utterances accumulate, so the first utterance already
  gets a sensible absolute arousal and later ones are judged against how this speaker talks.
- **Valence** (-1..1) from the transcript with VADER (a sentiment lexicon); 0 without text.

(valence, arousal) is projected onto the documented names (joy, sadness, anger, fear,
surprise, disgust, neutral, empathy, confusion) by a softmax over negative squared distances to
fixed prototype points, plus small bonuses for explicit emotion words, and for confusion, for
question marks and hesitation words. Scores are 0..1 and sum to 1. "Empathy" is placed at calm,
warm speech (positive, low arousal) — it describes a tone, not an inferred intention. The result
is deterministic, cheap (~15 ms per utterance) and testable; it is not a validated classifier.
"""

from __future__ import annotations

import math
import re
import threading
from collections import deque
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from ...client.messages import EMOTION_NAMES
from .prosody import ProsodyFeatures, extract_prosody

__all__ = [
    "PROTOTYPES",
    "ArousalModel",
    "ProsodyEmotionAnalyzer",
    "project_emotions",
    "text_valence",
]

Int16Array = npt.NDArray[np.int16]

PROTOTYPES: dict[str, tuple[float, float]] = {
    # (valence -1..1, arousal -1..1)
    "joy": (0.75, 0.3),
    "surprise": (0.3, 0.85),
    "anger": (-0.7, 0.8),
    "fear": (-0.5, 0.55),
    "disgust": (-0.6, 0.25),
    "sadness": (-0.6, -0.35),
    "neutral": (0.0, -0.1),
    "empathy": (0.45, -0.45),
    "confusion": (-0.15, 0.25),
}
_TEMPERATURE = 0.2


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_CUES: dict[str, frozenset[str]] = {
    "joy": _words("happy glad great wonderful love delighted excited awesome fantastic"),
    "sadness": _words("sad unhappy down lonely miss depressed crying cry grief lost"),
    "anger": _words("angry furious mad annoyed hate irritated frustrated outraged"),
    "fear": _words("afraid scared worried anxious nervous frightened terrified panic"),
    "surprise": _words("wow surprised unbelievable amazing whoa really shocked"),
    "disgust": _words("disgusting gross awful revolting nasty sick yuck"),
    "empathy": _words("sorry understand care support feel hug"),
}
_HESITATION = _words("um uh erm hmm huh confused confusing unsure")
_HESITATION_PHRASES = ("don't understand", "not sure", "don't know", "what do you mean")
_WORD = re.compile(r"[a-z']+")

_vader_lock = threading.Lock()
_vader: Any = None


def text_valence(text: str | None) -> float:
    """VADER compound sentiment of ``text`` in -1..1 (0 for no text)."""
    global _vader
    if not text or not text.strip():
        return 0.0
    with _vader_lock:
        if _vader is None:
            from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

            _vader = SentimentIntensityAnalyzer()
        analyzer = _vader
    return float(analyzer.polarity_scores(text)["compound"])


def _cue_bonuses(text: str | None) -> dict[str, float]:
    bonuses = dict.fromkeys(EMOTION_NAMES, 0.0)
    if not text:
        return bonuses
    lowered = text.lower()
    words = _WORD.findall(lowered)
    for name, cues in _CUES.items():
        hits = sum(1 for w in words if w in cues)
        bonuses[name] += min(2.0, 1.0 * hits)
    hesitation = sum(1 for w in words if w in _HESITATION)
    hesitation += sum(1 for p in _HESITATION_PHRASES if p in lowered)
    question = 1 if "?" in text else 0
    bonuses["confusion"] += min(2.0, 0.8 * question + 0.9 * hesitation)
    return bonuses


def project_emotions(
    valence: float, arousal: float, transcript: str | None = None
) -> dict[str, float]:
    """Scores 0..1 (summing to 1) for every documented emotion name.

    ``valence`` is -1..1, ``arousal`` 0..1; ``transcript`` adds keyword bonuses.
    """
    v = min(1.0, max(-1.0, valence))
    a = 2.0 * min(1.0, max(0.0, arousal)) - 1.0
    bonuses = _cue_bonuses(transcript)
    logits = {}
    for name in EMOTION_NAMES:
        pv, pa = PROTOTYPES[name]
        logits[name] = -((v - pv) ** 2 + (a - pa) ** 2) / _TEMPERATURE + bonuses[name]
    top = max(logits.values())
    weights = {name: math.exp(x - top) for name, x in logits.items()}
    total = sum(weights.values())
    return {name: round(w / total, 4) for name, w in weights.items()}


@dataclass(frozen=True)
class _Reference:
    """Prior mean and spread of one feature."""

    mean: float
    scale: float
    weight: float


# Typical adult conversational speech, as heard through a microphone at a sane gain.
_PRIOR = {
    "pitch": _Reference(mean=0.0, scale=5.0, weight=0.35),  # semitones re 130 Hz
    "loudness": _Reference(mean=-24.0, scale=6.0, weight=0.30),  # dBFS
    "rate": _Reference(mean=4.5, scale=1.2, weight=0.25),  # syllables per second
    "range": _Reference(mean=5.0, scale=3.0, weight=0.10),  # semitones
}
_PITCH_REF_HZ = 130.0


def _feature_values(p: ProsodyFeatures) -> dict[str, float]:
    values = {"loudness": p.loudness_db, "rate": p.speaking_rate}
    if p.voiced:
        values["pitch"] = 12.0 * math.log2(p.f0_median / _PITCH_REF_HZ)
        values["range"] = p.f0_range
    return values


class ArousalModel:
    """Arousal 0..1 from prosody relative to a blend of the prior and the session baseline.

    ``prior_weight`` is how many utterances the prior counts as; with ``n`` baseline
    utterances a feature's reference mean is ``(k * prior + sum(baseline)) / (k + n)``.
    """

    def __init__(self, prior_weight: float = 2.0, history: int = 20, gain: float = 1.7) -> None:
        self.prior_weight = prior_weight
        self.gain = gain
        self._baseline: deque[dict[str, float]] = deque(maxlen=history)

    @property
    def baseline_size(self) -> int:
        return len(self._baseline)

    def add_to_baseline(self, features: ProsodyFeatures) -> None:
        if features.duration >= 0.3:
            self._baseline.append(_feature_values(features))

    def reference(self, name: str) -> float:
        prior = _PRIOR[name]
        seen = [b[name] for b in self._baseline if name in b]
        return (self.prior_weight * prior.mean + sum(seen)) / (self.prior_weight + len(seen))

    def arousal(self, features: ProsodyFeatures) -> float:
        if features.duration <= 0.0:
            return 0.5  # nothing heard: no evidence either way
        values = _feature_values(features)
        score = 0.0
        weights = 0.0
        for name, value in values.items():
            prior = _PRIOR[name]
            z = max(-3.0, min(3.0, (value - self.reference(name)) / prior.scale))
            score += prior.weight * z
            weights += prior.weight
        return 1.0 / (1.0 + math.exp(-self.gain * score / weights))


class ProsodyEmotionAnalyzer:
    """Per-connection :class:`~.base.EmotionAnalyzer`: prosodic arousal + VADER valence.

    The emulator calls ``analyze`` repeatedly on the growing audio of one utterance (interim
    updates) and once more at its end. An utterance joins the session baseline only when the
    next one starts (recognised by its audio no longer extending the previous call's), so
    interims never count twice and an utterance is never compared with itself.
    """

    def __init__(self, model: ArousalModel | None = None) -> None:
        self.model = model or ArousalModel()
        self._pending_audio: Int16Array | None = None
        self._pending: ProsodyFeatures | None = None
        self.last_valence = 0.0
        self.last_arousal = 0.5

    def _track(self, audio: Int16Array, features: ProsodyFeatures) -> None:
        previous = self._pending_audio
        # The same utterance, grown: the previous call's audio is an exact prefix of this one.
        same = (
            previous is not None
            and audio.size >= previous.size
            and bool(np.array_equal(audio[: previous.size], previous))
        )
        if not same and self._pending is not None:
            self.model.add_to_baseline(self._pending)
        self._pending_audio = audio.copy()
        self._pending = features

    def arousal(self, audio: Int16Array) -> float:
        """0..1 activation from prosody alone, relative to the session baseline."""
        return self.model.arousal(extract_prosody(np.asarray(audio, dtype=np.int16)))

    def analyze(self, audio: Int16Array, transcript: str | None = None) -> dict[str, float]:
        audio = np.asarray(audio, dtype=np.int16).reshape(-1)
        features = extract_prosody(audio, transcript)
        arousal = self.model.arousal(features)
        self._track(audio, features)
        valence = text_valence(transcript)
        self.last_valence, self.last_arousal = valence, arousal
        return project_emotions(valence, arousal, transcript)
