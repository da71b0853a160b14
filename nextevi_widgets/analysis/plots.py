"""Figures of the analysis tables; each takes the DataFrame its table function returned and
an optional matplotlib ``ax``, and returns the Axes it drew on."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = [
    "plot_confusion",
    "plot_emotion_distribution",
    "plot_latency_percentiles",
    "plot_trajectories",
    "plot_wer",
]


def _axes(ax: Axes | None, size: tuple[float, float]) -> Axes:
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    _, new = plt.subplots(figsize=size, layout="constrained")
    return new


def plot_emotion_distribution(frame: Any, ax: Axes | None = None, *, top: int = 8) -> Axes:
    """Grouped bars from :func:`emotion_distribution`: mean score per emotion (the ``top``
    highest overall), one bar per label value, whiskers at ± one standard deviation."""
    label = frame.columns[0]
    order = frame.groupby("name")["mean"].mean().sort_values(ascending=False).index[:top]
    values = frame.pivot(index="name", columns=label, values="mean").reindex(order)
    spread = frame.pivot(index="name", columns=label, values="std").reindex(order)
    ax = _axes(ax, (max(6.0, 0.8 * len(order) + 2), 3.5))
    width = 0.8 / max(1, len(values.columns))
    x = np.arange(len(order))
    for i, value in enumerate(values.columns):
        ax.bar(
            x + (i - (len(values.columns) - 1) / 2) * width,
            values[value].to_numpy(dtype=float),
            width,
            yerr=spread[value].to_numpy(dtype=float),
            capsize=2,
            label=str(value),
        )
    ax.set_xticks(x, list(order), rotation=30, ha="right")
    ax.set_ylabel("mean score (per session)")
    ax.set_title(f"Emotions by {label}", fontsize=10)
    ax.legend(title=str(label), fontsize=8, frameon=False)
    ax.grid(axis="y", alpha=0.2)
    return ax


def plot_confusion(table: Any, ax: Axes | None = None) -> Axes:
    """Heat map of :func:`top_emotion_confusion`, each cell annotated."""
    data = table.to_numpy(dtype=float)
    ax = _axes(ax, (1.2 + 0.9 * max(1, data.shape[1]), 1.2 + 0.6 * max(1, data.shape[0])))
    image = ax.imshow(data, cmap="Blues", aspect="auto", vmin=0)
    ax.figure.colorbar(image, ax=ax, shrink=0.8)
    ax.set_xticks(range(data.shape[1]), [str(c) for c in table.columns], rotation=30, ha="right")
    ax.set_yticks(range(data.shape[0]), [str(i) for i in table.index])
    ax.set_xlabel(str(table.columns.name or "top emotion"))
    ax.set_ylabel(str(table.index.name or "label"))
    shares = data.size and data.max() <= 1.0 and not np.allclose(data, np.round(data))
    peak = data.max() if data.size else 0.0
    for (row, col), value in np.ndenumerate(data):
        text = f"{value:.0%}" if shares else f"{value:.0f}"
        color = "white" if peak and value > peak / 2 else "black"
        ax.text(col, row, text, ha="center", va="center", fontsize=8, color=color)
    ax.set_title("Top emotion by label", fontsize=10)
    return ax


def plot_trajectories(
    frame: Any, ax: Axes | None = None, *, emotions: Sequence[str] | None = None
) -> Axes:
    """Lines of :func:`emotion_trajectories`: mean score per turn, one colour per emotion,
    one line style per group when the frame was split ``by`` a column."""
    group = frame.columns[0] if frame.columns[0] != "turn" else None
    names = list(emotions) if emotions is not None else sorted(frame["name"].unique())
    ax = _axes(ax, (7.0, 3.5))
    styles = ["-", "--", ":", "-."]
    groups = list(frame[group].unique()) if group else [None]
    colors = {name: f"C{i % 10}" for i, name in enumerate(names)}
    for g_index, value in enumerate(groups):
        part = frame if group is None else frame[frame[group] == value]
        for name in names:
            line = part[part["name"] == name].sort_values("turn")
            if line.empty:
                continue
            suffix = f" ({value})" if group else ""
            ax.plot(
                line["turn"],
                line["mean"],
                styles[g_index % len(styles)],
                marker="o",
                ms=3,
                color=colors[name],
                label=f"{name}{suffix}",
            )
    ax.set_xlabel("turn")
    ax.set_ylabel("mean score (over sessions)")
    ax.set_title("Emotions across turns", fontsize=10)
    ax.legend(fontsize=7, frameon=False, ncol=2)
    ax.grid(alpha=0.2)
    return ax


def plot_latency_percentiles(
    frame: Any, ax: Axes | None = None, *, span: str = "response_s"
) -> Axes:
    """Bars of :func:`latency_percentiles` for one ``span``: the median per group, with a
    whisker up to the highest percentile in the frame, in milliseconds."""
    group = frame.columns[0]
    part = frame[frame["span"] == span]
    columns = [c for c in frame.columns if c.startswith("p")]
    median = "p50" if "p50" in columns else columns[0]
    ax = _axes(ax, (max(4.0, 1.2 * len(part) + 2), 3.0))
    x = np.arange(len(part))
    low = part[median].to_numpy(dtype=float) * 1000
    high = part[columns[-1]].to_numpy(dtype=float) * 1000
    ax.bar(x, low, 0.6, color="C0", label=median)
    ax.errorbar(x, low, yerr=[np.zeros_like(low), high - low], fmt="none", ecolor="k", capsize=3)
    ax.set_xticks(x, [str(v) for v in part[group]])
    ax.set_xlabel(str(group))
    ax.set_ylabel(f"{span} (ms)")
    ax.set_title(f"{span}: {median} and {columns[-1]}", fontsize=10)
    ax.grid(axis="y", alpha=0.2)
    return ax


def plot_wer(frame: Any, ax: Axes | None = None) -> Axes:
    """Bars of :func:`corpus_wer` split ``by`` a column (one bar per group)."""
    group = frame.columns[0]
    ax = _axes(ax, (max(4.0, 1.0 * len(frame) + 2), 3.0))
    x = np.arange(len(frame))
    ax.bar(x, frame["wer"].to_numpy(dtype=float) * 100, 0.6, color="C2")
    ax.set_xticks(x, [str(v) for v in frame[group]])
    ax.set_xlabel(str(group))
    ax.set_ylabel("WER (%)")
    ax.set_title("Word error rate", fontsize=10)
    ax.grid(axis="y", alpha=0.2)
    return ax
