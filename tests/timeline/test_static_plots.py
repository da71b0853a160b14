"""Static matplotlib plots from a timeline and latency records (Agg, no display)."""

from __future__ import annotations

import sys

import pytest
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.patches import PathPatch

from nextevi_widgets.timeline import EmotionTimeline, plot_latency
from nextevi_widgets.timeline.render import PngRenderer


def sample() -> EmotionTimeline:
    timeline = EmotionTimeline()
    timeline.add_turn("user", 0.0, 2.0)
    timeline.add_turn("assistant", 2.2, 3.0, interrupted=True)
    timeline.mark_interruption(3.0)
    for i in range(20):
        timeline.add(i * 0.25, {"joy": i / 20, "sadness": 1 - i / 20, "anger": 0.1})
    return timeline


@pytest.mark.parametrize("style", ["line", "area", "heatmap"])
def test_each_style_draws_data_turns_and_interruptions(style: str) -> None:
    ax = Figure().add_subplot()
    sample().plot(ax=ax, style=style, top=2)  # type: ignore[arg-type]
    # Two shaded turns (one user, one interrupted assistant: a compound path each) ...
    shading = [p for p in ax.patches if isinstance(p, PathPatch) and p.get_alpha() == 0.12]
    assert sorted(len(p.get_path().vertices) for p in shading) == [5, 5]  # one rectangle each
    assert sorted(bool(p.get_hatch()) for p in shading) == [False, True]
    # ... and the interruption line.
    marks = [c for c in ax.collections if isinstance(c, LineCollection)]
    assert len(marks) == 1
    assert marks[0].get_segments()[0][0][0] == 3.0
    if style == "line":
        assert sorted(str(line.get_label()) for line in ax.lines) == ["joy", "sadness"]
        legend = ax.get_legend()
        assert legend is not None
        assert [t.get_text() for t in legend.get_texts()] == ["joy", "sadness"]
    elif style == "area":
        stacked = [c for c in ax.collections if c.get_alpha() == 0.85]
        assert len(stacked) == 2
    else:
        assert [t.get_text() for t in ax.get_yticklabels()] == ["joy", "sadness"]


def test_unknown_style_is_refused() -> None:
    with pytest.raises(ValueError, match="style"):
        sample().plot(ax=Figure().add_subplot(), style="pie")  # type: ignore[arg-type]


def test_png_renderer_produces_a_png() -> None:
    result = PngRenderer(400, 200).render(sample(), style="area")
    assert result.png.startswith(b"\x89PNG\r\n\x1a\n")
    assert result.wall_ms > 0


def test_latency_waterfall_has_one_bar_per_stage_reached() -> None:
    records = [
        {"turn": 1, "user_speech_end": 1.0, "final_transcript": 1.5, "first_text": 1.6,
         "first_tts_chunk": 1.7, "first_played": 1.8, "played_estimated": False},
        {"turn": 2, "user_speech_end": 5.0, "final_transcript": 5.3, "first_text": None,
         "first_tts_chunk": None, "first_played": None},
    ]  # fmt: skip
    ax = plot_latency(records, ax=Figure().add_subplot())
    widths = sorted(round(p.get_width()) for p in ax.patches if p.get_width() > 0)
    assert widths == [100, 100, 100, 300, 500]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["turn 1", "turn 2"]


def test_dataframe_without_pandas_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pandas", None)
    with pytest.raises(ImportError, match=r"pip install 'nextevi-widgets\[pandas\]'"):
        sample().to_dataframe()
