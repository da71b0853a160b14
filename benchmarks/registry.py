"""The benchmarks, in the order they run, with their time budgets.

Each module exposes ``SPEC`` (:class:`benchmarks.harness.BenchSpec`). A benchmark that overruns
its budget is killed and reported as an error; the run as a whole stops starting benchmarks
once its total (:data:`TOTAL_BUDGET_S`, :data:`QUICK_TOTAL_BUDGET_S`) is used up, and reports
the rest as skipped.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Entry:
    module: str
    budget_s: float
    quick_budget_s: float


MODULES: dict[str, Entry] = {
    "calibration": Entry("benchmarks.bench_calibration", 30, 10),
    "comm": Entry("benchmarks.bench_comm", 30, 10),
    "browser_audio": Entry("benchmarks.bench_browser_audio", 300, 60),
    "wire": Entry("benchmarks.bench_wire", 300, 120),
    "kernel_cpu": Entry("benchmarks.bench_kernel_cpu", 300, 60),
    "playback": Entry("benchmarks.bench_playback", 120, 10),
    "long_session": Entry("benchmarks.bench_long_session", 120, 15),
    "emulator_latency": Entry("benchmarks.bench_emulator_latency", 330, 120),
    "emulator_capacity": Entry("benchmarks.bench_emulator_capacity", 720, 240),
    "wer": Entry("benchmarks.bench_wer", 300, 90),
    "frontends": Entry("benchmarks.bench_frontends", 480, 200),
    "batch": Entry("benchmarks.bench_batch", 720, 300),
    "dataset_queries": Entry("benchmarks.bench_dataset_queries", 300, 120),
}
"""name -> entry. ``--only`` takes these names (comma-separated)."""

TOTAL_BUDGET_S = 70 * 60
QUICK_TOTAL_BUDGET_S = 25 * 60
