"""Kernel <-> browser comm messages of the ``VoiceChat`` and ``EmotionPlot`` widgets.

**This module is the single source of the comm protocol.** ``_comm_codegen.py`` generates the
TypeScript types and runtime guards (``js/protocol.generated.ts``) and the table in
CONTRIBUTING.md from these declarations; ``_comm_validate.py`` checks incoming messages against
them before a handler runs. After changing a declaration run ``./dev gen`` (``./dev test`` fails
while the generated files are stale).

Conventions the generator relies on: one ``TypedDict`` per message with a single-valued
``Literal`` ``kind``; optional fields are ``NotRequired``; field types are ``str``, ``int``,
``float``, ``bool``, ``None``, ``Literal`` strings (named ones listed in :data:`ENUMS`),
``list[...]``, fixed ``tuple[...]`` and unions of these; the string under a field is its
documentation; a ``Buffers:`` paragraph in a message's docstring describes its binary buffers.
Extra keys are accepted (a newer page may add some), missing required ones and wrong types are
not.

Every message carries a ``kind`` key (snake_case). NextEVI wire messages use ``type``; keeping
the two keys apart means the protocols can never be confused in logs.
"""

# No ``from __future__ import annotations``: the TypedDicts must see ``NotRequired`` at class
# creation (string annotations would make every field required at run time).
import base64
import binascii
from collections.abc import Mapping, Sequence
from typing import Any, Literal, NamedTuple, get_args

from typing_extensions import NotRequired, TypedDict

__all__ = [
    "CLIENT_ERROR_CODES",
    "COMM_UNIONS",
    "ENUMS",
    "AudioFrameMsg",
    "BrowserMessage",
    "CaptureStateMsg",
    "ClientErrorClearedMsg",
    "ClientErrorCode",
    "ClientErrorMsg",
    "CommUnion",
    "Envelope",
    "KernelMessage",
    "PlayAudioMsg",
    "PlaybackProgressMsg",
    "PlaybackStartedMsg",
    "PlaybackStatsMsg",
    "PlotBrowserMessage",
    "PlotFrameMsg",
    "PlotKernelMessage",
    "PlotReadyMsg",
    "PlotThemeMsg",
    "StopPlaybackMsg",
    "StopReason",
    "UiAction",
    "UiActionMsg",
    "decode_b64_pcm",
    "frame_pcm",
    "split_frames",
]

# Shared enums ---------------------------------------------------------------------------------

ClientErrorCode = Literal[
    "insecure_origin",
    "mic_denied",
    "no_audio_worklet",
    "no_media_devices",
    "audio_error",
    "playback_error",
    "audio_suspended",
    "mic_silent",
    "comm_error",
]
"""A problem the page found (``client_error``); ``comm_error``: the page got a kernel message it
cannot use (a page left open across an upgrade of the package)."""
CLIENT_ERROR_CODES: frozenset[str] = frozenset(get_args(ClientErrorCode))

StopReason = Literal["interruption", "user", "disconnect"]
"""Why the kernel stops the page's playback (``stop_playback``)."""

UiAction = Literal["connect", "disconnect", "interrupt", "say"]
"""A button or the text box of the widget (``ui_action``)."""

ENUMS: dict[str, Any] = {
    "ClientErrorCode": ClientErrorCode,
    "StopReason": StopReason,
    "UiAction": UiAction,
}
"""Named enums: the generated TypeScript declares these by name (and a constant array each)."""


# VoiceChat: browser -> kernel -----------------------------------------------------------------


class Envelope(TypedDict, total=False):
    """Added to every VoiceChat browser message by the page's controller: the page's id and a
    count (1, 2, ...) from which ``_widget/page_order.py`` restores the page's send order
    (ipykernel 7 may dispatch a comm message that arrives while a cell runs ahead of one that
    arrived before it). Optional: a message without it is dispatched as it comes."""

    page: str
    """Id of the page (one per loaded page)."""
    n: int
    """1, 2, ... per page, in send order."""


class AudioFrameMsg(Envelope):
    """One or more consecutive 20 ms mic frames. Kept small: every byte here is paid 50 times a
    second.

    Buffers: ``[Int16 PCM LE mono 24 kHz: N consecutive 20 ms frames (480 samples each)
    concatenated]`` (none with ``pcm_b64``)."""

    kind: Literal["audio_frame"]
    seq: int
    """Seq of the (first) frame; the frames of a batch follow without gaps."""
    t_capture: float | list[float]
    """Capture time of the first sample, ms on the page clock (``performance.timeOrigin +
    performance.now()``): the first frame's with ``frames`` when a batch's frames follow each
    other exactly, else one time per frame."""
    frames: NotRequired[int]
    """Frames in the buffer when ``t_capture`` is one time (absent: 1)."""
    pcm_b64: NotRequired[str]
    """The PCM as base64, only when the front end cannot send binary buffers (Colab)."""
    trace: NotRequired[tuple[float | None, float | None, float | None]]
    """Benchmarks only (the ``_trace`` trait), for the message's last frame, page ms: the
    worklet finished its quantum, the main thread received it, the comm send (``null`` where
    the page has no such time)."""


class PlaybackProgressMsg(Envelope):
    """How much of a chunk reached the speakers."""

    kind: Literal["playback_progress"]
    chunk_id: str
    """The ``play_audio`` chunk."""
    played_samples: int
    """Cumulative samples of this chunk that reached the speakers."""
    total_samples: int
    """Samples in the chunk."""
    flushed: bool
    """The rest of the chunk was dropped (interruption); nothing more of it will play."""


