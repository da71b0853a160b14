"""Heuristic emotion scores from prosody and words — a stand-in, not the service's model.

The real service runs a trained speech-emotion model. Nothing comparable ships offline, so the
emulator scores the vendor's nine documented names (joy, sadness, anger, fear, surprise,
disgust, neutral, empathy, confusion) from three kinds of evidence:

- **Valence** (-1..1) from the transcript with VADER (a sentiment lexicon). Request words
  that VADER reads as positive (``please``, ``help``, ``kindly``) are left out, and
  ``|valence| <= 0.25`` counts as none, so a polite request is not "joy". Split into
  *positive* ``P`` and *negative* ``N`` (0..1 each).
- **Arousal** (activation, 0..1) from prosody (:mod:`.prosody`): median pitch, loudness,
  speaking rate and pitch range, each compared with a reference that starts at typical adult
  speech and moves toward the session's own running baseline as utterances accumulate. Split
  into *raised* ``H`` and *lowered* ``L`` (0..1 each, 0 at arousal 0.5).
- **Cue words** per emotion (``C``, 0..2: matches in the transcript, a negated one — "not
  happy" — does not count).

Each name's logit is a weighted sum of those (table :data:`WEIGHTS`); a softmax turns the nine
logits into scores 0..1 that sum to 1. What each name responds to:

========== ============================================================================
neutral    nothing standing out: the default; falls with any valence or arousal change
joy        positive words; raised arousal (brighter, faster, louder) adds; joy words
sadness    negative words with lowered arousal (low, slow, quiet); sadness words
anger      negative words with raised arousal (their product counts most); anger words
fear       negative words, raised arousal a little; mostly fear words ("worried")
disgust    negative words a little; mostly disgust words ("gross")
surprise   raised arousal; mostly surprise words ("wow", "can't believe")
empathy    warm words with calm speech; mostly words of care ("sorry to hear")
confusion  hesitations and confusion phrases ("um", "I don't understand") only; a
           question mark or question word alone does not count
========== ============================================================================

Without a transcript (interim updates before any words) only arousal speaks, so scores stay
close to neutral. The result is deterministic and cheap (~15 ms per utterance); it ranks
labelled examples in the right direction (tests/engines/test_emotion_direction.py), but it is
not a validated classifier.
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
    "CUES",
    "WEIGHTS",
    "ArousalModel",
    "ProsodyEmotionAnalyzer",
    "Weights",
    "emotional_valence",
    "project_emotions",
    "text_valence",
]

Int16Array = npt.NDArray[np.int16]


@dataclass(frozen=True)
class Weights:
    """One emotion's logit: ``bias + pos*P + neg*N + raised*H + lowered*L + neg_raised*N*H +
    cue*C``."""

    bias: float = 0.0
    pos: float = 0.0
    neg: float = 0.0
    raised: float = 0.0
    lowered: float = 0.0
    neg_raised: float = 0.0
    cue: float = 0.0


WEIGHTS: dict[str, Weights] = {
    "neutral": Weights(bias=1.0, pos=-3.0, neg=-3.0, raised=-0.8, lowered=-0.8),
    "joy": Weights(bias=-0.3, pos=4.0, neg=-1.0, raised=0.8, lowered=-0.3, cue=1.8),
    "sadness": Weights(bias=-0.3, pos=-1.0, neg=4.0, raised=-1.2, lowered=1.2, cue=1.8),
    "anger": Weights(bias=-1.2, pos=-1.0, neg=3.5, raised=1.0, lowered=-0.5, neg_raised=2.5,
                     cue=2.0),
    "fear": Weights(bias=-1.5, neg=2.0, raised=0.8, cue=2.2),
    "disgust": Weights(bias=-1.8, neg=2.0, cue=2.5),
    "surprise": Weights(bias=-1.5, pos=0.5, raised=1.5, cue=2.2),
    "empathy": Weights(bias=-1.8, pos=1.5, lowered=0.8, cue=2.2),
    "confusion": Weights(bias=-1.8, cue=2.2),
}  # fmt: skip
"""What each name responds to (see the module docstring)."""

_VALENCE_DEAD_ZONE = 0.25
_REQUEST_WORDS = frozenset({"please", "help", "kindly"})


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


CUES: dict[str, tuple[frozenset[str], tuple[str, ...]]] = {
    # name: (words — "stem*" matches any word starting with the stem — , phrases)
    "joy": (
        _words(
            "happy glad great wonderful love* delight* excit* awesome fantastic thrill* "
            "amazing cheerful yay joy* overjoyed"
        ),
        ("so good", "best day"),
    ),
    "sadness": (
        _words(
            "sad sadly sadness unhappy lonely miss missing depress* cry crying cried grief "
            "grieving heartbroken hopeless miserable died"
        ),
        ("feel down", "feeling down", "felt down", "passed away"),
    ),
    "anger": (
        _words(
            "angry angrily furious mad annoy* hate hated hates irritat* frustrat* outrag* "
            "livid unacceptable ridiculous infuriat*"
        ),
        ("fed up", "sick of"),
    ),
    "fear": (
        _words(
            "afraid scared worried worry worrying anxious anxiety nervous frighten* "
            "terrif* panic* fear* stressed"
        ),
        (),
    ),
    "surprise": (
        _words("wow whoa surprised surprising unbelievable shocked unexpected"),
        ("can't believe", "cannot believe", "no way", "oh my"),
    ),
    "disgust": (
        _words("disgust* gross revolting nasty yuck sickening vile"),
        ("makes me sick",),
    ),
    "empathy": (
        _words("hug sympathy condolences"),
        ("sorry to hear", "sorry for", "that must be", "poor you", "i understand", "i care"),
    ),
    "confusion": (
        _words("um uh erm hmm huh confused confusing unsure puzzled"),
        ("don't understand", "not sure", "don't know", "what do you mean", "no idea",
         "doesn't make sense", "don't get it"),
    ),
}  # fmt: skip
"""Cue words and phrases per emotion (matched on lower-case words; intensifiers such as
"really" between the words of a phrase are skipped)."""

_NEGATIONS = frozenset({"not", "no", "never", "isn't", "wasn't", "don't", "didn't", "aren't"})
_INTENSIFIERS = _words("really so very quite too pretty just totally extremely a bit little")
_WORD = re.compile(r"[a-z']+")


def _cue_match(word: str, cues: frozenset[str]) -> bool:
    if word in cues:
        return True
    return any(c.endswith("*") and word.startswith(c[:-1]) for c in cues)


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


def emotional_valence(text: str | None) -> float:
    """Valence without request words, with the weak middle counted as none (-1..1)."""
    if not text:
        return 0.0
    kept = [w for w in text.split() if w.strip(".,!?;:").lower() not in _REQUEST_WORDS]
    v = text_valence(" ".join(kept))
    magnitude = max(0.0, abs(v) - _VALENCE_DEAD_ZONE) / (1.0 - _VALENCE_DEAD_ZONE)
    return math.copysign(magnitude, v)


def _cue_counts(text: str | None) -> dict[str, float]:
    counts = dict.fromkeys(EMOTION_NAMES, 0.0)
    if not text:
        return counts
    words = _WORD.findall(text.lower().replace("’", "'"))
    joined = " " + " ".join(w for w in words if w not in _INTENSIFIERS) + " "
    for name, (singles, phrases) in CUES.items():
        hits = 0
        for i, word in enumerate(words):
            if _cue_match(word, singles) and not _NEGATIONS.intersection(words[max(0, i - 3) : i]):
                hits += 1
        hits += sum(joined.count(f" {p} ") for p in phrases)
        counts[name] = float(min(2, hits))
    return counts


def project_emotions(
    valence: float, arousal: float, transcript: str | None = None
) -> dict[str, float]:
    """Scores 0..1 (summing to 1) for every documented emotion name.

    ``valence`` is -1..1 (dead-zoned, see :func:`emotional_valence`), ``arousal``
    0..1; ``transcript`` supplies the cue words.
    """
    v = min(1.0, max(-1.0, valence))
    a = 2.0 * min(1.0, max(0.0, arousal)) - 1.0
    pos, neg = max(0.0, v), max(0.0, -v)
    raised, lowered = max(0.0, a), max(0.0, -a)
    cues = _cue_counts(transcript)
    logits = {}
    for name in EMOTION_NAMES:
        w = WEIGHTS[name]
        logits[name] = (
            w.bias
            + w.pos * pos
            + w.neg * neg
            + w.raised * raised
            + w.lowered * lowered
            + w.neg_raised * neg * raised
            + w.cue * cues[name]
        )
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
        valence = emotional_valence(transcript)
        self.last_valence, self.last_arousal = valence, arousal
        return project_emotions(valence, arousal, transcript)
