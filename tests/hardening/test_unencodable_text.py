"""Text that JSON can carry but a Jupyter comm cannot (lone surrogates) never freezes the widget,
and a sync that fails anyway is shown in the widget, not swallowed.

The widgets' comms here pack every message with jupyter_client's packer, as the kernel does
(``comm_capture``), so "the page received it" means the same bytes a browser would get.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from _harness.scripted_server import Connection, ScriptedServer
from _harness.waiting import eventually_async
from comm_capture import CommLog, capture_comms, comm_encodable
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from server_corpus import base_messages, rewrite_strings

from nextevi_widgets.client.messages import (
    LLMResponseChunk,
    MessageParseError,
    ServerMessage,
    Transcription,
    parse_server_message,
)
from nextevi_widgets.client.scrub import Scrubber
from nextevi_widgets.widget import VoiceChat

TIMEOUT = 20.0
KEY = "oak_unencodable_test_key_0123"
CORPUS = base_messages()
SYNCED_SESSION_TRAITS = (
    "state",
    "connection_id",
    "interim_transcript",
    "assistant_text",
    "messages",
    "emotions",
    "last_error",
    "stats",
)


def page_texts(comms: CommLog) -> list[str]:
    return [m["text"] for update in comms.updates("messages") for m in update]


async def test_a_lone_surrogate_from_the_server_does_not_freeze_the_widget() -> None:
    bad = '{"type":"transcription","transcript":"\\ud800 bad","is_final":true}'
    after = Transcription(transcript="after the bad one", is_final=True)

    async def script(conn: Connection) -> None:
        await conn.send(bad)
        await conn.send(after)
        await conn.drain()

    with capture_comms() as comms:
        async with ScriptedServer(script) as server:
            chat = VoiceChat(api_key=KEY, url=server.url, config_id="cfg", emulator=False)
            chat.connect()
            await eventually_async(
                lambda: "after the bad one" in page_texts(comms),
                timeout=TIMEOUT,
                what=f"the page to update (failures: {comms.failures!r})",
            )
            chat.close()
            await asyncio.wait_for(chat._session._task or asyncio.sleep(0), TIMEOUT)
    # Both reached the page, the bad one made safe; nothing failed on the way.
    assert page_texts(comms)[-2:] == ["\ufffd bad", "after the bad one"]
    assert comms.failures == []
    assert chat.session.messages[0]["text"] == "\ufffd bad"
    assert set(comms.updates("last_error")) == {""}  # nothing went wrong on the way


async def test_a_sync_that_fails_is_shown_in_the_widget_and_cleared_when_it_works(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with capture_comms() as comms:
        chat = VoiceChat(config_id="cfg", emulator="inprocess")
        session = chat.session

        def breaks_messages(message: dict[str, Any]) -> bool:
            state = (message["data"] or {}).get("state") or {}
            return "messages" in state

        comms.fail_when = breaks_messages  # the channel fails for this trait only
        session.handle_event(Transcription(transcript="lost on the way", is_final=True))
        assert "sync messages" in chat.last_error
        assert "OSError" in chat.last_error
        assert chat.last_error in comms.updates("last_error")  # the page shows it
        assert any("OSError" in str(o.get("text")) for o in chat.error_output.outputs)
        assert "the comm channel is closed" in caplog.text

        comms.fail_when = None
        session.handle_event(Transcription(transcript="back again", is_final=True))
        assert page_texts(comms)[-2:] == ["lost on the way", "back again"]
        assert chat.last_error == ""  # the cause is gone, so is the alert
        assert comms.updates("last_error")[-1] == ""
        chat.close()


def test_an_observer_that_raises_is_shown_in_last_error_until_the_trait_updates() -> None:
    with capture_comms() as comms:
        chat = VoiceChat(config_id="cfg", emulator="inprocess")
        session = chat.session
        failures = iter([RuntimeError("observer bug")])

        def flaky(_change: Any) -> None:
            error = next(failures, None)
            if error is not None:
                raise error

        session.observe(flaky, names=["interim_transcript"])
        session.handle_event(Transcription(transcript="one", is_final=False))
        assert (
            session.last_error == "Could not update interim_transcript: RuntimeError: observer bug"
        )
        assert chat.last_error == session.last_error
        assert session.last_error in comms.updates("last_error")
        session.handle_event(Transcription(transcript="one two", is_final=False))
        assert session.last_error == ""
        assert chat.interim_transcript == "one two"
        chat.close()


# ------------------------------------------------------------------------------ property

# Any JSON-legal string: ordinary characters and lone surrogates (``"\ud800"`` is valid JSON;
# ``st.characters`` leaves surrogates out, so they are drawn explicitly).
SURROGATES = st.integers(0xD800, 0xDFFF).map(chr)
any_text = st.text(alphabet=st.one_of(st.characters(), SURROGATES), max_size=24)


@st.composite
def hostile_frames(draw: st.DrawFn) -> list[str]:
    frames = []
    for name in draw(st.lists(st.sampled_from(sorted(CORPUS)), min_size=1, max_size=6)):
        message = rewrite_strings(CORPUS[name], lambda _s: draw(any_text))
        frames.append(json.dumps(message))  # ensure_ascii: surrogates travel as \\u escapes
    return frames


def assert_encodable(chat: VoiceChat, comms: CommLog) -> None:
    assert comms.failures == []
    comm_encodable(chat.get_state())
    session = chat.session
    comm_encodable({name: getattr(session, name) for name in SYNCED_SESSION_TRAITS})


FUZZ = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


@FUZZ
@given(hostile_frames())
def test_any_json_legal_text_keeps_session_and_widget_state_encodable(frames: list[str]) -> None:
    """Through the client's choke point (``Scrubber.frame``), as the network delivers them."""
    scrubber = Scrubber([KEY])
    with capture_comms() as comms:
        chat = VoiceChat(config_id="cfg", emulator="inprocess")
        for frame in frames:
            try:
                event: ServerMessage = parse_server_message(scrubber.frame(frame))
            except MessageParseError:
                continue
            chat.session.handle_event(event)
            assert_encodable(chat, comms)
        # The widget keeps updating after whatever came before.
        chat.session.handle_event(Transcription(transcript="still alive", is_final=True))
        assert chat.messages[-1]["text"] == "still alive"
        assert page_texts(comms)[-1] == "still alive"
        chat.close()


