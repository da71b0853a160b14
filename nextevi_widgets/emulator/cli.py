"""The emulator's command line: ``nextevi-widgets emulator`` and ``python -m
nextevi_widgets.emulator`` (the child process :class:`EmulatorProcess` starts).

Importing this module stays light; serving imports the engines when it runs.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import signal
import sys
import threading
from collections.abc import Sequence
from typing import Any

from .options import DEFAULT_MAX_CONNECTIONS, DEFAULT_MAX_FRAME_BYTES

__all__ = ["add_arguments", "add_parser", "main", "positive_int", "stt_workers_for"]

_LOG_LEVELS = ("debug", "info", "warning", "error")
_DESCRIPTION = (
    "Serve ws://HOST:PORT/ws/voice/{connection_id} with offline speech engines. "
    "Any oak_ API key longer than 10 characters (or any bearer token) is accepted; "
    "config_id names the engine profile: auto (the best engines installed; also what "
    "'default' and unknown ids get), lite (the cheap stack for load tests), neural, "
    "whisper, deterministic."
)


def add_parser(subparsers: Any) -> None:
    """Add the ``emulator`` subcommand to a command line's ``subparsers``."""
    parser = subparsers.add_parser(
        "emulator", help="run the local NextEVI-compatible emulator", description=_DESCRIPTION
    )
    add_arguments(parser)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The emulator's options; ``args.func(args)`` then serves until stopped."""
    parser.add_argument("--host", default="127.0.0.1", help="bind address (default 127.0.0.1)")
    parser.add_argument(
        "--port", type=int, default=8001, help="port (default 8001, the React SDK's; 0 = any)"
    )
    parser.add_argument("--profile", help="force this engine profile for every connection")
    parser.add_argument(
        "--dialect",
        choices=("both", "flat", "envelope"),
        default="both",
        help="where payload fields go: top level and under data (default), or one of them",
    )
    parser.add_argument(
        "--wav-chunks", action="store_true", help="send each tts_chunk as a WAV file"
    )
    parser.add_argument(
        "--user-interruption",
        action="store_true",
        help="send user_interruption in addition to tts_interruption",
    )
    parser.add_argument(
        "--llm-text",
        choices=("delta", "cumulative"),
        default="delta",
        help="non-final llm_response_chunk content (default delta)",
    )
    parser.add_argument("--keep-alive-echo", action="store_true", help="answer keep_alive")
    parser.add_argument("--greeting", help="system_message (initial) sent after connecting")
    parser.add_argument(
        "--tts-lead-ms",
        type=float,
        default=300.0,
        help="assistant audio sent ahead of real time (default 300)",
    )
    parser.add_argument(
        "--max-frame-bytes",
        type=int,
        default=DEFAULT_MAX_FRAME_BYTES,
        help=f"larger frames get a FRAME_TOO_LARGE error (default {DEFAULT_MAX_FRAME_BYTES})",
    )
    parser.add_argument(
        "--max-connections",
        type=positive_int,
        default=DEFAULT_MAX_CONNECTIONS,
        help="connections served at once; the next is closed with 1013 TOO_MANY_CONNECTIONS "
        f"(default {DEFAULT_MAX_CONNECTIONS})",
    )
    parser.add_argument(
        "--strict-configs",
        action="store_true",
        help="refuse (4004) config ids that do not name an engine profile",
    )
    parser.add_argument(
        "--preload", action="store_true", help="load the engines before reporting ready"
    )
    parser.add_argument(
        "--stt-workers",
        type=_workers_arg,
        default="auto",
        help="processes for PocketSphinx recognition, or auto (default): one per CPU, up to 4, "
        "when the profile recognises with PocketSphinx (0 = in this process, one core)",
    )
    parser.add_argument("--log-level", choices=_LOG_LEVELS, default="info")
    group = parser.add_argument_group("process control (used by EmulatorProcess)")
    group.add_argument(
        "--print-port",
        action="store_true",
        help="print NEXTEVI_EMULATOR_PORT=<port> on stdout once listening",
    )
    group.add_argument("--watch-stdin", action="store_true", help="exit when stdin closes")
    group.add_argument("--parent-pid", type=int, help="exit when this process is gone")
    parser.set_defaults(func=_run_emulator)


