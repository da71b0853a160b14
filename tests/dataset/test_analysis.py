"""Analysis helpers on a small real dataset, checked against values computed independently
from each session's own fold (its Recording) or from the raw tables with pandas."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from conftest import Recorded

from nextevi_widgets import analysis
from nextevi_widgets.dataset import DatasetWriter, SessionDataset
from nextevi_widgets.dataset.rows import recording_from_events

SENTIMENT = {"s0": "positive", "s1": "negative", "s2": "positive", "s3": "negative"}
CONFIG = {"s0": "a", "s1": "a", "s2": "b", "s3": "b"}


def session_means(recorded: Recorded, n: int) -> dict[str, float]:
    """Mean score per emotion over one session's timeline samples."""
    timeline = recording_from_events(recorded.events[n % 2]).timeline
    return {name: float(np.nanmean(timeline.values[:, i])) for i, name in enumerate(timeline.names)}


@pytest.fixture(autouse=True)
def _close_figures() -> None:
    plt.close("all")


def test_emotion_distribution_per_label(labelled: SessionDataset, recorded: Recorded) -> None:
    table = analysis.emotion_distribution(labelled, "sentiment")
    assert list(table.columns) == ["sentiment", "name", "mean", "std", "sessions", "samples"]
    for label in ("positive", "negative"):
        means = [session_means(recorded, n) for n, s in enumerate(SENTIMENT.values()) if s == label]
        got = table[table["sentiment"] == label].set_index("name")
        assert set(got.index) == set(means[0])
        for name in got.index:
            assert got.loc[name, "mean"] == pytest.approx(
                np.mean([m[name] for m in means]), abs=1e-6
            )
            assert got.loc[name, "sessions"] == 2
        # sorted by mean within a label
        assert list(got["mean"]) == sorted(got["mean"], reverse=True)
    with pytest.raises(KeyError, match="sessions has no column 'mood'"):
        analysis.emotion_distribution(labelled, "mood")

    ax = analysis.plot_emotion_distribution(table, top=3)
    heights = sorted(round(p.get_height(), 6) for p in ax.patches)
    top3 = table.groupby("name")["mean"].mean().sort_values(ascending=False).index[:3]
    expected = sorted(round(v, 6) for v in table[table["name"].isin(top3)]["mean"])
    assert heights == expected
    assert [t.get_text() for t in ax.get_xticklabels()] == list(top3)


def test_top_emotion_confusion(labelled: SessionDataset, recorded: Recorded) -> None:
    counts = analysis.top_emotion_confusion(labelled, "sentiment")
    expected: dict[tuple[str, str], int] = {}
    for n, label in enumerate(SENTIMENT.values()):
        means = session_means(recorded, n)
        top = max(means, key=lambda name: means[name])
        expected[(label, top)] = expected.get((label, top), 0) + 1
    got = {
        (label, top): int(counts.loc[label, top])
        for label in counts.index
        for top in counts.columns
        if counts.loc[label, top]
    }
    assert got == expected
    assert counts.to_numpy().sum() == 4
    shares = analysis.top_emotion_confusion(labelled, "sentiment", normalize=True)
    assert shares.sum(axis=1).tolist() == pytest.approx([1.0, 1.0])

    ax = analysis.plot_confusion(counts)
    texts = sorted(t.get_text() for t in ax.texts)
    assert texts == sorted(f"{v:.0f}" for v in counts.to_numpy().ravel())


