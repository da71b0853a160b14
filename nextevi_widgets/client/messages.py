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

import base64
import binascii
import io
import json
import time
import uuid
import wave
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal, TypeAlias

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
    "normalize_emotions",
    "parse_client_message",
    "parse_server_message",
]

JSONDict: TypeAlias = dict[str, Any]
Dialect: TypeAlias = Literal["both", "flat", "envelope"]
"""How payload fields are written: top level and under ``data`` (default), top level only, or
under ``data`` only (the docs' envelope)."""

DEFAULT_SAMPLE_RATE = 24_000
"""The only audio format both vendor clients use: PCM16 little-endian mono at 24 kHz."""

EMOTION_NAMES: tuple[str, ...] = (
    "joy",
    "sadness",
    "anger",
    "fear",
    "surprise",
    "disgust",
    "neutral",
    "empathy",
    "confusion",
)
"""The documented emotion set, lower-cased (the wire casing is unknown, so names are normalised)."""

_ENVELOPE_KEYS = frozenset({"type", "timestamp", "message_id", "data"})


class MessageParseError(ValueError):
    """A frame could not be understood: not JSON, not an object, no ``type``, or a payload that
    cannot be decoded (e.g. bad base64 audio). The message says which, never the whole frame."""


# --------------------------------------------------------------------------------------------
# Small tolerant readers
# --------------------------------------------------------------------------------------------


def _field(msg: Mapping[str, Any], key: str, default: Any = None) -> Any:
    """Read ``key`` from ``msg["data"]`` when present there, else from the top level."""
    data = msg.get("data")
    if isinstance(data, Mapping) and key in data:
        return data[key]
    return msg.get(key, default)


def _as_str(value: Any, default: str = "") -> str:
    if value is None:
        return default
    if isinstance(value, str):
        return value
    if isinstance(value, (int, float, bool)):
        return str(value)
    return default


def _as_opt_str(value: Any) -> str | None:
    if value is None:
        return None
    text = _as_str(value, "")
    return text if text != "" or value == "" else None


def _as_float(value: Any, default: float | None = None) -> float | None:
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, (int, float)):
        result = float(value)
        return result if result == result and abs(result) != float("inf") else default
    if isinstance(value, str):
        try:
            result = float(value)
        except ValueError:
            return default
        return result if result == result and abs(result) != float("inf") else default
    return default


def _as_int(value: Any, default: int | None = None) -> int | None:
    number = _as_float(value)
    if number is None:
        return default
    try:
        return int(number)
    except (OverflowError, ValueError):
        return default


def _as_bool(value: Any, default: bool = False) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        return value != 0
    if isinstance(value, str):
        lowered = value.strip().lower()
        if lowered in {"true", "1", "yes"}:
            return True
        if lowered in {"false", "0", "no", ""}:
            return False
    return default


def _as_dict(value: Any) -> JSONDict:
    return dict(value) if isinstance(value, Mapping) else {}


def _as_list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, (list, tuple)) else []


def _new_message_id() -> str:
    return str(uuid.uuid4())


def _envelope(
    type_: str,
    payload: Mapping[str, Any],
    *,
    dialect: Dialect,
    timestamp: float | None,
    message_id: str | None,
) -> JSONDict:
    """Build a wire dict in the requested dialect, always with ``timestamp`` and ``message_id``."""
    out: JSONDict = {
        "type": type_,
        "timestamp": time.time() if timestamp is None else timestamp,
        "message_id": message_id or _new_message_id(),
    }
    clean = {k: v for k, v in payload.items() if v is not None}
    if dialect in ("both", "flat"):
        for key, value in clean.items():
            if key not in _ENVELOPE_KEYS:
                out[key] = value
    if dialect in ("both", "envelope"):
        out["data"] = dict(clean)
    return out


# --------------------------------------------------------------------------------------------
# Emotions
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class EmotionScore:
    """One emotion, normalised: lower-case ``name`` and ``score`` in 0..1.

    ``raw`` keeps the item exactly as received (``{name, score}``, ``{emotion, percentage}`` or
    ``{emotion, confidence}``).
    """

    name: str
    score: float
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)

    def to_wire(self) -> JSONDict:
        """The docs' item shape, ``{"name", "score"}``."""
        return {"name": self.name, "score": round(self.score, 6)}


