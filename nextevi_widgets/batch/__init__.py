"""Batch runs: many audio inputs through the API, one dataset row each.

::

    from nextevi_widgets.batch import run_batch

    run = run_batch("calls/", "calls.dataset", concurrency=2)   # a notebook cell: returns at once
    summary = await run                                          # later, or never

From a script: ``run_batch_sync(...)``; from a shell: ``nextevi-widgets batch calls/ --out
calls.dataset``. See :func:`arun_batch` for every option.

Names are imported lazily so the command line can register ``batch`` without loading the
client.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .audio import InputAudio, InputError, read_input_audio
    from .inputs import AUDIO_SUFFIXES, BatchInput, discover_inputs, input_id
    from .run import (
        BatchRun,
        BatchSummary,
        InputFailure,
        SessionWriter,
        arun_batch,
        run_batch,
        run_batch_sync,
    )

_LAZY: dict[str, str] = {
    "AUDIO_SUFFIXES": "inputs",
    "BatchInput": "inputs",
    "BatchRun": "run",
    "BatchSummary": "run",
    "InputAudio": "audio",
    "InputError": "audio",
    "InputFailure": "run",
    "SessionWriter": "run",
    "arun_batch": "run",
    "discover_inputs": "inputs",
    "input_id": "inputs",
    "read_input_audio": "audio",
    "run_batch": "run",
    "run_batch_sync": "run",
}

__all__ = [
    "AUDIO_SUFFIXES",
    "BatchInput",
    "BatchRun",
    "BatchSummary",
    "InputAudio",
    "InputError",
    "InputFailure",
    "SessionWriter",
    "arun_batch",
    "discover_inputs",
    "input_id",
    "read_input_audio",
    "run_batch",
    "run_batch_sync",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'nextevi_widgets.batch' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value
