"""The live renderer: blitted frames look like full redraws, long histories keep short events
visible, and the axis pages instead of sliding (pixels read back from the PNGs)."""

from __future__ import annotations

import io

import numpy as np
import numpy.typing as npt
import pytest
from PIL import Image

from nextevi_widgets.timeline import EmotionTimeline
from nextevi_widgets.timeline.draw import EMOTION_COLORS, envelope
from nextevi_widgets.timeline.render import LiveRenderer, PngRenderer

Pixels = npt.NDArray[np.int16]


def pixels(png: bytes) -> Pixels:
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"), dtype=np.int16)


def rgb(color: str) -> npt.NDArray[np.int16]:
    return np.array([int(color[i : i + 2], 16) for i in (1, 3, 5)], dtype=np.int16)


def growing(seconds: float, rate: float = 2.0) -> EmotionTimeline:
    timeline = EmotionTimeline()
    timeline.add_turn("user", 0.0, min(2.0, seconds))
    rng = np.random.default_rng(5)
    for k in range(int(seconds * rate)):
        t = k / rate
        timeline.add(t, {"joy": float(rng.uniform(0.2, 0.4)), "sadness": 0.1})
    return timeline


def test_a_blitted_frame_matches_a_full_redraw_of_the_same_data() -> None:
    timeline = growing(10.0)
    renderer = LiveRenderer(480, 220)
    first = renderer.render(timeline)
    timeline.add(10.5, {"joy": 0.9, "sadness": 0.5})
    blitted = renderer.render(timeline)
    renderer.resize(480, 220)  # same size: forces a full redraw on the same page
    full = renderer.render(timeline)

    assert not first.blitted
    assert blitted.blitted
    assert not full.blitted
    difference = np.abs(pixels(blitted.png) - pixels(full.png))
    assert difference.max(axis=2).mean() < 0.5  # at most stray antialiasing
    assert np.abs(pixels(first.png) - pixels(blitted.png)).max() > 100  # the new sample shows


def test_nothing_new_draws_the_same_image_and_new_data_changes_it() -> None:
    timeline = growing(5.0)
    renderer = LiveRenderer(400, 200)
    renderer.render(timeline)
    again = renderer.render(timeline)
    same = renderer.render(timeline)
    timeline.add(5.2, {"joy": 0.95})
    changed = renderer.render(timeline)
    assert again.png == same.png
    assert changed.png != same.png


def test_the_axis_pages_ahead_and_redraws_its_frame_only_on_a_new_page() -> None:
    timeline = growing(20.0)
    renderer = LiveRenderer(400, 200)
    renderer.render(timeline)
    for k in range(8):  # 1 s more: within the page's headroom (at least 10 s)
        timeline.add(20.0 + 0.125 * k, {"joy": 0.3, "sadness": 0.1})
        assert renderer.render(timeline).blitted
    timeline.add(40.0, {"joy": 0.3, "sadness": 0.1})  # past the page: a new frame
    assert not renderer.render(timeline).blitted
    assert renderer.full_redraws == 2
    assert renderer.blits == 8


def test_a_window_pages_by_a_quarter_of_its_width() -> None:
    timeline = growing(100.0)
    renderer = LiveRenderer(400, 200)
    renderer.render(timeline, window=20.0)
    assert renderer.page == pytest.approx((79.5, 104.5))
    timeline.add(104.0, {"joy": 0.3})
    assert renderer.render(timeline, window=20.0).blitted
    timeline.add(105.0, {"joy": 0.3})
    assert not renderer.render(timeline, window=20.0).blitted
    assert renderer.page == pytest.approx((85.0, 110.0))


def test_a_single_spike_an_hour_in_still_shows() -> None:
    timeline = EmotionTimeline()
    for k in range(7200):  # one hour at 2 Hz, quiet
        timeline.add(k / 2.0, {"joy": 0.1, "anger": 0.05})
    timeline.add(1800.25, {"joy": 0.95, "anger": 0.05})
    renderer = LiveRenderer(720, 260)
    image = pixels(renderer.render(timeline).png)
    ax = renderer.axes
    assert ax is not None
    x, y = ax.transData.transform((1800.25, 0.95))
    row, col = round(image.shape[0] - y), round(x)
    patch = image[row - 3 : row + 4, col - 3 : col + 4]
    distance = np.abs(patch - rgb(EMOTION_COLORS["joy"])).sum(axis=2)
    assert distance.min() < 60  # the joy line reaches the spike's height at its time
    far = image[row - 3 : row + 4, col + 40 : col + 47]  # later: nothing up there
    assert np.abs(far - rgb(EMOTION_COLORS["joy"])).sum(axis=2).min() > 60


