"""Wire protocol models: every fixture parses, every model round-trips, the tolerant reader and
the superset writer behave as documented (nextevi_widgets.client.messages)."""

from __future__ import annotations

import base64
import dataclasses
import io
import json
import wave
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import pytest

from nextevi_widgets.client.messages import (
    AudioInput,
    ClientMessage,
    ConnectionMetadata,
    EmotionDetection,
    EmotionScore,
    EmotionUpdate,
    ErrorMessage,
    IdleTimeout,
    IdleWarning,
    Interrupt,
    Interruption,
    KeepAlive,
    LLMResponseChunk,
    MessageParseError,
    ServerDisconnect,
    ServerMessage,
    SessionSettings,
    Status,
    SystemMessage,
    TextInput,
    Transcription,
    TTSChunk,
    TurnComplete,
    TurnDetection,
    UnknownClientMessage,
    UnknownMessage,
    Word,
    iter_server_types,
    parse_client_message,
    parse_server_message,
)

FIXTURES = Path(__file__).parent / "fixtures" / "protocol"
CLIENT_TYPES = {"session_settings", "audio_input", "keep_alive", "text_input", "interrupt"}
CLIENT_ONLY_TYPES = {*CLIENT_TYPES, "test_connection"}


def _fixture_files() -> list[Path]:
    files = sorted(FIXTURES.rglob("*.json"))
    assert len(files) == 29, "protocol fixtures are missing or unexpected"
    return files


def _load(path: Path) -> dict[str, Any]:
    data = json.loads(path.read_text())
    assert isinstance(data, dict)
    return data


SERVER_FIXTURES = [p for p in _fixture_files() if _load(p)["type"] not in CLIENT_ONLY_TYPES]
CLIENT_FIXTURES = [p for p in _fixture_files() if _load(p)["type"] in CLIENT_ONLY_TYPES]


M = TypeVar("M", ServerMessage, ClientMessage)


def _without_filled_envelope(again: M, original: M) -> M:
    """Undo what the writer adds to an example that had no timestamp/message_id."""
    if original.timestamp is None:
        assert isinstance(again.timestamp, float)
        again = dataclasses.replace(again, timestamp=None)
    if original.message_id is None:
        assert isinstance(again.message_id, str)
        assert again.message_id
        again = dataclasses.replace(again, message_id=None)
    return again


def _ids(paths: list[Path]) -> list[str]:
    return [str(p.relative_to(FIXTURES)) for p in paths]


@pytest.mark.parametrize("path", SERVER_FIXTURES, ids=_ids(SERVER_FIXTURES))
def test_every_server_fixture_parses_to_its_model(path: Path) -> None:
    text = path.read_text()
    msg = parse_server_message(text)
    assert not isinstance(msg, UnknownMessage)
    assert msg.raw == json.loads(text)
    # The same frame as bytes or as a dict parses identically.
    assert parse_server_message(text.encode()) == msg
    assert parse_server_message(json.loads(text)) == msg
    # Written back (any dialect) and parsed again: the same model (the writer fills in a
    # timestamp and message_id when the example had none).
    for dialect in ("both", "flat", "envelope"):
        assert (
            _without_filled_envelope(parse_server_message(json.dumps(msg.to_wire(dialect))), msg)
            == msg
        )


@pytest.mark.parametrize("path", CLIENT_FIXTURES, ids=_ids(CLIENT_FIXTURES))
def test_every_client_fixture_parses_to_its_model(path: Path) -> None:
    data = _load(path)
    msg = parse_client_message(path.read_text())
    if data["type"] in CLIENT_TYPES:
        assert msg.type == data["type"]
    else:
        assert isinstance(msg, UnknownClientMessage)
        assert msg.message_type == data["type"]
        assert msg.to_wire() == data  # unknown messages are passed on unchanged
    assert msg.raw == data
    if data["type"] in CLIENT_TYPES:
        assert _without_filled_envelope(parse_client_message(msg.to_json()), msg) == msg


