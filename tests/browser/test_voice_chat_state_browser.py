"""What the page shows stays bounded and current (real JupyterLab + Debian Chromium): long
interim and streaming text are cut like final messages, the previous reply is not shown again
(as streaming) under a newer user turn, and the protocol-error alert goes away once the
connection is back."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from _harness.waiting import eventually

from ._lab import LabNotebook

pytestmark = [pytest.mark.browser, pytest.mark.slow]

Opener = Callable[..., LabNotebook]

MAX_TEXT = 4000  # nextevi_widgets._widget.convert.MAX_TEXT
OFFLINE_CHAT = [
    "from nextevi_widgets import VoiceChat\n"
    "from nextevi_widgets.client.messages import LLMResponseChunk, TextInput, Transcription\n"
    "chat = VoiceChat(config_id='deterministic', api_key='oak_browser_state_key_0123',\n"
    "                 url='ws://127.0.0.1:9/ws/voice', emulator=False)\n"
    "chat",
]


def test_long_interim_and_streaming_text_are_cut_in_the_page(
    page: Any, open_notebook: Opener
) -> None:
    nb = open_notebook(page, OFFLINE_CHAT)
    nb.execute(
        "huge = 'word ' * 200_000\n"  # 1 MB of interim words, then of reply text
        "chat.session.handle_event(Transcription(transcript=huge, is_final=False))\n"
        "chat.session.handle_event(LLMResponseChunk(content=huge, generation_id='g'))\n"
    )
    widget = nb.widget()
    for selector in (".nvc-interim .nvc-text", ".nvc-streaming .nvc-text"):
        shown = widget.locator(selector)
        shown.wait_for(timeout=15_000)
        text = eventually(shown.text_content, timeout=15, what=selector)
        assert len(text) == MAX_TEXT
        assert text.endswith("…")
        assert text.startswith("word word")
    assert nb.probe("len(chat.session.interim_transcript)") == 1_000_000  # kept in the kernel


def test_the_previous_reply_is_not_shown_again_under_a_new_user_turn(
    page: Any, open_notebook: Opener
) -> None:
    nb = open_notebook(page, OFFLINE_CHAT)
    nb.execute(
        "s = chat.session\n"
        "s.handle_event(TextInput(text='first question'))\n"
        "s.handle_event(LLMResponseChunk(content='The first', generation_id='g1'))\n"
        "s.handle_event(LLMResponseChunk(content='The first answer.', is_final=True,"
        " generation_id='g1'))\n"
    )
    widget = nb.widget()
    items = widget.locator(".nvc-transcript li")
    eventually(
        lambda: items.all_text_contents()[-1:] == ["AssistantThe first answer."],
        timeout=15,
        what="the first reply",
    )
    nb.execute("s.handle_event(Transcription(transcript='second question', is_final=True))")
    eventually(
        lambda: items.all_text_contents()[-1:] == ["Yousecond question"],
        timeout=15,
        what="the new user turn last",
    )
    # Give a stale update every chance to arrive, then look at the whole transcript.
    nb.probe("chat.assistant_text")
    page.wait_for_timeout(500)
    texts = items.all_text_contents()
    assert texts == [
        "Youfirst question",
        "AssistantThe first answer.",
        "Yousecond question",
    ], texts
    assert widget.locator(".nvc-streaming").count() == 0


SERVER_CELL = """
import asyncio, json
from websockets.asyncio.server import serve

connections = []

async def handler(ws):
    connections.append(ws)
    n = len(connections)
    await ws.send(json.dumps({"type": "connection_metadata", "connection_id": f"conn-{n}"}))
    if n == 1:
        await ws.send("this is not JSON {")
    await ws.wait_closed()

server = await serve(handler, "127.0.0.1", 0)
port = server.sockets[0].getsockname()[1]
"""


def test_the_protocol_error_alert_clears_after_a_reconnect(
    page: Any, open_notebook: Opener
) -> None:
    nb = open_notebook(
        page,
        [
            SERVER_CELL,
            "from nextevi_widgets import VoiceChat\n"
            "chat = VoiceChat(url=f'ws://127.0.0.1:{port}/ws/voice', config_id='cfg',\n"
            "                 api_key='oak_browser_alert_key_0123', emulator=False,\n"
            "                 reconnect_base_delay=0.05, reconnect_max_delay=0.1)\n"
            "chat.connect()\n"
            "chat",
        ],
    )
    widget = nb.widget()
    alert = widget.locator(".nvc-error")
    alert.wait_for(state="visible", timeout=30_000)
    assert "Protocol error" in (alert.text_content() or "")
    nb.execute("connections[0].transport.abort()")  # the connection drops (1006)
    nb.wait_until("chat.session.stats.get('reconnects', 0) >= 1", timeout=30, what="reconnect")
    alert.wait_for(state="hidden", timeout=30_000)
    assert (alert.text_content() or "") == ""
    assert nb.probe("chat.state") == "connected"
    assert widget.locator(".nvc-connection").text_content() == "conn-2"
    nb.execute("chat.close(); server.close()")