def normalize_emotions(items: Any) -> tuple[EmotionScore, ...]:
    """Normalise a list of emotion items of any known shape; unusable items are skipped.

    * ``{"name": "Joy", "score": 0.7}`` (docs) -> ``joy, 0.7``
    * ``{"emotion": "joy", "percentage": 71}`` (React SDK, 0–100) -> ``joy, 0.71``
    * ``{"emotion": "joy", "confidence": 0.2}`` (React SDK, 0–1) -> ``joy, 0.2``

    A mapping ``{"joy": 0.7, ...}`` is accepted too. Scores are clipped to 0..1.
    """
    if isinstance(items, Mapping):
        items = [{"name": k, "score": v} for k, v in items.items()]
    result: list[EmotionScore] = []
    for item in _as_list(items):
        if not isinstance(item, Mapping):
            continue
        name = _as_str(item.get("name", item.get("emotion", item.get("label"))), "").strip()
        if not name:
            continue
        score: float | None
        if "score" in item:
            score = _as_float(item.get("score"))
        elif "percentage" in item:
            pct = _as_float(item.get("percentage"))
            score = None if pct is None else pct / 100.0
        elif "confidence" in item:
            score = _as_float(item.get("confidence"))
        else:
            score = None
        if score is None:
            continue
        result.append(EmotionScore(name.lower(), min(1.0, max(0.0, score)), dict(item)))
    return tuple(result)


# --------------------------------------------------------------------------------------------
# Audio payloads
# --------------------------------------------------------------------------------------------


