"""EmotionPlot drawn by the browser: the frames the kernel sends (built from a real session's
data), their layout, paging and decimation. Drawing them is covered by the real-browser test
in tests/browser and the JS unit tests in js/plot/."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from sent_messages import RecordsSent
from timeline_support import reply_finished

from nextevi_widgets.session import VoiceSession
from nextevi_widgets.timeline import EmotionPlot, EmotionTimeline
from nextevi_widgets.timeline.canvas_frame import PLOT_MARGINS, build_frame
from nextevi_widgets.timeline.paging import AxisPager


class RecordingPlot(RecordsSent, EmotionPlot):
    """An EmotionPlot that records what it sends to the browser."""


def decode(content: dict[str, Any], buffers: list[bytes]) -> dict[str, Any]:
    series = len(content["names"])
    times = np.frombuffer(buffers[0], "<f8")
    values = np.frombuffer(buffers[1], "<f4").reshape(len(times), series)
    turns = np.frombuffer(buffers[2], "<f8").reshape(-1, 4)
    marks = np.frombuffer(buffers[3], "<f8")
    assert len(times) == content["samples"]
    return {"times": times, "values": values, "turns": turns, "marks": marks}


async def test_a_streaming_session_sends_frames_not_pngs(
    make_session: Callable[..., VoiceSession], speech_wav: Path
) -> None:
    session = make_session()
    plot = RecordingPlot(session, max_fps=5)
    images: list[bytes] = []
    plot.observe(lambda change: images.append(change["new"]), names=["image"])
    session.start()
    await session.wait_until("connected", timeout=30)
    await session.send_file(str(speech_wav), realtime=True, trailing_silence=0.8)
    await session.wait_until(reply_finished, timeout=30)
    await asyncio.sleep(0.5)
    stats = plot.stats
    plot.close()

    frames = plot.kinds("frame")
    assert stats["mode"] == "browser"
    assert len(frames) == stats["redraws"] > 0
    assert images == []  # nothing rendered in the kernel while live
    last = decode(*frames[-1])
    content = frames[-1][0]
    assert "neutral" in content["names"]
    assert len(content["colors"]) == len(content["names"])
    assert len(last["times"]) == len(plot.timeline.times)  # few samples: none reduced
    np.testing.assert_allclose(
        last["values"], plot.timeline.values[:, : len(content["names"])], rtol=1e-6
    )
    assert content["x0"] <= last["times"][0]
    assert content["x1"] > last["times"][-1]  # the page leaves headroom
    assert {int(role) for role in last["turns"][:, 2]} == {0, 1}  # user and assistant turns


async def test_a_new_view_asking_for_data_gets_the_current_frame() -> None:
    timeline = EmotionTimeline()
    timeline.add(1.0, {"joy": 0.7})
    plot = RecordingPlot(timeline)
    await asyncio.sleep(0.05)
    before = len(plot.sent)
    plot._handle_custom_msg({"kind": "ready"}, [])  # what js/plot.ts sends when it renders
    await asyncio.sleep(0.3)
    assert len(plot.sent) == before + 1
    content, buffers = plot.sent[-1]
    assert content["names"] == ["joy"]
    assert decode(content, buffers)["values"].tolist() == [[np.float32(0.7)]]
    plot.close()


def test_an_hour_is_reduced_to_screen_resolution_keeping_extremes() -> None:
    timeline = EmotionTimeline()
    for k in range(7200):
        timeline.add(k / 2.0, {"joy": 0.1, "fear": 0.2})
    timeline.add(1800.25, {"joy": 0.95, "fear": 0.2})
    for k in range(360):
        timeline.add_turn("user", 10.0 * k, 10.0 * k + 3.0)
        timeline.add_turn("assistant", 10.0 * k + 3.5, 10.0 * k + 9.0, interrupted=k == 100)
    timeline.mark_interruption(1009.0)
    content, buffers = build_frame(timeline, AxisPager(), width=720)
    frame = decode(content, buffers)
    plot_px = 720 - PLOT_MARGINS["left"] - PLOT_MARGINS["right"]
    assert len(frame["times"]) <= 2 * plot_px
    assert frame["values"][:, 0].max() == np.float32(0.95)
    interrupted = frame["turns"][frame["turns"][:, 3] == 1]
    assert interrupted[:, :2].tolist() == [[1003.5, 1009.0]]
    assert frame["marks"].tolist() == [1009.0]
    assert sum(len(b) for b in buffers) < 64_000  # bounded whatever the duration


def test_a_window_shows_only_the_recent_page() -> None:
    timeline = EmotionTimeline()
    for k in range(200):
        timeline.add(float(k), {"joy": 0.5})
    content, buffers = build_frame(timeline, AxisPager(), width=600, window=30.0)
    frame = decode(content, buffers)
    assert (content["x0"], content["x1"]) == (169.0, 206.5)
    assert frame["times"][0] >= 168.0  # one sample before the page, so the line reaches it