class PlaybackStartedMsg(Envelope):
    """The chunk's first sample entered an output render quantum (once per chunk that starts
    playing)."""

    kind: Literal["playback_started"]
    chunk_id: str
    """The ``play_audio`` chunk."""
    t_scheduled: float
    """When that sample plays, ms on the page clock (from the player worklet's render
    quantum)."""


class PlaybackStatsMsg(Envelope):
    """The player's counters, at most four times a second while it runs."""

    kind: Literal["playback_stats"]
    underruns: int
    """Times the player ran dry in the middle of a reply."""
    queued_ms: float
    """Audio waiting to be played, ms."""
    played_samples_total: int
    """Samples played since the player started."""


class ClientErrorMsg(Envelope):
    """A problem the page found; sent once per problem (again when its text changes)."""

    kind: Literal["client_error"]
    code: ClientErrorCode
    """Which problem."""
    message: str
    """What the page shows about it."""


class ClientErrorClearedMsg(Envelope):
    """The page's problem with this code is gone (the kernel drops it from ``last_error``; a
    playback code lets the session count replies as heard again)."""

    kind: Literal["client_error_cleared"]
    code: ClientErrorCode
    """The problem that is gone."""


class UiActionMsg(Envelope):
    """A button or the text box."""

    kind: Literal["ui_action"]
    action: UiAction
    """What the user asked for."""
    text: NotRequired[str]
    """With ``say``: the typed text."""


class CaptureStateMsg(Envelope):
    """A view claims (``capturing``) or releases the microphone (first claim wins)."""

    kind: Literal["capture_state"]
    capturing: bool
    """Claim (true) or release (false)."""
    view_id: str
    """The view."""
    take_over: NotRequired[bool]
    """Take the claim from another view (for example one in a browser tab that was closed)."""


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

# VoiceChat: kernel -> browser -----------------------------------------------------------------


class PlayAudioMsg(TypedDict):
    """Assistant speech to play.

    Buffers: ``[Int16 PCM LE mono]`` (none with ``pcm_b64``)."""

    kind: Literal["play_audio"]
    chunk_id: str
    """Id of the chunk (playback reports name it)."""
    sample_rate: int
    """Of the PCM, Hz."""
    generation_id: str
    """The reply the chunk belongs to (empty when the server did not say)."""
    is_last: bool
    """Last chunk of the reply: running dry afterwards is not an underrun."""
    t_kernel: float
    """When the kernel got the chunk from the session, epoch ms (``time.time()``; for latency
    figures)."""
    pcm_b64: NotRequired[str]
    """The PCM as base64, only when the front end has no binary buffers (Colab)."""


class StopPlaybackMsg(TypedDict):
    """Stop playing at once (with a short fade) and drop what is queued."""

    kind: Literal["stop_playback"]
    reason: StopReason
    """Why."""


KernelMessage = PlayAudioMsg | StopPlaybackMsg

# EmotionPlot: browser -> kernel ---------------------------------------------------------------


class PlotReadyMsg(TypedDict):
    """A view appeared and asks for the current frame."""

    kind: Literal["ready"]


class PlotThemeMsg(TypedDict):
    """The page's theme, from the view's inherited text colour; sent at render and when the
    theme changes (kernel-rendered PNGs follow it)."""

    kind: Literal["theme"]
    dark: bool
    """The page is dark."""


PlotBrowserMessage = PlotReadyMsg | PlotThemeMsg

# EmotionPlot: kernel -> browser ---------------------------------------------------------------


class PlotFrameMsg(TypedDict):
    """One frame of the browser-drawn plot (``renderer="browser"``; built by
    ``timeline/canvas_frame.py``, decoded by ``js/plot/frame.ts``).

    Buffers: ``[times float64, values float32 (samples x series, NaN = missing or a gap across
    a silence, see timeline/gaps.py), turns float64 rows (start, end, role index,
    interrupted), interruption times float64]``."""

    kind: Literal["frame"]
    x0: float
    """Start of the x axis page, s."""
    x1: float
    """End of the x axis page, s."""
    title: str
    """Plot title (may be empty)."""
    names: list[str]
    """The series (emotions), in column order."""
    colors: list[str]
    """One CSS colour per series."""
    roles: list[str]
    """Turn roles, indexed by the turn rows."""
    role_colors: list[str]
    """One CSS colour per role."""
    samples: int
    """Rows in the times and values buffers."""


PlotKernelMessage = PlotFrameMsg


class CommUnion(NamedTuple):
    """One direction of one widget's messages."""

    name: str
    """Name of the union (Python and TypeScript)."""
    widget: str
    direction: Literal["browser -> kernel", "kernel -> browser"]
    members: tuple[Any, ...]
    """The message TypedDicts."""


COMM_UNIONS: tuple[CommUnion, ...] = (
    CommUnion("BrowserMessage", "VoiceChat", "browser -> kernel", get_args(BrowserMessage)),
    CommUnion("KernelMessage", "VoiceChat", "kernel -> browser", get_args(KernelMessage)),
    CommUnion(
        "PlotBrowserMessage", "EmotionPlot", "browser -> kernel", get_args(PlotBrowserMessage)
    ),
    CommUnion("PlotKernelMessage", "EmotionPlot", "kernel -> browser", (PlotFrameMsg,)),
)
"""Every comm message, by widget and direction (what the generator and the validator read)."""


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
