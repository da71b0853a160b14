"""EmotionTimeline maths against hand-computed values."""

from __future__ import annotations

import math

import numpy as np
import pytest

from nextevi_widgets.client.messages import EmotionScore, parse_server_message
from nextevi_widgets.timeline import EmotionTimeline, TimelineFeeder, latency_table


def joy(values: list[tuple[float, float]]) -> EmotionTimeline:
    timeline = EmotionTimeline()
    for t, score in values:
        timeline.add(t, {"joy": score})
    return timeline


def nan_equal(a: object, b: list[float]) -> bool:
    return bool(np.allclose(np.asarray(a, dtype=float), b, equal_nan=True))


def test_resample_bins_by_left_edge_with_empty_bins_nan_or_filled() -> None:
    timeline = joy([(0.2, 0.2), (0.7, 0.4), (1.1, 0.9), (3.5, 0.1)])
    binned = timeline.resample(1.0)
    assert binned.times.tolist() == [0.0, 1.0, 2.0, 3.0]
    assert nan_equal(binned.values[:, 0], [0.3, 0.9, math.nan, 0.1])
    filled = timeline.resample(1.0, fill="ffill")
    assert nan_equal(filled.values[:, 0], [0.3, 0.9, 0.9, 0.1])


def test_resample_aligns_bins_to_multiples_of_the_period() -> None:
    binned = joy([(10.4, 0.5), (11.9, 0.7), (12.1, 0.1)]).resample(2.0)
    assert binned.times.tolist() == [10.0, 12.0]
    assert nan_equal(binned.values[:, 0], [0.6, 0.1])


def test_smooth_is_centered_and_shrinks_at_the_edges() -> None:
    timeline = joy([(0, 0.1), (1, 0.2), (2, 0.6), (3, 1.0)])
    assert nan_equal(timeline.smooth(3).values[:, 0], [0.15, 0.3, 0.6, 0.8])
    assert nan_equal(timeline.smooth(5).values[:, 0], [0.3, 0.475, 0.475, 0.6])
    assert nan_equal(timeline.smooth(1).values[:, 0], [0.1, 0.2, 0.6, 1.0])
    with pytest.raises(ValueError, match="odd"):
        timeline.smooth(2)


def test_smooth_skips_missing_scores() -> None:
    timeline = EmotionTimeline()
    timeline.add(0, {"joy": 0.2, "anger": 0.5})
    timeline.add(1, {"anger": 0.1})  # no joy here: NaN, not zero
    timeline.add(2, {"joy": 0.4, "anger": 0.3})
    assert math.isnan(timeline.values[1, 0])
    smoothed = timeline.smooth(3)
    assert nan_equal(smoothed.values[:, 0], [0.2, 0.3, 0.4])
    assert nan_equal(smoothed.values[:, 1], [0.3, 0.3, 0.2])


def scripted() -> EmotionTimeline:
    timeline = EmotionTimeline()
    timeline.add_turn("user", 0.0, 2.0)
    timeline.add_turn("assistant", 2.5, 4.0, interrupted=True)
    timeline.add_turn("user", 5.0, 6.0)
    timeline.add(0.5, {"joy": 0.2, "anger": 0.6})
    timeline.add(1.5, {"joy": 0.4, "anger": 0.2})
    timeline.add(2.2, {"joy": 0.9, "anger": 0.1})  # the update that follows a final transcript
    timeline.add(5.5, {"joy": 0.1, "anger": 0.3})
    return timeline


def test_by_turn_mean_max_dominant() -> None:
    first, reply, second = scripted().by_turn()
    assert first["samples"] == 3
    assert first["mean"]["joy"] == pytest.approx(0.5)
    assert first["mean"]["anger"] == pytest.approx(0.3)
    assert first["max"] == {"joy": 0.9, "anger": 0.6}
    assert first["dominant"] == "joy"
    assert reply["role"] == "assistant"
    assert reply["interrupted"]
    assert reply["samples"] == 0
    assert reply["dominant"] is None
    assert second["dominant"] == "anger"
    assert second["mean"] == {"joy": pytest.approx(0.1), "anger": pytest.approx(0.3)}
    assert [t["role"] for t in scripted().by_turn("user")] == ["user", "user"]


def test_top_and_compare() -> None:
    timeline = scripted()
    assert timeline.top(1) == [("joy", pytest.approx(0.4))]
    assert [name for name, _ in timeline.top(5)] == ["joy", "anger"]
    other = joy([(0, 0.8), (1, 0.6)])
    rows = {row["emotion"]: row for row in timeline.compare(other)}
    assert rows["joy"]["mean_self"] == pytest.approx(0.4)
    assert rows["joy"]["mean_other"] == pytest.approx(0.7)
    assert rows["joy"]["diff"] == pytest.approx(0.3)
    assert rows["joy"]["max_other"] == pytest.approx(0.8)
    assert math.isnan(rows["anger"]["mean_other"])


def test_three_wire_shapes_normalise_into_the_timeline() -> None:
    timeline = EmotionTimeline()
    timeline.add(0.0, [{"name": "Joy", "score": 0.7}, {"name": "Anger", "score": 0.1}])
    timeline.add(1.0, [{"emotion": "joy", "percentage": 71}])
    timeline.add(2.0, [{"emotion": "JOY", "confidence": 0.2}])
    timeline.add(3.0, (EmotionScore("joy", 0.5),))
    timeline.add(4.0, {"joy": 1.7})  # clipped to 0..1
    assert timeline.names == ["joy", "anger"]
    assert nan_equal(timeline.values[:, 0], [0.7, 0.71, 0.2, 0.5, 1.0])
    assert nan_equal(timeline.values[:, 1], [0.1, math.nan, math.nan, math.nan, math.nan])


