"""Events to JSON lines and back.

Server and client messages keep their wire form (flat dialect), read back with the tolerant
parsers in :mod:`nextevi_widgets.client.messages`. Audio never goes into the JSON: a
``tts_chunk`` line keeps its metadata (ids, ``sample_rate``, ``num_samples``) and where its
audio sits in the WAV's right channel (``wav_offset``, ``wav_samples``, 24 kHz frames); an
``audio`` line (microphone frame) does the same for the left channel and keeps the frame's
``level`` (dBFS, since format 2), so a replay sees the level the live session saw. Local
events (the player's reports, front-end problems, a player attached...) are written under
their ``kind`` with their fields (format 2).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

import numpy as np
import numpy.typing as npt

from ..client.events import (
    ClientEvent,
    Connected,
    Disconnected,
    ProtocolError,
    Reconnected,
    Reconnecting,
)
from ..client.messages import (
    ClientMessage,
    ServerMessage,
    TTSChunk,
    parse_client_message,
    parse_server_message,
)
from ..conversation import LocalEvent, OutgoingAudio
from ..conversation.events import LOCAL_EVENTS

__all__ = ["decode_event", "encode_event"]

_LIFECYCLE: dict[str, type[ClientEvent]] = {
    "client.connected": Connected,
    "client.reconnecting": Reconnecting,
    "client.reconnected": Reconnected,
    "client.disconnected": Disconnected,
    "client.protocol_error": ProtocolError,
}
_LIFECYCLE_NAMES = {cls: name for name, cls in _LIFECYCLE.items()}


def encode_event(event: object, placement: Mapping[str, int] | None = None) -> dict[str, Any]:
    """The JSON form of one event. ``placement`` (``wav_offset``, ``wav_samples``) says where
    its audio went in the WAV."""
    where = dict(placement or {})
    if isinstance(event, TTSChunk):
        return {
            "type": "tts_chunk",
            "chunk_id": event.chunk_id,
            "generation_id": event.generation_id,
            "is_last": event.is_last,
            "sample_rate": event.sample_rate,
            "num_samples": event.num_samples,
            **where,
        }
    if isinstance(event, OutgoingAudio):
        return {
            "type": "audio",
            "seq": event.seq,
            "t_capture": event.t_capture,
            "dropped": event.dropped,
            "level": event.level_dbfs,
            "sample_rate": event.sample_rate,
            "num_samples": event.num_samples,
            **where,
        }
    if isinstance(event, LocalEvent):
        return {"type": event.kind, **dataclasses.asdict(event)}
    if isinstance(event, (ServerMessage, ClientMessage)):
        wire = dict(event.to_wire("flat"))
        wire.pop("data", None)
        return wire
    name = _LIFECYCLE_NAMES.get(type(event)) if isinstance(event, ClientEvent) else None
    if name is not None and dataclasses.is_dataclass(event):
        fields = {
            f.name: getattr(event, f.name)
            for f in dataclasses.fields(event)
            if f.name not in ("at", "error")
        }
        if isinstance(event, Disconnected) and event.error is not None:
            fields["error"] = type(event.error).__name__
        return {"type": name, **fields}
    return {"type": "unrecorded", "class": type(event).__name__}


def decode_event(
    direction: str, line: Mapping[str, Any], audio: npt.NDArray[np.int16] | None, rate: int
) -> object | None:
    """The event object of one JSON line (None for lines that cannot be replayed). ``audio``
    is the recording's ``(n, 2)`` WAV frames, the source of chunk and microphone PCM."""
    kind = line.get("type")
    if kind == "tts_chunk":
        pcm = _pcm(audio, 1, line, rate)
        return TTSChunk(
            audio=pcm,
            sample_rate=rate,
            chunk_id=line.get("chunk_id"),
            generation_id=line.get("generation_id"),
            is_last=bool(line.get("is_last")),
        )
    if kind == "audio":
        return OutgoingAudio(
            _pcm(audio, 0, line, rate),
            rate,
            line.get("seq"),
            line.get("t_capture"),
            bool(line.get("dropped")),
            _level(line.get("level")),
        )
    local = LOCAL_EVENTS.get(kind) if isinstance(kind, str) else None
    if local is not None:
        names = {f.name for f in dataclasses.fields(local)}
        try:
            return local(**{k: v for k, v in line.items() if k in names})
        except TypeError:
            return None  # a line missing a field: not replayable
    if isinstance(kind, str) and kind in _LIFECYCLE:
        cls = _LIFECYCLE[kind]
        names = {f.name for f in dataclasses.fields(cls)} - {"at", "error"}
        return cls(**{k: v for k, v in line.items() if k in names})
    if kind == "unrecorded" or not isinstance(kind, str):
        return None
    return parse_client_message(line) if direction == "out" else parse_server_message(line)


def _level(value: object) -> float | None:
    return float(value) if isinstance(value, (int, float)) else None


def _pcm(
    audio: npt.NDArray[np.int16] | None, channel: int, line: Mapping[str, Any], rate: int
) -> bytes:
    """The event's audio from the WAV, zero-padded to its original length (the WAV holds only
    what was heard of an interrupted chunk)."""
    source_rate = int(line.get("sample_rate") or rate)
    length = round(int(line.get("num_samples") or 0) * rate / source_rate)
    out = np.zeros(length, np.int16)
    offset, placed = line.get("wav_offset"), int(line.get("wav_samples") or 0)
    if audio is not None and isinstance(offset, int) and offset >= 0 and placed > 0:
        part = audio[offset : offset + min(placed, length), channel]
        out[: len(part)] = part
    return out.astype("<i2").tobytes()
