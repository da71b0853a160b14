"""Typed models of the NextEVI wire protocol, with a tolerant reader and a superset writer.

The vendor's docs and its own clients disagree on the message shape (see the project's protocol
notes): the docs wrap every payload in ``{"type", "timestamp", "message_id", "data": {...}}`` while
the vendor SDKs send and read flat top-level fields. This module hides that difference:

* **Reading** (:func:`parse_server_message`, :func:`parse_client_message`): a field is read from
  ``data`` when present there, else from the top level. Emotion items in any of the three known
  shapes are normalised to a lower-case name and a 0..1 score. ``tts_chunk`` audio may be raw
  PCM16 or a WAV file; both become raw PCM16 plus a sample rate. Unknown types become
  :class:`UnknownMessage` with the raw dict kept.
* **Writing** (``to_wire``): every outgoing message carries ``timestamp`` (float seconds) and
  ``message_id``. By default payload fields are written both at the top level and mirrored under
  ``data`` (:data:`Dialect` ``"both"``) so that docs-style and SDK-style peers both understand it.

No Jupyter imports here: this module is shared by the client and the emulator.
"""

from __future__ import annotations

from ._wire import (
    DEFAULT_SAMPLE_RATE,
    EMOTION_NAMES,
    Dialect,
    EmotionScore,
    JSONDict,
    MessageParseError,
    decode_pcm_payload,
    normalize_emotions,
)
from .client_messages import (
    AudioInput,
    ClientMessage,
    EmotionDetection,
    IdleTimeout,
    Interrupt,
    KeepAlive,
    SessionSettings,
    TextInput,
    TurnDetection,
    UnknownClientMessage,
    parse_client_message,
)
from .server_messages import (
    ConnectionMetadata,
    EmotionUpdate,
    ErrorMessage,
    IdleWarning,
    Interruption,
    LLMResponseChunk,
    ServerDisconnect,
    ServerMessage,
    Status,
    SystemMessage,
    Transcription,
    TTSChunk,
    TurnComplete,
    UnknownMessage,
    Word,
    iter_server_types,
    parse_server_message,
)

__all__ = [
    "DEFAULT_SAMPLE_RATE",
    "EMOTION_NAMES",
    "AudioInput",
    "ClientMessage",
    "ConnectionMetadata",
    "Dialect",
    "EmotionDetection",
    "EmotionScore",
    "EmotionUpdate",
    "ErrorMessage",
    "IdleTimeout",
    "IdleWarning",
    "Interrupt",
    "Interruption",
    "JSONDict",
    "KeepAlive",
    "LLMResponseChunk",
    "MessageParseError",
    "ServerDisconnect",
    "ServerMessage",
    "SessionSettings",
    "Status",
    "SystemMessage",
    "TTSChunk",
    "TextInput",
    "Transcription",
    "TurnComplete",
    "TurnDetection",
    "UnknownClientMessage",
    "UnknownMessage",
    "Word",
    "decode_pcm_payload",
    "iter_server_types",
    "normalize_emotions",
    "parse_client_message",
    "parse_server_message",
]
