"""The real engine profiles register with the emulator and build fresh per-connection sets."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
from engine_support import Int16Array

from nextevi_widgets.emulator import profiles, stack
from nextevi_widgets.emulator.engines.base import (
    EmotionAnalyzer,
    EngineUnavailableError,
    Responder,
    SpeechRecognizer,
    SpeechSynthesizer,
    VoiceActivityDetector,
)
from nextevi_widgets.emulator.engines.llm import ENV_BASE_URL, OpenAICompatibleResponder
from nextevi_widgets.emulator.engines.responder import RuleResponder

pytestmark = pytest.mark.engines


def engine_set_or_skip(name: str) -> profiles.EngineSet:
    try:
        return profiles.get_engine_set(name)
    except EngineUnavailableError as exc:
        assert "pip install" in str(exc)
        pytest.skip(f"profile {name!r} needs optional packages: {exc}")


def test_profiles_are_registered() -> None:
    assert {"auto", "lite", "neural", "whisper"} <= set(profiles.profile_names())


@pytest.mark.parametrize("name", ["auto", "lite", "neural", "whisper"])
def test_profile_builds_working_engines(name: str) -> None:
    engines = engine_set_or_skip(name)
    assert engines.name == name
    assert isinstance(engines.vad, VoiceActivityDetector)
    assert isinstance(engines.stt, SpeechRecognizer)
    assert isinstance(engines.tts, SpeechSynthesizer)
    assert isinstance(engines.emotion, EmotionAnalyzer)
    assert isinstance(engines.responder, Responder)
    assert {"vad", "stt", "tts"} <= set(engines.info)


def test_default_names_auto_which_uses_the_best_installed_engines() -> None:
    engines = profiles.get_engine_set("default")
    assert engines.name == "auto"
    assert engines.info == stack.choose_auto(stack.installed_engines()).as_info()
    assert engines.notice is None


def test_each_connection_gets_fresh_state() -> None:
    first = profiles.get_engine_set("lite")
    second = profiles.get_engine_set("lite")
    assert first.stt is not second.stt
    assert first.emotion is not second.emotion
    assert isinstance(first.responder, RuleResponder)
    list(first.responder.respond("Hello, my name is Ada", {}))
    assert isinstance(second.responder, RuleResponder)
    assert second.responder.memory.name is None


def test_llm_endpoint_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV_BASE_URL, "http://127.0.0.1:9/v1")
    assert isinstance(profiles.get_engine_set("lite").responder, OpenAICompatibleResponder)
    monkeypatch.delenv(ENV_BASE_URL)
    assert isinstance(profiles.get_engine_set("lite").responder, RuleResponder)


def test_warm_up_rejects_unknown_profiles() -> None:
    stack.warm_up("lite")
    with pytest.raises(ValueError, match="unknown"):
        stack.warm_up("nope")


def test_lite_pipeline_end_to_end(speak: Callable[..., Int16Array]) -> None:
    """User speech -> VAD -> STT -> emotion -> reply -> speech, as one turn of the emulator."""
    engines = profiles.get_engine_set("lite")
    audio = speak("I would like a cup of coffee please")
    n = engines.vad.frame_samples
    frames = [audio[i : i + n] for i in range(0, audio.size - n + 1, n)]
    flags = [engines.vad.is_speech(f, 0.5) for f in frames]
    first, last = flags.index(True), len(flags) - 1 - flags[::-1].index(True)
    utterance = np.concatenate(frames[max(0, first - 10) : last + 20])
    engines.stt.start_utterance()
    for i in range(0, utterance.size, 1600):
        engines.stt.feed(utterance[i : i + 1600])
    result = engines.stt.end_utterance()
    assert result.text
    scores = engines.emotion.analyze(utterance, result.text)
    reply = "".join(engines.responder.respond(result.text, scores))
    assert reply
    spoken = engines.tts.synthesize(reply)
    assert spoken.size > 24_000 * 0.5
