"""``python -m benchmarks``: run the selected benchmarks, print a table, write JSON."""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import platform
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from .harness import Metric, Result
from .registry import MODULES, QUICK_TOTAL_BUDGET_S, TOTAL_BUDGET_S

DEFAULT_JSON = Path(__file__).parent / "results" / "latest.json"


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="Measure nextevi-widgets; medians and p95 next to same-run baselines.",
    )
    parser.add_argument("--quick", action="store_true", help="shorter runs (< 5.5 minutes)")
    parser.add_argument(
        "--only", default="", help=f"comma-separated subset of: {', '.join(MODULES)}"
    )
    parser.add_argument("--json", type=Path, default=DEFAULT_JSON, help="where to write results")
    parser.add_argument("--list", action="store_true", help="list the benchmarks and exit")
    return parser.parse_args(argv)


def _run_isolated(name: str, quick: bool, budget: float) -> Result:
    """Run one benchmark in a child process group, killed (group and all) past ``budget``."""
    entry = MODULES[name]
    with tempfile.TemporaryDirectory(prefix="nextevi-bench-") as tmp:
        out = Path(tmp) / "result.json"
        cmd = [sys.executable, "-m", "benchmarks.run_one", entry.module, str(out)]
        if quick:
            cmd.append("--quick")
        started = time.monotonic()
        proc = subprocess.Popen(
            cmd,
            cwd=Path(__file__).resolve().parent.parent,
            start_new_session=True,  # own process group: browsers/kernels die with it
        )
        try:
            proc.wait(timeout=budget)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            return Result(name, "error", f"exceeded its {budget:.0f} s budget", budget)
        finally:
            # Stray grandchildren (a kernel, a browser) must not outlive the benchmark.
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
        if not out.exists():
            return Result(
                name, "error", f"exited with code {proc.returncode}", time.monotonic() - started
            )
        result = Result.from_json(json.loads(out.read_text()))
        result.name = name
        return result


def _fmt(value: float | None, unit: str = "") -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    text = f"{value:.3g}" if abs(value) < 10 else f"{value:.1f}"
    if abs(value) >= 1000:
        text = f"{value:.0f}"
    return f"{text} {unit}".rstrip()


def _goal_cell(metric: Metric) -> tuple[str, str]:
    if metric.goal is None:
        return "", ""
    met = {True: "met", False: "NOT MET", None: "n/a"}[metric.goal.met]
    return metric.goal.text, met


def format_table(results: list[Result]) -> str:
    header = (
        "benchmark",
        "metric",
        "median",
        "p95",
        "n",
        "baseline (med / p95)",
        "ratio",
        "goal",
        "",
    )
    rows: list[tuple[str, ...]] = []
    for result in results:
        if result.status != "ok":
            label = "skipped" if result.status == "skipped" else "error"
            rows.append((result.name, f"{label}: {result.reason}", "", "", "", "", "", "", ""))
            continue
        for i, m in enumerate(result.metrics):
            if m.value is not None:
                med, hi = _fmt(m.value, m.unit), ""
            else:
                med, hi = _fmt(m.median, m.unit), _fmt(m.p95, m.unit)
            goal, met = _goal_cell(m)
            rows.append(
                (
                    result.name if i == 0 else "",
                    m.name,
                    med,
                    hi,
                    str(m.n) if m.n else "",
                    m.baseline,
                    "" if m.ratio is None else f"{m.ratio:.2f}×",
                    goal,
                    met,
                )
            )
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    # The status/error text of a skipped benchmark may be long: let it overflow its column.
    widths[1] = min(widths[1], 44)
    lines = ["  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True))]
    lines.append("  ".join("-" * w for w in widths))
    for row in rows:
        lines.append("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
    return "\n".join(lines)


def format_notes(results: list[Result]) -> str:
    notes = [f"- {r.name} / {m.name}: {m.note}" for r in results for m in r.metrics if m.note]
    return "\n".join(notes)


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    if args.list:
        for name, entry in MODULES.items():
            print(f"{name:20s} {entry.module}")
        return 0
    names = [n.strip() for n in args.only.split(",") if n.strip()] or list(MODULES)
    unknown = [n for n in names if n not in MODULES]
    if unknown:
        print(f"unknown benchmark(s): {', '.join(unknown)}; known: {', '.join(MODULES)}")
        return 2
    total = QUICK_TOTAL_BUDGET_S if args.quick else TOTAL_BUDGET_S
    started = time.monotonic()
    results: list[Result] = []
    for name in names:
        entry = MODULES[name]
        budget = entry.quick_budget_s if args.quick else entry.budget_s
        left = total - (time.monotonic() - started)
        if left < min(budget, 10):
            results.append(Result(name, "skipped", "the run's total time budget is used up"))
            continue
        print(f"== {name} (budget {min(budget, left):.0f} s)", flush=True)
        result = _run_isolated(name, args.quick, min(budget, left))
        print(f"   {result.status} in {result.seconds:.1f} s {result.reason}".rstrip(), flush=True)
        results.append(result)
    elapsed = time.monotonic() - started
    print()
    print(format_table(results))
    notes = format_notes(results)
    if notes:
        print("\nNotes:\n" + notes)
    print(f"\nTotal {elapsed:.0f} s ({'quick' if args.quick else 'full'} run)")
    args.json.parent.mkdir(parents=True, exist_ok=True)
    payload = {
        "quick": args.quick,
        "seconds": round(elapsed, 1),
        "machine": {
            "python": platform.python_version(),
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
        },
        "results": [r.to_json() for r in results],
    }
    args.json.write_text(json.dumps(payload, indent=1))
    print(f"JSON: {args.json}")
    return 1 if any(r.status == "error" for r in results) else 0
