"""Headless demo: one spoken turn against the embedded emulator, printed as a transcript.

``nextevi-widgets demo --headless`` runs :func:`run_headless`: the emulator starts in a child
process, a WAV file plays as the microphone (by default a sentence synthesised with the
profile's own TTS voice), and the reply is printed with its emotions, audio length and
per-turn latency once its audio has finished.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
import tempfile
import wave
from pathlib import Path
from typing import Any, TextIO

from .session import VoiceSession

__all__ = ["DEFAULT_SENTENCE", "format_conversation", "run_headless", "synthesize_wav"]

DEFAULT_SENTENCE = "Hello there, how are you today?"
_REPLY_TIMEOUT = 120.0
_CONNECT_TIMEOUT = 120.0


def synthesize_wav(text: str, path: str | os.PathLike[str], profile: str = "default") -> Path:
    """Speak ``text`` with the TTS engine of emulator ``profile`` into a 24 kHz mono WAV.

    Falls back to the dependency-free synthetic voice of the ``deterministic`` profile when
    the profile's engines are not installed. Blocking (loads the engine): run it in a thread.
    """
    from .emulator.engines.base import OUTPUT_SAMPLE_RATE, EngineUnavailableError
    from .emulator.profiles import get_engine_set

    try:
        tts = get_engine_set(profile).tts
    except EngineUnavailableError:
        tts = get_engine_set("deterministic").tts
    samples = tts.synthesize(text)
    out = Path(path)
    with wave.open(str(out), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(OUTPUT_SAMPLE_RATE)
        wav.writeframes(samples.astype("<i2").tobytes())
    return out


def _top_emotions(scores: dict[str, Any], k: int = 3) -> str:
    ranked = sorted(scores.items(), key=lambda item: float(item[1]), reverse=True)[:k]
    return ", ".join(f"{name} {float(score):.2f}" for name, score in ranked)


def _seconds(value: Any) -> str:
    return "-" if value is None else f"{float(value):.2f} s"


def format_conversation(session: VoiceSession) -> list[str]:
    """The transcript, TTS audio received and per-turn latency as printable lines."""
    lines: list[str] = []
    for message in session.messages:
        role = str(message["role"])
        text = str(message["text"])
        details: list[str] = []
        if role == "user":
            if message.get("confidence") is not None:
                details.append(f"confidence {float(message['confidence']):.2f}")
            if message.get("emotions"):
                details.append(f"top emotions: {_top_emotions(message['emotions'])}")
        if message.get("interrupted"):
            details.append(f"interrupted; heard: {message.get('heard_text')!r}")
        suffix = f"   ({'; '.join(details)})" if details else ""
        lines.append(f"[{role}] {text}{suffix}")
    stats = session.stats
    lines.append(
        f"TTS audio received: {float(stats.get('tts_seconds', 0.0)):.2f} s "
        f"in {int(stats.get('tts_chunks', 0))} chunks"
    )
    for record in session.latency:
        start = record.get("user_speech_end")

        def since(stage: str, start: Any = start, record: dict[str, Any] = record) -> str:
            value = record.get(stage)
            return "-" if value is None or start is None else _seconds(value - start)

        played = "first played (estimated)" if record.get("played_estimated") else "first played"
        lines.append(
            f"Latency turn {record['turn']} (from the end of user speech): "
            f"final transcript {since('final_transcript')}, first text {since('first_text')}, "
            f"first TTS chunk {since('first_tts_chunk')}, {played} {since('first_played')}"
        )
    return lines


def _reply_done(session: VoiceSession) -> bool:
    if session.is_assistant_speaking or not session.latency:
        return False
    record = session.latency[-1]
    if record.get("first_tts_chunk") is None:
        return False
    return any(m["role"] == "assistant" and m["is_final"] for m in session.messages)


async def run_headless(
    wav: str | os.PathLike[str] | None = None,
    *,
    profile: str = "default",
    text: str | None = None,
    realtime: bool = True,
    file: TextIO | None = None,
) -> list[dict[str, Any]]:
    """Talk to the embedded emulator without a browser and print the conversation.

    ``wav`` plays as the microphone (any rate/channels); without it, ``text`` (default: a
    short greeting) is synthesised with the profile's voice. ``profile`` selects the
    emulator's engines (``default``, ``deterministic``...). Waits until the reply's audio has
    finished, prints user transcript, assistant text, top emotions, seconds of TTS audio and
    per-turn latency to ``file`` (default stdout), and returns the messages.
    """
    out = file if file is not None else sys.stdout
    with contextlib.ExitStack() as stack:
        if wav is None:
            folder = stack.enter_context(tempfile.TemporaryDirectory(prefix="nextevi-demo-"))
            wav = await asyncio.to_thread(
                synthesize_wav, text or DEFAULT_SENTENCE, Path(folder) / "input.wav", profile
            )
        session = VoiceSession(config_id=profile, emulator="process")
        print(f"NextEVI headless demo: emulator profile {profile!r}", file=out, flush=True)
        task = session.start()
        try:
            await session.wait_until("connected", timeout=_CONNECT_TIMEOUT)
            print(f"Connected to {session.url} ({session.connection_id})", file=out, flush=True)
            pace = "in real time" if realtime else "as fast as possible"
            print(f"Microphone: {os.fspath(wav)} ({pace})", file=out, flush=True)
            sent = await session.send_file(os.fspath(wav), realtime=realtime)
            print(f"Sent {sent:.2f} s of audio; waiting for the reply...", file=out, flush=True)
            try:
                await session.wait_until(_reply_done, timeout=_REPLY_TIMEOUT)
            except TimeoutError:
                print(f"(no complete reply within {_REPLY_TIMEOUT:g} s)", file=out)
        finally:
            closing = session.close()
            if closing is not None:
                await closing
            with contextlib.suppress(Exception):
                await task
        print("", file=out)
        for line in format_conversation(session):
            print(line, file=out)
        if session.last_error:
            print(f"Last error: {session.last_error}", file=out)
        out.flush()
        return list(session.messages)
