"""The ``auto`` profile: what it picks with each optional engine present or absent, which
config ids reach it, and the pause/resume turn events its speculative decoding rests on."""

from __future__ import annotations

import pytest

from nextevi_widgets.emulator import profiles, stack
from nextevi_widgets.emulator.stack import AutoChoice, choose_auto
from nextevi_widgets.emulator.turns import TurnConfig, TurnDetector

ALL = {
    "whisper": True,
    "pocketsphinx": True,
    "piper": True,
    "espeak": True,
    "silero": True,
    "webrtc": True,
    "vader": True,
}


def without(*names: str) -> dict[str, bool]:
    return {name: name not in names and present for name, present in ALL.items()}


@pytest.mark.parametrize(
    ("installed", "expected"),
    [
        (ALL, AutoChoice("silero", "whisper", "pocketsphinx", "piper", "prosody+vader")),
        (
            without("whisper"),
            AutoChoice("silero", "pocketsphinx", "pocketsphinx", "piper", "prosody+vader"),
        ),
        (without("pocketsphinx"), AutoChoice("silero", "whisper", None, "piper", "prosody+vader")),
        (
            without("piper", "silero"),
            AutoChoice("webrtc", "whisper", "pocketsphinx", "espeak", "prosody+vader"),
        ),
        (
            without("piper", "silero", "whisper"),  # the emulator-lite extra
            AutoChoice("webrtc", "pocketsphinx", "pocketsphinx", "espeak", "prosody+vader"),
        ),
        (without(*ALL), AutoChoice("energy", None, None, "synthetic", "rms")),
    ],
)
def test_auto_picks_the_best_installed_engine_for_each_stage(
    installed: dict[str, bool], expected: AutoChoice
) -> None:
    assert choose_auto(installed) == expected


def test_auto_without_a_recogniser_is_the_deterministic_set_with_a_notice() -> None:
    engines = stack.auto_engines(without(*ALL))
    assert engines.name == "auto"
    assert engines.notice is not None
    assert 'pip install "nextevi-widgets[emulator]"' in engines.notice
    assert "typed text works" in engines.notice
    assert type(engines.stt).__name__ == "ScriptedRecognizer"


def test_installed_engines_reports_this_environment() -> None:
    found = stack.installed_engines()
    assert set(found) == set(ALL)
    assert found["pocketsphinx"]  # the dev install carries the emulator extra


@pytest.mark.parametrize(
    ("config_id", "profile"),
    [
        ("auto", "auto"),
        ("default", "auto"),
        ("emulator-default", "auto"),
        ("lite", "lite"),
        ("cfg_lite_01", "lite"),
        ("deterministic", "deterministic"),
        ("whisper", "whisper"),
        ("3f2a9c0e-vendor-config", None),  # the server gives it auto
        (None, None),
    ],
)
def test_config_ids_choose_profiles(config_id: str | None, profile: str | None) -> None:
    assert profiles.profile_for_config(config_id) == profile


def test_default_is_an_alias_of_auto_and_unknown_ids_get_auto() -> None:
    assert profiles.DEFAULT_PROFILE == "auto"
    assert profiles.PROFILE_ALIASES["default"] == "auto"
    assert {"auto", "lite", "neural", "whisper", "deterministic"} <= set(profiles.profile_names())


FRAME = 0.03


def events(detector: TurnDetector, pattern: list[tuple[bool, float]]) -> list[str]:
    out = []
    for speech, seconds in pattern:
        for _ in range(round(seconds / FRAME)):
            event = detector.push(speech)
            if event is not None:
                out.append(event.kind.value)
    return out


def test_turn_detector_reports_pauses_and_resumptions_only_when_asked() -> None:
    pattern = [(True, 0.6), (False, 0.21), (True, 0.3), (False, 0.9)]
    plain = TurnDetector(TurnConfig(silence_threshold=0.6, warmup=0.0), FRAME)
    assert events(plain, pattern) == ["start", "end"]
    config = TurnConfig(silence_threshold=0.6, warmup=0.0, pause_after=0.12)
    detector = TurnDetector(config, FRAME)
    assert events(detector, pattern) == ["start", "pause", "resume", "pause", "end"]
    # A gap shorter than pause_after is not a pause.
    short = TurnDetector(config, FRAME)
    assert events(short, [(True, 0.6), (False, 0.06), (True, 0.3), (False, 0.9)]) == [
        "start",
        "pause",
        "end",
    ]


def test_front_end_marks_pauses_between_the_audio_of_one_turn() -> None:
    import numpy as np

    from nextevi_widgets.emulator.deterministic import EnergyVAD, SyntheticVoice
    from nextevi_widgets.emulator.frontend import (
        AudioFrontEnd,
        SpeechAudio,
        SpeechEnd,
        SpeechPause,
        SpeechResume,
        SpeechStart,
    )

    voice = SyntheticVoice()
    gap = np.zeros(int(0.3 * 24_000), np.int16)
    pcm = np.concatenate(
        [gap, voice.synthesize("hello there"), gap, voice.synthesize("how are you"), gap, gap]
    )
    front = AudioFrontEnd(EnergyVAD(), TurnConfig(silence_threshold=0.5, pause_after=0.25))
    commands = []
    for start in range(0, pcm.size, 480):
        commands += front.push(pcm[start : start + 480].astype("<i2").tobytes())
    kinds = [type(c) for c in commands]
    marks = [k.__name__ for k in kinds if k in (SpeechStart, SpeechPause, SpeechResume, SpeechEnd)]
    # The 0.3 s gap inside the turn is a pause that speech resumed; the final silence is a
    # pause that became the end.
    assert marks == ["SpeechStart", "SpeechPause", "SpeechResume", "SpeechPause", "SpeechEnd"]
    assert kinds[kinds.index(SpeechPause) - 1] is SpeechAudio  # audio before the mark
    # A pause comes after all the audio before it: between two marks there is only audio.
    first_pause = kinds.index(SpeechPause)
    assert all(k is SpeechAudio for k in kinds[1:first_pause])
