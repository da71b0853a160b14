"""Shared test fixtures (keep this small; area-specific helpers live next to their tests)."""

from __future__ import annotations

from pathlib import Path

import pytest

FIXTURES_DIR = Path(__file__).parent / "fixtures"


@pytest.fixture
def protocol_fixtures_dir() -> Path:
    """``tests/fixtures/protocol``: the protocol example messages (see its README)."""
    return FIXTURES_DIR / "protocol"
