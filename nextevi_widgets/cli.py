"""The ``nextevi-widgets`` command line.

Subcommands:

* ``emulator`` — run the local NextEVI-compatible server (also ``python -m
  nextevi_widgets.emulator``; :mod:`nextevi_widgets.emulator.cli`).
* ``batch`` — run audio files through the API into a dataset (:mod:`nextevi_widgets.batch`).
* ``demo`` — open the quickstart notebook, or run it headless (:mod:`nextevi_widgets._demo_cli`).

Imports stay light here; each subcommand imports what it needs when it runs.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import Any

__all__ = ["build_parser", "main"]


def _add_emulator(subparsers: Any) -> None:
    from .emulator.cli import add_parser

    add_parser(subparsers)


def _register_demo(subparsers: Any) -> None:
    from ._demo_cli import register

    register(subparsers)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="nextevi-widgets",
        description="NextEVI empathic voice sessions in Jupyter: tools.",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    _add_emulator(subparsers)
    _register_demo(subparsers)
    from .batch.cli import register as register_batch

    register_batch(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``nextevi-widgets``; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    func = getattr(args, "func", None)
    if func is None:
        parser.print_help()
        return 2
    result = func(args)
    return int(result or 0)


if __name__ == "__main__":
    sys.exit(main())