def test_fixture_values_are_read() -> None:
    meta = parse_server_message((FIXTURES / "connection_metadata.json").read_text())
    assert isinstance(meta, ConnectionMetadata)
    assert (meta.connection_id, meta.project_id, meta.config_id) == (
        "conn-xyz789",
        "project-123",
        "config-abc",
    )
    assert meta.config["sample_rate"] == 24000
    assert (meta.timestamp, meta.message_id) == (1645123456.789, "meta-1")
    flat = parse_server_message(
        (FIXTURES / "reconstructed" / "connection_metadata.sdk-flat.json").read_text()
    )
    assert isinstance(flat, ConnectionMetadata)
    assert flat.connection_id == "voice_1758000000000_abc123xyz"

    err = parse_server_message((FIXTURES / "error.json").read_text())
    assert isinstance(err, ErrorMessage)
    assert err.error_code == "AUDIO_PROCESSING_FAILED"
    assert err.details == {"chunk_id": "chunk-001", "reason": "Invalid audio format"}
    lk = parse_server_message((FIXTURES / "reconstructed" / "error.livekit.json").read_text())
    assert isinstance(lk, ErrorMessage)
    assert lk.error_message == "Failed to process audio chunk"

    tts = parse_server_message((FIXTURES / "reconstructed" / "tts_chunk.json").read_text())
    assert isinstance(tts, TTSChunk)
    assert np.frombuffer(tts.audio, dtype="<i2").tolist() == [0, 1, 2, 3, 4, 5]
    assert (tts.sample_rate, tts.container, tts.chunk_id) == (24000, "pcm", "tts-0001")

    words = parse_server_message(
        (FIXTURES / "reconstructed" / "transcription.sdk-flat.json").read_text()
    )
    assert isinstance(words, Transcription)
    assert [w.word for w in words.words] == ["hello", "there"]
    assert words.event_type == "normal"
    assert words.is_speech_final is True

    settings = parse_client_message(
        (FIXTURES / "session_settings.turn-detection-advanced.json").read_text()
    )
    assert isinstance(settings, SessionSettings)
    assert settings.turn_detection is not None
    assert settings.turn_detection.silence_threshold == 0.8
    assert settings.turn_detection.extra["mode"] == "adaptive"
    assert settings.turn_detection.extra["context_awareness"]["enabled"] is True
    rs = parse_client_message((FIXTURES / "session_settings.react-sdk-flat.json").read_text())
    assert isinstance(rs, SessionSettings)
    assert rs.idle_timeout == IdleTimeout(warning_timeout=30, hangup_timeout=60, enabled=True)

    text = parse_client_message((FIXTURES / "text_input.livekit.json").read_text())
    assert isinstance(text, TextInput)
    assert text.text == "Hello"


def test_docs_audio_input_placeholder_is_kept_but_does_not_decode() -> None:
    msg = parse_client_message((FIXTURES / "audio_input.json").read_text())
    assert isinstance(msg, AudioInput)
    assert msg.chunk_id == "chunk-001"
    with pytest.raises(MessageParseError):
        msg.decode()


# --- round trips of every model, built with explicit timestamp/message_id -----------------

TS = 1700000000.125
PCM = np.arange(-50, 50, dtype="<i2").tobytes()

SERVER_MODELS: list[ServerMessage] = [
    ConnectionMetadata(
        connection_id="voice_1_abc",
        status="connected",
        config={"sample_rate": 24000},
        project_id="p",
        config_id="c",
        timestamp=TS,
        message_id="m1",
    ),
    Transcription(
        transcript="hi there",
        is_final=True,
        confidence=0.9,
        is_speech_final=True,
        words=(Word("hi", 0.0, 0.2, 0.9), Word("there", 0.25, 0.5)),
        emotions=(EmotionScore("joy", 0.5),),
        event_type="utterance_end",
        session_id="s",
        processing_time=0.01,
        timestamp=TS,
        message_id="m2",
    ),
    LLMResponseChunk(
        content="Hello",
        is_final=False,
        generation_id="g",
        chunk_index=3,
        timestamp=TS,
        message_id="m3",
    ),
    TTSChunk(
        audio=PCM, chunk_id="t1", is_last=True, generation_id="g", timestamp=TS, message_id="m4"
    ),
    TTSChunk(audio=PCM, sample_rate=16000, container="wav", timestamp=TS, message_id="m5"),
    EmotionUpdate(
        emotions=(EmotionScore("joy", 0.7), EmotionScore("neutral", 0.25)),
        timestamp=TS,
        message_id="m6",
    ),
    ErrorMessage(
        error_code="X", error_message="bad", details={"a": 1}, timestamp=TS, message_id="m7"
    ),
    Interruption(kind="tts_interruption", timestamp=TS, message_id="m8"),
    Interruption(kind="user_interruption", timestamp=TS, message_id="m9"),
    TurnComplete(
        transcript="hi",
        is_complete=True,
        confidence=0.8,
        reasons=("silence",),
        processing_time=0.02,
        timestamp=TS,
        message_id="m10",
    ),
    IdleWarning(time_remaining=10.0, warning_type="final_warning", timestamp=TS, message_id="m11"),
    SystemMessage(content="hello", message_type="hangup", timestamp=TS, message_id="m12"),
    Status(status="ready", message="ok", timestamp=TS, message_id="m13"),
    ServerDisconnect(code=1000, reason="bye", timestamp=TS, message_id="m14"),
]

