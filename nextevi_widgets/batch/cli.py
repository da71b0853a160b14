"""``nextevi-widgets batch INPUTS... --out DATASET``: the command-line face of :mod:`.run`."""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import Any

from ..emulator.cli import positive_int

__all__ = ["register"]


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "batch",
        help="run audio files through the API into a dataset",
        description=(
            "Stream each input (audio files, folders searched recursively, or CSV files with a "
            "path column and label columns) through the API as a live microphone would, and "
            "write one dataset row per input. Run the same command again to resume: inputs "
            "already in the dataset are skipped. Without --url or credentials "
            "(NEXTEVI_API_KEY) the embedded emulator is used."
        ),
        epilog=(
            "Exit status: 0 all inputs written, 3 some written as error rows, 1 the run stopped "
            "(rejected credentials), 130 interrupted (run again to resume), 2 bad arguments."
        ),
    )
    parser.add_argument("inputs", nargs="+", metavar="INPUT", help="audio file, folder or .csv")
    parser.add_argument("--out", required=True, metavar="DATASET", help="dataset folder")
    parser.add_argument("--concurrency", type=positive_int, default=2, help="inputs at once (2)")
    parser.add_argument(
        "--fast",
        action="store_true",
        help="send audio faster than real time (for local emulator runs only)",
    )
    parser.add_argument("--path-column", default="path", help="CSV column with the audio path")
    parser.add_argument("--id-column", help="CSV column with a stable id per row")
    parser.add_argument(
        "--labels", help="comma-separated CSV columns to keep as labels (default: all others)"
    )
    parser.add_argument("--retries", type=int, default=3, help="retries per input (3)")
    parser.add_argument(
        "--retry-errors", action="store_true", help="run inputs with error rows again"
    )
    parser.add_argument(
        "--trailing-silence", type=float, default=1.0, help="seconds of silence after each input"
    )
    parser.add_argument(
        "--reply-timeout", type=float, default=30.0, help="give up on a stalled reply (s)"
    )
    parser.add_argument("--url", help="WebSocket endpoint (default: the embedded emulator)")
    parser.add_argument("--config-id", help="config id (with the emulator: engine profile)")
    parser.add_argument(
        "--emulator",
        choices=("auto", "process", "inprocess", "off"),
        default="auto",
        help="start an emulator: auto (when no url or credentials), process, inprocess, off",
    )
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    from .run import arun_batch

    labels = [c.strip() for c in args.labels.split(",") if c.strip()] if args.labels else None
    emulator: bool | str = False if args.emulator == "off" else args.emulator
    try:
        summary = asyncio.run(
            arun_batch(
                args.inputs,
                args.out,
                concurrency=args.concurrency,
                realtime=not args.fast,
                path_column=args.path_column,
                id_column=args.id_column,
                label_columns=labels,
                progress=not args.no_progress,
                retries=args.retries,
                retry_errors=args.retry_errors,
                trailing_silence=args.trailing_silence,
                reply_timeout=args.reply_timeout,
                url=args.url,
                config_id=args.config_id,
                emulator=emulator,
            )
        )
    except KeyboardInterrupt:
        print(
            "interrupted: finished inputs are in the dataset; run the same command to resume",
            file=sys.stderr,
        )
        return 130
    except (OSError, ValueError) as exc:
        print(f"nextevi-widgets batch: {exc}", file=sys.stderr)
        return 2
    print(summary)
    for failure in summary.failures:
        print(f"error: {failure.path}: {failure.error}", file=sys.stderr)
    if summary.stopped:
        return 1
    return 3 if summary.failed else 0
