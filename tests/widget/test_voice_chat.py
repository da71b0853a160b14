"""VoiceChat without a front end: the comm handler is called the way the browser's messages
arrive (content + memoryview buffers), and what the widget sends is captured from its own send
path. The session behind it talks to a real in-process emulator (deterministic profile)."""

from __future__ import annotations

import asyncio
import base64
import json
import secrets
import socket
import time
from collections.abc import AsyncIterator
from typing import Any

import ipywidgets.embed
import numpy as np
import pytest
import traitlets
from _harness.waiting import eventually_async
from sent_messages import RecordsSent

from nextevi_widgets.client.messages import LLMResponseChunk, Transcription, TTSChunk
from nextevi_widgets.emulator import Emulator
from nextevi_widgets.session import OutgoingAudio
from nextevi_widgets.widget import VoiceChat

RATE = 24_000
FRAME = 480


class RecordingChat(RecordsSent, VoiceChat):
    """A VoiceChat that records what it sends to the browser."""


def sine_frames(seconds: float, freq: float = 440.0, amplitude: float = 0.5) -> list[bytes]:
    t = np.arange(int(RATE * seconds)) / RATE
    pcm = (np.sin(2 * np.pi * freq * t) * amplitude * 32767).astype("<i2").tobytes()
    return [pcm[i : i + FRAME * 2] for i in range(0, len(pcm) - FRAME * 2 + 1, FRAME * 2)]


@pytest.fixture
async def chat() -> AsyncIterator[RecordingChat]:
    widget = RecordingChat(config_id="deterministic", emulator="inprocess")
    widget.connect()
    await widget.session.wait_until("connected", timeout=30)
    yield widget
    widget.close()
    await eventually_async(lambda: widget.session.state == "disconnected", timeout=15)


def browser_msg(
    widget: VoiceChat, content: dict[str, Any], buffers: list[Any] | None = None
) -> None:
    widget._on_browser_msg(widget, content, buffers or [])


async def test_mic_frames_in_binary_buffers_reach_the_session(chat: RecordingChat) -> None:
    outgoing: list[OutgoingAudio] = []
    chat.session.on_event(
        lambda d, e, _t: outgoing.append(e) if isinstance(e, OutgoingAudio) else None
    )
    frames = sine_frames(0.4)
    for seq, frame in enumerate(frames):
        content = {"kind": "audio_frame", "seq": seq, "t_capture": 1000.0 + 20 * seq}
        browser_msg(chat, {**content, "sample_rate": RATE}, [memoryview(frame)])
    assert [o.pcm for o in outgoing] == frames
    assert [o.seq for o in outgoing] == list(range(len(frames)))
    assert outgoing[3].t_capture == 1060.0
    assert not any(o.dropped for o in outgoing)
    stats = await eventually_async(
        lambda: chat.stats.get("frames_sent", 0) >= len(frames) and chat.stats
    )
    assert stats["frames_sent"] >= len(frames)
    assert chat.last_error == ""


async def test_base64_frames_are_decoded_to_the_same_pcm(chat: RecordingChat) -> None:
    outgoing: list[bytes] = []
    chat.session.on_event(
        lambda d, e, _t: outgoing.append(e.pcm) if isinstance(e, OutgoingAudio) else None
    )
    frames = sine_frames(0.1, freq=1000.0)
    for seq, frame in enumerate(frames):
        b64 = base64.b64encode(frame).decode()
        content = {"kind": "audio_frame", "seq": seq, "t_capture": 0.0, "sample_rate": RATE}
        browser_msg(chat, {**content, "pcm_b64": b64})
    assert outgoing == frames


def batched(frames: list[bytes], first_seq: int, per_message: int) -> list[dict[str, Any]]:
    """audio_frame messages as the front end batches them: frames concatenated in one buffer,
    one capture time per frame, the last batch partial (flushed on stop)."""
    out = []
    for i in range(0, len(frames), per_message):
        group = frames[i : i + per_message]
        seq = first_seq + i
        times = [1000.0 + 20 * (seq + k) for k in range(len(group))]
        out.append(
            {
                "content": {"kind": "audio_frame", "seq": seq, "t_capture": times},
                "pcm": b"".join(group),
            }
        )
    return out


