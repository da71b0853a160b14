"""A notebook executed headless (nbclient, no front end) saves an EmotionPlot that shows the
data: the static PNG of the plot's display is replaced when the session ends, or on demand."""

from __future__ import annotations

import base64
import io
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from nextevi_widgets.timeline import EmotionPlot, EmotionTimeline
from nextevi_widgets.timeline.draw import EMOTION_COLORS

pytestmark = pytest.mark.slow


def test_the_empty_axes_have_no_line_colours() -> None:
    """What the plot looked like in the saved file before: the measure below tells it apart."""
    plot = EmotionPlot(EmotionTimeline(), width=600, height=240)
    bundle = plot._repr_mimebundle_()
    data = bundle[0] if isinstance(bundle, tuple) else bundle
    assert line_colour_pixels(data["image/png"]) == 0
    plot.close()


TESTS = Path(__file__).resolve().parents[1]


def line_colour_pixels(png_b64: str) -> int:
    """Pixels within a small distance of an emotion's line colour (not neutral's grey, which
    the axes' antialiased text and ticks come close to)."""
    image = np.asarray(Image.open(io.BytesIO(base64.b64decode(png_b64))).convert("RGB"))
    pixels = image.reshape(-1, 3).astype(int)
    count = 0
    for name, color in EMOTION_COLORS.items():
        if name == "neutral":
            continue
        rgb = np.array([int(color[i : i + 2], 16) for i in (1, 3, 5)])
        count += int((np.abs(pixels - rgb).sum(axis=1) < 40).sum())
    return count


def run(cells: list[str], tmp_path: Path) -> list[Any]:
    import nbclient
    import nbformat

    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell(source) for source in cells]
    client = nbclient.NotebookClient(
        notebook, timeout=120, kernel_name="python3", resources={"metadata": {"path": tmp_path}}
    )
    client.execute()
    errors = [o for c in notebook.cells for o in c.outputs if o.output_type == "error"]
    assert not errors, errors
    return [cell.outputs for cell in notebook.cells]


SETUP = (
    f"import sys; sys.path.insert(0, {str(TESTS)!r})\n"
    "import fast_sessions\n"
    "from nextevi_widgets.session import VoiceSession\n"
    "from nextevi_widgets.timeline import EmotionPlot\n"
)


def test_a_headless_run_saves_the_plot_with_the_session_s_data(
    speech_wav: Path, tmp_path: Path
) -> None:
    outputs = run(
        [
            SETUP,
            "session = VoiceSession(emulator='inprocess', config_id=fast_sessions.FAST_PROFILE,"
            " settings=fast_sessions.FAST_SETTINGS)\n"
            "plot = EmotionPlot(session, width=600, height=240)\n"
            "session.start()\n"
            "plot",
            "await session.wait_until('connected', timeout=60)\n"
            f"await session.send_file({str(speech_wav)!r}, realtime=True, trailing_silence=0.8)\n"
            "await session.wait_until(lambda s: len(plot.timeline) >= 3, timeout=60)",
            # The session ends in its background task while the next cell runs.
            "session.close()",
            "await session.wait_until('disconnected', timeout=60)\nlen(plot.timeline)",
        ],
        tmp_path,
    )
    shown = [o for o in outputs[1] if "image/png" in o.get("data", {})]
    assert len(shown) == 1
    data = shown[0]["data"]
    assert "application/vnd.jupyter.widget-view+json" in data  # still the live widget too
    assert shown[0]["output_type"] == "display_data"
    assert line_colour_pixels(data["image/png"]) > 200  # the lines, not the empty axes
    assert "samples" in data["text/plain"]
    assert "(0 samples)" not in data["text/plain"]


def test_snapshot_on_demand_updates_a_plot_of_a_fed_timeline(tmp_path: Path) -> None:
    outputs = run(
        [
            "from nextevi_widgets.timeline import EmotionPlot, EmotionTimeline\n"
            "timeline = EmotionTimeline()\n"
            "plot = EmotionPlot(timeline, width=600, height=240)\n"
            "plot",
            "timeline.add_turn('user', 0.0, 4.0)\n"
            "for k in range(16):\n"
            "    timeline.add(k * 0.25, {'joy': 0.2 + k / 40, 'anger': 0.6})",
            "png = plot.snapshot()\nlen(png) > 0",
        ],
        tmp_path,
    )
    data = next(o["data"] for o in outputs[0] if "image/png" in o.get("data", {}))
    assert line_colour_pixels(data["image/png"]) > 200
    assert "joy" in data["text/plain"]
    assert outputs[2][0]["data"]["text/plain"] == "True"
