"""Kernel <-> browser comm messages of the :class:`~nextevi_widgets.widget.VoiceChat` widget.

Every message carries a ``kind`` key (snake_case). NextEVI wire messages use ``type``; keeping the
two keys apart means the protocols can never be confused in logs. ``js/protocol.ts`` mirrors these
declarations; CONTRIBUTING.md has the table.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping, Sequence
from typing import Any, Literal, TypedDict, get_args

from typing_extensions import NotRequired

__all__ = [
    "CLIENT_ERROR_CODES",
    "AudioFrameMsg",
    "BrowserMessage",
    "CaptureStateMsg",
    "ClientErrorClearedMsg",
    "ClientErrorMsg",
    "Envelope",
    "KernelMessage",
    "PlayAudioMsg",
    "PlaybackProgressMsg",
    "PlaybackStatsMsg",
    "StopPlaybackMsg",
    "UiActionMsg",
    "decode_b64_pcm",
    "frame_pcm",
    "split_frames",
]

ClientErrorCode = Literal[
    "insecure_origin",
    "mic_denied",
    "no_audio_worklet",
    "no_media_devices",
    "audio_error",
    "playback_error",
    "audio_suspended",
    "mic_silent",
]
CLIENT_ERROR_CODES: frozenset[str] = frozenset(get_args(ClientErrorCode))


# Browser -> kernel ---------------------------------------------------------------------------


class Envelope(TypedDict):
    """Added to every browser message by the page's controller: the page's id and a count
    (1, 2, ...) from which ``_widget/page_order.py`` restores the page's send order."""

    page: str
    n: int


class AudioFrameMsg(TypedDict):
    """One or more consecutive 20 ms mic frames: Int16 PCM LE mono 24 kHz, concatenated, in
    ``buffers[0]`` (or ``pcm_b64`` without buffers)."""

    kind: Literal["audio_frame"]
    seq: int
    """Seq of the (first) frame; the frames of a batch follow without gaps."""
    t_capture: float | list[float]
    """Capture time of the frame's first sample in ms on the page clock
    (``performance.timeOrigin + performance.now()``): the first frame's with ``frames`` when a
    batch's frames follow each other exactly, else one per frame."""
    frames: NotRequired[int]
    """Frames in the buffer when ``t_capture`` is one time (absent: 1)."""
    pcm_b64: NotRequired[str]
    trace: NotRequired[list[float]]
    """Benchmarks only (``_trace``): page ms when the worklet finished the last frame's quantum,
    when the main thread received it, and when the comm message was sent."""


class PlaybackProgressMsg(TypedDict):
    kind: Literal["playback_progress"]
    chunk_id: str
    played_samples: int
    """Cumulative samples of this chunk that reached the speakers."""
    total_samples: int
    flushed: bool


class PlaybackStartedMsg(TypedDict):
    """The chunk's first sample entered an output render quantum (once per played chunk)."""

    kind: Literal["playback_started"]
    chunk_id: str
    t_scheduled: float
    """When that sample plays, ms on the page clock (epoch ms)."""


class PlaybackStatsMsg(TypedDict):
    kind: Literal["playback_stats"]
    underruns: int
    queued_ms: float
    played_samples_total: int


class ClientErrorMsg(TypedDict):
    kind: Literal["client_error"]
    code: ClientErrorCode
    message: str


class ClientErrorClearedMsg(TypedDict):
    """The page's problem with this code is gone (mic granted, sound started...)."""

    kind: Literal["client_error_cleared"]
    code: ClientErrorCode


class UiActionMsg(TypedDict):
    kind: Literal["ui_action"]
    action: Literal["connect", "disconnect", "interrupt", "say"]
    text: NotRequired[str]


class CaptureStateMsg(TypedDict):
    """A view claims (``capturing``) or releases the microphone. ``take_over`` lets a view take
    the claim from another view (for example one in a browser tab that was closed)."""

    kind: Literal["capture_state"]
    capturing: bool
    view_id: str
    take_over: NotRequired[bool]


BrowserMessage = (
    AudioFrameMsg
    | PlaybackProgressMsg
    | PlaybackStartedMsg
    | PlaybackStatsMsg
    | ClientErrorMsg
    | ClientErrorClearedMsg
    | UiActionMsg
    | CaptureStateMsg
)

# Kernel -> browser ---------------------------------------------------------------------------


class PlayAudioMsg(TypedDict):
    """TTS audio: Int16 PCM in ``buffers[0]``, or ``pcm_b64`` when the front end has no binary
    buffers (Colab)."""

    kind: Literal["play_audio"]
    chunk_id: str
    sample_rate: int
    generation_id: str
    is_last: bool
    t_kernel: float
    """When the kernel got the chunk from the session, epoch ms (``time.time()``)."""
    pcm_b64: NotRequired[str]


class StopPlaybackMsg(TypedDict):
    kind: Literal["stop_playback"]
    reason: Literal["interruption", "user", "disconnect"]


KernelMessage = PlayAudioMsg | StopPlaybackMsg


def frame_pcm(content: Mapping[str, Any], buffers: Sequence[Any] | None) -> bytes | None:
    """The PCM bytes of an ``audio_frame``: the first binary buffer, else ``pcm_b64``.

    Returns ``None`` when the frame carries no usable audio (an odd byte count cannot be Int16).
    """
    pcm: bytes | None = None
    if buffers:
        first = buffers[0]
        pcm = first.tobytes() if isinstance(first, memoryview) else bytes(first)
    elif isinstance(content.get("pcm_b64"), str):
        pcm = decode_b64_pcm(content["pcm_b64"])
    if pcm is None or len(pcm) % 2:
        return None
    return pcm


AUDIO_FRAME_RATE = 24_000
"""Sample rate of ``audio_frame`` PCM (fixed by the contract)."""


def split_frames(
    content: Mapping[str, Any], pcm: bytes
) -> list[tuple[bytes, int | None, float | None]]:
    """The 20 ms frames of an ``audio_frame`` as ``(pcm, seq, t_capture)``, in order.

    A batch carries one capture time per frame and equal-sized frames; anything else that does
    not divide evenly into Int16 frames raises :class:`ValueError`.
    """
    seq = content.get("seq")
    first = int(seq) if isinstance(seq, int | float) else None
    times = content.get("t_capture")
    if "frames" not in content and not isinstance(times, list) and not len(pcm) % 2:
        # One frame per message (the default, 50 messages a second): nothing to split.
        return [(pcm, first, _ms(times))]
    count = len(times) if isinstance(times, list) else content.get("frames", 1)
    if not isinstance(count, int) or count < 1 or len(pcm) % (2 * count):
        raise ValueError(f"audio_frame: {len(pcm)} PCM bytes do not split into {count} frames")
    size = len(pcm) // count
    if isinstance(times, list):
        stamps = [_ms(t) for t in times]
    else:
        start = _ms(times)
        frame_ms = size / 2 / AUDIO_FRAME_RATE * 1000.0
        stamps = [None if start is None else start + i * frame_ms for i in range(count)]
    return [
        (pcm[i * size : (i + 1) * size], None if first is None else first + i, stamps[i])
        for i in range(count)
    ]


def _ms(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) else None


def decode_b64_pcm(text: str) -> bytes | None:
    """Decode base64 PCM from the fallback path, ``None`` when it is not valid base64."""
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return None
