"""Client -> server NextEVI messages and :func:`parse_client_message`."""

from __future__ import annotations

import base64
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from ._wire import (
    DEFAULT_SAMPLE_RATE,
    Dialect,
    JSONDict,
    MessageParseError,
    WireMessage,
    _as_bool,
    _as_dict,
    _as_float,
    _as_int,
    _as_opt_str,
    _as_str,
    _envelope,
    _field,
    _parse_with,
    decode_pcm_payload,
)

__all__ = [
    "AudioInput",
    "ClientMessage",
    "EmotionDetection",
    "IdleTimeout",
    "Interrupt",
    "KeepAlive",
    "SessionSettings",
    "TextInput",
    "TurnDetection",
    "UnknownClientMessage",
    "parse_client_message",
]

# --------------------------------------------------------------------------------------------
# Client -> server messages
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class ClientMessage(WireMessage):
    """Base of client messages; ``to_wire`` always adds ``timestamp`` and ``message_id``."""


@dataclass(frozen=True)
class EmotionDetection:
    enabled: bool = True
    confidence_threshold: float | None = None

    def to_wire(self) -> JSONDict:
        out: JSONDict = {"enabled": self.enabled}
        if self.confidence_threshold is not None:
            out["confidence_threshold"] = self.confidence_threshold
        return out

    @classmethod
    def from_wire(cls, value: Any) -> EmotionDetection | None:
        if not isinstance(value, Mapping):
            return None
        return cls(
            enabled=_as_bool(value.get("enabled"), True),
            confidence_threshold=_as_float(value.get("confidence_threshold")),
        )


@dataclass(frozen=True)
class TurnDetection:
    """Turn detection settings (seconds for durations). Fields left ``None`` are not sent, so
    the server keeps its defaults. ``extra`` carries the documented advanced keys verbatim
    (``mode``, ``natural_pauses``, ``context_awareness``…)."""

    enabled: bool = True
    silence_threshold: float | None = None
    min_speaking_time: float | None = None
    speech_threshold: float | None = None
    interrupt_threshold: float | None = None
    max_turn_duration: float | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)

    _KNOWN: ClassVar[tuple[str, ...]] = (
        "silence_threshold",
        "min_speaking_time",
        "speech_threshold",
        "interrupt_threshold",
        "max_turn_duration",
    )

    def to_wire(self) -> JSONDict:
        out: JSONDict = {"enabled": self.enabled}
        for key in self._KNOWN:
            value = getattr(self, key)
            if value is not None:
                out[key] = value
        out.update(self.extra)
        return out

    @classmethod
    def from_wire(cls, value: Any) -> TurnDetection | None:
        if not isinstance(value, Mapping):
            return None
        known = {key: _as_float(value.get(key)) for key in cls._KNOWN}
        extra = {k: v for k, v in value.items() if k not in cls._KNOWN and k != "enabled"}
        return cls(enabled=_as_bool(value.get("enabled"), True), extra=extra, **known)


@dataclass(frozen=True)
class IdleTimeout:
    """React-SDK-style idle timeout (seconds)."""

    warning_timeout: float | None = None
    hangup_timeout: float | None = None
    enabled: bool = True

    def to_wire(self) -> JSONDict:
        return {
            k: v
            for k, v in {
                "warning_timeout": self.warning_timeout,
                "hangup_timeout": self.hangup_timeout,
                "enabled": self.enabled,
            }.items()
            if v is not None
        }

    @classmethod
    def from_wire(cls, value: Any) -> IdleTimeout | None:
        if not isinstance(value, Mapping):
            return None
        return cls(
            warning_timeout=_as_float(value.get("warning_timeout")),
            hangup_timeout=_as_float(value.get("hangup_timeout")),
            enabled=_as_bool(value.get("enabled"), True),
        )


@dataclass(frozen=True, kw_only=True)
class SessionSettings(ClientMessage):
    """Session settings, written in the docs' envelope **and** with the flat fields the vendor
    clients send (``sample_rate``, ``channels``, ``encoding`` at the top level).

    Sending both is an assumption (documented in the README): a server that ignores unknown keys
    accepts it whichever dialect it implements.
    """

    type: ClassVar[str] = "session_settings"
    sample_rate: int = DEFAULT_SAMPLE_RATE
    channels: int = 1
    encoding: str = "linear16"
    emotion_detection: EmotionDetection | None = field(default_factory=EmotionDetection)
    turn_detection: TurnDetection | None = field(default_factory=TurnDetection)
    idle_timeout: IdleTimeout | None = None

    def to_wire(self, dialect: Dialect = "both") -> JSONDict:
        audio = {
            "sample_rate": self.sample_rate,
            "channels": self.channels,
            "encoding": self.encoding,
        }
        data: JSONDict = {"audio": audio}
        if self.emotion_detection is not None:
            data["emotion_detection"] = self.emotion_detection.to_wire()
        if self.turn_detection is not None:
            data["turn_detection"] = self.turn_detection.to_wire()
        if self.idle_timeout is not None:
            data["idle_timeout"] = self.idle_timeout.to_wire()
        out = _envelope(
            self.type,
            {},
            dialect="flat",
            timestamp=self.timestamp,
            message_id=self.message_id,
        )
        if dialect in ("both", "envelope"):
            out["data"] = data
        if dialect in ("both", "flat"):
            out.update(audio)
            if self.idle_timeout is not None:
                out["idle_timeout"] = self.idle_timeout.to_wire()
            if dialect == "flat":
                # Flat peers have no `data`; keep the detection settings at the top level.
                for key in ("emotion_detection", "turn_detection"):
                    if key in data:
                        out[key] = data[key]
        return out

    @classmethod
    def from_wire(cls, msg: Mapping[str, Any]) -> SessionSettings:
        data = _as_dict(msg.get("data"))
        audio = _as_dict(data.get("audio"))

        def pick(key: str) -> Any:
            for source in (audio, data, msg):
                if key in source:
                    return source[key]
            return None

        return cls(
            sample_rate=_as_int(pick("sample_rate"), DEFAULT_SAMPLE_RATE) or DEFAULT_SAMPLE_RATE,
            channels=_as_int(pick("channels"), 1) or 1,
            encoding=_as_str(pick("encoding"), "linear16"),
            emotion_detection=EmotionDetection.from_wire(_field(msg, "emotion_detection")),
            turn_detection=TurnDetection.from_wire(_field(msg, "turn_detection")),
            idle_timeout=IdleTimeout.from_wire(_field(msg, "idle_timeout")),
            **cls._common(msg),
        )


