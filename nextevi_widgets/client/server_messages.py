"""Server -> client NextEVI messages and :func:`parse_server_message`."""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

from ._wire import (
    DEFAULT_SAMPLE_RATE,
    Dialect,
    EmotionScore,
    JSONDict,
    MessageParseError,
    WireMessage,
    _as_bool,
    _as_dict,
    _as_float,
    _as_int,
    _as_list,
    _as_opt_str,
    _as_str,
    _envelope,
    _field,
    _parse_with,
    _wav_bytes,
    decode_pcm_payload,
    normalize_emotions,
)

__all__ = [
    "ConnectionMetadata",
    "EmotionUpdate",
    "ErrorMessage",
    "IdleWarning",
    "Interruption",
    "LLMResponseChunk",
    "ServerDisconnect",
    "ServerMessage",
    "Status",
    "SystemMessage",
    "TTSChunk",
    "Transcription",
    "TurnComplete",
    "UnknownMessage",
    "Word",
    "iter_server_types",
    "parse_server_message",
]

# --------------------------------------------------------------------------------------------
# Server -> client messages
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class ServerMessage(WireMessage):
    """Base of every server message (see :class:`WireMessage`)."""


@dataclass(frozen=True, kw_only=True)
class ConnectionMetadata(ServerMessage):
    """Sent first by the server after a successful connection."""

    type: ClassVar[str] = "connection_metadata"
    connection_id: str = ""
    status: str = "connected"
    config: Mapping[str, Any] = field(default_factory=dict)
    project_id: str | None = None
    config_id: str | None = None

    def payload(self) -> JSONDict:
        return {
            "connection_id": self.connection_id,
            "status": self.status,
            "config": dict(self.config),
            "project_id": self.project_id,
            "config_id": self.config_id,
        }

    @classmethod
    def from_wire(cls, msg: Mapping[str, Any]) -> ConnectionMetadata:
        config = _as_dict(_field(msg, "config")) or _as_dict(msg.get("metadata"))
        return cls(
            connection_id=_as_str(_field(msg, "connection_id")),
            status=_as_str(_field(msg, "status"), "connected"),
            config=config,
            project_id=_as_opt_str(_field(msg, "project_id")),
            config_id=_as_opt_str(_field(msg, "config_id")),
            **cls._common(msg),
        )


@dataclass(frozen=True)
class Word:
    """A word with timings (seconds from the start of the utterance, per the SDK's shape)."""

    word: str
    start: float | None = None
    end: float | None = None
    confidence: float | None = None

    def to_wire(self) -> JSONDict:
        return {
            k: v
            for k, v in {
                "word": self.word,
                "start": self.start,
                "end": self.end,
                "confidence": self.confidence,
            }.items()
            if v is not None
        }

    @classmethod
    def from_wire(cls, item: Any) -> Word | None:
        if not isinstance(item, Mapping):
            return None
        word = _as_str(item.get("word", item.get("text", item.get("punctuated_word"))), "")
        if not word:
            return None
        return cls(
            word=word,
            start=_as_float(item.get("start")),
            end=_as_float(item.get("end")),
            confidence=_as_float(item.get("confidence")),
        )


@dataclass(frozen=True, kw_only=True)
class Transcription(ServerMessage):
    """User speech-to-text. Interim results (``is_final=False``) are cumulative for the current
    utterance. ``event_type`` is ``metadata.event_type``: ``normal``, ``speech_started`` or
    ``utterance_end``."""

    type: ClassVar[str] = "transcription"
    transcript: str = ""
    is_final: bool = False
    confidence: float | None = None
    is_speech_final: bool | None = None
    words: tuple[Word, ...] = ()
    emotions: tuple[EmotionScore, ...] = ()
    event_type: str | None = None
    session_id: str | None = None
    processing_time: float | None = None

    def payload(self) -> JSONDict:
        return {
            "transcript": self.transcript,
            "is_final": self.is_final,
            "confidence": self.confidence,
            "is_speech_final": self.is_speech_final,
            "words": [w.to_wire() for w in self.words] if self.words else None,
            "emotions": [e.to_wire() for e in self.emotions] if self.emotions else None,
            "metadata": {"event_type": self.event_type} if self.event_type else None,
            "session_id": self.session_id,
            "processing_time": self.processing_time,
        }

    @classmethod
    def from_wire(cls, msg: Mapping[str, Any]) -> Transcription:
        metadata = _as_dict(_field(msg, "metadata"))
        speech_final = _field(msg, "is_speech_final")
        words = tuple(w for w in map(Word.from_wire, _as_list(_field(msg, "words"))) if w)
        return cls(
            transcript=_as_str(_field(msg, "transcript")),
            is_final=_as_bool(_field(msg, "is_final")),
            confidence=_as_float(_field(msg, "confidence")),
            is_speech_final=None if speech_final is None else _as_bool(speech_final),
            words=words,
            emotions=normalize_emotions(_field(msg, "emotions")),
            event_type=_as_opt_str(metadata.get("event_type")),
            session_id=_as_opt_str(_field(msg, "session_id")),
            processing_time=_as_float(_field(msg, "processing_time")),
            **cls._common(msg),
        )


