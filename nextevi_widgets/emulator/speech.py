"""Spoken test audio: text to a 24 kHz mono WAV with the emulator's offline voices.

Demo notebooks, benchmarks and batch examples need a "user" who speaks known words in a known
manner. :func:`synthesize_wav` uses the best installed voice (Piper, else espeak-ng, else the
dependency-free synthetic voice of the deterministic engines). A ``style`` asks for a manner
of speaking (``"excited"``: high, fast and loud; ``"sad"``: low, slow and quiet), which only
espeak-ng can render, so a style selects the espeak-ng voice.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Literal, NamedTuple

import numpy as np
import soundfile

from .engines.base import OUTPUT_SAMPLE_RATE, EngineUnavailableError

__all__ = [
    "SPEAKING_STYLES",
    "SpokenAudio",
    "Voice",
    "speak",
    "synthesize_speech",
    "synthesize_wav",
]

logger = logging.getLogger(__name__)

Voice = Literal["auto", "piper", "espeak", "synthetic"]
SPEAKING_STYLES = ("neutral", "excited", "sad")


class SpokenAudio(NamedTuple):
    samples: np.ndarray
    """24 kHz mono int16."""
    voice: Voice
    """The voice that spoke (never ``"auto"``)."""


def synthesize_speech(text: str, *, voice: Voice = "auto", style: str | None = None) -> np.ndarray:
    """``text`` spoken as 24 kHz mono int16 samples (see :func:`speak`)."""
    return speak(text, voice=voice, style=style).samples


def speak(text: str, *, voice: Voice = "auto", style: str | None = None) -> SpokenAudio:
    """``text`` spoken as 24 kHz mono int16 samples, with the name of the voice that spoke.

    ``voice="auto"`` picks Piper when installed, else espeak-ng, else the synthetic voice;
    with a ``style`` it picks espeak-ng (else the synthetic voice). Raises ``ValueError`` for
    an unknown style and :class:`EngineUnavailableError` when the named voice is not installed.
    Blocking (loads the voice on first use): run it in a thread from async code.
    """
    if style is not None and style not in SPEAKING_STYLES:
        raise ValueError(f"unknown speaking style {style!r}; choose one of {SPEAKING_STYLES}")
    if voice == "piper" and style not in (None, "neutral"):
        raise ValueError("the Piper voice has one manner of speaking; use voice='espeak'")
    candidates: list[Voice]
    if voice != "auto":
        candidates = [voice]
    elif style is None:
        candidates = ["piper", "espeak", "synthetic"]
    else:
        candidates = ["espeak", "synthetic"]
    errors: list[str] = []
    for name in candidates:
        try:
            return SpokenAudio(_speak(name, text, style or "neutral"), name)
        except EngineUnavailableError as exc:
            errors.append(f"{name}: {exc}")
            if voice != "auto":
                raise
    raise EngineUnavailableError("no voice is available (" + "; ".join(errors) + ")")


def synthesize_wav(
    text: str,
    path: str | os.PathLike[str],
    *,
    voice: Voice = "auto",
    style: str | None = None,
) -> Path:
    """Speak ``text`` into a 24 kHz mono 16-bit WAV at ``path`` and return the path.

    See :func:`synthesize_speech` for ``voice`` and ``style``.
    """
    samples = synthesize_speech(text, voice=voice, style=style)
    out = Path(path)
    soundfile.write(out, samples, OUTPUT_SAMPLE_RATE, subtype="PCM_16")
    return out


def _speak(voice: Voice, text: str, style: str) -> np.ndarray:
    if voice == "piper":
        from .engines.tts import PiperSynthesizer

        return PiperSynthesizer().synthesize(text)
    if voice == "espeak":
        from .engines import tts

        manner = {"neutral": tts.NEUTRAL, "excited": tts.EXCITED, "sad": tts.SAD}[style]
        return tts.EspeakSynthesizer(manner).synthesize(text)
    from .deterministic import SyntheticVoice

    if style != "neutral":
        logger.warning("the synthetic voice ignores the speaking style %r", style)
    return SyntheticVoice().synthesize(text)
