"""Fixtures: an in-process emulator on 127.0.0.1 with deterministic engines."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from emu_support import FAST_PROFILE

from nextevi_widgets.emulator import Emulator


@pytest.fixture
async def emulator() -> AsyncIterator[Emulator]:
    async with Emulator("127.0.0.1", 0, profile=FAST_PROFILE) as emu:
        yield emu
