"""Engine profiles: named factories of per-connection engine sets.

A connection's ``config_id`` names its profile:

- ``auto`` (also ``default``, and any config id that names no profile — vendor clients send
  their own): the best engines installed. Whisper tiny.en finals with PocketSphinx interims,
  Piper's voice else espeak-ng, silero VAD else WebRTC. What it picked is logged and reported in
  ``connection_metadata`` (``config.engines``).
- ``lite``: WebRTC VAD, PocketSphinx, espeak-ng: the cheap stack for load tests.
- ``neural``, ``whisper``: fixed upgrades (see ``stack``).
- ``deterministic``: dependency-free, exactly reproducible engines for tests (no speech
  recognition).

The real offline engines register themselves from ``nextevi_widgets.emulator.stack``,
imported lazily on first use. Without the speech extras (``pip install
"nextevi-widgets[emulator]"``) ``auto`` runs on the deterministic engines and every connection
gets a ``system_message`` warning that speech recognition needs the extra (typed text works).

A factory returns a **fresh** :class:`EngineSet` per connection (engines keep per-utterance and
per-conversation state); factories may share loaded models between sets. A factory raises
:class:`~nextevi_widgets.emulator.engines.base.EngineUnavailableError` naming the extra to
install when its optional dependencies are missing.
"""

from __future__ import annotations

import importlib
import logging
import re
import threading
from collections.abc import Callable, Iterable

from .engines.base import EngineSet, EngineUnavailableError

__all__ = [
    "DEFAULT_PROFILE",
    "NO_SPEECH_NOTICE",
    "PROFILE_ALIASES",
    "STACK_MODULE",
    "EngineSet",
    "get_engine_set",
    "profile_for_config",
    "profile_names",
    "register_profile",
]

logger = logging.getLogger(__name__)

DEFAULT_PROFILE = "auto"
PROFILE_ALIASES: dict[str, str] = {"default": DEFAULT_PROFILE}
"""Config ids that are other names of a profile."""
STACK_MODULE = "nextevi_widgets.emulator.stack"
NO_SPEECH_NOTICE = (
    "Speech recognition is not installed, so the local emulator cannot understand speech "
    '(typed text works). Install it with: pip install "nextevi-widgets[emulator]"'
)


EngineFactory = Callable[[], EngineSet]

_factories: dict[str, EngineFactory] = {}
_lock = threading.Lock()
_stack_loaded = False


def register_profile(name: str, factory: EngineFactory) -> None:
    """Register (or replace) the factory for profile ``name``."""
    if not name:
        raise ValueError("profile name must be non-empty")
    with _lock:
        _factories[name] = factory


def _deterministic_factory() -> EngineSet:
    from .deterministic import deterministic_engine_set

    return deterministic_engine_set()


def speechless_engine_set() -> EngineSet:
    """``auto`` without any speech recogniser installed: the deterministic engines, with a
    notice saying how to get speech recognition."""
    engines = _deterministic_factory()
    engines.name = DEFAULT_PROFILE
    engines.notice = NO_SPEECH_NOTICE
    return engines


def _ensure_stack() -> None:
    """Import the real engine stack once so it can register its profiles."""
    global _stack_loaded
    with _lock:
        if _stack_loaded:
            return
        _stack_loaded = True
    try:
        importlib.import_module(STACK_MODULE)
    except ModuleNotFoundError as exc:
        if exc.name != STACK_MODULE:
            logger.warning("offline speech engines failed to import (%s)", exc)
    except Exception as exc:
        logger.warning("offline speech engines failed to import (%s)", exc)
    with _lock:
        if DEFAULT_PROFILE not in _factories:
            logger.warning(
                "no offline speech engine stack is registered; profile %r uses the "
                "deterministic synthetic engines",
                DEFAULT_PROFILE,
            )
            _factories[DEFAULT_PROFILE] = speechless_engine_set


def profile_names() -> tuple[str, ...]:
    """Names of every registered profile (loads the engine stack first)."""
    _ensure_stack()
    with _lock:
        return tuple(sorted(_factories))


_TOKEN_SPLIT = re.compile(r"[-_:./]+")


def profile_for_config(config_id: str | None, names: Iterable[str] | None = None) -> str | None:
    """The profile a config id names, or None.

    Exact match first (``"whisper"``), then any ``-_:./``-separated token of the id
    (``"emulator-whisper"``, ``"cfg_neural_01"``) so ids long enough for strict clients still
    choose a profile. Aliases (``"default"``) resolve to their profile. The server gives ids
    that name no profile :data:`DEFAULT_PROFILE`.
    """
    if not config_id:
        return None
    known = set(profile_names() if names is None else names)
    for candidate in (config_id, *_TOKEN_SPLIT.split(config_id.lower())):
        candidate = PROFILE_ALIASES.get(candidate, candidate)
        if candidate in known:
            return candidate
    return None


def get_engine_set(name: str) -> EngineSet:
    """A fresh engine set for profile ``name``.

    Raises :class:`EngineUnavailableError` for an unknown profile or when the profile's
    optional dependencies are missing (the message names what to install). This call may load
    models: run it off the event loop.
    """
    _ensure_stack()
    name = PROFILE_ALIASES.get(name, name)
    with _lock:
        factory = _factories.get(name)
        available = sorted(_factories)
    if factory is None:
        raise EngineUnavailableError(
            f"engine profile {name!r} is not available (registered: {', '.join(available)}); "
            "install the speech engines: pip install 'nextevi-widgets[emulator]'"
        )
    return factory()


register_profile("deterministic", _deterministic_factory)
