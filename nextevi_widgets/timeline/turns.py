"""Speaking turns on the session clock, one at a time and as columns."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

__all__ = ["Turn", "TurnTable"]

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Turn:
    """One speaking turn on the session clock (seconds)."""

    role: str
    start: float
    end: float
    interrupted: bool = False
    key: str | None = None
    """Identifies the turn for later updates (e.g. a generation id)."""

    @property
    def duration(self) -> float:
        return max(0.0, self.end - self.start)


@dataclass(frozen=True)
class TurnTable:
    """The turns as columns (one row per turn, in the timeline's order), for vectorised
    drawing: a live plot reads them a few times a second."""

    starts: FloatArray
    ends: FloatArray
    roles: npt.NDArray[np.str_]
    interrupted: npt.NDArray[np.bool_]

    @classmethod
    def of(cls, turns: list[Turn]) -> TurnTable:
        return cls(
            np.array([t.start for t in turns], dtype=float),
            np.array([t.end for t in turns], dtype=float),
            np.array([t.role for t in turns], dtype=str),
            np.array([t.interrupted for t in turns], dtype=bool),
        )

    def visible(self, x0: float, x1: float) -> npt.NDArray[np.bool_]:
        """Rows that overlap ``[x0, x1]``."""
        mask: npt.NDArray[np.bool_] = (self.ends >= x0) & (self.starts <= x1)
        return mask
