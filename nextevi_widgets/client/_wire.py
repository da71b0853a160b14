"""Shared wire plumbing: tolerant field readers, the envelope writer, emotion normalisation and
audio payload decoding. Private to :mod:`nextevi_widgets.client`; the public names are re-exported
by :mod:`nextevi_widgets.client.messages`."""

from __future__ import annotations

import base64
import binascii
import io
import json
import time
import uuid
import wave
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal, TypeAlias, TypeVar

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


@dataclass(frozen=True, kw_only=True)
class WireMessage:
    """Base of every NextEVI message, in either direction. ``raw`` is the dict exactly as
    received (empty when the message was built locally); it is excluded from equality so that
    round trips compare."""

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

    def to_json(self, dialect: Dialect = "both") -> str:
        return json.dumps(self.to_wire(dialect), separators=(",", ":"))

    @classmethod
    def _common(cls, msg: Mapping[str, Any]) -> JSONDict:
        return {
            "timestamp": _as_float(msg.get("timestamp")),
            "message_id": _as_opt_str(msg.get("message_id")),
            "raw": dict(msg),
        }


M = TypeVar("M", bound=WireMessage)


def _parse_with(
    data: str | bytes | bytearray | memoryview | Mapping[str, Any],
    registry: Mapping[str, Any],
    fallback: type[M],
) -> M:
    """Decode a frame and build the model its ``type`` names (``fallback`` for unknown types).
    Every failure becomes :class:`MessageParseError` with a short reason."""
    msg = _load_object(data)
    model = registry.get(msg["type"], fallback)
    try:
        result: M = model.from_wire(msg)
    except MessageParseError:
        raise
    except (TypeError, ValueError, AttributeError, RecursionError, OverflowError) as exc:
        raise MessageParseError(
            f"malformed {msg['type']!r} message ({exc.__class__.__name__})"
        ) from None
    return result
