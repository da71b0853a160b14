"""Data model shared by every benchmark: metrics, goals, results, statistics.

A benchmark module exposes ``SPEC: BenchSpec`` whose ``run(ctx)`` returns a list of
:class:`Metric`. It raises :class:`Skip` when something it needs is missing (no Chromium, a part
of the package that is not there yet): the runner reports that as ``skipped: reason``.
"""

from __future__ import annotations

import math
import os
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

__all__ = [
    "BenchSpec",
    "Context",
    "Goal",
    "Metric",
    "Result",
    "Skip",
    "median",
    "p95",
    "percentile",
    "summarize",
]


class Skip(Exception):  # noqa: N818 - it is an outcome, not an error
    """Raised by a benchmark that cannot run here; the message is the reason shown."""


def percentile(samples: Sequence[float], q: float) -> float:
    """Linear-interpolated percentile ``q`` (0..100) of ``samples`` (nan when empty)."""
    if not samples:
        return math.nan
    ordered = sorted(samples)
    if len(ordered) == 1:
        return float(ordered[0])
    pos = (len(ordered) - 1) * q / 100.0
    lo = math.floor(pos)
    hi = min(lo + 1, len(ordered) - 1)
    return float(ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo))


def median(samples: Sequence[float]) -> float:
    return float(statistics.median(samples)) if samples else math.nan


def p95(samples: Sequence[float]) -> float:
    return percentile(samples, 95.0)


@dataclass
class Goal:
    """A target and whether this run met it. ``met`` is None when it could not be judged."""

    text: str
    met: bool | None


@dataclass
class Metric:
    """One reported figure. ``median``/``p95`` summarise ``samples`` (kept out of the table but
    written to the JSON); single-valued figures set ``value`` and leave the samples empty."""

    name: str
    unit: str
    median: float = math.nan
    p95: float = math.nan
    n: int = 0
    value: float | None = None
    baseline: str = ""
    """Same-run baseline, already formatted (e.g. ``"41.2 / 63.0 ms"``)."""
    ratio: float | None = None
    """This figure divided by its baseline (p95 over baseline p95 unless the note says)."""
    goal: Goal | None = None
    note: str = ""
    samples: list[float] = field(default_factory=list)

    @classmethod
    def from_samples(cls, name: str, unit: str, samples: Sequence[float], **kw: Any) -> Metric:
        data = [float(s) for s in samples]
        return cls(name, unit, median(data), p95(data), len(data), samples=data, **kw)

    @classmethod
    def single(cls, name: str, unit: str, value: float, **kw: Any) -> Metric:
        return cls(name, unit, value=float(value), n=1, **kw)


@dataclass
class Result:
    name: str
    status: Literal["ok", "skipped", "error"]
    reason: str = ""
    seconds: float = 0.0
    metrics: list[Metric] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        for metric in out["metrics"]:
            for key in ("median", "p95"):
                if isinstance(metric[key], float) and math.isnan(metric[key]):
                    metric[key] = None
        return out

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Result:
        metrics = []
        for m in data.get("metrics", []):
            m = dict(m)
            goal = m.pop("goal", None)
            for key in ("median", "p95"):
                if m.get(key) is None:
                    m[key] = math.nan
            metrics.append(Metric(**m, goal=Goal(**goal) if goal else None))
        return cls(
            name=data["name"],
            status=data["status"],
            reason=data.get("reason", ""),
            seconds=float(data.get("seconds", 0.0)),
            metrics=metrics,
        )


@dataclass
class Context:
    """What a benchmark gets: the mode and a scratch directory removed afterwards."""

    quick: bool
    workdir: Path
    started: float = field(default_factory=time.monotonic)

    def pick(self, full: Any, quick: Any) -> Any:
        """``quick`` in ``--quick`` mode, else ``full`` (repetition counts, durations...)."""
        return quick if self.quick else full

    @classmethod
    def create(cls, quick: bool) -> Context:
        return cls(quick=quick, workdir=Path(tempfile.mkdtemp(prefix="nextevi-bench-")))


@dataclass(frozen=True)
class BenchSpec:
    """``name`` is what ``--only`` selects (see ``registry.py``, which also holds time budgets)."""

    name: str
    description: str
    run: Callable[[Context], Awaitable[list[Metric]]]


def summarize(samples: Sequence[float], unit: str = "ms") -> str:
    """``"median / p95 unit"`` for baselines shown next to a figure."""
    return f"{median(samples):.1f} / {p95(samples):.1f} {unit}"


def cpu_count() -> int:
    return os.cpu_count() or 1


def python_loop() -> tuple[float, float]:
    """One run of the calibration workload, a Python loop of 200k iterations: ``(wall ms,
    CPU ms)``."""
    wall, cpu = time.perf_counter(), time.process_time()
    total = 0
    for i in range(200_000):
        total += i * i % 7
    return (time.perf_counter() - wall) * 1000, (time.process_time() - cpu) * 1000


def calibration_loop(repeats: int = 15) -> tuple[float, float]:
    """The ``calibration`` benchmark's Python loop (:func:`python_loop`), timed here and now:
    ``(wall ms, CPU ms)`` medians. Shown beside absolute goals, so a figure can be read
    against the machine's speed at the time it was measured (CI-class machines: ~14.6 ms;
    a fast one: ~8.4 ms). CPU time is the steadier of the two on a shared machine."""
    runs = [python_loop() for _ in range(repeats)]
    return median([wall for wall, _ in runs]), median([cpu for _, cpu in runs])


def calibrated(goal: str, loop: tuple[float, float]) -> str:
    """``goal`` with the calibration loop beside it (see :func:`calibration_loop`)."""
    return f"{goal} (calibration loop {loop[0]:.1f} ms, CPU {loop[1]:.1f} ms)"
