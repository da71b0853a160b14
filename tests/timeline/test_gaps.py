"""No line across a silence: the gap rule, the matplotlib drawing (pixels) and the browser's
frame (NaN rows). The canvas side is covered by js/plot/plot.test.ts and the real-browser test
in tests/browser/test_emotion_plot_browser.py."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image

from nextevi_widgets.client.messages import EmotionUpdate, Transcription, normalize_emotions
from nextevi_widgets.timeline import EmotionTimeline
from nextevi_widgets.timeline.canvas_frame import build_frame
from nextevi_widgets.timeline.draw import EMOTION_COLORS
from nextevi_widgets.timeline.feed import TimelineFeeder
from nextevi_widgets.timeline.gaps import isolated, line_breaks, with_breaks
from nextevi_widgets.timeline.paging import AxisPager
from nextevi_widgets.timeline.render import LiveRenderer

JOY = tuple(int(EMOTION_COLORS["joy"][i : i + 2], 16) for i in (1, 3, 5))


def two_turns(*, between: float | None = None) -> EmotionTimeline:
    """Two utterances 20 s apart, each scored every 0.5 s: joy low in the first, high after;
    with ``between``, a short utterance there with a single score."""
    timeline = EmotionTimeline()
    timeline.add_turn("user", 1.0, 5.0)
    timeline.add_turn("assistant", 5.5, 8.0)
    for k in range(9):
        timeline.add(1.0 + 0.5 * k, {"joy": 0.2})
    if between is not None:
        timeline.add_turn("user", between - 0.5, between + 0.5)
        timeline.add(between, {"joy": 0.6})
    timeline.add_turn("user", 25.0, 29.0)
    for k in range(9):
        timeline.add(25.0 + 0.5 * k, {"joy": 0.9})
    return timeline


def test_breaks_at_new_utterances_and_at_pauses_longer_than_the_cadence() -> None:
    times = np.array([0.0, 0.5, 1.0, 1.5, 9.0, 9.5, 10.0, 10.5])
    # No turns: only the pause (7.5 s against a 0.5 s cadence) breaks.
    assert line_breaks(times).tolist() == [False, False, False, True, False, False, False]
    # A user turn starting at 10.2 separates 10.0 from 10.5 although they are close.
    assert line_breaks(times, [10.2]).tolist()[-1] is True
    # A turn starting exactly at a sample puts that sample in the new turn.
    assert line_breaks(times, [0.5]).tolist()[0] is True
    # Jitter on fast updates is not silence: never a gap under a second.
    fast = np.array([0.0, 0.05, 0.1, 0.4, 0.45])
    assert not line_breaks(fast).any()


def test_history_bins_are_judged_by_their_own_spacing() -> None:
    # Bins every 5 s (count > 1), then recent samples every 0.5 s.
    times = np.array([0.0, 5.0, 10.0, 15.0, 40.0, 40.5, 41.0, 41.5])
    counts = np.array([10.0, 10.0, 10.0, 10.0, 1.0, 1.0, 1.0, 1.0])
    breaks = line_breaks(times, [7.0, 40.7], counts)
    assert breaks[:3].tolist() == [False, False, False]  # bins straddle turns: no break
    assert breaks[3]  # 25 s between the last bin and the recent samples
    assert breaks[5]  # the new utterance at 40.7
    assert not breaks[4]
    assert not breaks[6]


def test_with_breaks_inserts_a_nan_row_halfway() -> None:
    times = np.array([0.0, 1.0, 11.0])
    values = np.array([[0.1, 0.2], [0.3, 0.4], [0.5, 0.6]])
    t, v = with_breaks(times, values, np.array([False, True]))
    assert t.tolist() == [0.0, 1.0, 6.0, 11.0]
    assert np.isnan(v[2]).all()
    assert v[3].tolist() == [0.5, 0.6]
    assert isolated(np.array([[np.nan], [0.5], [np.nan], [0.2], [0.3]]))[:, 0].tolist() == [
        False,
        True,
        False,
        False,
        False,
    ]


def test_the_feeder_s_turns_break_the_line_between_utterances() -> None:
    """Wire events as a session sees them: rolling updates during speech, the final transcript
    with emotions, then the next utterance 3 s later (shorter than the cadence rule's gap)."""
    timeline = EmotionTimeline()
    feed = TimelineFeeder(timeline)
    for start in (0.0, 4.0):
        feed("in", Transcription(transcript="", is_final=False, event_type="speech_started"), start)
        for k in range(1, 5):
            emotions = normalize_emotions({"joy": 0.2 + start / 10})
            feed("in", EmotionUpdate(emotions=emotions), start + 0.5 * k)
        final = Transcription(
            transcript="hello there", is_final=True, emotions=normalize_emotions({"joy": 0.5})
        )
        feed("in", final, start + 2.6)
    _content, buffers = build_frame(timeline, AxisPager(), width=720)
    times = np.frombuffer(buffers[0], "<f8")
    joy = np.frombuffer(buffers[1], "<f4")
    gaps = times[np.isnan(joy)]
    assert gaps.tolist() == [(2.6 + 4.5) / 2]  # one break, between the two utterances
    assert np.isfinite(joy[times < 2.7]).all()
    assert np.isfinite(joy[times > 4.0]).all()


def test_the_browser_frame_carries_a_break_across_the_silence() -> None:
    content, buffers = build_frame(two_turns(), AxisPager(), width=720)
    times = np.frombuffer(buffers[0], "<f8")
    joy = np.frombuffer(buffers[1], "<f4")
    assert content["samples"] == 19  # 18 samples and one gap row
    silent = (times > 5.0) & (times < 25.0)
    assert times[silent].tolist() == [15.0]
    assert np.isnan(joy[silent]).all()
    assert np.isfinite(joy[~silent]).all()


def joy_pixels(png: bytes, renderer: LiveRenderer, t0: float, t1: float) -> int:
    """Pixels close to the joy colour in the plot area's columns between ``t0`` and ``t1``."""
    image = np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).astype(int)
    ax = renderer.axes
    assert ax is not None
    height = image.shape[0]
    (x0, y0), (x1, y1) = ax.transData.transform([(t0, 0.0), (t1, 1.0)])
    area = image[int(height - y1) : int(height - y0), int(x0) : int(x1)]
    distance = np.abs(area - np.array(JOY)).sum(axis=2)
    return int((distance < 60).sum())


def test_matplotlib_draws_no_line_across_the_silence() -> None:
    renderer = LiveRenderer(720, 260)
    png = renderer.render(two_turns(), style="line").png
    assert joy_pixels(png, renderer, 1.5, 4.5) > 50  # the line is there while the user speaks
    assert joy_pixels(png, renderer, 26.0, 28.5) > 50
    assert joy_pixels(png, renderer, 7.0, 23.0) == 0  # ... and nothing across the silence


def test_a_single_score_between_gaps_is_drawn_as_a_dot() -> None:
    timeline = two_turns(between=15.5)
    renderer = LiveRenderer(720, 260)
    png = renderer.render(timeline, style="line").png
    assert joy_pixels(png, renderer, 15.0, 16.0) > 3
    assert joy_pixels(png, renderer, 7.0, 14.0) == 0