CLIENT_MODELS: list[ClientMessage] = [
    SessionSettings(timestamp=TS, message_id="c1"),
    SessionSettings(
        sample_rate=16000,
        channels=1,
        emotion_detection=EmotionDetection(enabled=False, confidence_threshold=0.7),
        turn_detection=TurnDetection(
            silence_threshold=0.6, interrupt_threshold=0.8, extra={"mode": "adaptive"}
        ),
        idle_timeout=IdleTimeout(warning_timeout=30, hangup_timeout=60),
        timestamp=TS,
        message_id="c2",
    ),
    AudioInput.from_pcm(PCM, chunk_id="k1"),
    KeepAlive(timestamp=TS, message_id="c4"),
    TextInput(text="hello", timestamp=TS, message_id="c5"),
    Interrupt(timestamp=TS, message_id="c6"),
]


def test_server_models_cover_every_server_type() -> None:
    modelled = {m.to_wire()["type"] for m in SERVER_MODELS}
    assert modelled == set(iter_server_types())


@pytest.mark.parametrize("model", SERVER_MODELS, ids=lambda m: type(m).__name__)
@pytest.mark.parametrize("dialect", ["both", "flat", "envelope"])
def test_server_model_round_trip(model: ServerMessage, dialect: Any) -> None:
    wire = model.to_wire(dialect)
    assert wire["timestamp"] == TS
    assert wire["message_id"] == model.message_id
    assert parse_server_message(json.dumps(wire)) == model


@pytest.mark.parametrize("model", CLIENT_MODELS, ids=lambda m: type(m).__name__)
@pytest.mark.parametrize("dialect", ["both", "flat", "envelope"])
def test_client_model_round_trip(model: ClientMessage, dialect: Any) -> None:
    if isinstance(model, AudioInput):
        model = AudioInput(audio_b64=model.audio_b64, chunk_id="k1", timestamp=TS, message_id="c3")
    assert parse_client_message(model.to_json(dialect)) == model


@pytest.mark.parametrize("model", CLIENT_MODELS, ids=lambda m: type(m).__name__)
def test_every_outgoing_message_has_float_timestamp_and_id(model: ClientMessage) -> None:
    fresh = type(model)(
        **{k: v for k, v in vars(model).items() if k not in {"timestamp", "message_id"}}
    )
    for dialect in ("both", "flat", "envelope"):
        wire = json.loads(fresh.to_json(dialect))
        assert isinstance(wire["timestamp"], float)
        assert isinstance(wire["message_id"], str)
        assert wire["message_id"]
    assert json.loads(fresh.to_json())["message_id"] != json.loads(fresh.to_json())["message_id"]


# --- tolerant reader ------------------------------------------------------------------------


def test_field_is_read_from_data_first_then_top_level() -> None:
    both = {"type": "transcription", "transcript": "top", "data": {"transcript": "inner"}}
    assert parse_server_message(both) == Transcription(transcript="inner")
    top_only = {"type": "transcription", "transcript": "top", "is_final": True, "data": {}}
    parsed = parse_server_message(top_only)
    assert isinstance(parsed, Transcription)
    assert (parsed.transcript, parsed.is_final) == ("top", True)
    mixed = {"type": "llm_response_chunk", "content": "c", "data": {"is_final": True}}
    assert parse_server_message(mixed) == LLMResponseChunk(content="c", is_final=True)


@pytest.mark.parametrize(
    "item",
    [
        {"name": "Joy", "score": 0.71},
        {"emotion": "JOY", "percentage": 71},
        {"emotion": "joy", "confidence": 0.71},
    ],
)
def test_emotion_item_shapes_normalise(item: dict[str, Any]) -> None:
    for key in ("top_emotions", "emotions"):
        msg = parse_server_message({"type": "emotion_update", "data": {key: [item]}})
        assert isinstance(msg, EmotionUpdate)
        (emotion,) = msg.emotions
        assert emotion.name == "joy"
        assert emotion.score == pytest.approx(0.71)
        assert emotion.raw == item


