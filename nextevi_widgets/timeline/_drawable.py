"""What drawing reads of a timeline.

:class:`~nextevi_widgets.timeline.core.EmotionTimeline` has all of it. The drawing modules name
this protocol instead of the class, which draws itself with them: neither imports the other's
module back.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np
import numpy.typing as npt

from ._store import SampleStore
from .turns import Turn, TurnTable

FloatArray = npt.NDArray[np.float64]


class Drawable(Protocol):
    @property
    def _store(self) -> SampleStore: ...

    @property
    def names(self) -> list[str]: ...

    @property
    def times(self) -> FloatArray: ...

    @property
    def values(self) -> FloatArray: ...

    @property
    def turns(self) -> list[Turn]: ...

    @property
    def interruptions(self) -> list[float]: ...

    def turn_table(self) -> TurnTable: ...

    def top(self, k: int = 3) -> list[tuple[str, float]]: ...

    def span(self) -> tuple[float, float]: ...

    def __len__(self) -> int: ...
