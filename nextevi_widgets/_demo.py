"""Headless demo: a short spoken conversation with the embedded emulator, printed.

``nextevi-widgets demo --headless`` runs :func:`run_headless`: the emulator starts in a child
process on the default engine profile, and a natural voice (Piper when installed, else
espeak-ng) speaks a few sentences into it as the microphone, one turn at a time. For each turn
it prints what was said beside what the emulator heard, the reply, the top emotions and the
latency from the end of speech, split into the configured silence wait and the processing
after it.
"""

from __future__ import annotations

import asyncio
import contextlib
import difflib
import functools
import os
import re
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

import soundfile

from .client.messages import SessionSettings, TurnDetection
from .client.options import ConnectionOptions
from .emulator.engines.base import OUTPUT_SAMPLE_RATE
from .session import VoiceSession

__all__ = [
    "DEFAULT_SENTENCE",
    "DEFAULT_SENTENCES",
    "SILENCE_WAIT",
    "format_conversation",
    "run_headless",
    "synthesize_wav",
    "words_heard",
]

DEFAULT_SENTENCES: tuple[str, ...] = (
    "Hello, my name is Sam. How are you today?",
    "Can you remind me to water the plants on Friday?",
)
"""What the demo says, one turn each: a greeting that gives a name, then a request."""
DEFAULT_SENTENCE = "Hello there, how are you today?"
"""The one turn of the ``deterministic`` profile (its recogniser plays back a script)."""
SILENCE_WAIT = 0.6
"""Seconds of silence that end a turn (``turn_detection.silence_threshold``)."""
_REPLY_TIMEOUT = 120.0
_CONNECT_TIMEOUT = 120.0
_WORD = re.compile(r"[a-z0-9']+")


def _default_profile() -> str:
    from .emulator.profiles import DEFAULT_PROFILE

    return DEFAULT_PROFILE


_VOICE_LABELS = {
    "piper": "Piper (en_US joe)",
    "espeak": "espeak-ng",
    "synthetic": "synthetic (deterministic profile)",
}


def synthesize_wav(
    text: str, path: str | os.PathLike[str], profile: str = "default"
) -> tuple[Path, str]:
    """Speak ``text`` as the demo's user into a 24 kHz mono WAV; returns the path and the
    voice's name. The ``deterministic`` profile's recogniser only knows its synthetic voice;
    other profiles hear Piper when installed, else espeak-ng. Blocking (loads the voice): run
    it in a thread."""
    from .emulator.speech import speak

    spoken = speak(text, voice="synthetic" if profile == "deterministic" else "auto")
    out = Path(path)
    soundfile.write(out, spoken.samples, OUTPUT_SAMPLE_RATE, subtype="PCM_16")
    return out, _VOICE_LABELS[spoken.voice]


def words_heard(said: str, heard: str) -> tuple[int, int]:
    """How many of the words ``said`` were heard, in order (case and punctuation ignored)."""
    ref = _WORD.findall(said.lower())
    hyp = _WORD.findall(heard.lower())
    matcher = difflib.SequenceMatcher(a=ref, b=hyp, autojunk=False)
    return sum(block.size for block in matcher.get_matching_blocks()), len(ref)


def _top_emotions(scores: dict[str, Any], k: int = 3) -> str:
    ranked = sorted(scores.items(), key=lambda item: float(item[1]), reverse=True)[:k]
    return ", ".join(f"{name} {float(score):.2f}" for name, score in ranked)


def _seconds(value: Any) -> str:
    return "-" if value is None else f"{float(value):.2f} s"