@dataclass(frozen=True, kw_only=True)
class LLMResponseChunk(ServerMessage):
    """Streamed assistant text. Whether ``content`` is a delta or cumulative is not documented;
    the emulator sends deltas then one ``is_final`` chunk with the full text."""

    type: ClassVar[str] = "llm_response_chunk"
    content: str = ""
    is_final: bool = False
    generation_id: str | None = None
    chunk_index: int | None = None

    def payload(self) -> JSONDict:
        return {
            "content": self.content,
            "is_final": self.is_final,
            "generation_id": self.generation_id,
            "chunk_index": self.chunk_index,
        }

    @classmethod
    def from_wire(cls, msg: Mapping[str, Any]) -> LLMResponseChunk:
        return cls(
            content=_as_str(_field(msg, "content")),
            is_final=_as_bool(_field(msg, "is_final")),
            generation_id=_as_opt_str(_field(msg, "generation_id")),
            chunk_index=_as_int(_field(msg, "chunk_index")),
            **cls._common(msg),
        )


_MIN_RATE, _MAX_RATE = 4_000, 384_000


@dataclass(frozen=True, kw_only=True)
class TTSChunk(ServerMessage):
    """Assistant audio. ``audio`` is always headerless PCM16 LE mono at ``sample_rate``; the wire
    ``content`` may have been raw PCM (``container="pcm"``) or a WAV file (``"wav"``)."""

    type: ClassVar[str] = "tts_chunk"
    audio: bytes = b""
    sample_rate: int = DEFAULT_SAMPLE_RATE
    container: Literal["pcm", "wav"] = "pcm"
    chunk_id: str | None = None
    is_last: bool = False
    generation_id: str | None = None

    @property
    def duration(self) -> float:
        """Seconds of audio in this chunk."""
        return len(self.audio) / 2 / self.sample_rate if self.sample_rate else 0.0

    @property
    def num_samples(self) -> int:
        return len(self.audio) // 2

    def payload(self) -> JSONDict:
        blob = self.audio if self.container == "pcm" else _wav_bytes(self.audio, self.sample_rate)
        return {
            "content": base64.b64encode(blob).decode("ascii"),
            "chunk_id": self.chunk_id,
            "is_last": self.is_last,
            "generation_id": self.generation_id,
            # Only a non-default rate is written: vendor clients assume 24 kHz and send none.
            "sample_rate": None
            if self.container == "wav" or self.sample_rate == DEFAULT_SAMPLE_RATE
            else self.sample_rate,
        }

    def to_wire(self, dialect: Dialect = "both") -> JSONDict:
        # The docs' own example reads tts audio from the top-level `content` even in the
        # envelope dialect, so `content` is always written at the top level.
        out = super().to_wire(dialect)
        if "content" not in out:
            out["content"] = out["data"]["content"]
        return out

    @classmethod
    def from_wire(cls, msg: Mapping[str, Any]) -> TTSChunk:
        content = msg.get("content")
        if not isinstance(content, str):
            content = _field(msg, "content", _field(msg, "audio", ""))
        if not isinstance(content, str):
            raise MessageParseError("tts_chunk content must be a base64 string")
        audio, rate, container = decode_pcm_payload(content)
        declared = _field(msg, "sample_rate")
        if container == "pcm" and not isinstance(declared, bool):
            # A declared rate is honoured only when it is a plausible audio rate.
            declared_rate = _as_int(declared)
            if declared_rate is not None and _MIN_RATE <= declared_rate <= _MAX_RATE:
                rate = declared_rate
        return cls(
            audio=audio,
            sample_rate=rate,
            container=container,
            chunk_id=_as_opt_str(_field(msg, "chunk_id")),
            is_last=_as_bool(_field(msg, "is_last")),
            generation_id=_as_opt_str(_field(msg, "generation_id")),
            **cls._common(msg),
        )


