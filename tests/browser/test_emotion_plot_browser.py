"""EmotionPlot drawn by the browser in real JupyterLab + Chromium: the canvas shows the kernel's
data where the axes say it is, follows new data live, and says so when a frame is malformed.
Pixels are read back from the canvas."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from _harness.chromium import color_distance
from _harness.waiting import eventually

from ._lab import LabNotebook

pytestmark = [pytest.mark.browser, pytest.mark.slow]

Opener = Callable[..., LabNotebook]
CANVAS = ".nextevi-emotion-plot-canvas"
WIDTH, HEIGHT = 600, 240
LEFT, RIGHT, TOP, BOTTOM = 52, 96, 22, 36  # PLOT_MARGINS in canvas_frame.py
JOY, ANGER = (0xF2, 0xB7, 0x01), (0xE7, 0x3F, 0x74)

CELLS = [
    "from nextevi_widgets.timeline import EmotionPlot, EmotionTimeline\n"
    "timeline = EmotionTimeline()\n"
    "timeline.add_turn('user', 0.0, 4.0)\n"
    "for k in range(40):\n"
    "    timeline.add(k * 0.25, {'joy': 0.9 if k >= 20 else 0.3, 'anger': 0.1})\n"
    f"plot = EmotionPlot(timeline, width={WIDTH}, height={HEIGHT}, title='live')\n"
    "plot",
]


def to_canvas(nb: LabNotebook, t: float, score: float) -> tuple[float, float]:
    x0, x1 = nb.probe("plot._pager.current")
    x = LEFT + (t - x0) / (x1 - x0) * (WIDTH - LEFT - RIGHT)
    y = TOP + (1.0 - score) * (HEIGHT - TOP - BOTTOM)
    return x, y


def color_near(page: Any, x: float, y: float, color: tuple[int, int, int]) -> int:
    distance = color_distance(page, CANVAS, x, y, color)
    assert distance is not None, "the plot's canvas is not laid out"
    return distance


def test_the_canvas_draws_the_data_and_follows_it_live(page: Any, open_notebook: Opener) -> None:
    nb = open_notebook(page, CELLS, widget_selector=CANVAS)
    page.wait_for_function(f"() => document.querySelector('{CANVAS}').style.display !== 'none'")
    assert nb.probe("plot.stats['mode']") == "browser"

    x, y = to_canvas(nb, 7.5, 0.9)  # joy is high in the second half
    eventually(lambda: color_near(page, x, y, JOY) < 60, timeout=15, what="the joy line")
    x_low, y_low = to_canvas(nb, 2.0, 0.9)  # ... and low before
    assert color_near(page, x_low, y_low, JOY) > 150

    nb.execute("for k in range(8): timeline.add(10.0 + k * 0.25, {'joy': 0.3, 'anger': 0.95})")
    x, y = to_canvas(nb, 11.0, 0.95)
    eventually(lambda: color_near(page, x, y, ANGER) < 60, timeout=15, what="the new anger peak")
    assert page.locator(".nextevi-emotion-plot").first.is_hidden()  # the PNG stands down


def test_a_malformed_frame_is_reported_and_the_last_frame_kept(
    page: Any, open_notebook: Opener
) -> None:
    nb = open_notebook(page, CELLS, widget_selector=CANVAS)
    x, y = to_canvas(nb, 7.5, 0.9)
    eventually(lambda: color_near(page, x, y, JOY) < 60, timeout=15, what="the first frame")
    nb.execute(
        "plot.send({'kind': 'frame', 'x0': 0, 'x1': 1, 'title': '', 'names': ['joy'],"
        " 'colors': ['#000000'], 'roles': [], 'role_colors': [], 'samples': 5},"
        " [b'', b'', b'', b''])"
    )
    error = page.locator(".nextevi-emotion-plot-error").first
    eventually(
        lambda: "0 times and 0 values for 5 samples" in (error.text_content() or ""),
        timeout=15,
        what="the error text",
    )
    assert color_near(page, x, y, JOY) < 60  # still the last good frame
    # A header that breaks its declaration (_comm.py) is refused by the generated guard.
    nb.execute(
        "plot.send({'kind': 'frame', 'x0': 0, 'x1': 1, 'title': '', 'names': ['joy'],"
        " 'colors': ['#000000'], 'roles': [], 'role_colors': [], 'samples': 'five'},"
        " [b'', b'', b'', b''])"
    )
    eventually(
        lambda: "frame: field 'samples' must be an integer" in (error.text_content() or ""),
        timeout=15,
        what="the declaration error",
    )
    assert color_near(page, x, y, JOY) < 60


def test_no_line_is_drawn_across_a_silence(page: Any, open_notebook: Opener) -> None:
    """Two utterances 20 s apart: joy is drawn in each, and nothing on the straight line a
    plot that interpolated would draw between them."""
    cells = [
        "from nextevi_widgets.timeline import EmotionPlot, EmotionTimeline\n"
        "timeline = EmotionTimeline()\n"
        "timeline.add_turn('user', 1.0, 5.0)\n"
        "for k in range(9):\n"
        "    timeline.add(1.0 + 0.5 * k, {'joy': 0.2})\n"
        "timeline.add_turn('user', 25.0, 29.0)\n"
        "for k in range(9):\n"
        "    timeline.add(25.0 + 0.5 * k, {'joy': 0.9})\n"
        f"plot = EmotionPlot(timeline, width={WIDTH}, height={HEIGHT})\n"
        "plot",
    ]
    nb = open_notebook(page, cells, widget_selector=CANVAS)
    x, y = to_canvas(nb, 3.0, 0.2)
    eventually(lambda: color_near(page, x, y, JOY) < 60, timeout=15, what="the first utterance")
    x, y = to_canvas(nb, 27.0, 0.9)
    assert color_near(page, x, y, JOY) < 60
    for t in (8.0, 15.0, 22.0):  # where the interpolated line from (5, 0.2) to (25, 0.9) runs
        x, y = to_canvas(nb, t, 0.2 + 0.7 * (t - 5.0) / 20.0)
        assert color_near(page, x, y, JOY) > 150, t