def format_conversation(
    session: VoiceSession, said: Sequence[str] = (), silence_wait: float | None = None
) -> list[str]:
    """The transcript, TTS audio received and per-turn latency as printable lines.

    ``said`` are the sentences spoken, one per user turn: each user line then shows what was
    said and how many of its words were heard. With ``silence_wait`` (the configured silence
    threshold) the time to the first TTS chunk is split into that wait and the processing.
    """
    lines: list[str] = []
    user_turn = 0
    for message in session.messages:
        role = str(message["role"])
        text = str(message["text"])
        details: list[str] = []
        if role == "user":
            if user_turn < len(said):
                right, total = words_heard(said[user_turn], text)
                lines.append(f"[said] {said[user_turn]}")
                details.append(f"{right}/{total} words heard")
            user_turn += 1
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

        first_chunk = since("first_tts_chunk")
        chunk_at = record.get("first_tts_chunk")
        if silence_wait is not None and chunk_at is not None and start is not None:
            processing = chunk_at - start - silence_wait
            first_chunk += f" = {silence_wait:.2f} s silence wait + {processing:.2f} s processing"
        played = "first played (estimated)" if record.get("played_estimated") else "first played"
        lines.append(
            f"Latency turn {record['turn']} (from the end of user speech): "
            f"final transcript {since('final_transcript')}, first text {since('first_text')}, "
            f"first TTS chunk {first_chunk}, {played} {since('first_played')}"
        )
    return lines


def _replies_done(session: VoiceSession, turns: int) -> bool:
    if session.is_assistant_speaking or len(session.latency) < turns:
        return False
    if session.latency[-1].get("first_tts_chunk") is None:
        return False
    finals = sum(1 for m in session.messages if m["role"] == "assistant" and m["is_final"])
    return finals >= turns


async def run_headless(
    wav: str | os.PathLike[str] | None = None,
    *,
    profile: str | None = None,
    text: str | Sequence[str] | None = None,
    realtime: bool = True,
    file: TextIO | None = None,
) -> list[dict[str, Any]]:
    """Talk to the embedded emulator without a browser and print the conversation.

    ``wav`` plays as the microphone (any rate/channels) for one turn; without it each sentence
    of ``text`` (default: :data:`DEFAULT_SENTENCES`) is spoken by a natural voice, one turn
    each. ``profile`` selects the emulator's engines (default: the emulator's default
    profile). Waits for each reply's audio, prints what was said and heard, the replies, top
    emotions, seconds of TTS audio and per-turn latency to ``file`` (default stdout), and
    returns the messages.
    """
    out = file if file is not None else sys.stdout
    profile = profile or _default_profile()
    if isinstance(text, str):
        sentences: tuple[str, ...] = (text,)
    elif text is not None:
        sentences = tuple(text)
    else:
        sentences = (DEFAULT_SENTENCE,) if profile == "deterministic" else DEFAULT_SENTENCES
    with contextlib.ExitStack() as stack:
        inputs: list[str] = []
        said: list[str] = []
        voice = "your file"
        if wav is not None:
            inputs.append(os.fspath(wav))
        else:
            folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="nextevi-demo-")))
            for i, sentence in enumerate(sentences):
                spoken, voice = await asyncio.to_thread(
                    synthesize_wav, sentence, folder / f"turn{i + 1}.wav", profile
                )
                inputs.append(os.fspath(spoken))
                said.append(sentence)
        settings = SessionSettings(turn_detection=TurnDetection(silence_threshold=SILENCE_WAIT))
        options = ConnectionOptions(config_id=profile, settings=settings)
        session = VoiceSession(options=options, emulator="process")
        print(f"NextEVI headless demo: emulator profile {profile!r}", file=out, flush=True)
        task = session.start()
        try:
            await session.wait_until("connected", timeout=_CONNECT_TIMEOUT)
            print(f"Connected to {session.url} ({session.connection_id})", file=out, flush=True)
            pace = "in real time" if realtime else "as fast as possible"
            print(f"Microphone: {voice} ({pace})", file=out, flush=True)
            for turn, path in enumerate(inputs, 1):
                sent = await session.send_file(path, realtime=realtime)
                print(f"Turn {turn}: sent {sent:.2f} s of audio...", file=out, flush=True)
                done = functools.partial(_replies_done, turns=turn)
                try:
                    await session.wait_until(done, timeout=_REPLY_TIMEOUT)
                except TimeoutError:
                    print(f"(no complete reply within {_REPLY_TIMEOUT:g} s)", file=out)
                    break
        finally:
            closing = session.close()
            if closing is not None:
                await closing
            with contextlib.suppress(Exception):
                await task
        print("", file=out)
        for line in format_conversation(session, said, SILENCE_WAIT):
            print(line, file=out)
        if session.last_error:
            print(f"Last error: {session.last_error}", file=out)
        out.flush()
        return list(session.messages)
