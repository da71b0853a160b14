"""One assistant reply: streamed text (``llm_response_chunk``) and paced audio (``tts_chunk``).

The text producer and the audio consumer run as two tasks joined by a sentence queue, so text
streams ahead while audio goes out at real time. Cancelling the reply task stops both at once.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable, Iterator, Mapping
from typing import Any, TypeVar

import numpy as np

from ..client.messages import LLMResponseChunk, ServerMessage, TTSChunk
from .engines.base import OUTPUT_SAMPLE_RATE
from .options import EmulatorOptions
from .pacing import Pacer, SentenceSplitter, split_chunks
from .profiles import EngineSet
from .stats import EmulatorStats

__all__ = ["ReplyStreamer", "new_generation_id"]

T = TypeVar("T")
EngineCall = Callable[..., Awaitable[Any]]


def new_generation_id() -> str:
    return f"gen_{uuid.uuid4().hex[:12]}"


class ReplyStreamer:
    """Streams replies for one connection. ``call`` runs a blocking engine function off the
    event loop (in order), ``send`` writes one server message."""

    def __init__(
        self,
        engines: EngineSet,
        options: EmulatorOptions,
        stats: EmulatorStats,
        pacer: Pacer,
        call: EngineCall,
        send: Callable[[ServerMessage], Awaitable[None]],
    ) -> None:
        self._engines = engines
        self._options = options
        self._stats = stats
        self._pacer = pacer
        self._call = call
        self._send = send

    async def run(self, generation_id: str, user_text: str, emotions: Mapping[str, float]) -> str:
        """Stream the whole reply; returns its full text."""
        sentences: asyncio.Queue[str | None] = asyncio.Queue()
        producer = asyncio.get_running_loop().create_task(
            self._produce(generation_id, user_text, emotions, sentences)
        )
        try:
            await self._speak(generation_id, sentences)
            return await producer
        finally:
            if not producer.done():
                producer.cancel()

    async def _produce(
        self,
        generation_id: str,
        user_text: str,
        emotions: Mapping[str, float],
        sentences: asyncio.Queue[str | None],
    ) -> str:
        splitter = SentenceSplitter()
        full = ""
        index = 0
        try:
            deltas: Iterator[str] = await self._call(
                self._engines.responder.respond, user_text, dict(emotions)
            )
            while True:
                delta: str | None = await self._call(next, deltas, None)
                if delta is None:
                    break
                if not delta:
                    continue
                full += delta
                content = full if self._options.llm_text == "cumulative" else delta
                await self._send(
                    LLMResponseChunk(
                        content=content,
                        is_final=False,
                        generation_id=generation_id,
                        chunk_index=index,
                    )
                )
                index += 1
                for sentence in splitter.push(delta):
                    sentences.put_nowait(sentence)
            rest = splitter.flush()
            if rest:
                sentences.put_nowait(rest)
            await self._send(
                LLMResponseChunk(
                    content=full, is_final=True, generation_id=generation_id, chunk_index=index
                )
            )
            return full
        finally:
            sentences.put_nowait(None)

    async def _speak(self, generation_id: str, sentences: asyncio.Queue[str | None]) -> None:
        max_samples = max(1, int(self._options.tts_chunk_max * OUTPUT_SAMPLE_RATE))
        # The last piece of each sentence is held back until we know whether another sentence
        # follows, so that `is_last` lands on the reply's true final chunk.
        held: np.ndarray[Any, np.dtype[np.int16]] | None = None
        count = 0
        while (sentence := await sentences.get()) is not None:
            audio = await self._call(self._engines.tts.synthesize, sentence)
            pieces = split_chunks(np.asarray(audio, dtype=np.int16), max_samples)
            if not pieces:
                continue
            if held is not None:
                await self._send_chunk(generation_id, held, count, last=False)
                count += 1
            for piece in pieces[:-1]:
                await self._send_chunk(generation_id, piece, count, last=False)
                count += 1
            held = pieces[-1]
        if held is not None:
            await self._send_chunk(generation_id, held, count, last=True)
        self._stats.replies += 1

    async def _send_chunk(
        self, generation_id: str, audio: np.ndarray[Any, np.dtype[np.int16]], index: int, last: bool
    ) -> None:
        await self._pacer.wait()
        seconds = audio.size / OUTPUT_SAMPLE_RATE
        await self._send(
            TTSChunk(
                audio=audio.astype("<i2", copy=False).tobytes(),
                sample_rate=OUTPUT_SAMPLE_RATE,
                container="wav" if self._options.wav_chunks else "pcm",
                chunk_id=f"{generation_id}-{index}",
                is_last=last,
                generation_id=generation_id,
            )
        )
        self._pacer.sent(seconds)
        self._stats.tts_seconds_out += seconds