def test_envelope_keeps_extremes_and_gaps() -> None:
    times = np.arange(10_000) / 10.0
    data = np.full((10_000, 2), 0.2)
    data[5_000, 0] = 1.0
    data[2_000:3_000, 1] = np.nan
    t, values, reduced = envelope(times, data, 0.0, 1000.0, 100)
    assert reduced
    assert len(t) <= 200
    assert np.nanmax(values[:, 0]) == 1.0
    assert np.isnan(values[:, 1]).sum() >= 2 * 9  # the all-NaN bins stay gaps
    assert np.all(np.diff(t) >= 0)


def test_hundreds_of_turns_shade_where_turns_are() -> None:
    timeline = EmotionTimeline()
    for k in range(720):
        timeline.add_turn("user", 10.0 * k, 10.0 * k + 3.0)
    timeline.add(0.0, {"joy": 0.5})
    timeline.add(7200.0, {"joy": 0.5})
    renderer = LiveRenderer(720, 260)
    image = pixels(renderer.render(timeline, window=60.0).png)
    ax = renderer.axes
    assert ax is not None
    # In the last minute: turn k = 714 covers [7140, 7143]; [7143, 7150] is a gap.
    (x_in, y_in), (x_out, y_out) = ax.transData.transform([(7141.5, 0.7), (7146.5, 0.7)])
    shade = image[int(image.shape[0] - y_in), int(x_in)]
    plain = image[int(image.shape[0] - y_out), int(x_out)]
    assert plain.tolist() == [255, 255, 255]
    assert shade.sum() < plain.sum() - 20  # tinted blue-grey
    full = pixels(PngRenderer(720, 260).render(timeline).png)  # the whole two hours
    assert full.shape == image.shape


def mean_difference(a: bytes, b: bytes) -> float:
    return float(np.abs(pixels(a) - pixels(b)).max(axis=2).mean())


def test_a_new_page_over_the_kept_chrome_matches_a_renderer_drawing_it_afresh() -> None:
    timeline = growing(20.0)
    renderer = LiveRenderer(480, 220)
    before = renderer.render(timeline, title="talk")
    timeline.add(40.0, {"joy": 0.3, "sadness": 0.1})  # past the page: new x axis and ticks
    moved = renderer.render(timeline, title="talk")
    fresh = LiveRenderer(480, 220).render(timeline, title="talk")

    assert (renderer.full_redraws, renderer.chrome_redraws) == (2, 1)  # the chrome was kept
    assert mean_difference(moved.png, fresh.png) < 0.5  # at most stray antialiasing
    # The tick labels under the axis changed with the page (old ones did not linger).
    below_axis = slice(-36, -14)
    old, new = pixels(before.png)[below_axis], pixels(moved.png)[below_axis]
    assert np.abs(old - new).max() > 100


def test_a_new_title_redraws_the_title_only_and_leaves_no_trace_of_the_old_one() -> None:
    timeline = growing(10.0)
    renderer = LiveRenderer(480, 220)
    renderer.render(timeline, title="a long first title WWWWWWWW")
    retitled = renderer.render(timeline, title="x")
    fresh = LiveRenderer(480, 220).render(timeline, title="x")
    assert renderer.chrome_redraws == 1
    assert mean_difference(retitled.png, fresh.png) < 0.5


def test_a_new_emotion_redraws_the_chrome_with_its_legend_entry() -> None:
    timeline = growing(10.0)
    renderer = LiveRenderer(480, 220)
    renderer.render(timeline)
    timeline.add(10.5, {"joy": 0.3, "anger": 0.6})  # a new series: the legend grows
    grown = renderer.render(timeline)
    afresh = LiveRenderer(480, 220)
    afresh.pager.current = renderer.page  # the same page of the x axis
    fresh = afresh.render(timeline)
    assert renderer.chrome_redraws == 2
    assert mean_difference(grown.png, fresh.png) < 0.5
    legend = pixels(grown.png)[:, -130:]  # the right margin (1.3 in): the legend
    assert np.abs(legend - rgb(EMOTION_COLORS["anger"])).sum(axis=2).min() < 60
