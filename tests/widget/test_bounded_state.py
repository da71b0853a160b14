"""What the widget syncs stays bounded and current: interim and streaming text are capped like
final messages, the previous reply's text leaves when a new user turn starts, and alerts go
away when their cause does (a protocol error once a new connection is up)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from _harness.scripted_server import Connection, ScriptedServer
from comm_capture import capture_comms

from nextevi_widgets._widget.convert import MAX_TEXT
from nextevi_widgets.client.events import ProtocolError, Reconnected
from nextevi_widgets.client.messages import (
    ErrorMessage,
    LLMResponseChunk,
    TextInput,
    Transcription,
)
from nextevi_widgets.session import VoiceSession
from nextevi_widgets.widget import VoiceChat

TIMEOUT = 20.0
KEY = "oak_bounded_state_key_0123456"


def offline_chat() -> VoiceChat:
    return VoiceChat(config_id="cfg", emulator=False, api_key=KEY)


def test_interim_and_streaming_text_are_capped_like_final_messages() -> None:
    huge = "word " * 200_000  # 1 MB
    with capture_comms() as comms:
        chat = offline_chat()
        session = chat.session
        session.handle_event(Transcription(transcript=huge, is_final=False))
        session.handle_event(LLMResponseChunk(content=huge, generation_id="g"))
        for text in (chat.interim_transcript, chat.assistant_text):
            assert len(text) == MAX_TEXT
            assert text == huge[: MAX_TEXT - 1] + "…"
        # What went to the page is bounded; the session keeps the whole text.
        for key in ("interim_transcript", "assistant_text"):
            assert comms.updates(key)[-1] == huge[: MAX_TEXT - 1] + "…"
            assert max(len(value) for value in comms.updates(key)) == MAX_TEXT
        assert session.interim_transcript == huge
        assert session.assistant_text == huge
        # The final reply is cut the same way, so the view sees one reply, not two.
        session.handle_event(LLMResponseChunk(content=huge, is_final=True, generation_id="g"))
        assert chat.messages[-1]["text"] == chat.assistant_text
        chat.close()


def reply(session: VoiceSession, text: str, gen: str) -> None:
    session.handle_event(LLMResponseChunk(content=text[:5], generation_id=gen))
    session.handle_event(LLMResponseChunk(content=text, is_final=True, generation_id=gen))


def test_a_new_user_turn_clears_the_previous_reply_text() -> None:
    chat = offline_chat()
    session = chat.session
    session.handle_event(TextInput(text="first question"))
    reply(session, "The first answer.", "g1")
    assert chat.assistant_text == "The first answer."
    # Spoken turn: the first interim words start it.
    session.handle_event(Transcription(transcript="second", is_final=False))
    assert chat.assistant_text == ""
    assert session.assistant_text == ""
    assert [m["text"] for m in chat.messages] == ["first question", "The first answer."]
    session.handle_event(Transcription(transcript="second question", is_final=True))
    assert chat.assistant_text == ""
    reply(session, "The second answer.", "g2")
    # A typed turn, and a final transcript with no interim before it, do the same.
    session.handle_event(TextInput(text="third question"))
    assert chat.assistant_text == ""
    reply(session, "The third answer.", "g3")
    session.handle_event(Transcription(transcript="fourth question", is_final=True))
    assert chat.assistant_text == ""
    assert [m["text"] for m in chat.messages][-3:] == [
        "third question",
        "The third answer.",
        "fourth question",
    ]
    chat.close()


def test_a_reply_still_streaming_keeps_its_text_when_the_user_speaks() -> None:
    chat = offline_chat()
    session = chat.session
    session.handle_event(TextInput(text="question"))
    session.handle_event(LLMResponseChunk(content="Still going", generation_id="g1"))
    session.handle_event(Transcription(transcript="uh", is_final=False))
    assert chat.assistant_text == "Still going"
    chat.close()


# ------------------------------------------------------------------------------ alerts


async def test_a_protocol_error_alert_is_cleared_once_reconnected() -> None:
    async def handler(conn: Connection) -> None:
        connection_id = f"c{conn.index}"
        await conn.send(json.dumps({"type": "connection_metadata", "connection_id": connection_id}))
        if conn.index == 0:
            await conn.send("this is not JSON {")
            await conn.send(json.dumps({"type": "error", "error_code": "E", "error_message": "x"}))
            await conn.send(json.dumps({"type": "status", "status": "sent"}))
            await conn.ws.wait_closed()  # the test drops this connection
        await conn.send(
            json.dumps({"type": "transcription", "transcript": "back", "is_final": True})
        )
        await conn.ws.wait_closed()

    errors: list[str] = []
    seen: list[Any] = []
    async with ScriptedServer(handler) as server:
        session = VoiceSession(
            api_key=KEY,
            config_id="cfg",
            url=server.url,
            emulator=False,
            reconnect_base_delay=0.01,
            reconnect_max_delay=0.02,
        )
        session.observe(lambda c: errors.append(c["new"]), names=["last_error"])
        session.on_event(lambda _d, e, _t: seen.append(e))
        session.start()
        await session.wait_until(lambda s: any(type(e).__name__ == "Status" for e in seen))
        assert any(isinstance(e, ProtocolError) for e in seen)
        assert session.last_error == "E: x"  # the newest alert of this connection
        assert any(e.startswith("Protocol error:") for e in errors)
        server.sessions[0].abort()  # 1006: the client reconnects
        await session.wait_until(lambda s: any(isinstance(e, Reconnected) for e in seen))
        await session.wait_until(lambda s: any(m["text"] == "back" for m in s.messages))
        assert session.state == "connected"
        assert session.last_error == ""
        closing = session.close()
        assert closing is not None
        await asyncio.wait_for(closing, TIMEOUT)


def test_alerts_are_cleared_only_by_their_own_cause() -> None:
    chat = offline_chat()
    session = chat.session
    session.handle_event(ProtocolError(detail="bad frame"))
    assert chat.last_error == "Protocol error: bad frame"
    session._on_connected("c2")  # a new connection: the protocol error is gone
    assert chat.last_error == ""
    session.handle_event(ErrorMessage(error_code="E", error_message="server said no"))
    assert chat.last_error == "E: server said no"
    session._on_connected("c3")
    assert chat.last_error == ""
    # A front-end problem (the microphone) is not the connection's: a reconnect keeps it.
    session.report_client_error("mic_denied", "Permission denied")
    session._on_connected("c4")
    assert chat.last_error == "mic_denied: Permission denied"
    chat.close()
