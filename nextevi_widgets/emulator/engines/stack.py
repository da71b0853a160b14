"""The real offline engine profiles, registered with the emulator on import.

- ``default``: WebRTC VAD, PocketSphinx (language model), espeak-ng, prosody + VADER emotion,
  rule-based responder (or an OpenAI-compatible endpoint when
  ``NEXTEVI_EMULATOR_LLM_BASE_URL`` is set). Pip-only, ~170 MB.
- ``neural``: silero VAD and the Piper voice, PocketSphinx for recognition.
- ``whisper``: Whisper tiny.en recognition, with silero (else WebRTC) VAD and Piper (else
  espeak-ng) voice.

Heavy models (decoders, voices, Whisper) load once per process and are shared; each
:class:`EngineSet` gets fresh per-connection state (its own decoder lease, emotion baseline and
conversation memory).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import numpy as np

from ..profiles import EngineSet, register_profile
from .base import EngineUnavailableError, Responder, SpeechSynthesizer, VoiceActivityDetector
from .emotion import ProsodyEmotionAnalyzer, text_valence
from .llm import OpenAICompatibleResponder
from .prosody import extract_prosody
from .responder import RuleResponder
from .stt import WhisperRecognizer
from .stt_workers import make_recognizer
from .tts import EspeakSynthesizer, PiperSynthesizer
from .vad import SileroVad, WebRtcVad

__all__ = ["PROFILES", "default_engines", "neural_engines", "warm_up", "whisper_engines"]

logger = logging.getLogger(__name__)


def _responder() -> Responder:
    llm = OpenAICompatibleResponder.from_env()
    if llm is not None:
        logger.info("emulator replies come from %r", llm)
        return llm
    return RuleResponder()


def _vad_or_webrtc() -> VoiceActivityDetector:
    try:
        return SileroVad()
    except EngineUnavailableError:
        return WebRtcVad()


def _piper_or_espeak() -> SpeechSynthesizer:
    try:
        return PiperSynthesizer()
    except EngineUnavailableError:
        return EspeakSynthesizer()


def default_engines() -> EngineSet:
    """WebRTC VAD + PocketSphinx + espeak-ng + prosody/VADER + rules (or LLM)."""
    return EngineSet(
        vad=WebRtcVad(),
        stt=make_recognizer(),
        tts=EspeakSynthesizer(),
        emotion=ProsodyEmotionAnalyzer(),
        responder=_responder(),
        name="default",
    )


def neural_engines() -> EngineSet:
    """Silero VAD + PocketSphinx + Piper; raises EngineUnavailableError without the extra."""
    return EngineSet(
        vad=SileroVad(),
        stt=make_recognizer(),
        tts=PiperSynthesizer(),
        emotion=ProsodyEmotionAnalyzer(),
        responder=_responder(),
        name="neural",
    )


def whisper_engines() -> EngineSet:
    """Whisper tiny.en + the best installed VAD and voice."""
    return EngineSet(
        vad=_vad_or_webrtc(),
        stt=WhisperRecognizer(),
        tts=_piper_or_espeak(),
        emotion=ProsodyEmotionAnalyzer(),
        responder=_responder(),
        name="whisper",
    )


PROFILES: dict[str, Callable[[], EngineSet]] = {
    "default": default_engines,
    "neural": neural_engines,
    "whisper": whisper_engines,
}


def warm_up(profile: str = "default") -> None:
    """Load everything ``profile`` needs now, so the first connection starts at once.

    Raises EngineUnavailableError when the profile's optional packages are missing.
    """
    if profile not in PROFILES:
        raise ValueError(f"unknown engine profile {profile!r}")
    # Building a set loads the shared models. A recogniser opens its decoder at its first
    # utterance: open one now, and closing the set leaves it warm in the pool for the first
    # real connection. First calls pay one-off costs (library init, FFT set-up, the VADER
    # lexicon), so make them here too.
    engines = PROFILES[profile]()
    engines.stt.start_utterance()
    engines.stt.end_utterance()
    engines.tts.synthesize("Hello.")
    text_valence("hello")
    extract_prosody(np.zeros(1600, dtype=np.int16))
    engines.close()


for _name, _factory in PROFILES.items():
    register_profile(_name, _factory)
