"""A quick deterministic emulator profile and the settings that keep turns short, shared by
the session, timeline and widget tests."""

from __future__ import annotations

from nextevi_widgets.client.messages import SessionSettings, TurnDetection
from nextevi_widgets.emulator import EngineSet, register_profile
from nextevi_widgets.emulator.deterministic import deterministic_engine_set

FAST_PROFILE = "fastturns"
"""Deterministic engines with a quick assistant voice (0.1 s per word) so turns are short."""

FAST_SETTINGS = SessionSettings(turn_detection=TurnDetection(silence_threshold=0.3))
"""Short turn detection; the rest are the emulator's defaults."""


def _fast() -> EngineSet:
    engines = deterministic_engine_set(tts_seconds_per_word=0.1)
    engines.name = FAST_PROFILE
    return engines


register_profile(FAST_PROFILE, _fast)
