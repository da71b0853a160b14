"""Property tests of the emulator's input handling over a real WebSocket.

One emulator (deterministic engines) runs for the whole module on a background event loop;
each hypothesis example opens one connection, sends a batch of hostile frames, and checks the
contract: the emulator answers every bad frame with exactly one ``error`` message, never closes
the connection, and still replies to a valid ``text_input`` afterwards.

Counting works because the emulator handles a connection's frames in order: each batch ends
with a sentinel of an unknown type whose ``UNKNOWN_MESSAGE_TYPE`` error marks the end of the
batch's errors.
"""

from __future__ import annotations

import asyncio
import base64
import json
import threading
from collections.abc import Iterator, Sequence
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from websockets.sync.client import ClientConnection, connect

from nextevi_widgets.emulator import Emulator

API_KEY = "oak_fuzz_0123456789abcdef"
MAX_FRAME = 32 * 1024
KNOWN_TYPES = ("session_settings", "audio_input", "keep_alive", "text_input", "interrupt")
EXAMPLES = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


class BackgroundEmulator:
    """An :class:`Emulator` served from its own thread's event loop (hypothesis tests are sync)."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.emulator = Emulator(profile="deterministic", max_frame_bytes=MAX_FRAME)

    def __enter__(self) -> BackgroundEmulator:
        self.thread.start()
        asyncio.run_coroutine_threadsafe(self.emulator.start(), self.loop).result(30)
        return self

    def __exit__(self, *exc: object) -> None:
        asyncio.run_coroutine_threadsafe(self.emulator.stop(), self.loop).result(30)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()

    def url(self, name: str) -> str:
        return f"{self.emulator.url}/{name}?api_key={API_KEY}&config_id=deterministic"


@pytest.fixture(scope="module")
def emu() -> Iterator[BackgroundEmulator]:
    with BackgroundEmulator() as background:
        yield background


_counter = iter(range(10**9))


def _errors_until_sentinel(ws: ClientConnection) -> list[dict[str, Any]]:
    """Send the sentinel; return the ``error`` messages received before its own error."""
    sentinel = f"fuzz_sentinel_{next(_counter)}"
    ws.send(json.dumps({"type": sentinel}))
    errors: list[dict[str, Any]] = []
    while True:
        frame = ws.recv(timeout=15)
        assert isinstance(frame, str), "the emulator must only send JSON text frames"
        message = json.loads(frame)
        if message["type"] != "error":
            continue
        if message.get("details", {}).get("type") == sentinel:
            return errors
        errors.append(message)


def _still_replies(ws: ClientConnection) -> None:
    ws.send(json.dumps({"type": "text_input", "text": "are you still there"}))
    while True:
        message = json.loads(ws.recv(timeout=15))
        if message["type"] in ("llm_response_chunk", "tts_chunk"):
            return


def _run_batch(emu: BackgroundEmulator, frames: Sequence[str | bytes]) -> list[dict[str, Any]]:
    with connect(emu.url("fuzz"), max_size=None, open_timeout=10) as ws:
        assert json.loads(ws.recv(timeout=10))["type"] == "connection_metadata"
        for frame in frames:
            ws.send(frame)
        errors = _errors_until_sentinel(ws)
        _still_replies(ws)
    return errors


# -------------------------------------------------------------------------------- strategies

json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**63)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=30)
)
json_values = st.recursive(
    json_scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=15,
)

odd_binary = st.binary(min_size=1, max_size=2001).filter(lambda b: len(b) % 2 == 1)
not_json = st.text(min_size=1, max_size=200).filter(lambda s: not _is_json(s))
non_object_json = json_values.filter(lambda v: not isinstance(v, dict)).map(json.dumps)
unknown_type = st.builds(
    lambda t, body: json.dumps({**body, "type": f"x_{t}"}),
    st.text(max_size=20),
    st.dictionaries(st.text(max_size=10), json_values, max_size=3),
)
bad_audio_input = st.one_of(
    json_values.filter(lambda v: not isinstance(v, str)),
    st.text(max_size=40).filter(lambda s: not _is_valid_b64_pcm(s)),
).map(lambda audio: json.dumps({"type": "audio_input", "data": {"audio": audio}}))


def _is_json(text: str) -> bool:
    try:
        json.loads(text)
    except ValueError:
        return False
    return True


def _is_valid_b64_pcm(text: str) -> bool:
    try:
        return len(base64.b64decode(text, validate=True)) % 2 == 0
    except ValueError:
        return False


#: Frames that must each get exactly one error.
bad_frames = st.one_of(odd_binary, not_json, non_object_json, unknown_type, bad_audio_input)

# Known messages with fields of the wrong type. ``idle_timeout`` is left out: a zero hangup
# timeout legitimately ends the session, which is not what these tests are about.
KNOWN_FIELDS = [
    "audio",
    "text",
    "content",
    "sample_rate",
    "channels",
    "encoding",
    "turn_detection",
    "emotion_detection",
    "chunk_id",
    "timestamp",
    "message_id",
]
wrong_typed_known = st.builds(
    lambda type_, top, data: json.dumps({**top, "type": type_, "data": data}),
    st.sampled_from(KNOWN_TYPES),
    st.dictionaries(st.sampled_from(KNOWN_FIELDS), json_values, max_size=4),
    st.dictionaries(st.sampled_from(KNOWN_FIELDS), json_values, max_size=4),
)


# -------------------------------------------------------------------------------- tests


@EXAMPLES
@given(st.lists(bad_frames, min_size=1, max_size=8))
def test_every_bad_frame_gets_one_error_and_the_connection_stays_usable(
    emu: BackgroundEmulator, frames: list[str | bytes]
) -> None:
    errors = _run_batch(emu, frames)
    assert len(errors) == len(frames), [e["error_code"] for e in errors]
    for error in errors:
        assert error["error_code"]
        assert error["error_message"]


@EXAMPLES
@given(st.lists(wrong_typed_known, min_size=1, max_size=6))
def test_wrong_types_in_known_messages_never_break_the_session(
    emu: BackgroundEmulator, frames: list[str]
) -> None:
    errors = _run_batch(emu, frames)
    # Tolerant reading may accept some of these; whatever is refused is refused in-band.
    assert len(errors) <= 2 * len(frames)
    assert all(e["error_code"] for e in errors)


@settings(max_examples=10, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(st.binary(min_size=0, max_size=4000), min_size=1, max_size=10))
def test_random_binary_is_audio_or_an_error(emu: BackgroundEmulator, frames: list[bytes]) -> None:
    errors = _run_batch(emu, frames)
    assert len(errors) == sum(len(f) % 2 for f in frames)


@pytest.mark.parametrize(
    "frame",
    [
        bytes(MAX_FRAME + 2),
        json.dumps({"type": "text_input", "text": "x" * MAX_FRAME}),
        json.dumps({"type": "audio_input", "data": {"audio": "A" * (MAX_FRAME + 4)}}),
        "é" * (MAX_FRAME // 2 + 1),  # over the limit in bytes, not in characters
    ],
    ids=["binary", "text_input", "audio_input", "multibyte"],
)
def test_oversize_frames_are_refused_in_band(emu: BackgroundEmulator, frame: str | bytes) -> None:
    errors = _run_batch(emu, [frame, frame])
    assert [e["error_code"] for e in errors] == ["FRAME_TOO_LARGE"] * 2
