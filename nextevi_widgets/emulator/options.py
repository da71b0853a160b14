"""Configuration of the emulator: who may connect and which protocol variants it speaks.

Every behaviour the vendor protocol leaves unknown (envelope vs flat, WAV vs raw PCM, delta vs
cumulative LLM text, ``user_interruption``) is a knob here so clients can be tested against each.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from ..client.messages import Dialect

__all__ = [
    "DEFAULT_MAX_CONNECTIONS",
    "DEFAULT_MAX_FRAME_BYTES",
    "EmulatorAuth",
    "EmulatorOptions",
    "LLMTextMode",
]

LLMTextMode = Literal["delta", "cumulative"]

DEFAULT_MAX_FRAME_BYTES = 1 << 20
"""Frames above this size get a ``FRAME_TOO_LARGE`` error (the connection stays up)."""

DEFAULT_MAX_CONNECTIONS = 16
"""Connections served at once; more are closed with 1013 ``TOO_MANY_CONNECTIONS``. Sized for a
2-core machine: it sustains fewer real-time speaking sessions than this, silent connections are
cheap, and each speaking connection holds a ~95 MB PocketSphinx decoder, so 16 bounds the
decoders at ~1.5 GB."""


@dataclass(frozen=True)
class EmulatorAuth:
    """Which credentials and ids the emulator accepts.

    ``None`` means "accept any well-formed value": any ``oak_`` API key longer than 10
    characters, any non-empty bearer token, any config id, any project id.
    """

    api_keys: frozenset[str] | None = None
    tokens: frozenset[str] | None = None
    denied_keys: frozenset[str] = frozenset()
    """Well-formed keys that authenticate but lack access (close 4003 ``ACCESS_DENIED``)."""
    denied_tokens: frozenset[str] = frozenset()
    config_ids: frozenset[str] | None = None
    """Known config ids. With the default ``None`` any id is accepted: an id naming a profile
    selects it, any other id maps to the ``default`` profile."""
    strict_configs: bool = False
    """Reject (4004 ``CONFIG_NOT_FOUND``) ids that are neither in ``config_ids`` nor name a
    registered profile."""
    project_ids: frozenset[str] | None = None
    """Known project ids; an unknown ``project_id`` closes with 4004 ``INVALID_PROJECT``."""


@dataclass(frozen=True)
class EmulatorOptions:
    """Behaviour of an :class:`~nextevi_widgets.emulator.Emulator` (all fields optional)."""

    auth: EmulatorAuth = field(default_factory=EmulatorAuth)
    profile: str | None = None
    """Force this engine profile for every connection (else chosen by ``config_id``)."""
    config_profiles: Mapping[str, str] = field(default_factory=dict)
    """Explicit ``config_id -> profile`` mapping, consulted before name matching."""
    dialect: Dialect = "both"
    wav_chunks: bool = False
    """Send each ``tts_chunk`` as a small WAV file instead of headerless PCM16."""
    user_interruption: bool = False
    """Send ``user_interruption`` in addition to ``tts_interruption`` on barge-in."""
    llm_text: LLMTextMode = "delta"
    """Non-final ``llm_response_chunk`` content: deltas (default) or the text so far."""
    keep_alive_echo: bool = False
    """Answer ``keep_alive`` with a ``keep_alive`` message (the real reply is unknown)."""
    greeting: str | None = None
    """When set, a ``system_message`` (``message_type: "initial"``) follows the metadata."""
    max_frame_bytes: int = DEFAULT_MAX_FRAME_BYTES
    tts_lead: float = 0.3
    """Seconds of assistant audio sent ahead of real-time playback."""
    tts_chunk_max: float = 0.2
    """Longest ``tts_chunk`` in seconds; sentences are cut into equal pieces no longer than
    this (so pieces are longer than half of it unless a sentence is shorter)."""
    emotion_interval: float = 0.5
    """Seconds of user speech between rolling ``emotion_update`` messages."""
    silence_threshold: float = 0.6
    min_speaking_time: float = 0.25
    speech_start: float = 0.09
    max_turn_duration: float = 30.0
    vad_warmup: float = 0.06
    stt_workers: int = 0
    """Processes that run PocketSphinx recognition (``default`` and ``neural`` profiles). 0
    decodes in this process: PocketSphinx holds the GIL, so all connections then share one
    core. The command line and :class:`EmulatorProcess` use one per CPU (up to 4)."""
    max_connections: int = DEFAULT_MAX_CONNECTIONS
    """Connections served at once. The next one is accepted, then closed at once with code 1013
    (Try Again Later) and the reason ``TOO_MANY_CONNECTIONS``, which clients retry with backoff.
    """
    project_id: str = "emulator-project"
    """Reported in ``connection_metadata`` when the client sends no ``project_id``."""

    def __post_init__(self) -> None:
        if self.dialect not in ("both", "flat", "envelope"):
            raise ValueError(f"unknown dialect {self.dialect!r}")
        if self.llm_text not in ("delta", "cumulative"):
            raise ValueError(f"unknown llm_text mode {self.llm_text!r}")
        if not 0.01 <= self.tts_chunk_max <= 5.0:
            raise ValueError("tts_chunk_max must be between 0.01 and 5 seconds")
        if self.max_frame_bytes <= 0:
            raise ValueError("max_frame_bytes must be positive")
        if self.max_connections < 1:
            raise ValueError("max_connections must be at least 1")
        if not 0 <= self.stt_workers <= 16:
            raise ValueError("stt_workers must be between 0 and 16")
        for name in ("tts_lead", "emotion_interval", "silence_threshold", "min_speaking_time"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must not be negative")