async def test_batched_frames_reach_the_session_as_the_same_20ms_frames(
    chat: RecordingChat,
) -> None:
    outgoing: list[OutgoingAudio] = []
    chat.session.on_event(
        lambda d, e, _t: outgoing.append(e) if isinstance(e, OutgoingAudio) else None
    )
    frames = sine_frames(0.46)  # 23 frames: four batches of 5 and a partial batch of 3
    messages = batched(frames, 0, 5)
    for m in messages:
        # As the comm delivers it: a memoryview into a larger message buffer.
        wire = memoryview(b"\x00" * 7 + m["pcm"] + b"\x00")[7 : 7 + len(m["pcm"])]
        browser_msg(chat, m["content"], [wire])
    assert [len(m["content"]["t_capture"]) for m in messages] == [5, 5, 5, 5, 3]
    assert [o.pcm for o in outgoing] == frames
    assert [o.seq for o in outgoing] == list(range(len(frames)))
    assert [o.t_capture for o in outgoing] == [1000.0 + 20 * s for s in range(len(frames))]
    assert not any(o.dropped for o in outgoing)
    stats = await eventually_async(
        lambda: chat.stats.get("frames_sent", 0) >= len(frames) and chat.stats
    )
    assert stats["frames_sent"] == len(frames)
    assert chat.last_error == ""


async def test_batched_base64_frames_split_like_binary_ones(chat: RecordingChat) -> None:
    outgoing: list[OutgoingAudio] = []
    chat.session.on_event(
        lambda d, e, _t: outgoing.append(e) if isinstance(e, OutgoingAudio) else None
    )
    frames = sine_frames(0.2, freq=1000.0)
    for m in batched(frames, 40, 4):
        browser_msg(chat, {**m["content"], "pcm_b64": base64.b64encode(m["pcm"]).decode()})
    assert [o.pcm for o in outgoing] == frames
    assert [o.seq for o in outgoing] == list(range(40, 40 + len(frames)))


async def test_an_exact_batch_sends_one_time_and_a_frame_count(chat: RecordingChat) -> None:
    outgoing: list[OutgoingAudio] = []
    chat.session.on_event(
        lambda d, e, _t: outgoing.append(e) if isinstance(e, OutgoingAudio) else None
    )
    frames = sine_frames(0.1)
    content = {"kind": "audio_frame", "seq": 9, "t_capture": 500.25, "frames": len(frames)}
    browser_msg(chat, content, [memoryview(b"".join(frames))])
    assert [o.pcm for o in outgoing] == frames
    assert [o.seq for o in outgoing] == [9, 10, 11, 12, 13]
    assert [o.t_capture for o in outgoing] == pytest.approx([500.25 + 20 * i for i in range(5)])


async def test_a_batch_that_does_not_split_into_frames_is_reported(chat: RecordingChat) -> None:
    outgoing: list[OutgoingAudio] = []
    chat.session.on_event(
        lambda d, e, _t: outgoing.append(e) if isinstance(e, OutgoingAudio) else None
    )
    content = {"kind": "audio_frame", "seq": 0, "t_capture": [0.0, 20.0, 40.0]}
    browser_msg(chat, content, [memoryview(b"\x00" * 1000)])
    assert outgoing == []
    assert "audio_frame" in chat.last_error


def test_frames_per_message_is_validated() -> None:
    assert VoiceChat.class_traits()["frames_per_message"].default_value == 1
    for bad in (0, -1, 51):
        with pytest.raises(traitlets.TraitError):
            VoiceChat(frames_per_message=bad)


async def test_tts_chunks_become_play_audio_with_the_pcm_as_a_binary_buffer(
    chat: RecordingChat,
) -> None:
    received: list[TTSChunk] = []
    chat.session.on_event(lambda d, e, _t: received.append(e) if isinstance(e, TTSChunk) else None)
    browser_msg(chat, {"kind": "ui_action", "action": "say", "text": "hello there"})
    # The reply streams at real-time pace: its first chunks are enough.
    await eventually_async(lambda: len(chat.kinds("play_audio")) >= 6 and len(received) >= 6)
    plays = chat.kinds("play_audio")[:6]
    received = received[:6]
    assert b"".join(b[0] for _, b in plays) == b"".join(c.audio for c in received)
    samples = np.frombuffer(b"".join(b[0] for _, b in plays), "<i2").astype(np.float64)
    assert np.sqrt(np.mean(samples**2)) > 100  # real audio, not silence
    for (content, buffers), chunk in zip(plays, received, strict=True):
        assert content["sample_rate"] == chunk.sample_rate
        assert content["generation_id"] == (chunk.generation_id or "")
        assert content["chunk_id"]
        assert "pcm_b64" not in content
        assert len(buffers) == 1


