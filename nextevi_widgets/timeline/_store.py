"""Bounded storage of emotion samples: full resolution recently, binned means further back.

Policy (what keeps a long session's memory bounded):

* The newest samples are kept as they arrived, up to ``max_points`` rows.
* When that buffer is full, its oldest half is folded into **history bins** of
  ``history_period`` seconds. A bin stores the count-weighted mean of its samples (time and
  every score) and how many samples it holds, so means over any span of whole bins stay exact.
* When the history exceeds ``max_history`` bins, neighbouring bins merge pairwise and the bin
  period doubles (again count-weighted).

So memory never exceeds ``max_points + max_history`` rows, whatever the duration; one hour at
2 Hz (7200 samples) fits in the defaults with the last ~34 minutes at full resolution.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
import numpy.typing as npt

__all__ = ["SampleStore"]

FloatArray = npt.NDArray[np.float64]

Source = Literal["emotion_update", "transcription"]
"""Where a live sample came from (the stored codes below also cover history and resampling)."""

SOURCE_CODES = {"emotion_update": 0, "transcription": 1, "history": 2, "resampled": 3}
SOURCE_NAMES = {code: name for name, code in SOURCE_CODES.items()}


class SampleStore:
    """Rows of ``(time, count, source, score per name)`` with the bounded-memory policy above."""

    def __init__(
        self, max_points: int = 4096, max_history: int = 2048, history_period: float = 5.0
    ) -> None:
        if max_points < 2 or max_history < 2 or history_period <= 0:
            raise ValueError("max_points and max_history must be >= 2, history_period > 0")
        self.max_points = int(max_points)
        self.max_history = int(max_history)
        self.history_period = float(history_period)
        self.names: list[str] = []
        self._index: dict[str, int] = {}
        self._n = 0
        cap = min(64, self.max_points)
        self._t = np.empty(cap)
        self._v = np.empty((cap, 0))
        self._src = np.empty(cap, dtype=np.uint8)
        self._h_t = np.empty(0)
        self._h_c = np.empty(0)
        self._h_v = np.empty((0, 0))

    # ------------------------------------------------------------------ writing

    def column(self, name: str) -> int:
        """Index of ``name``, adding an all-NaN column the first time it is seen."""
        index = self._index.get(name)
        if index is None:
            index = self._index[name] = len(self.names)
            self.names.append(name)
            self._v = np.concatenate([self._v, np.full((len(self._v), 1), np.nan)], axis=1)
            self._h_v = np.concatenate([self._h_v, np.full((len(self._h_v), 1), np.nan)], axis=1)
        return index

    def append(self, t: float, scores: dict[str, float], source: int) -> None:
        row = np.full(len(self.names), np.nan)
        for name, score in scores.items():
            index = self.column(name)
            if index >= len(row):
                row = np.concatenate([row, np.full(index + 1 - len(row), np.nan)])
            row[index] = score
        if self._n == len(self._t):
            if self._n >= self.max_points:
                self._fold(self._n // 2)
            else:
                self._grow(min(self.max_points, 2 * len(self._t)))
        self._t[self._n] = t
        self._v[self._n] = row
        self._src[self._n] = source
        self._n += 1

    def _grow(self, capacity: int) -> None:
        n = self._n
        t, v, src = (
            np.empty(capacity),
            np.empty((capacity, len(self.names))),
            np.empty(capacity, dtype=np.uint8),
        )
        t[:n], v[:n], src[:n] = self._t[:n], self._v[:n], self._src[:n]
        self._t, self._v, self._src = t, v, src

    def _fold(self, count: int) -> None:
        """Move the oldest ``count`` recent rows into history bins."""
        times, values = self._t[:count], self._v[:count]
        keys = np.floor(times / self.history_period)
        uniq, inverse = np.unique(keys, return_inverse=True)
        bin_t, bin_c, bin_v = _weighted_means(times, np.ones(count), values, inverse, len(uniq))
        # The newest history bin may share its key with the oldest new bin: merge them.
        if len(self._h_t) and np.floor(self._h_t[-1] / self.history_period) == uniq[0]:
            merged = _merge_rows(
                (self._h_t[-1], self._h_c[-1], self._h_v[-1]), (bin_t[0], bin_c[0], bin_v[0])
            )
            self._h_t[-1], self._h_c[-1], self._h_v[-1] = merged
            bin_t, bin_c, bin_v = bin_t[1:], bin_c[1:], bin_v[1:]
        self._h_t = np.concatenate([self._h_t, bin_t])
        self._h_c = np.concatenate([self._h_c, bin_c])
        self._h_v = np.concatenate([self._h_v, bin_v])
        while len(self._h_t) > self.max_history:
            self._coarsen()
        keep = self._n - count
        self._t[:keep] = self._t[count : self._n]
        self._v[:keep] = self._v[count : self._n]
        self._src[:keep] = self._src[count : self._n]
        self._n = keep

    def _coarsen(self) -> None:
        """Double the history bin period, merging bins count-weighted."""
        self.history_period *= 2.0
        keys = np.floor(self._h_t / self.history_period)
        uniq, inverse = np.unique(keys, return_inverse=True)
        self._h_t, self._h_c, self._h_v = _weighted_means(
            self._h_t, self._h_c, self._h_v, inverse, len(uniq)
        )

    # ------------------------------------------------------------------ reading

    def __len__(self) -> int:
        return len(self._h_t) + self._n

    @property
    def rows_allocated(self) -> int:
        """Rows of memory held (recent buffer capacity plus history bins)."""
        return len(self._t) + len(self._h_t)

    def arrays(self) -> tuple[FloatArray, FloatArray, FloatArray, npt.NDArray[np.uint8]]:
        """Copies of ``(times, values, counts, sources)``: history bins first, then recent."""
        n = self._n
        width = len(self.names)
        hist_v = self._h_v if self._h_v.shape[1] == width else _pad(self._h_v, width)
        times = np.concatenate([self._h_t, self._t[:n]])
        values = np.concatenate([hist_v, self._v[:n, :width]])
        counts = np.concatenate([self._h_c, np.ones(n)])
        sources = np.concatenate(
            [np.full(len(self._h_t), SOURCE_CODES["history"], np.uint8), self._src[:n]]
        )
        return times, values, counts, sources

    def state(self) -> dict[str, Any]:
        return {"max_points": self.max_points, "max_history": self.max_history}


def _pad(values: FloatArray, width: int) -> FloatArray:
    out = np.full((len(values), width), np.nan)
    out[:, : values.shape[1]] = values
    return out


def _weighted_means(
    times: FloatArray, counts: FloatArray, values: FloatArray, inverse: Any, bins: int
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Count-weighted mean time and NaN-aware count-weighted mean score per bin."""
    total = np.bincount(inverse, weights=counts, minlength=bins)
    mean_t = np.bincount(inverse, weights=times * counts, minlength=bins) / total
    out = np.full((bins, values.shape[1]), np.nan)
    for col in range(values.shape[1]):
        column = values[:, col]
        ok = ~np.isnan(column)
        w = np.bincount(inverse[ok], weights=counts[ok], minlength=bins)
        s = np.bincount(inverse[ok], weights=column[ok] * counts[ok], minlength=bins)
        with np.errstate(invalid="ignore", divide="ignore"):
            out[:, col] = np.where(w > 0, s / np.where(w > 0, w, 1.0), np.nan)
    return mean_t.astype(np.float64), total.astype(np.float64), out.astype(np.float64)


def _merge_rows(
    a: tuple[float, float, FloatArray], b: tuple[float, float, FloatArray]
) -> tuple[float, float, FloatArray]:
    (ta, ca, va), (tb, cb, vb) = a, b
    count = ca + cb
    stacked = np.vstack([va, vb])
    weights = np.array([[ca], [cb]]) * ~np.isnan(stacked)
    with np.errstate(invalid="ignore", divide="ignore"):
        w = weights.sum(axis=0)
        total = np.nansum(stacked * weights, axis=0)
        merged = np.where(w > 0, total / np.where(w > 0, w, 1), np.nan)
    return (ta * ca + tb * cb) / count, count, merged