@dataclass(frozen=True, kw_only=True)
class AudioInput(ClientMessage):
    """JSON audio transport (the docs' form): base64 PCM16 LE mono 24 kHz under ``data.audio``.
    Binary WebSocket frames (what the vendor SDKs send) are the client's default instead.

    The base64 text is kept as received; :meth:`decode` checks and decodes it, so a malformed
    payload can be answered with an ``error`` message rather than failing the parse.
    """

    type: ClassVar[str] = "audio_input"
    audio_b64: str = ""
    chunk_id: str | None = None

    @classmethod
    def from_pcm(cls, pcm: bytes, chunk_id: str | None = None) -> AudioInput:
        return cls(audio_b64=base64.b64encode(pcm).decode("ascii"), chunk_id=chunk_id)

    def decode(self) -> bytes:
        """The PCM16 bytes; raises :class:`MessageParseError` on bad base64 or odd length."""
        pcm, _, _ = decode_pcm_payload(self.audio_b64)
        return pcm

    def payload(self) -> JSONDict:
        return {"audio": self.audio_b64, "chunk_id": self.chunk_id}

    def to_wire(self, dialect: Dialect = "envelope") -> JSONDict:
        # Audio is large: never duplicate it. The docs' shape puts it under `data`.
        return super().to_wire("flat" if dialect == "flat" else "envelope")

    @classmethod
    def from_wire(cls, msg: Mapping[str, Any]) -> AudioInput:
        content = _field(msg, "audio")
        if not isinstance(content, str):
            raise MessageParseError("audio_input needs a base64 string in data.audio")
        return cls(
            audio_b64=content, chunk_id=_as_opt_str(_field(msg, "chunk_id")), **cls._common(msg)
        )


@dataclass(frozen=True, kw_only=True)
class KeepAlive(ClientMessage):
    """Application-level keepalive for idle periods (the server's reply, if any, is unknown)."""

    type: ClassVar[str] = "keep_alive"

    def to_wire(self, dialect: Dialect = "both") -> JSONDict:
        return _envelope(
            self.type, {}, dialect="flat", timestamp=self.timestamp, message_id=self.message_id
        )

    @classmethod
    def from_wire(cls, msg: Mapping[str, Any]) -> KeepAlive:
        return cls(**cls._common(msg))


@dataclass(frozen=True, kw_only=True)
class TextInput(ClientMessage):
    """Text in place of speech. **Extension**: only the LiveKit plugin defines it and never
    calls it; the real service may not support it. The emulator does."""

    type: ClassVar[str] = "text_input"
    text: str = ""

    def payload(self) -> JSONDict:
        return {"text": self.text}

    @classmethod
    def from_wire(cls, msg: Mapping[str, Any]) -> TextInput:
        return cls(text=_as_str(_field(msg, "text", _field(msg, "content"))), **cls._common(msg))


@dataclass(frozen=True, kw_only=True)
class Interrupt(ClientMessage):
    """Ask the server to stop the current response. **Extension**: defined (never called) only
    in the LiveKit plugin; the real service may ignore it. The emulator honours it."""

    type: ClassVar[str] = "interrupt"

    def to_wire(self, dialect: Dialect = "both") -> JSONDict:
        return _envelope(
            self.type, {}, dialect="flat", timestamp=self.timestamp, message_id=self.message_id
        )

    @classmethod
    def from_wire(cls, msg: Mapping[str, Any]) -> Interrupt:
        return cls(**cls._common(msg))


@dataclass(frozen=True, kw_only=True)
class UnknownClientMessage(ClientMessage):
    """A client message of a type the emulator does not know (e.g. ``test_connection``)."""

    message_type: str = ""

    def to_wire(self, dialect: Dialect = "both") -> JSONDict:
        return dict(self.raw) if self.raw else {"type": self.message_type}

    @classmethod
    def from_wire(cls, msg: Mapping[str, Any]) -> UnknownClientMessage:
        return cls(message_type=_as_str(msg.get("type")), **cls._common(msg))


_CLIENT_TYPES: dict[str, Any] = {
    "session_settings": SessionSettings,
    "audio_input": AudioInput,
    "keep_alive": KeepAlive,
    "text_input": TextInput,
    "interrupt": Interrupt,
}


def parse_client_message(
    data: str | bytes | bytearray | memoryview | Mapping[str, Any],
) -> ClientMessage:
    """Parse one client JSON frame (used by the emulator). Same error contract as
    :func:`parse_server_message`."""
    return _parse_with(data, _CLIENT_TYPES, UnknownClientMessage)
