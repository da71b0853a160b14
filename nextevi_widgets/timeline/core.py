"""``EmotionTimeline``: emotion scores over the session clock, with turns and interruptions.

Samples are kept with the bounded-memory policy of :mod:`._store` (full resolution for the
newest ``max_points`` samples, count-weighted bins further back). Scores are 0..1; a name that a
sample does not mention is NaN there (not zero), and every statistic ignores NaN.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import numpy.typing as npt

from ..client.messages import EmotionScore, normalize_emotions
from ._frames import require_pandas
from ._store import SOURCE_CODES, SOURCE_NAMES, SampleStore, Source
from .turns import Turn, TurnTable

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from ..session import VoiceSession

__all__ = ["EmotionTimeline", "Turn", "TurnTable"]

logger = logging.getLogger(__name__)

FloatArray = npt.NDArray[np.float64]
Style = Literal["line", "area", "heatmap"]


def _scores(value: Mapping[str, float] | Iterable[Any]) -> dict[str, float]:
    """``{name: score}`` from a plain mapping, EmotionScore items or raw wire items of any of
    the three known shapes."""
    if isinstance(value, Mapping) and all(
        isinstance(v, (int, float)) and not isinstance(v, bool) for v in value.values()
    ):
        return {str(k).lower(): min(1.0, max(0.0, float(v))) for k, v in value.items()}
    items = list(value.values()) if isinstance(value, Mapping) else list(value)
    if items and all(isinstance(item, EmotionScore) for item in items):
        return {item.name: item.score for item in items}
    return {e.name: e.score for e in normalize_emotions(value)}


class EmotionTimeline:
    """Emotion scores over time, plus turns and interruptions, ready to analyse and plot.

    ::

        timeline = EmotionTimeline.attach(session)   # fed live from the session's events
        timeline.resample(1.0).smooth(3).plot(style="area")
        timeline.by_turn()

    Memory is bounded (see :mod:`nextevi_widgets.timeline._store`): the newest ``max_points``
    samples stay at full resolution; older ones are folded into count-weighted bins of
    ``history_period`` seconds (doubling when more than ``max_history`` bins pile up).
    """

    def __init__(
        self, *, max_points: int = 4096, max_history: int = 2048, history_period: float = 5.0
    ) -> None:
        self._store = SampleStore(max_points, max_history, history_period)
        self._turns: list[Turn] = []
        self._interruptions: list[float] = []
        self._turn_table: TurnTable | None = None
        self._listeners: list[Callable[[], None]] = []
        self._detach: Callable[[], None] | None = None
        self.max_turns = 10_000
        """Turns and interruptions kept (the oldest go first)."""

    # ------------------------------------------------------------------ feeding

    def add(
        self,
        t: float,
        scores: Mapping[str, float] | Iterable[Any],
        source: Source = "emotion_update",
    ) -> None:
        """Add one sample at session-clock ``t``. ``scores`` is ``{name: 0..1}``, a sequence of
        :class:`~nextevi_widgets.client.messages.EmotionScore`, or raw wire items in any known
        shape (``{name, score}``, ``{emotion, percentage}``, ``{emotion, confidence}``)."""
        values = _scores(scores)
        if not values:
            return
        self._store.append(float(t), values, SOURCE_CODES[source])
        self._changed()

    def add_turn(
        self,
        role: str,
        start: float,
        end: float,
        interrupted: bool = False,
        *,
        key: str | None = None,
    ) -> None:
        """Add a turn, or update the turn with the same ``key``."""
        turn = Turn(role, float(start), max(float(start), float(end)), bool(interrupted), key)
        if key is not None:
            for index in range(len(self._turns) - 1, max(-1, len(self._turns) - 20), -1):
                if self._turns[index].key == key:
                    self._turns[index] = turn
                    self._turn_table = None
                    self._changed()
                    return
        self._turns.append(turn)
        if len(self._turns) > 1 and self._turns[-2].start > turn.start:
            self._turns.sort(key=lambda item: item.start)
        del self._turns[: -self.max_turns]
        self._turn_table = None
        self._changed()

    def mark_interruption(self, t: float) -> None:
        """Record a barge-in (server interruption or user interrupt) at ``t``."""
        self._interruptions.append(float(t))
        del self._interruptions[: -self.max_turns]
        self._changed()

    def on_change(self, callback: Callable[[], None]) -> Callable[[], None]:
        """Call ``callback()`` after every change (in the thread that made it). Returns an
        unsubscribe function."""
        self._listeners.append(callback)

        def unsubscribe() -> None:
            if callback in self._listeners:
                self._listeners.remove(callback)

        return unsubscribe

    def _changed(self) -> None:
        for listener in list(self._listeners):
            try:
                listener()
            except Exception:
                logger.exception("EmotionTimeline listener raised")

    @classmethod
    def attach(
        cls,
        session: VoiceSession,
        *,
        sources: Iterable[Source] = ("emotion_update", "transcription"),
        **options: Any,
    ) -> EmotionTimeline:
        """A timeline fed live from ``session.on_event``: emotion updates (and the emotions of
        final transcriptions), user and assistant turns, interruptions. ``detach()`` stops."""
        from .feed import TimelineFeeder

        timeline = cls(**options)
        feeder = TimelineFeeder(timeline, sources=sources)
        timeline._detach = session.on_event(feeder)
        return timeline

    def detach(self) -> None:
        """Stop following the session this timeline was attached to."""
        if self._detach is not None:
            self._detach()
            self._detach = None

    # ------------------------------------------------------------------ data

    @property
    def names(self) -> list[str]:
        """Emotion names, in order of first appearance (the columns of :attr:`values`)."""
        return list(self._store.names)

    @property
    def times(self) -> FloatArray:
        """Sample times (session-clock seconds); history bins give their mean time."""
        return self._store.arrays()[0]

    @property
    def values(self) -> FloatArray:
        """Scores, shape ``(len(times), len(names))``; NaN where a sample lacks a name."""
        return self._store.arrays()[1]

    @property
    def counts(self) -> FloatArray:
        """Raw samples behind each row (1 at full resolution, more for history bins)."""
        return self._store.arrays()[2]

    @property
    def sources(self) -> list[str]:
        """Per row: ``emotion_update``, ``transcription``, ``history`` or ``resampled``."""
        return [SOURCE_NAMES[int(code)] for code in self._store.arrays()[3]]

    @property
    def turns(self) -> list[Turn]:
        return list(self._turns)

    def turn_table(self) -> TurnTable:
        """The turns as arrays (cached until the turns change; do not modify them)."""
        table = self._turn_table
        if table is None:
            table = self._turn_table = TurnTable.of(self._turns)
        return table

    @property
    def interruptions(self) -> list[float]:
        return list(self._interruptions)

    @property
    def rows_allocated(self) -> int:
        """Rows of sample memory held (bounded by ``max_points + max_history``)."""
        return self._store.rows_allocated

    def __len__(self) -> int:
        return len(self._store)

    def __repr__(self) -> str:
        return (
            f"<EmotionTimeline samples={len(self)} emotions={len(self.names)} "
            f"turns={len(self._turns)} interruptions={len(self._interruptions)}>"
        )

    def span(self) -> tuple[float, float]:
        """``(first, last)`` time over samples, turns and interruptions (0, 0 when empty)."""
        lows: list[float] = []
        highs: list[float] = []
        if self._interruptions:
            lows.append(min(self._interruptions))
            highs.append(max(self._interruptions))
        if self._turns:
            table = self.turn_table()
            lows.append(float(min(table.starts.min(), table.ends.min())))
            highs.append(float(max(table.starts.max(), table.ends.max())))
        times = self.times
        if len(times):
            lows.append(float(times.min()))
            highs.append(float(times.max()))
        return (min(lows), max(highs)) if lows else (0.0, 0.0)

    def snapshot(self) -> EmotionTimeline:
        """An independent copy (used to render in another thread)."""
        return self._derived(*self._store.arrays())

    def _derived(
        self,
        times: FloatArray,
        values: FloatArray,
        counts: FloatArray | None = None,
        sources: npt.NDArray[np.uint8] | None = None,
        names: list[str] | None = None,
    ) -> EmotionTimeline:
        """A new unbounded timeline holding exactly these rows, with the same turns."""
        out = EmotionTimeline(max_points=max(2, len(times) + 1))
        store = out._store
        store.names = list(self.names if names is None else names)
        store._index = {name: i for i, name in enumerate(store.names)}
        store._h_v = np.empty((0, len(store.names)))  # history rows have a column per name
        n = len(times)
        store._t = np.array(times, dtype=float).copy()
        store._v = np.array(values, dtype=float).reshape(n, len(store.names)).copy()
        store._src = (
            np.full(n, SOURCE_CODES["resampled"], np.uint8) if sources is None else sources.copy()
        )
        store._n = n
        if counts is not None and not np.all(counts == 1):
            # Keep weights by storing weighted rows as history bins.
            store._h_t, store._h_c, store._h_v = store._t[:n], counts.astype(float), store._v[:n]
            store._t, store._v, store._src = (
                np.empty(1),
                np.empty((1, len(store.names))),
                np.empty(1, np.uint8),
            )
            store._n = 0
        out._turns = list(self._turns)
        out._turn_table = self._turn_table  # immutable, and the same turns
        out._interruptions = list(self._interruptions)
        return out

    # ------------------------------------------------------------------ analysis

    def mean(self) -> dict[str, float]:
        """Count-weighted mean score per emotion over the whole timeline."""
        _, values, counts, _ = self._store.arrays()
        return {name: _wmean(values[:, i], counts) for i, name in enumerate(self.names)}

    def top(self, k: int = 3) -> list[tuple[str, float]]:
        """The ``k`` emotions with the highest mean score, highest first."""
        means = [(name, value) for name, value in self.mean().items() if not np.isnan(value)]
        return sorted(means, key=lambda item: item[1], reverse=True)[: max(0, k)]

    def resample(self, period: float, *, fill: Literal["nan", "ffill"] = "nan") -> EmotionTimeline:
        """Mean score in fixed bins of ``period`` seconds, labelled by the bin's **left edge**
        (bins are aligned to multiples of ``period``). Empty bins are NaN, or hold the previous
        bin's values with ``fill="ffill"``. Means are count-weighted, so history bins count
        for the samples they stand for."""
        if period <= 0:
            raise ValueError("period must be positive")
        times, values, counts, _ = self._store.arrays()
        if len(times) == 0:
            return self._derived(np.empty(0), np.empty((0, len(self.names))))
        first = np.floor(times.min() / period)
        index = (np.floor(times / period) - first).astype(np.int64)
        bins = int(index.max()) + 1
        edges = (first + np.arange(bins)) * period
        out = np.full((bins, len(self.names)), np.nan)
        for col in range(len(self.names)):
            column = values[:, col]
            ok = ~np.isnan(column)
            w = np.bincount(index[ok], weights=counts[ok], minlength=bins)
            s = np.bincount(index[ok], weights=column[ok] * counts[ok], minlength=bins)
            with np.errstate(invalid="ignore", divide="ignore"):
                out[:, col] = np.where(w > 0, s / np.where(w > 0, w, 1.0), np.nan)
        if fill == "ffill":
            out = _ffill(out)
        elif fill != "nan":
            raise ValueError("fill must be 'nan' or 'ffill'")
        return self._derived(edges, out)

    def smooth(self, window: int) -> EmotionTimeline:
        """Centered moving average over ``window`` rows (odd, >= 1). At the edges the window
        shrinks to the rows that exist (no padding), and NaN rows are skipped, so the output
        has the same length and times as the input."""
        if window < 1 or window % 2 == 0:
            raise ValueError("window must be an odd number of rows >= 1")
        times, values, _, _ = self._store.arrays()
        half = window // 2
        ok = ~np.isnan(values)
        filled = np.where(ok, values, 0.0)
        zero = np.zeros((1, values.shape[1]))
        csum = np.concatenate([zero, np.cumsum(filled, axis=0)])
        ccount = np.concatenate([zero, np.cumsum(ok, axis=0)])
        rows = np.arange(len(times))
        lo = np.clip(rows - half, 0, len(times))
        hi = np.clip(rows + half + 1, 0, len(times))
        total = csum[hi] - csum[lo]
        count = ccount[hi] - ccount[lo]
        with np.errstate(invalid="ignore", divide="ignore"):
            smoothed = np.where(count > 0, total / np.where(count > 0, count, 1), np.nan)
        return self._derived(times, smoothed)

    def by_turn(self, role: str | None = None) -> list[dict[str, Any]]:
        """Per turn: ``{role, start, end, interrupted, samples, mean, max, dominant}``.

        A turn owns the samples from its start until the next turn starts (the last turn keeps
        everything after it): the server's emotion update for an utterance arrives with its
        final transcript, after the speech itself ended. ``mean``/``max`` are ``{name: score}``
        over those samples; ``dominant`` is the name with the highest mean (None without
        samples)."""
        times, values, counts, _ = self._store.arrays()
        turns = sorted(self._turns, key=lambda turn: turn.start)
        result: list[dict[str, Any]] = []
        for index, turn in enumerate(turns):
            stop = turns[index + 1].start if index + 1 < len(turns) else np.inf
            mask = (times >= turn.start) & ((times < stop) | (times <= turn.end))
            means = {n: _wmean(values[mask, i], counts[mask]) for i, n in enumerate(self.names)}
            maxes = {n: _nanmax(values[mask, i]) for i, n in enumerate(self.names)}
            ranked = [(n, v) for n, v in means.items() if not np.isnan(v)]
            record = {
                "role": turn.role,
                "start": turn.start,
                "end": turn.end,
                "interrupted": turn.interrupted,
                "samples": int(counts[mask].sum()),
                "mean": means,
                "max": maxes,
                "dominant": max(ranked, key=lambda item: item[1])[0] if ranked else None,
            }
            if role is None or turn.role == role:
                result.append(record)
        return result

    def compare(self, other: EmotionTimeline) -> list[dict[str, Any]]:
        """Per emotion across two sessions: ``{emotion, mean_self, mean_other, diff
        (other - self), max_self, max_other}``, largest absolute difference first."""
        mine, theirs = self.mean(), other.mean()
        my_max, their_max = self._maxes(), other._maxes()
        rows = []
        for name in dict.fromkeys([*self.names, *other.names]):
            a, b = mine.get(name, np.nan), theirs.get(name, np.nan)
            rows.append(
                {
                    "emotion": name,
                    "mean_self": a,
                    "mean_other": b,
                    "diff": b - a,
                    "max_self": my_max.get(name, np.nan),
                    "max_other": their_max.get(name, np.nan),
                }
            )
        return sorted(rows, key=lambda r: -abs(r["diff"]) if not np.isnan(r["diff"]) else 1.0)

    def _maxes(self) -> dict[str, float]:
        values = self.values
        return {name: _nanmax(values[:, i]) for i, name in enumerate(self.names)}

    # ------------------------------------------------------------------ export and plots

    def to_dataframe(self, form: Literal["long", "wide"] = "wide") -> Any:
        """A pandas DataFrame (needs ``pip install 'nextevi-widgets[pandas]'``).

        ``wide``: columns ``t``, ``source``, ``count`` and one per emotion. ``long``: ``t``,
        ``emotion``, ``score``, ``source``, ``count``, without NaN scores."""
        pd = require_pandas()
        times, values, counts, _ = self._store.arrays()
        wide = pd.DataFrame(values, columns=self.names)
        wide.insert(0, "count", counts)
        wide.insert(0, "source", self.sources)
        wide.insert(0, "t", times)
        if form == "wide":
            return wide
        if form != "long":
            raise ValueError("form must be 'long' or 'wide'")
        long = wide.melt(
            id_vars=["t", "source", "count"],
            value_vars=self.names,
            var_name="emotion",
            value_name="score",
        )
        long = long.dropna(subset=["score"]).sort_values(["t", "emotion"], kind="stable")
        return long[["t", "emotion", "score", "source", "count"]].reset_index(drop=True)

    def plot(
        self,
        ax: Axes | None = None,
        style: Style = "line",
        *,
        top: int | None = None,
        title: str | None = None,
    ) -> Axes:
        """A static matplotlib plot: turns shaded (user blue, assistant grey; hatched when
        interrupted), interruptions as red dashed lines. ``top`` keeps the ``top`` emotions by
        mean. Creates a pyplot figure when ``ax`` is None. Returns the Axes."""
        from .draw import draw_timeline

        if ax is None:
            import matplotlib.pyplot as plt

            _, ax = plt.subplots(figsize=(9, 3.2), layout="constrained")
        draw_timeline(ax, self, style=style, top=top, title=title)
        return ax

    def with_turns(self, turns: Iterable[Turn]) -> EmotionTimeline:
        """A copy with these turns instead (e.g. from another source)."""
        out = self.snapshot()
        out._turns = sorted((replace(t) for t in turns), key=lambda t: t.start)
        out._turn_table = None
        return out


def _wmean(column: FloatArray, counts: FloatArray) -> float:
    ok = ~np.isnan(column)
    weight = float(counts[ok].sum())
    return float((column[ok] * counts[ok]).sum() / weight) if weight > 0 else float("nan")


def _nanmax(column: FloatArray) -> float:
    ok = column[~np.isnan(column)]
    return float(ok.max()) if ok.size else float("nan")


def _ffill(values: FloatArray) -> FloatArray:
    out: FloatArray = values.copy()
    for row in range(1, len(out)):
        gap = np.isnan(out[row])
        out[row, gap] = out[row - 1, gap]
    return out