@dataclass(frozen=True, kw_only=True)
class EmotionUpdate(ServerMessage):
    """Emotion scores for the user's speech. Read from ``top_emotions`` (docs, React SDK) or
    ``emotions`` (LiveKit plugin)."""

    type: ClassVar[str] = "emotion_update"
    emotions: tuple[EmotionScore, ...] = ()

    @property
    def scores(self) -> dict[str, float]:
        return {e.name: e.score for e in self.emotions}

    def top(self, k: int = 3) -> list[EmotionScore]:
        return sorted(self.emotions, key=lambda e: e.score, reverse=True)[:k]

    def payload(self) -> JSONDict:
        return {"top_emotions": [e.to_wire() for e in self.emotions]}

    def to_wire(self, dialect: Dialect = "both") -> JSONDict:
        """Where fields are written flat, as the vendor's clients read them: each item also
        carries ``emotion`` and ``confidence`` (the React SDK's names), and ``emotions``
        repeats the list at the top level (the LiveKit plugin reads only that). The docs'
        envelope alone keeps its ``{name, score}`` items."""
        wire = super().to_wire(dialect)
        if dialect in ("both", "flat"):
            items = [
                {**e.to_wire(), "emotion": e.name, "confidence": round(e.score, 6)}
                for e in self.emotions
            ]
            wire["top_emotions"] = items
            if "data" in wire:
                wire["data"]["top_emotions"] = items
            wire["emotions"] = items
        return wire

    @classmethod
    def from_wire(cls, msg: Mapping[str, Any]) -> EmotionUpdate:
        items = _field(msg, "top_emotions")
        if items is None:
            items = _field(msg, "emotions")
        return cls(emotions=normalize_emotions(items), **cls._common(msg))


@dataclass(frozen=True, kw_only=True)
class ErrorMessage(ServerMessage):
    """An in-band error. It does not close the connection by itself."""

    type: ClassVar[str] = "error"
    error_code: str = "UNKNOWN_ERROR"
    error_message: str = ""
    details: Mapping[str, Any] = field(default_factory=dict)

    def payload(self) -> JSONDict:
        return {
            "error_code": self.error_code,
            "error_message": self.error_message,
            "details": dict(self.details) if self.details else None,
        }

    def to_wire(self, dialect: Dialect = "both") -> JSONDict:
        """Top-level fields also carry ``error``, the one string the LiveKit plugin reads."""
        wire = super().to_wire(dialect)
        if dialect in ("both", "flat"):
            wire["error"] = self.error_message
        return wire

    @classmethod
    def from_wire(cls, msg: Mapping[str, Any]) -> ErrorMessage:
        message = _field(msg, "error_message")
        if message is None:
            message = _field(msg, "error", _field(msg, "message"))
        return cls(
            error_code=_as_str(_field(msg, "error_code"), "UNKNOWN_ERROR"),
            error_message=_as_str(message, "Unknown server error"),
            details=_as_dict(_field(msg, "details")),
            **cls._common(msg),
        )


@dataclass(frozen=True, kw_only=True)
class Interruption(ServerMessage):
    """Barge-in: stop playback and drop queued assistant audio. Both wire types,
    ``tts_interruption`` and ``user_interruption``, map to this one event; ``kind`` says which."""

    type: ClassVar[str] = "tts_interruption"
    kind: Literal["tts_interruption", "user_interruption"] = "tts_interruption"
    content: str = ""

    def to_wire(self, dialect: Dialect = "both") -> JSONDict:
        return _envelope(
            self.kind,
            {"content": self.content},
            dialect=dialect,
            timestamp=self.timestamp,
            message_id=self.message_id,
        )

    @classmethod
    def from_wire(cls, msg: Mapping[str, Any]) -> Interruption:
        kind: Literal["tts_interruption", "user_interruption"] = (
            "user_interruption" if msg.get("type") == "user_interruption" else "tts_interruption"
        )
        return cls(kind=kind, content=_as_str(_field(msg, "content")), **cls._common(msg))


@dataclass(frozen=True, kw_only=True)
class TurnComplete(ServerMessage):
    """The server's end-of-turn decision for the user's utterance."""

    type: ClassVar[str] = "turn_complete"
    transcript: str = ""
    is_complete: bool = True
    confidence: float | None = None
    reasons: tuple[str, ...] = ()
    processing_time: float | None = None

    def payload(self) -> JSONDict:
        result: JSONDict = {"is_complete": self.is_complete, "reasons": list(self.reasons)}
        if self.confidence is not None:
            result["confidence"] = self.confidence
        if self.processing_time is not None:
            result["processing_time"] = self.processing_time
        return {"transcript": self.transcript, "turn_result": result}

    @classmethod
    def from_wire(cls, msg: Mapping[str, Any]) -> TurnComplete:
        result = _as_dict(_field(msg, "turn_result"))
        return cls(
            transcript=_as_str(_field(msg, "transcript")),
            is_complete=_as_bool(result.get("is_complete"), True),
            confidence=_as_float(result.get("confidence")),
            reasons=tuple(_as_str(r) for r in _as_list(result.get("reasons")) if _as_str(r)),
            processing_time=_as_float(result.get("processing_time")),
            **cls._common(msg),
        )