async def test_without_binary_buffers_play_audio_carries_base64(chat: RecordingChat) -> None:
    chat.binary_buffers = False
    chat.say("hello there")
    await eventually_async(lambda: len(chat.kinds("play_audio")) >= 6)
    plays = chat.kinds("play_audio")
    assert all(buffers == [] for _, buffers in plays)
    pcm = b"".join(base64.b64decode(c["pcm_b64"]) for c, _ in plays)
    assert len(pcm) >= 6 * 2 * FRAME  # at least six 20 ms chunks of audio
    assert np.abs(np.frombuffer(pcm, "<i2")).max() > 1000


async def test_interrupt_stops_playback_and_marks_what_was_heard(chat: RecordingChat) -> None:
    chat.say("tell me a long story please")
    first = await eventually_async(lambda: chat.kinds("play_audio"))
    content, buffers = first[0]
    total = len(buffers[0]) // 2
    # The browser reports the first chunk fully played, then the user interrupts.
    browser_msg(
        chat,
        {
            "kind": "playback_progress",
            "chunk_id": content["chunk_id"],
            "played_samples": total,
            "total_samples": total,
            "flushed": False,
        },
    )
    browser_msg(chat, {"kind": "ui_action", "action": "interrupt"})
    stops = await eventually_async(lambda: chat.kinds("stop_playback"))
    assert stops[0][0]["reason"] == "user"
    message = await eventually_async(
        lambda: next((m for m in chat.messages if m["interrupted"]), None), timeout=10
    )
    assert message["role"] == "assistant"
    assert message["heard_text"] is not None
    assert message["text"].startswith(message["heard_text"].rstrip(" .…"))
    assert chat.last_error == ""


async def test_server_text_reaches_the_widget_verbatim() -> None:
    widget = VoiceChat(config_id="deterministic", emulator="inprocess")
    hostile = '<img src=x onerror="window.__xss=1"> & </li><script>alert(1)</script>'
    widget.session.handle_event(Transcription(transcript=hostile, is_final=False))
    assert widget.interim_transcript == hostile
    widget.session.handle_event(Transcription(transcript=hostile, is_final=True))
    assert widget.messages[-1]["role"] == "user"
    assert widget.messages[-1]["text"] == hostile
    widget.close()


