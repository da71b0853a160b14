"""VoiceChat and EmotionPlot in marimo (``marimo edit`` and ``marimo run``) in real Chromium
with the fake microphone: frames reach the kernel, a transcript and a spoken reply show in the
page, the plot draws its data, and re-running the chat's cell stops the old session."""

from __future__ import annotations

import re
from typing import Any

import pytest
from _harness.chromium import color_distance
from _harness.waiting import eventually
from _marimo_app import MarimoApp

pytestmark = [pytest.mark.marimo, pytest.mark.slow]

CHAT = ".nextevi-voice-chat"
CANVAS = ".nextevi-emotion-plot-canvas"


def words(text: str) -> set[str]:
    return set(re.findall(r"[a-z']+", text.lower()))


def chat_state(app: MarimoApp, index: int = -1) -> dict[str, Any]:
    state = app.state()
    return state["chats"][index] if state and state["chats"] else {}


def rendered_chat(page: Any) -> Any:
    """The first VoiceChat on the page, once marimo has rendered it (kernel start included)."""
    widget = page.locator(CHAT).first
    widget.wait_for(timeout=90_000)
    return widget


def test_voice_chat_streams_the_mic_and_plays_replies(
    marimo_app: MarimoApp, marimo_page: Any
) -> None:
    page = marimo_page
    widget = rendered_chat(page)
    widget.locator(".nvc-mic").click()
    eventually(
        lambda: chat_state(marimo_app).get("frames_sent", 0) > 50,
        timeout=90,
        what="mic frames in the kernel",
    )
    # The deterministic recogniser answers every spoken turn; the reply is spoken back.
    texts = eventually(
        lambda: [t for role, t in chat_state(marimo_app).get("messages", []) if role == "user"],
        timeout=90,
        what="a user transcript",
    )
    assert words(texts[0]), texts
    final = widget.locator(".nvc-msg.nvc-user:not(.nvc-interim) .nvc-text").first
    final.wait_for(timeout=30_000)
    eventually(
        lambda: final.text_content() == texts[0], timeout=30, what="the final transcript shown"
    )
    widget.locator(".nvc-msg.nvc-assistant").first.wait_for(timeout=60_000)
    eventually(
        lambda: chat_state(marimo_app).get("played_samples", 0) > 0,
        timeout=60,
        what="reply audio played in the page",
    )
    state = chat_state(marimo_app)
    assert state["state"] == "connected"
    assert state["capture_view"] != ""
    assert state["last_error"] == ""


def test_typed_turn_and_emotion_plot(marimo_app: MarimoApp, marimo_page: Any) -> None:
    page = marimo_page
    widget = rendered_chat(page)
    widget.locator(".nvc-say-input").fill("hello there, how are you")
    widget.locator(".nvc-say-input").press("Enter")
    eventually(
        lambda: any(role == "assistant" for role, _ in chat_state(marimo_app).get("messages", [])),
        timeout=90,
        what="an assistant reply in the kernel",
    )
    assert "hello there, how are you" in (
        widget.locator(".nvc-msg.nvc-user").first.text_content() or ""
    )
    widget.locator(".nvc-msg.nvc-assistant").first.wait_for(timeout=30_000)
    # The fixed plot: drawn by the browser, joy high in the second half of the window.
    plot = eventually(
        lambda: (
            ((marimo_app.state() or {}).get("fixed_plot") or {}).get("x")
            and marimo_app.state()["fixed_plot"]
        ),  # type: ignore[index]
        timeout=30,
        what="the plot's x axis",
    )
    canvases = page.locator(CANVAS)
    eventually(lambda: canvases.count() >= 2, timeout=60, what="two plot canvases")
    x0, x1 = plot["x"]
    x = 52 + (7.5 - x0) / (x1 - x0) * (600 - 52 - 96)
    y = 22 + (1.0 - 0.9) * (240 - 22 - 36)

    def joy_near() -> bool:  # the fixed plot's canvas is the second one (cells in order)
        distance = color_distance(page, CANVAS, x, y, (0xF2, 0xB7, 0x01), index=1)
        return distance is not None and distance < 60

    eventually(joy_near, timeout=30, what="the joy line on the canvas")
    assert eventually(
        lambda: (marimo_app.state() or {}).get("fixed_plot", {}).get("mode") == "browser",
        timeout=15,
        what="browser-drawn plot",
    )


def test_rerunning_the_chat_cell_stops_the_old_session(
    marimo_app: MarimoApp, marimo_page: Any
) -> None:
    page = marimo_page
    widget = rendered_chat(page)
    widget.locator(".nvc-mic").click()
    eventually(
        lambda: chat_state(marimo_app, 0).get("state") == "connected",
        timeout=90,
        what="the first session connected",
    )
    restart = page.locator("input[aria-roledescription='Number field']").first
    restart.fill("1")
    restart.press("Enter")
    eventually(
        lambda: len((marimo_app.state() or {}).get("chats", [])) == 2,
        timeout=60,
        what="a second VoiceChat after the re-run",
    )
    eventually(
        lambda: chat_state(marimo_app, 0).get("state") in ("disconnected", "closed", "stopped"),
        timeout=60,
        what="the old session stopped",
    )
    # The new view works: its mic streams into the new session, not the old one. Sessions
    # refresh their stats once a second, so the old one's count is read once the new one has
    # streamed for longer than that (75 frames of 20 ms), and again 100 frames later.
    page.locator(CHAT).first.locator(".nvc-mic").click()
    new = eventually(
        lambda: chat_state(marimo_app, 1).get("frames_sent", 0) > 75 and chat_state(marimo_app, 1),
        timeout=90,
        what="frames in the new session",
    )
    frames = chat_state(marimo_app, 0)["frames_sent"]
    eventually(
        lambda: chat_state(marimo_app, 1).get("frames_sent", 0) > new["frames_sent"] + 100,
        timeout=90,
        what="100 more frames in the new session",
    )
    assert chat_state(marimo_app, 0)["frames_sent"] == frames