def test_emotion_scores_are_clipped_and_bad_items_skipped() -> None:
    msg = parse_server_message(
        {
            "type": "emotion_update",
            "top_emotions": [
                {"emotion": "anger", "percentage": 250},
                {"name": "fear", "score": -1},
                {"name": "", "score": 0.5},
                {"name": "joy"},
                "nonsense",
            ],
        }
    )
    assert isinstance(msg, EmotionUpdate)
    assert msg.scores == {"anger": 1.0, "fear": 0.0}


def _wav(pcm: bytes, rate: int, channels: int = 1) -> bytes:
    buf = io.BytesIO()
    with wave.open(buf, "wb") as wav:
        wav.setnchannels(channels)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes(pcm)
    return buf.getvalue()


def test_tts_chunk_raw_pcm_and_wav() -> None:
    raw = parse_server_message({"type": "tts_chunk", "content": base64.b64encode(PCM).decode()})
    assert isinstance(raw, TTSChunk)
    assert (raw.audio, raw.sample_rate, raw.container) == (PCM, 24000, "pcm")
    assert raw.duration == pytest.approx(100 / 24000)

    wav = parse_server_message(
        {"type": "tts_chunk", "content": base64.b64encode(_wav(PCM, 16000)).decode()}
    )
    assert isinstance(wav, TTSChunk)
    assert (wav.audio, wav.sample_rate, wav.container) == (PCM, 16000, "wav")

    stereo = np.repeat(np.frombuffer(PCM, dtype="<i2"), 2).astype("<i2").tobytes()
    wav2 = parse_server_message(
        {
            "type": "tts_chunk",
            "data": {"content": base64.b64encode(_wav(stereo, 48000, 2)).decode()},
        }
    )
    assert isinstance(wav2, TTSChunk)
    assert (wav2.audio, wav2.sample_rate) == (PCM, 48000)


@pytest.mark.parametrize(
    "content", ["@@@not base64@@@", base64.b64encode(b"\x01\x02\x03").decode(), 42]
)
def test_bad_tts_audio_is_a_parse_error(content: Any) -> None:
    with pytest.raises(MessageParseError):
        parse_server_message({"type": "tts_chunk", "content": content})


def test_both_interruption_types_map_to_interruption() -> None:
    tts = parse_server_message('{"type":"tts_interruption","content":""}')
    user = parse_server_message('{"type":"user_interruption"}')
    assert isinstance(tts, Interruption)
    assert isinstance(user, Interruption)
    assert (tts.kind, user.kind) == ("tts_interruption", "user_interruption")
    assert user.to_wire()["type"] == "user_interruption"


def test_unknown_type_keeps_raw() -> None:
    frame = {"type": "brand_new_thing", "data": {"x": [1, 2]}, "y": True}
    msg = parse_server_message(json.dumps(frame))
    assert isinstance(msg, UnknownMessage)
    assert msg.message_type == "brand_new_thing"
    assert msg.raw == frame
    assert msg.to_wire() == frame


@pytest.mark.parametrize(
    "frame",
    [
        "{not json",
        "[1, 2, 3]",
        '"a string"',
        "null",
        '{"no_type": 1}',
        '{"type": 5}',
        '{"type": ""}',
        b"\xff\xfe\x00\x01",
        "",
    ],
)
def test_malformed_frames_raise_message_parse_error(frame: str | bytes) -> None:
    with pytest.raises(MessageParseError):
        parse_server_message(frame)
    with pytest.raises(MessageParseError):
        parse_client_message(frame)


def test_parse_error_message_is_short_for_huge_frames() -> None:
    huge = "{" + "x" * 1_000_000
    with pytest.raises(MessageParseError) as info:
        parse_server_message(huge)
    assert len(str(info.value)) < 200


# --- superset writer ------------------------------------------------------------------------


