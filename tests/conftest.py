"""Shared test fixtures (keep this small; area-specific helpers live next to their tests)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from fast_sessions import FAST_PROFILE, FAST_SETTINGS
from hypothesis import settings

from nextevi_widgets.session import VoiceSession

FIXTURES_DIR = Path(__file__).parent / "fixtures"

# Hypothesis's per-example deadline is a wall-clock assertion: on a busy machine it fails tests
# whose logic is fine. Speed is measured in benchmarks/, not here.
settings.register_profile("nextevi", deadline=None)
settings.load_profile("nextevi")


@pytest.fixture
def protocol_fixtures_dir() -> Path:
    """``tests/fixtures/protocol``: the protocol example messages (see its README)."""
    return FIXTURES_DIR / "protocol"


@pytest.fixture
async def make_session() -> AsyncIterator[Callable[..., VoiceSession]]:
    """Factory of sessions on the in-process emulator (quick deterministic profile, short turn
    detection unless given), all closed after the test."""
    sessions: list[VoiceSession] = []

    def make(**kwargs: Any) -> VoiceSession:
        kwargs.setdefault("emulator", "inprocess")
        kwargs.setdefault("config_id", FAST_PROFILE)
        kwargs.setdefault("settings", FAST_SETTINGS)
        session = VoiceSession(**kwargs)
        sessions.append(session)
        return session

    yield make
    for session in sessions:
        closing = session.close()
        if closing is not None:
            await closing