async def test_synced_and_saved_state_never_contain_the_api_key(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    env_key = f"oak_envsecret_{secrets.token_hex(8)}"
    arg_key = f"oak_argsecret_{secrets.token_hex(8)}"
    monkeypatch.setenv("NEXTEVI_API_KEY", env_key)
    async with Emulator() as emulator:
        widget = VoiceChat(api_key=arg_key, url=emulator.url, config_id="deterministic")
        widget.connect()
        await widget.session.wait_until("connected", timeout=30)
        widget.say("hello there")
        await eventually_async(lambda: any(m["role"] == "assistant" for m in widget.messages))
        state = json.dumps(widget.get_state(), default=repr)
        saved = json.dumps(ipywidgets.embed.embed_data(views=[widget]), default=repr)
        texts = [state, saved, repr(widget), str(widget), repr(widget.session), widget.last_error]
        assert widget.connection_id
        assert widget.connection_id in state  # the dump holds the live state
        for text in texts:
            assert arg_key not in text
            assert env_key not in text
            assert "api_key" not in text
            # No URL at all (the bare port number could also occur inside a random model id).
            assert f":{emulator.port}" not in text
            assert "ws://" not in text
        widget.close()
        await eventually_async(lambda: widget.session.state == "disconnected", timeout=15)


async def test_errors_in_comm_messages_are_shown_not_swallowed(chat: RecordingChat) -> None:
    browser_msg(chat, {"kind": "no_such_kind"})
    assert "no_such_kind" in chat.last_error
    odd = memoryview(b"\x01\x02\x03")
    browser_msg(chat, {"kind": "audio_frame", "seq": 0, "t_capture": 0, "sample_rate": RATE}, [odd])
    assert "audio_frame" in chat.last_error
    tracebacks = [o["text"] for o in chat.error_output.outputs]
    assert len(tracebacks) == 2
    assert "ValueError" in tracebacks[1]


async def test_client_errors_land_in_last_error(chat: RecordingChat) -> None:
    browser_msg(chat, {"kind": "client_error", "code": "mic_denied", "message": "Denied."})
    await eventually_async(lambda: "mic_denied" in chat.session.last_error)
    assert "Denied." in chat.last_error


def test_one_view_holds_the_microphone() -> None:
    widget = VoiceChat(config_id="deterministic", emulator="inprocess")
    browser_msg(widget, {"kind": "capture_state", "capturing": True, "view_id": "a"})
    browser_msg(widget, {"kind": "capture_state", "capturing": True, "view_id": "b"})
    assert widget.capture_view == "a"
    browser_msg(widget, {"kind": "capture_state", "capturing": False, "view_id": "b"})
    assert widget.capture_view == "a"
    browser_msg(
        widget, {"kind": "capture_state", "capturing": True, "view_id": "b", "take_over": True}
    )
    assert widget.capture_view == "b"
    browser_msg(widget, {"kind": "capture_state", "capturing": False, "view_id": "b"})
    assert widget.capture_view == ""
    widget.close()


def test_a_page_order_swapped_by_the_kernel_is_restored_before_dispatch() -> None:
    # ipykernel 7 can dispatch "released" (sent second) before "claimed" (sent first) when a
    # cell is running; the envelope's count restores the page's order.
    widget = VoiceChat(config_id="deterministic", emulator="inprocess")
    claim = {"kind": "capture_state", "capturing": True, "view_id": "a", "take_over": True}
    release = {"kind": "capture_state", "capturing": False, "view_id": "a"}
    browser_msg(widget, {**release, "page": "p1", "n": 2})
    assert widget.capture_view == ""  # held: the claim before it has not arrived
    browser_msg(widget, {**claim, "page": "p1", "n": 1})
    assert widget.capture_view == ""  # claimed, then released, in the page's order
    # Another page counts on its own.
    browser_msg(widget, {**claim, "view_id": "b", "page": "p2", "n": 1})
    assert widget.capture_view == "b"
    widget.close()


def _port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(1.0)
        return sock.connect_ex(("127.0.0.1", port)) == 0


async def _connected_with_own_emulator() -> tuple[VoiceChat, int]:
    """A widget that started its own emulator process, connected; and that emulator's port."""
    widget = VoiceChat(config_id="deterministic", emulator="process")
    widget.connect()
    await widget.session.wait_until("connected", timeout=60)
    url = widget.session.url
    assert url is not None
    port = int(url.split("://", 1)[1].split("/", 1)[0].rsplit(":", 1)[1])
    assert _port_open(port)
    return widget, port


async def test_closing_the_widget_closes_its_session_and_emulator_process() -> None:
    widget, port = await _connected_with_own_emulator()
    widget.close()
    await eventually_async(lambda: widget.session.state == "disconnected", timeout=20)
    await eventually_async(lambda: not _port_open(port), timeout=20)


async def test_closing_the_comm_stops_the_owned_session_and_its_emulator() -> None:
    """A front end that closes the widget's comm without closing the widget (marimo, when the
    widget's cell re-runs or is deleted) stops the session the widget owns."""
    widget, port = await _connected_with_own_emulator()
    comm = widget.comm
    assert comm is not None
    comm.close()  # what marimo's cell lifecycle does to the old widget on a re-run
    await eventually_async(lambda: widget.session.state == "disconnected", timeout=20)
    await eventually_async(lambda: not _port_open(port), timeout=20)
    assert widget.comm is None


async def test_closing_the_comm_leaves_a_session_passed_in_running() -> None:
    from nextevi_widgets.session import VoiceSession

    session = VoiceSession(config_id="deterministic", emulator="inprocess")
    session.start()
    await session.wait_until("connected", timeout=30)
    widget = VoiceChat(session=session)
    assert widget.comm is not None
    widget.comm.close()
    await asyncio.sleep(0.2)
    assert session.state == "connected"
    widget.close()  # closing again is harmless
    task = session.close()
    assert task is not None
    await task


async def test_a_session_passed_in_stays_open() -> None:
    from nextevi_widgets.session import VoiceSession

    session = VoiceSession(config_id="deterministic", emulator="inprocess")
    session.start()
    await session.wait_until("connected", timeout=30)
    widget = VoiceChat(session=session)
    assert widget.state == "connected"
    widget.close()
    await asyncio.sleep(0.2)
    assert session.state == "connected"
    task = session.close()
    assert task is not None
    await task


async def test_play_audio_carries_kernel_time_and_playback_started_sets_first_played(
    chat: RecordingChat,
) -> None:
    seen: list[float] = []
    chat.session.on_event(
        lambda d, e, _t: seen.append(time.time() * 1000) if isinstance(e, TTSChunk) else None
    )
    before = time.time() * 1000
    chat.say("hello there")
    plays = await eventually_async(lambda: len(seen) >= 3 and chat.kinds("play_audio"))
    after = time.time() * 1000
    stamps = [c["t_kernel"] for c, _ in plays]
    # Epoch ms on the kernel's clock, taken as each chunk came in, in arrival order.
    assert all(before <= t <= after for t in stamps)
    assert stamps == sorted(stamps)
    first, _ = plays[0]
    # The page reports the first sample scheduled 50 ms after the chunk reached the kernel.
    browser_msg(
        chat,
        {"kind": "playback_started", "chunk_id": first["chunk_id"], "t_scheduled": stamps[0] + 50},
    )
    record = await eventually_async(
        lambda: next(
            (r for r in chat.session.latency if r["generation_id"] == first["generation_id"]),
            None,
        )
    )
    assert record["played_estimated"] is False
    assert record["first_played"] - record["first_tts_chunk"] == pytest.approx(0.05, abs=0.03)
    assert chat.last_error == ""


async def test_widget_transcript_shows_streaming_entries_through_the_text_traits() -> None:
    widget = VoiceChat(config_id="deterministic", emulator="inprocess")
    session = widget.session
    session.handle_event(Transcription(transcript="hi", is_final=False))
    assert widget.messages == []  # the view shows interim words from interim_transcript
    assert widget.interim_transcript == "hi"
    session.handle_event(Transcription(transcript="hi there", is_final=True))
    session.handle_event(LLMResponseChunk(content="Hello ", generation_id="g"))
    assert [(m["role"], m["text"]) for m in widget.messages] == [("user", "hi there")]
    assert widget.assistant_text == "Hello "
    session.handle_event(LLMResponseChunk(content="Hello you.", is_final=True, generation_id="g"))
    assert [(m["role"], m["text"]) for m in widget.messages] == [
        ("user", "hi there"),
        ("assistant", "Hello you."),
    ]
    widget.close()


async def test_a_cleared_client_error_leaves_last_error(chat: RecordingChat) -> None:
    browser_msg(chat, {"kind": "client_error", "code": "mic_denied", "message": "Denied."})
    await eventually_async(lambda: chat.last_error == "mic_denied: Denied.")
    browser_msg(chat, {"kind": "client_error_cleared", "code": "mic_denied"})
    await eventually_async(lambda: chat.session.last_error == "")
    assert chat.last_error == ""


async def test_clearing_another_problem_keeps_the_latest_error(chat: RecordingChat) -> None:
    browser_msg(chat, {"kind": "client_error", "code": "mic_denied", "message": "Denied."})
    browser_msg(chat, {"kind": "client_error_cleared", "code": "audio_suspended"})
    await asyncio.sleep(0.05)
    assert chat.last_error == "mic_denied: Denied."
    browser_msg(chat, {"kind": "client_error_cleared", "code": "no_such_code"})
    assert "no_such_code" in chat.last_error  # an unknown code is shown, not swallowed


async def test_a_page_that_cannot_play_stops_the_assistant_counting_as_audible(
    chat: RecordingChat,
) -> None:
    chat.say("tell me a long story please")
    await eventually_async(lambda: chat.session.is_assistant_speaking)
    message = {"kind": "client_error", "code": "audio_suspended", "message": "No sound."}
    browser_msg(chat, message)
    await eventually_async(lambda: not chat.session.is_assistant_speaking, timeout=2)
    assert chat.session.player_blocked
    # Later replies still reach the page (sound may start) but do not count as heard.
    seen: list[bool] = []
    chat.session.observe(lambda c: seen.append(c["new"]), names=["is_assistant_speaking"])
    before = len(chat.kinds("play_audio"))
    chat.say("and another one")
    await eventually_async(lambda: len(chat.kinds("play_audio")) > before + 5)
    assert True not in seen
    browser_msg(chat, {"kind": "client_error_cleared", "code": "audio_suspended"})
    assert not chat.session.player_blocked
