"""The ``deterministic`` profile: dependency-free engines with exactly reproducible output.

Nothing here understands speech. The recogniser plays back a script, the voice is a synthetic
harmonic tone shaped like syllables, the emotion scores come from loudness and a tiny lexicon,
and the responder is a handful of rules. That makes tests exact and fast, and the synthetic
voice doubles as a "user" signal: it carries enough energy for the energy VAD to call speech.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence

import numpy as np
import numpy.typing as npt

from ..client.audio import pcm16_dbfs
from ..client.messages import EMOTION_NAMES
from .engines.base import (
    ENGINE_SAMPLE_RATE,
    OUTPUT_SAMPLE_RATE,
    EngineSet,
    RecognitionResult,
    RecognizedWord,
)

__all__ = [
    "DEFAULT_SCRIPT",
    "SECONDS_PER_WORD",
    "EnergyVAD",
    "RMSEmotion",
    "RuleResponder",
    "ScriptedRecognizer",
    "SyntheticVoice",
    "deterministic_engine_set",
]

Int16Array = npt.NDArray[np.int16]

DEFAULT_SCRIPT: tuple[str, ...] = ("hello there how are you today",)
SECONDS_PER_WORD = 0.35
"""Word slot of the synthetic voice; the scripted recogniser assumes the same speaking rate."""


class EnergyVAD:
    """Speech = frame RMS above a level. ``threshold`` (0..1) maps linearly onto -60..-20 dBFS;
    without one, ``threshold_db`` applies. Fine for clean audio, fooled by noise."""

    frame_samples: int = 480

    def __init__(self, threshold_db: float = -42.0) -> None:
        self.threshold_db = threshold_db

    def is_speech(self, frame: Int16Array, threshold: float | None = None) -> bool:
        if threshold is None:
            limit = self.threshold_db
        else:
            limit = -60.0 + 40.0 * min(1.0, max(0.0, threshold))
        return pcm16_dbfs(frame) > limit


class ScriptedRecognizer:
    """Returns the utterances of ``script`` in order (cycling). Partials grow one word per
    ``seconds_per_word`` of audio fed, so they track how much the user has "said"."""

    def __init__(
        self, script: Sequence[str] = DEFAULT_SCRIPT, seconds_per_word: float = SECONDS_PER_WORD
    ) -> None:
        if not script:
            raise ValueError("script must contain at least one utterance")
        self._script = tuple(script)
        self._seconds_per_word = seconds_per_word
        self._index = 0
        self._words: list[str] = []
        self._fed = 0.0
        self._partial = ""
        self._active = False

    def start_utterance(self) -> None:
        self._words = self._script[self._index % len(self._script)].split()
        self._index += 1
        self._fed = 0.0
        self._partial = ""
        self._active = True

    def feed(self, audio: Int16Array) -> str | None:
        if not self._active:
            self.start_utterance()
        self._fed += audio.size / ENGINE_SAMPLE_RATE
        count = min(len(self._words), int(self._fed / self._seconds_per_word))
        partial = " ".join(self._words[:count])
        if partial == self._partial:
            return None
        self._partial = partial
        return partial

    def end_utterance(self) -> RecognitionResult:
        if not self._active:
            self.start_utterance()
        self._active = False
        step = self._seconds_per_word
        words = tuple(
            RecognizedWord(
                word=w, start=round(i * step, 3), end=round((i + 1) * step, 3), confidence=0.95
            )
            for i, w in enumerate(self._words)
        )
        return RecognitionResult(text=" ".join(self._words), confidence=0.95, words=words)


_VOWEL_GROUPS = re.compile(r"[aeiouy]+")
_TOKENS = re.compile(r"[\w']+|[.!?,;:]")


class SyntheticVoice:
    """A harmonic tone at ~120 Hz with one amplitude bump per syllable, ``seconds_per_word``
    per word (a short gap included) and pauses at punctuation. Same text, same samples."""

    def __init__(self, seconds_per_word: float = SECONDS_PER_WORD, amplitude: float = 0.3) -> None:
        self.seconds_per_word = seconds_per_word
        self.amplitude = amplitude

    def synthesize(self, text: str) -> Int16Array:
        rate = OUTPUT_SAMPLE_RATE
        f0_parts: list[npt.NDArray[np.float64]] = []
        env_parts: list[npt.NDArray[np.float64]] = []
        tokens = _TOKENS.findall(text)
        for position, token in enumerate(tokens):
            if not token[0].isalnum() and token[0] != "'":
                pause = 0.12 if token in ".!?" else 0.06
                n = int(pause * rate)
                f0_parts.append(np.full(n, 120.0))
                env_parts.append(np.zeros(n))
                continue
            gap_seconds = min(0.05, 0.2 * self.seconds_per_word)
            voiced = int((self.seconds_per_word - gap_seconds) * rate)
            gap = int(gap_seconds * rate)
            seed = sum(map(ord, token.lower()))
            base = 105.0 + (seed % 31) - 0.8 * position
            t = np.linspace(0.0, 1.0, voiced, endpoint=False)
            f0_parts.append(np.concatenate([base + 12.0 * np.sin(np.pi * t), np.full(gap, base)]))
            syllables = min(4, max(1, len(_VOWEL_GROUPS.findall(token.lower()))))
            bumps = 0.5 - 0.5 * np.cos(2.0 * np.pi * syllables * t)
            fade = np.minimum(1.0, np.minimum(t, 1.0 - t) * (voiced / (0.01 * rate)))
            env_parts.append(np.concatenate([fade * (0.45 + 0.55 * bumps), np.zeros(gap)]))
        if not f0_parts:
            return np.zeros(0, dtype=np.int16)
        f0 = np.concatenate(f0_parts)
        envelope = np.concatenate(env_parts)
        phase = 2.0 * np.pi * np.cumsum(f0) / rate
        harmonics = sum(np.sin(h * phase) / h for h in range(1, 7))
        signal = harmonics / 1.5 * envelope * self.amplitude
        return np.clip(np.round(signal * 32767.0), -32768, 32767).astype(np.int16)


_POSITIVE = frozenset(
    [
        "good",
        "great",
        "happy",
        "glad",
        "love",
        "wonderful",
        "nice",
        "thanks",
        "thank",
        "awesome",
        "excellent",
        "fine",
    ]
)
_NEGATIVE = frozenset(
    [
        "bad",
        "sad",
        "angry",
        "upset",
        "terrible",
        "awful",
        "hate",
        "tired",
        "worried",
        "afraid",
        "sorry",
    ]
)
_CONFUSED = frozenset(["what", "why", "huh", "confused", "how"])


class RMSEmotion:
    """Emotion scores from loudness (arousal) and a small word list (valence), normalised to
    sum to 1 over the documented names. No prosody: a stand-in with reproducible output."""

    def arousal(self, audio: Int16Array) -> float:
        if audio.size == 0:
            return 0.0
        return float(min(1.0, max(0.0, (pcm16_dbfs(audio) + 45.0) / 30.0)))

    def analyze(self, audio: Int16Array, transcript: str | None = None) -> dict[str, float]:
        arousal = self.arousal(audio)
        words = set(re.findall(r"[a-z']+", (transcript or "").lower()))
        valence = (len(words & _POSITIVE) - len(words & _NEGATIVE)) / max(1.0, len(words) ** 0.5)
        valence = min(1.0, max(-1.0, valence))
        positive, negative = max(valence, 0.0), max(-valence, 0.0)
        raw = {
            "joy": 0.05 + 0.8 * positive + 0.1 * arousal,
            "sadness": 0.03 + 0.6 * negative * (1.0 - arousal),
            "anger": 0.02 + 0.6 * negative * arousal,
            "fear": 0.02 + 0.2 * negative,
            "surprise": 0.03 + 0.2 * arousal,
            "disgust": 0.02,
            "neutral": 0.15 + 0.5 * (1.0 - abs(valence)) * (1.0 - 0.5 * arousal),
            "empathy": 0.03 + 0.1 * positive,
            "confusion": 0.02 + (0.3 if words & _CONFUSED else 0.0),
        }
        total = sum(raw.values())
        return {name: round(raw[name] / total, 4) for name in EMOTION_NAMES}


_REPLIES: dict[str, tuple[str, ...]] = {
    "greeting": (
        "Hello! It is really nice to hear from you. What would you like to talk about?",
        "Hi again! I am glad you are here. How is your day going?",
    ),
    "thanks": ("You are very welcome. Is there anything else on your mind?",),
    "bye": ("Goodbye for now. It was lovely talking with you.",),
    "sad": (
        "I am sorry you are feeling that way. Do you want to tell me more about it?",
        "That sounds hard. I am here and listening.",
    ),
    "happy": ("That is wonderful to hear! What made it so good?",),
    "question": (
        "That is a good question. Let me think about it with you for a moment.",
        "Good question. I think the answer depends on what matters most to you.",
    ),
    "other": (
        "I hear you. Tell me a little more about that.",
        "I see. How do you feel about it?",
        "Thanks for sharing that. What happened next?",
    ),
}


class RuleResponder:
    """Keyword and emotion rules picking from fixed templates; repeats rotate through the
    alternatives. Yields word-sized deltas so the reply streams like a language model."""

    def __init__(self) -> None:
        self._counts: dict[str, int] = {}
        self.history: list[tuple[str, str]] = []

    @staticmethod
    def _intent(text: str, emotions: Mapping[str, float]) -> str:
        words = set(re.findall(r"[a-z']+", text.lower()))
        if words & {"bye", "goodbye"}:
            return "bye"
        if words & {"thanks", "thank"}:
            return "thanks"
        if words & {"hello", "hi", "hey"}:
            return "greeting"
        top = max(emotions, key=lambda k: emotions[k]) if emotions else "neutral"
        if words & _NEGATIVE or top in {"sadness", "anger", "fear"}:
            return "sad"
        if words & _POSITIVE or top == "joy":
            return "happy"
        if "?" in text or words & {"what", "why", "how", "who", "when", "where"}:
            return "question"
        return "other"

    def respond(self, user_text: str, emotions: Mapping[str, float]) -> Iterator[str]:
        intent = self._intent(user_text, emotions)
        options = _REPLIES[intent]
        count = self._counts.get(intent, 0)
        self._counts[intent] = count + 1
        reply = options[count % len(options)]
        self.history.append((user_text, reply))
        del self.history[:-10]
        yield from re.findall(r"\S+\s*", reply)


def deterministic_engine_set(
    script: Sequence[str] = DEFAULT_SCRIPT, tts_seconds_per_word: float = SECONDS_PER_WORD
) -> EngineSet:
    """A fresh deterministic engine set. ``script`` sets the recognised utterances;
    ``tts_seconds_per_word`` the assistant's speaking rate (the recogniser always assumes
    :data:`SECONDS_PER_WORD` for the user)."""
    return EngineSet(
        vad=EnergyVAD(),
        stt=ScriptedRecognizer(script),
        tts=SyntheticVoice(tts_seconds_per_word),
        emotion=RMSEmotion(),
        responder=RuleResponder(),
        name="deterministic",
    )