def decode_pcm_payload(
    content: str | bytes, default_rate: int = DEFAULT_SAMPLE_RATE
) -> tuple[bytes, int, Literal["pcm", "wav"]]:
    """Decode base64 audio into ``(pcm16le_mono_bytes, sample_rate, container)``.

    A payload starting with ``RIFF....WAVE`` is parsed as a WAV file: its header is stripped and
    its sample rate honoured (stereo is averaged to mono). Anything else is headerless PCM16 LE
    mono at ``default_rate``. Raises :class:`MessageParseError` on bad base64, an odd byte count
    or an unreadable WAV.
    """
    if isinstance(content, str):
        try:
            raw = base64.b64decode(content, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise MessageParseError(f"audio payload is not valid base64 ({exc})") from None
    else:
        raw = bytes(content)
    if len(raw) >= 12 and raw[:4] == b"RIFF" and raw[8:12] == b"WAVE":
        return (*_strip_wav(raw), "wav")
    if len(raw) % 2:
        raise MessageParseError(f"PCM16 audio must have an even byte count, got {len(raw)}")
    return raw, default_rate, "pcm"


def _strip_wav(raw: bytes) -> tuple[bytes, int]:
    try:
        with wave.open(io.BytesIO(raw), "rb") as wav:
            rate = wav.getframerate()
            channels = wav.getnchannels()
            width = wav.getsampwidth()
            frames = wav.readframes(wav.getnframes())
    except (wave.Error, EOFError) as exc:
        # Streaming WAV writers (e.g. `espeak-ng --stdout`) leave bogus sizes in the header;
        # fall back to the canonical 44-byte header.
        if len(raw) < 44:
            raise MessageParseError(f"unreadable WAV audio payload ({exc})") from None
        rate = int.from_bytes(raw[24:28], "little") or DEFAULT_SAMPLE_RATE
        channels = int.from_bytes(raw[22:24], "little") or 1
        width = (int.from_bytes(raw[34:36], "little") or 16) // 8
        frames = raw[44:]
    if width != 2:
        raise MessageParseError(f"only 16-bit WAV audio is supported, got {8 * width}-bit")
    frames = frames[: len(frames) - len(frames) % (2 * channels)]
    if channels > 1:
        import numpy as np

        samples = np.frombuffer(frames, dtype="<i2").reshape(-1, channels).astype(np.int32)
        frames = samples.mean(axis=1).round().astype("<i2").tobytes()
    return frames, rate


def _wav_bytes(pcm: bytes, rate: int) -> bytes:
    buf = io.BytesIO()
    with wave.open(buf, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes(pcm)
    return buf.getvalue()


# --------------------------------------------------------------------------------------------
# Server -> client messages
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class ServerMessage:
    """Base of every server message. ``raw`` is the dict exactly as received (empty when the
    message was built locally); it is excluded from equality so that round trips compare."""

    type: ClassVar[str] = ""
    timestamp: float | None = None
    message_id: str | None = None
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)

    def payload(self) -> JSONDict:
        """Payload fields in wire form (no envelope keys)."""
        return {}

    def to_wire(self, dialect: Dialect = "both") -> JSONDict:
        """Serialise with ``timestamp`` and ``message_id``; fields placed per ``dialect``."""
        return _envelope(
            self.type,
            self.payload(),
            dialect=dialect,
            timestamp=self.timestamp,
            message_id=self.message_id,
        )

    @classmethod
    def _common(cls, msg: Mapping[str, Any]) -> JSONDict:
        return {
            "timestamp": _as_float(msg.get("timestamp")),
            "message_id": _as_opt_str(msg.get("message_id")),
            "raw": dict(msg),
        }


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
        sample_rate = _as_int(_field(msg, "sample_rate")) if container == "pcm" else rate
        return cls(
            audio=audio,
            sample_rate=sample_rate or rate,
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


def _load_object(data: str | bytes | bytearray | memoryview | Mapping[str, Any]) -> JSONDict:
    if isinstance(data, Mapping):
        msg = dict(data)
    else:
        if isinstance(data, (bytes, bytearray, memoryview)):
            try:
                data = bytes(data).decode("utf-8")
            except UnicodeDecodeError:
                raise MessageParseError("binary frame is not UTF-8 JSON") from None
        try:
            msg = json.loads(data)
        except (json.JSONDecodeError, RecursionError) as exc:
            raise MessageParseError(f"frame is not valid JSON ({exc.__class__.__name__})") from None
        if not isinstance(msg, dict):
            raise MessageParseError(f"frame is JSON {type(msg).__name__}, expected an object")
    if not isinstance(msg.get("type"), str) or not msg["type"]:
        raise MessageParseError("message has no string 'type' field")
    return msg


def parse_server_message(
    data: str | bytes | bytearray | memoryview | Mapping[str, Any],
) -> ServerMessage:
    """Parse one server frame (JSON text, bytes or an already-decoded dict).

    Never raises for an unknown ``type`` (gives :class:`UnknownMessage`); raises
    :class:`MessageParseError` when the frame is not a JSON object with a string ``type`` or when
    a known payload cannot be decoded (bad audio).
    """
    msg = _load_object(data)
    model = _SERVER_TYPES.get(msg["type"], UnknownMessage)
    try:
        result: ServerMessage = model.from_wire(msg)
    except MessageParseError:
        raise
    except (TypeError, ValueError, AttributeError, RecursionError, OverflowError) as exc:
        raise MessageParseError(
            f"malformed {msg['type']!r} message ({exc.__class__.__name__})"
        ) from None
    return result


# --------------------------------------------------------------------------------------------
# Client -> server messages
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class ClientMessage:
    """Base of client messages; ``to_wire`` always adds ``timestamp`` and ``message_id``."""

    type: ClassVar[str] = ""
    timestamp: float | None = None
    message_id: str | None = None
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)

    def payload(self) -> JSONDict:
        return {}

    def to_wire(self, dialect: Dialect = "both") -> JSONDict:
        return _envelope(
            self.type,
            self.payload(),
            dialect=dialect,
            timestamp=self.timestamp,
            message_id=self.message_id,
        )

    def to_json(self, dialect: Dialect = "both") -> str:
        return json.dumps(self.to_wire(dialect), separators=(",", ":"))

    @classmethod
    def _common(cls, msg: Mapping[str, Any]) -> JSONDict:
        return {
            "timestamp": _as_float(msg.get("timestamp")),
            "message_id": _as_opt_str(msg.get("message_id")),
            "raw": dict(msg),
        }


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
    msg = _load_object(data)
    model = _CLIENT_TYPES.get(msg["type"], UnknownClientMessage)
    try:
        result: ClientMessage = model.from_wire(msg)
    except MessageParseError:
        raise
    except (TypeError, ValueError, AttributeError, RecursionError, OverflowError) as exc:
        raise MessageParseError(
            f"malformed {msg['type']!r} message ({exc.__class__.__name__})"
        ) from None
    return result


def iter_server_types() -> Sequence[str]:
    """Every server ``type`` this module models (for docs and tests)."""
    return tuple(_SERVER_TYPES)
