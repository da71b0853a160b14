"""Run one benchmark module in this process and write its :class:`Result` as JSON.

Used by the runner as ``python -m benchmarks.run_one MODULE OUT.json [--quick]`` so that every
benchmark gets a fresh interpreter (clean RSS, no shared event loop, killable on overrun).
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import json
import shutil
import time
import traceback
from pathlib import Path

from .harness import Context, Result, Skip


def run_module(module_name: str, quick: bool) -> Result:
    started = time.monotonic()
    try:
        spec = importlib.import_module(module_name).SPEC
    except ImportError as exc:
        return Result(module_name, "skipped", f"cannot import: {exc}")
    ctx = Context.create(quick)
    try:
        metrics = asyncio.run(spec.run(ctx))
        result = Result(spec.name, "ok", metrics=metrics)
    except Skip as exc:
        result = Result(spec.name, "skipped", str(exc))
    except Exception as exc:
        traceback.print_exc()
        result = Result(spec.name, "error", f"{type(exc).__name__}: {exc}")
    finally:
        shutil.rmtree(ctx.workdir, ignore_errors=True)
    result.seconds = time.monotonic() - started
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("module")
    parser.add_argument("out", type=Path)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    result = run_module(args.module, args.quick)
    args.out.write_text(json.dumps(result.to_json(), indent=1))


if __name__ == "__main__":
    main()