def test_trajectories_across_user_turns(labelled: SessionDataset) -> None:
    table = analysis.emotion_trajectories(labelled, by="sentiment", emotions=["joy", "neutral"])
    samples = labelled.df("emotion_samples")
    samples["sentiment"] = samples["session_id"].map(SENTIMENT)
    samples = samples[samples["name"].isin(["joy", "neutral"])]
    per_turn = samples.groupby(["sentiment", "session_id", "user_turn", "name"])["score"].mean()
    expected = per_turn.groupby(["sentiment", "user_turn", "name"]).mean()
    assert len(table) == len(expected) > 0
    for row in table.itertuples():
        assert row.mean == pytest.approx(expected[(row.sentiment, row.turn, row.name)], abs=1e-6)
    # the two-turn sessions reach turn 2, the one-turn sessions do not
    assert set(table[table["sentiment"] == "negative"]["turn"]) == {1, 2}
    assert set(table[table["sentiment"] == "positive"]["turn"]) == {1}
    assert set(table["name"]) == {"joy", "neutral"}
    assert set(analysis.emotion_trajectories(labelled, max_turn=1)["turn"]) == {1}

    ax = analysis.plot_trajectories(table)
    assert len(ax.lines) == 4  # 2 emotions x 2 labels
    joy_negative = next(line for line in ax.lines if line.get_label() == "joy (negative)")
    assert list(joy_negative.get_xdata()) == [1, 2]


def test_latency_percentiles_per_configuration(
    labelled: SessionDataset, recorded: Recorded
) -> None:
    table = analysis.latency_percentiles(labelled, percentiles=(50, 95))
    assert list(table.columns) == ["config", "span", "turns", "p50", "p95"]
    for config in ("a", "b"):
        records = [
            record
            for n, c in enumerate(CONFIG.values())
            if c == config
            for record in recording_from_events(recorded.events[n % 2]).latency
        ]
        response = [r["first_tts_chunk"] - r["user_speech_end"] for r in records]
        row = table[(table["config"] == config) & (table["span"] == "response_s")].iloc[0]
        assert row["turns"] == len(response) == 3
        assert row["p50"] == pytest.approx(np.percentile(response, 50))
        assert row["p95"] == pytest.approx(np.percentile(response, 95))
    with pytest.raises(ValueError, match="unknown latency spans"):
        analysis.latency_percentiles(labelled, spans=["nope"])

    ax = analysis.plot_latency_percentiles(table)
    heights = [p.get_height() for p in ax.patches]
    expected = table[table["span"] == "response_s"]["p50"].to_numpy() * 1000
    assert heights == pytest.approx(list(expected))


def test_word_error_rates(labelled: SessionDataset) -> None:
    # the recogniser hears "hello there how are you today" once per turn
    references = {
        "s0": "Hello there, how are you today?",  # exact, after normalisation
        "s1": "hello there how are you today",  # said twice: 6 insertions
        "s2": "hello there how were you today",  # one substitution
    }
    per_session = analysis.word_error_rates(labelled, references, by="sentiment")
    got = per_session.set_index("session_id")
    assert list(got.index) == ["s0", "s1", "s2"]  # s3 has no reference
    assert got.loc["s0", "wer"] == 0.0
    assert got.loc["s1", "wer"] == pytest.approx(1.0)
    assert got.loc["s1", "insertions"] == 6
    assert got.loc["s2", "wer"] == pytest.approx(1 / 6)
    assert got.loc["s2", "substitutions"] == 1
    assert got.loc["s1", "hypothesis"] == " ".join(["hello there how are you today"] * 2)

    by_label = analysis.corpus_wer(per_session, "sentiment").set_index("sentiment")
    assert by_label.loc["positive", "wer"] == pytest.approx(1 / 12)
    assert by_label.loc["negative", "wer"] == pytest.approx(1.0)
    overall = analysis.corpus_wer(per_session)
    assert overall["wer"][0] == pytest.approx(7 / 18)
    assert overall["words"][0] == 18

    ax = analysis.plot_wer(by_label.reset_index())
    assert [p.get_height() for p in ax.patches] == pytest.approx([100.0, 100 / 12])


def test_references_from_a_label_column(tmp_path: Path, recorded: Recorded) -> None:
    path = tmp_path / "ds"
    with DatasetWriter(path) as writer:
        writer.add_session("x", recorded.events[0], labels={"ref": "hello how are you"}, meta={})
    frame = analysis.word_error_rates(SessionDataset.open(path), "ref")
    assert isinstance(frame, pd.DataFrame)
    assert frame["wer"].tolist() == [pytest.approx(2 / 4)]  # "there", "today" inserted
    assert analysis.normalize_text("It's  FINE, isn't it?") == "it's fine isn't it"