def _watch_stdin(loop: asyncio.AbstractEventLoop, stop: asyncio.Event) -> None:
    """Block on stdin until EOF: the parent closed the pipe or died."""
    try:
        while sys.stdin.buffer.read(4096):
            pass
    except (OSError, ValueError):
        pass
    loop.call_soon_threadsafe(stop.set)


async def _watch_parent(pid: int, stop: asyncio.Event) -> None:
    while not stop.is_set():
        await asyncio.sleep(1.0)
        if os.getppid() != pid:
            stop.set()


def _workers_arg(value: str) -> int | str:
    if value == "auto":
        return value
    try:
        count = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number or auto, not {value!r}") from None
    if not 0 <= count <= 16:
        raise argparse.ArgumentTypeError("between 0 and 16")
    return count


def positive_int(value: str) -> int:
    """An argparse type: a whole number of at least 1."""
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, not {value!r}") from None
    if number < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return number


def stt_workers_for(setting: int | str, profile: str | None) -> int:
    """Worker processes for ``--stt-workers`` (``auto``: one per CPU up to 4 when the profile
    uses PocketSphinx; none on a single CPU, where they cannot run in parallel)."""
    if setting != "auto":
        return int(setting)
    from .engines.stt_workers import WORKERS_SUPPORTED

    if profile not in (None, "auto", "default", "lite", "neural") or not WORKERS_SUPPORTED:
        return 0
    cpus = os.cpu_count() or 1
    return min(4, cpus) if cpus > 1 else 0


async def _serve(args: argparse.Namespace) -> None:
    from . import Emulator, EmulatorAuth, EmulatorOptions, get_engine_set
    from .process import READY_PREFIX

    options = EmulatorOptions(
        auth=EmulatorAuth(strict_configs=args.strict_configs),
        profile=args.profile,
        dialect=args.dialect,
        wav_chunks=args.wav_chunks,
        user_interruption=args.user_interruption,
        llm_text=args.llm_text,
        keep_alive_echo=args.keep_alive_echo,
        greeting=args.greeting,
        max_frame_bytes=args.max_frame_bytes,
        max_connections=args.max_connections,
        tts_lead=args.tts_lead_ms / 1000.0,
        stt_workers=stt_workers_for(args.stt_workers, args.profile),
    )
    emulator = Emulator(args.host, args.port, options=options)
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):  # Windows has none
            loop.add_signal_handler(sig, stop.set)
    await emulator.start()
    try:
        engines = None
        if args.preload:  # after start: the recogniser it builds then lives in a worker
            engines = await asyncio.to_thread(get_engine_set, args.profile or "auto")
            # Open the recogniser's decoder once: closing leaves it warm in the pool.
            await asyncio.to_thread(engines.stt.start_utterance)
            await asyncio.to_thread(engines.stt.end_utterance)
            await asyncio.to_thread(engines.close)
        if args.watch_stdin:
            threading.Thread(target=_watch_stdin, args=(loop, stop), daemon=True).start()
        watcher = None
        if args.parent_pid:
            watcher = loop.create_task(_watch_parent(args.parent_pid, stop))
        if args.print_port:
            print(f"{READY_PREFIX}{emulator.port}", flush=True)
        else:
            print(f"NextEVI emulator listening on {emulator.url}/{{connection_id}}", flush=True)
            if engines is not None:
                picked = ", ".join(f"{k}={v}" for k, v in engines.info.items()) or "built in"
                print(f"engine profile {engines.name!r}: {picked}", flush=True)
            if engines is not None and engines.notice:
                print(engines.notice, flush=True)
        await stop.wait()
        if watcher is not None:
            watcher.cancel()
    finally:
        await emulator.stop()


def _run_emulator(args: argparse.Namespace) -> int:
    logging.basicConfig(
        level=args.log_level.upper(),
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        asyncio.run(_serve(args))
    except KeyboardInterrupt:
        pass
    except OSError as exc:
        print(f"nextevi-widgets emulator: cannot listen ({exc})", file=sys.stderr)
        return 1
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``python -m nextevi_widgets.emulator``; returns the exit status."""
    parser = argparse.ArgumentParser(
        prog="python -m nextevi_widgets.emulator", description=_DESCRIPTION
    )
    add_arguments(parser)
    return _run_emulator(parser.parse_args(argv))
