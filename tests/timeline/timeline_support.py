"""Helpers for timeline tests: a quick deterministic emulator profile."""

from __future__ import annotations

from nextevi_widgets.client.messages import SessionSettings, TurnDetection
from nextevi_widgets.emulator import EngineSet, register_profile
from nextevi_widgets.emulator.deterministic import deterministic_engine_set
from nextevi_widgets.session import VoiceSession

PROFILE = "timelinefast"
"""Deterministic engines with a quick assistant voice (0.1 s per word) so turns are short."""
FAST_SETTINGS = SessionSettings(turn_detection=TurnDetection(silence_threshold=0.3))


def _fast() -> EngineSet:
    engines = deterministic_engine_set(tts_seconds_per_word=0.1)
    engines.name = PROFILE
    return engines


register_profile(PROFILE, _fast)


def reply_finished(session: VoiceSession, replies: int = 1) -> bool:
    done = [m for m in session.messages if m["role"] == "assistant" and m["is_final"]]
    return len(done) >= replies and not session.is_assistant_speaking