@FUZZ
@given(st.lists(any_text, min_size=1, max_size=4))
def test_events_made_in_the_kernel_keep_the_widget_state_encodable(texts: list[str]) -> None:
    """Events that never crossed the network (replay, user code) are made safe by the widget's
    projection: the page and the saved state stay encodable and updating."""
    with capture_comms() as comms:
        chat = VoiceChat(config_id="cfg", emulator="inprocess")
        session = chat.session
        for i, text in enumerate(texts):
            session.handle_event(Transcription(transcript=text, is_final=False))
            session.handle_event(Transcription(transcript=text, is_final=True))
            session.handle_event(LLMResponseChunk(content=text, generation_id=f"g{i}"))
            session.handle_event(
                LLMResponseChunk(content=text + "!", is_final=True, generation_id=f"g{i}")
            )
            assert comms.failures == []
            comm_encodable(chat.get_state())
        session.handle_event(Transcription(transcript="still alive", is_final=True))
        assert page_texts(comms)[-1] == "still alive"
        chat.close()


@settings(max_examples=50)
@given(st.lists(any_text, min_size=1, max_size=4))
def test_the_fuzz_draws_surrogates(texts: list[str]) -> None:
    # Not every example has one; the point is that some do (found when they were missing).
    event(f"surrogates: {any(0xD800 <= ord(c) <= 0xDFFF for t in texts for c in t)}")


def test_the_packer_really_rejects_a_lone_surrogate() -> None:
    # What makes the tests above meaningful: the kernel's packer fails on this text.
    with pytest.raises(ValueError):
        comm_encodable({"text": "\ud800"})
    with pytest.raises(ValueError):
        comm_encodable({"text": "\udc80"})  # surrogateescape "encodes" it: not UTF-8