@pytest.mark.parametrize(
    "wire",
    [
        {"type": "emotion_update", "data": {"top_emotions": [{"name": "Joy", "score": 0.7}]}},
        {"type": "emotion_update", "top_emotions": [{"emotion": "joy", "percentage": 70}]},
        {"type": "emotion_update", "emotions": [{"emotion": "joy", "confidence": 0.7}]},
    ],
)
def test_feeder_reads_every_emotion_update_shape(wire: dict[str, object]) -> None:
    timeline = EmotionTimeline()
    TimelineFeeder(timeline)("in", parse_server_message(wire), 3.0)
    assert timeline.times.tolist() == [3.0]
    assert timeline.names == ["joy"]
    assert timeline.values[0, 0] == pytest.approx(0.7)


def test_dataframes_long_and_wide() -> None:
    pd = pytest.importorskip("pandas")
    timeline = scripted()
    wide = timeline.to_dataframe("wide")
    assert list(wide.columns) == ["t", "source", "count", "joy", "anger"]
    assert wide["joy"].tolist() == [0.2, 0.4, 0.9, 0.1]
    long = timeline.to_dataframe("long")
    assert list(long.columns) == ["t", "emotion", "score", "source", "count"]
    assert len(long) == 8
    assert isinstance(long, pd.DataFrame)
    assert long.iloc[0].to_dict() == {
        "t": 0.5,
        "emotion": "anger",
        "score": 0.6,
        "source": "emotion_update",
        "count": 1.0,
    }


def test_one_hour_at_2hz_stays_bounded_and_keeps_means() -> None:
    rng = np.random.default_rng(7)
    n = 3600 * 2
    times = np.arange(n) / 2.0
    scores = rng.uniform(0, 1, size=(n, 2))
    timeline = EmotionTimeline(max_points=1000, max_history=100, history_period=5.0)
    for t, (a, b) in zip(times, scores, strict=True):
        timeline.add(t, {"joy": a, "anger": b})
    assert timeline.rows_allocated <= 1100
    assert len(timeline) <= 1100
    assert float(timeline.counts.sum()) == n
    assert timeline.mean()["joy"] == pytest.approx(scores[:, 0].mean(), rel=1e-12)
    assert timeline.mean()["anger"] == pytest.approx(scores[:, 1].mean(), rel=1e-12)
    # The newest samples are untouched.
    assert timeline.times[-1] == times[-1]
    assert timeline.values[-1, 0] == scores[-1, 0]
    # Each history bin is the exact mean of the raw samples it stands for.
    store = timeline._store
    period = store.history_period
    history = len(store._h_t)
    assert 0 < history <= 100
    for k in range(history):
        key = np.floor(store._h_t[k] / period)
        raw = (np.floor(times / period) == key) & (times < timeline.times[history])
        assert store._h_c[k] == raw.sum()
        assert store._h_v[k, 0] == pytest.approx(scores[raw, 0].mean(), rel=1e-9)


def test_names_added_after_folding_get_nan_history() -> None:
    timeline = EmotionTimeline(max_points=4, max_history=10, history_period=1.0)
    for t in range(6):
        timeline.add(float(t), {"joy": 0.5})
    timeline.add(6.0, {"joy": 0.5, "fear": 0.9})
    assert timeline.names == ["joy", "fear"]
    assert math.isnan(timeline.values[0, 1])
    assert timeline.values[-1, 1] == 0.9
    assert timeline.mean()["fear"] == pytest.approx(0.9)


def test_a_snapshot_keeps_growing_past_its_capacity() -> None:
    timeline = EmotionTimeline()
    for t in range(10):
        timeline.add(float(t), {"joy": 0.1 * t, "fear": 0.5})
    copy = timeline.snapshot()
    for t in range(10, 40):  # more than the copy's room: its oldest rows fold into history
        copy.add(float(t), {"joy": 0.5, "fear": 0.5})
    assert len(timeline) == 10
    first, last = copy.span()
    assert first < 5.0
    assert last == 39.0
    assert copy.mean()["fear"] == pytest.approx(0.5)


def test_latency_table_in_ms_from_speech_end() -> None:
    records = [
        {
            "turn": 1,
            "user_speech_end": 2.0,
            "final_transcript": 2.5,
            "first_text": 2.6,
            "first_tts_chunk": 2.75,
            "first_played": 2.9,
            "played_estimated": True,
        },
        {
            "turn": 2,
            "user_speech_end": 10.0,
            "final_transcript": 10.2,
            "first_text": None,
            "first_tts_chunk": None,
            "first_played": None,
        },
    ]
    rows = latency_table(records)
    assert rows[0] == {
        "turn": 1,
        "transcript_ms": 500.0,
        "first_text_ms": 600.0,
        "first_tts_ms": 750.0,
        "first_played_ms": 900.0,
        "played_estimated": True,
    }
    assert rows[1]["transcript_ms"] == 200.0
    assert rows[1]["first_played_ms"] is None