@dataclass(frozen=True, kw_only=True)
class IdleWarning(ServerMessage):
    """The session has been idle; ``final_warning`` precedes a hang-up."""

    type: ClassVar[str] = "idle_warning"
    time_remaining: float | None = None
    warning_type: str = "warning"

    def payload(self) -> JSONDict:
        return {"time_remaining": self.time_remaining, "warning_type": self.warning_type}

    @classmethod
    def from_wire(cls, msg: Mapping[str, Any]) -> IdleWarning:
        return cls(
            time_remaining=_as_float(_field(msg, "time_remaining")),
            warning_type=_as_str(_field(msg, "warning_type"), "warning"),
            **cls._common(msg),
        )


@dataclass(frozen=True, kw_only=True)
class SystemMessage(ServerMessage):
    """A system notice: ``initial`` (greeting), ``warning`` or ``hangup``."""

    type: ClassVar[str] = "system_message"
    content: str = ""
    message_type: str = "initial"

    def payload(self) -> JSONDict:
        return {"content": self.content, "message_type": self.message_type}

    @classmethod
    def from_wire(cls, msg: Mapping[str, Any]) -> SystemMessage:
        return cls(
            content=_as_str(_field(msg, "content")),
            message_type=_as_str(_field(msg, "message_type"), "initial"),
            **cls._common(msg),
        )


@dataclass(frozen=True, kw_only=True)
class Status(ServerMessage):
    """A server status notice (clients only log it)."""

    type: ClassVar[str] = "status"
    status: str | None = None
    message: str | None = None

    def payload(self) -> JSONDict:
        return {"status": self.status, "message": self.message}

    @classmethod
    def from_wire(cls, msg: Mapping[str, Any]) -> Status:
        return cls(
            status=_as_opt_str(_field(msg, "status")),
            message=_as_opt_str(_field(msg, "message")),
            **cls._common(msg),
        )


@dataclass(frozen=True, kw_only=True)
class ServerDisconnect(ServerMessage):
    """``websocket.disconnect`` forwarded as JSON by the backend before it closes (seen only in
    the LiveKit plugin)."""

    type: ClassVar[str] = "websocket.disconnect"
    code: int | None = None
    reason: str = ""

    def payload(self) -> JSONDict:
        return {"code": self.code, "reason": self.reason}

    @classmethod
    def from_wire(cls, msg: Mapping[str, Any]) -> ServerDisconnect:
        return cls(
            code=_as_int(_field(msg, "code")),
            reason=_as_str(_field(msg, "reason")),
            **cls._common(msg),
        )


@dataclass(frozen=True, kw_only=True)
class UnknownMessage(ServerMessage):
    """A message of a type this version does not know; ``raw`` holds it unchanged."""

    message_type: str = ""

    def to_wire(self, dialect: Dialect = "both") -> JSONDict:
        return dict(self.raw) if self.raw else {"type": self.message_type}

    @classmethod
    def from_wire(cls, msg: Mapping[str, Any]) -> UnknownMessage:
        return cls(message_type=_as_str(msg.get("type")), **cls._common(msg))


_SERVER_TYPES: dict[str, Any] = {
    "connection_metadata": ConnectionMetadata,
    "transcription": Transcription,
    "llm_response_chunk": LLMResponseChunk,
    "tts_chunk": TTSChunk,
    "emotion_update": EmotionUpdate,
    "error": ErrorMessage,
    "tts_interruption": Interruption,
    "user_interruption": Interruption,
    "turn_complete": TurnComplete,
    "idle_warning": IdleWarning,
    "system_message": SystemMessage,
    "status": Status,
    "websocket.disconnect": ServerDisconnect,
}


def parse_server_message(
    data: str | bytes | bytearray | memoryview | Mapping[str, Any],
) -> ServerMessage:
    """Parse one server frame (JSON text, bytes or an already-decoded dict).

    Never raises for an unknown ``type`` (gives :class:`UnknownMessage`); raises
    :class:`MessageParseError` when the frame is not a JSON object with a string ``type`` or when
    a known payload cannot be decoded (bad audio).
    """
    return _parse_with(data, _SERVER_TYPES, UnknownMessage)


def iter_server_types() -> Sequence[str]:
    """Every server ``type`` this module models (for docs and tests)."""
    return tuple(_SERVER_TYPES)
