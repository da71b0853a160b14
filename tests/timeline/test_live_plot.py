"""EmotionPlot: redraws while a real session streams (rate capped, coalesced), static fallback."""

from __future__ import annotations

import asyncio
import base64
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from timeline_support import reply_finished

from nextevi_widgets.client.messages import EmotionUpdate, TextInput, normalize_emotions
from nextevi_widgets.session import VoiceSession
from nextevi_widgets.timeline import EmotionPlot, EmotionTimeline

PNG = b"\x89PNG\r\n\x1a\n"


async def test_plot_redraws_while_a_session_streams_within_the_rate_cap(
    make_session: Callable[..., VoiceSession], speech_wav: Path
) -> None:
    session = make_session()
    images: list[bytes] = []
    plot = EmotionPlot(session, max_fps=5, style="area")
    plot.observe(lambda change: images.append(change["new"]), names=["image"])
    began = time.monotonic()
    session.start()
    await session.wait_until("connected", timeout=30)
    await session.send_file(str(speech_wav), realtime=True, trailing_silence=0.8)
    await session.wait_until(reply_finished, timeout=30)
    await asyncio.sleep(0.5)  # let the last pending redraw land
    elapsed = time.monotonic() - began
    stats = plot.stats
    plot.close()

    assert len(plot.timeline) >= 3  # several emotion updates arrived
    assert stats["redraws"] > 0
    assert stats["redraws"] <= elapsed * 5 + 1
    assert stats["coalesced"] > 0  # more changes than redraws: they were folded together
    assert len(images) == stats["redraws"]
    assert all(image.startswith(PNG) for image in images)
    assert stats["render_ms_median"] is not None
    assert "neutral" in plot.alt


async def test_changes_during_a_render_coalesce_into_one_pending_redraw() -> None:
    timeline = EmotionTimeline()
    plot = EmotionPlot(timeline, max_fps=1000, renderer="png")
    for i in range(50):  # all in one loop turn: the first starts a render, the rest wait
        timeline.add(i * 0.1, {"joy": i / 50})
    for _ in range(500):
        await asyncio.sleep(0.01)
        if plot.stats["redraws"] >= 2:
            break
    await asyncio.sleep(0.2)
    assert plot.stats["redraws"] == 2
    assert plot.stats["coalesced"] == 1
    plot.close()


def test_static_bundle_has_png_and_escaped_transcript() -> None:
    session = VoiceSession(emulator=False)
    plot = EmotionPlot(session)
    session.handle_event(TextInput(text="<script>alert(1)</script> & hi"), at=1.0)
    session.handle_event(EmotionUpdate(emotions=normalize_emotions({"joy": 0.8})), at=1.5)
    bundle = plot._repr_mimebundle_()
    data = bundle[0] if isinstance(bundle, tuple) else bundle
    assert "application/vnd.jupyter.widget-view+json" in data
    assert base64.b64decode(data["image/png"]).startswith(PNG)
    assert "user: <script>alert(1)</script> & hi" in data["text/plain"]
    assert "<script>" not in data["text/html"]
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; hi" in data["text/html"]
    assert plot.stats["redraws"] == 0  # no loop here: drawn for display only
    assert plot.stats["static_renders"] == 1
    plot.close()


def test_plot_refuses_other_sources() -> None:
    with pytest.raises(TypeError, match="EmotionPlot needs"):
        EmotionPlot(object())
