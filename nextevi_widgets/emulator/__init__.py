"""A local, offline NextEVI-compatible server for development and tests.

* :class:`Emulator` — in-process asyncio server (``async with Emulator() as emu: emu.url``).
* :class:`EmulatorProcess` — the same server in a child process (what ``VoiceChat`` uses by
  default, so speech engines never slow the kernel).
* Engine profiles (:func:`register_profile`, :func:`get_engine_set`) select the speech engines
  per connection by ``config_id``.
* :func:`synthesize_wav` — spoken test audio with the emulator's offline voices.

No Jupyter imports in this package.
"""

from __future__ import annotations

from .options import EmulatorAuth, EmulatorOptions
from .process import EmulatorProcess, EmulatorStartError
from .profiles import EngineSet, get_engine_set, profile_names, register_profile
from .server import Emulator
from .speech import synthesize_speech, synthesize_wav
from .stats import EmulatorStats, fetch_stats

__all__ = [
    "Emulator",
    "EmulatorAuth",
    "EmulatorOptions",
    "EmulatorProcess",
    "EmulatorStartError",
    "EmulatorStats",
    "EngineSet",
    "fetch_stats",
    "get_engine_set",
    "profile_names",
    "register_profile",
    "synthesize_speech",
    "synthesize_wav",
]
