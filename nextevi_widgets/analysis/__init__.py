"""Analysis of session datasets: DataFrames (through DuckDB) and matplotlib figures.

::

    from nextevi_widgets.dataset import SessionDataset
    from nextevi_widgets import analysis

    ds = SessionDataset.open("runs/eval")
    table = analysis.emotion_distribution(ds, "sentiment")
    analysis.plot_emotion_distribution(table)

Needs ``pip install "nextevi-widgets[dataset]"``.
"""

from __future__ import annotations

from .emotions import emotion_distribution, emotion_trajectories, top_emotion_confusion
from .latency import LATENCY_SPANS, latency_percentiles
from .plots import (
    plot_confusion,
    plot_emotion_distribution,
    plot_latency_percentiles,
    plot_trajectories,
    plot_wer,
)
from .wer import corpus_wer, normalize_text, word_error_rates

__all__ = [
    "LATENCY_SPANS",
    "corpus_wer",
    "emotion_distribution",
    "emotion_trajectories",
    "latency_percentiles",
    "normalize_text",
    "plot_confusion",
    "plot_emotion_distribution",
    "plot_latency_percentiles",
    "plot_trajectories",
    "plot_wer",
    "top_emotion_confusion",
    "word_error_rates",
]