def test_session_settings_written_in_envelope_and_flat() -> None:
    settings = SessionSettings(
        turn_detection=TurnDetection(silence_threshold=0.5),
        idle_timeout=IdleTimeout(warning_timeout=30, hangup_timeout=60),
    )
    wire = settings.to_wire()
    assert wire["type"] == "session_settings"
    assert isinstance(wire["timestamp"], float)
    assert wire["message_id"]
    # documented envelope
    assert wire["data"]["audio"] == {"sample_rate": 24000, "channels": 1, "encoding": "linear16"}
    assert wire["data"]["emotion_detection"] == {"enabled": True}
    assert wire["data"]["turn_detection"] == {"enabled": True, "silence_threshold": 0.5}
    # flat fields the vendor clients send
    assert (wire["sample_rate"], wire["channels"], wire["encoding"]) == (24000, 1, "linear16")
    assert wire["idle_timeout"] == {"warning_timeout": 30, "hangup_timeout": 60, "enabled": True}

    flat = settings.to_wire("flat")
    assert "data" not in flat
    assert flat["turn_detection"]["silence_threshold"] == 0.5
    envelope = settings.to_wire("envelope")
    assert "sample_rate" not in envelope
    assert envelope["data"]["audio"]["sample_rate"] == 24000


def test_server_messages_written_both_ways_by_default() -> None:
    wire = Transcription(transcript="x", is_final=True).to_wire()
    assert wire["transcript"] == wire["data"]["transcript"] == "x"
    tts = TTSChunk(audio=PCM).to_wire("envelope")
    assert tts["content"] == tts["data"]["content"]  # docs read tts audio at the top level
    assert base64.b64decode(tts["content"]) == PCM


def test_audio_input_is_never_duplicated() -> None:
    wire = AudioInput.from_pcm(PCM).to_wire("both")
    assert "audio" not in wire
    assert base64.b64decode(wire["data"]["audio"]) == PCM
    assert AudioInput.from_pcm(PCM).decode() == PCM


# Fixtures that hold exactly the top-level fields one vendor client reads (see their README).
VENDOR_FLAT_FIXTURES = sorted(
    p
    for p in (FIXTURES / "reconstructed").glob("*.json")
    if not p.name.endswith(".docs-envelope.json")
)


@pytest.mark.parametrize("path", VENDOR_FLAT_FIXTURES, ids=_ids(VENDOR_FLAT_FIXTURES))
@pytest.mark.parametrize("dialect", ["both", "flat"])
def test_flat_writer_carries_every_top_level_field_a_vendor_client_reads(
    path: Path, dialect: Any
) -> None:
    example = _load(path)
    wire = parse_server_message(example).to_wire(dialect)
    assert set(example) - {"timestamp"} <= set(wire)  # the writer always adds a timestamp


def test_emotion_update_and_error_carry_the_livekit_fields_in_flat_dialects() -> None:
    update = EmotionUpdate(emotions=(EmotionScore("joy", 0.7), EmotionScore("neutral", 0.2)))
    error = ErrorMessage(error_code="INVALID_AUDIO", error_message="odd number of bytes")
    for dialect in ("both", "flat"):
        wire = update.to_wire(dialect)
        # The LiveKit plugin reads only `emotions`; the React SDK reads `top_emotions`.
        assert wire["emotions"] == wire["top_emotions"]
        assert [e["name"] for e in wire["emotions"]] == ["joy", "neutral"]
        err = error.to_wire(dialect)
        assert err["error"] == "odd number of bytes"  # LiveKit
        assert (err["error_code"], err["error_message"]) == ("INVALID_AUDIO", "odd number of bytes")
    # The React SDK reads `top_emotions[].emotion` and `percentage || confidence * 100`.
    for dialect in ("both", "flat"):
        items = update.to_wire(dialect)["top_emotions"]
        shown = [(e["emotion"], e.get("percentage") or e["confidence"] * 100) for e in items]
        assert shown == [("joy", pytest.approx(70.0)), ("neutral", pytest.approx(20.0))]
    # The docs' envelope stays as documented: payload under `data` only.
    assert update.to_wire("envelope")["data"]["top_emotions"] == [
        {"name": "joy", "score": 0.7},
        {"name": "neutral", "score": 0.2},
    ]
    assert "emotions" not in update.to_wire("envelope")
    assert "emotions" not in update.to_wire("envelope")["data"]
    assert "error" not in error.to_wire("envelope")
    assert "error" not in error.to_wire("envelope")["data"]
    # The tolerant reader prefers the documented fields when both are present.
    both = {**error.to_wire("flat"), "error": "other text"}
    assert parse_server_message(both) == ErrorMessage(
        error_code="INVALID_AUDIO",
        error_message="odd number of bytes",
        timestamp=both["timestamp"],
        message_id=both["message_id"],
    )
