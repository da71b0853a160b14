"""``python -m benchmarks.batch_emulator [emulator options]``: the emulator command with one
more engine profile, ``batchbench``: the deterministic engines with a quick assistant voice
(0.02 s per word), so a batch of a thousand inputs spends its time in the batch machinery
rather than in replies played out in real time."""

from __future__ import annotations

import sys

from nextevi_widgets.cli import main
from nextevi_widgets.emulator import EngineSet, register_profile
from nextevi_widgets.emulator.deterministic import deterministic_engine_set

PROFILE = "batchbench"


def _engines() -> EngineSet:
    engines = deterministic_engine_set(tts_seconds_per_word=0.02)
    engines.name = PROFILE
    return engines


register_profile(PROFILE, _engines)

if __name__ == "__main__":
    sys.exit(main(["emulator", *sys.argv[1:]]))
