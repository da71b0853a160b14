"""Property tests of the wire parser: random JSON, wrong types, huge strings, deep nesting.

The contract: parsing never raises anything but MessageParseError, and whatever parses can be
written back to the wire and parsed again to an equal model.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nextevi_widgets.client.messages import (
    MessageParseError,
    ServerMessage,
    UnknownMessage,
    iter_server_types,
    parse_client_message,
    parse_server_message,
)

SERVER_TYPES = list(iter_server_types())
CLIENT_TYPES = ["session_settings", "audio_input", "keep_alive", "text_input", "interrupt"]

json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=50)
)
json_values = st.recursive(
    json_scalars,
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=12), children, max_size=5)
    ),
    max_leaves=25,
)
FIELD_NAMES = [
    "transcript",
    "is_final",
    "confidence",
    "words",
    "emotions",
    "top_emotions",
    "content",
    "chunk_id",
    "is_last",
    "error_code",
    "error_message",
    "details",
    "metadata",
    "config",
    "connection_id",
    "turn_result",
    "time_remaining",
    "code",
    "reason",
    "audio",
    "text",
    "sample_rate",
    "turn_detection",
    "emotion_detection",
    "timestamp",
    "message_id",
]
fields = st.dictionaries(st.sampled_from(FIELD_NAMES), json_values, max_size=8)


def _message(type_strategy: st.SearchStrategy[str]) -> st.SearchStrategy[dict[str, Any]]:
    return st.builds(
        lambda t, top, data, with_data: {"type": t, **top, **({"data": data} if with_data else {})},
        type_strategy,
        fields,
        fields,
        st.booleans(),
    )


def _check_server(frame: Any) -> None:
    try:
        msg = parse_server_message(frame)
    except MessageParseError as exc:
        assert str(exc)  # a clear reason, never empty
        return
    assert isinstance(msg, ServerMessage)
    if isinstance(msg, UnknownMessage):
        return
    again = parse_server_message(json.dumps(msg.to_wire()))
    # The writer fills in a timestamp and message_id when the input had none, and writes
    # emotion scores to 6 decimals: compare those up to that rounding.
    expected = dataclasses.replace(msg, timestamp=again.timestamp, message_id=again.message_id)
    if hasattr(msg, "emotions"):
        got, want = again.emotions, msg.emotions  # type: ignore[attr-defined]
        assert [e.name for e in got] == [e.name for e in want]
        assert all(abs(a.score - b.score) <= 5e-7 for a, b in zip(got, want, strict=True))
        expected = dataclasses.replace(expected, emotions=got)  # type: ignore[call-arg]
    assert again == expected
    # After one trip through the writer the model is stable.
    assert parse_server_message(json.dumps(again.to_wire())) == again


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(_message(st.sampled_from(SERVER_TYPES) | st.text(max_size=10)))
def test_random_server_messages_parse_or_fail_cleanly(message: dict[str, Any]) -> None:
    _check_server(json.dumps(message))


@settings(max_examples=300)
@given(_message(st.sampled_from(CLIENT_TYPES) | st.text(max_size=10)))
def test_random_client_messages_parse_or_fail_cleanly(message: dict[str, Any]) -> None:
    try:
        msg = parse_client_message(json.dumps(message))
    except MessageParseError as exc:
        assert str(exc)
        return
    assert msg.to_wire()["type"]


@settings(max_examples=200)
@given(st.binary(max_size=400) | st.text(max_size=400))
def test_random_bytes_and_text_never_crash(frame: bytes | str) -> None:
    _check_server(frame)
    with contextlib.suppress(MessageParseError):
        parse_client_message(frame)


@settings(max_examples=100)
@given(json_values)
def test_any_json_value_is_handled(value: Any) -> None:
    _check_server(json.dumps(value))


def test_huge_strings_are_kept_not_truncated() -> None:
    big = "x" * 2_000_000
    msg = parse_server_message({"type": "transcription", "transcript": big, "is_final": True})
    assert msg.transcript == big  # type: ignore[attr-defined]


@pytest.mark.parametrize("depth", [50, 5_000, 200_000])
def test_deep_nesting_fails_cleanly(depth: int) -> None:
    frame = '{"type":"transcription","data":' + "[" * depth + "]" * depth + "}"
    try:
        parse_server_message(frame)
    except MessageParseError as exc:
        assert "JSON" in str(exc)


@pytest.mark.parametrize(
    ("declared", "expected"),
    [(True, 24_000), (1, 24_000), (10**9, 24_000), ("16000", 16_000), (48_000, 48_000)],
)
def test_tts_chunk_honours_only_plausible_declared_rates(declared: object, expected: int) -> None:
    # Found by the property test above: `"sample_rate": true` used to become 1 Hz.
    msg = parse_server_message(
        {
            "type": "tts_chunk",
            "content": "AAABAA==",
            "sample_rate": declared,
            "timestamp": 1.0,
            "message_id": "m",
        }
    )
    assert msg.sample_rate == expected  # type: ignore[attr-defined]
    assert parse_server_message(msg.to_wire()) == msg
