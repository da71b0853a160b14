"""Per-connection conversation logic of the emulator.

Receive path (on the event loop, never blocking): parse a frame, resample audio to 16 kHz,
run the VAD frame by frame and the turn state machine, detect barge-in. Everything slower goes
to two single-thread executors owned by the connection: the *listen* thread (STT, emotion
analysis) and the *speak* thread (responder, TTS). Each engine object is therefore only ever
called from one thread, in order.

A listen worker task consumes turn commands (start / audio / pause / resume / end) in order
and sends transcripts and emotions; a reply task per generation streams text and paced audio.
A recogniser that can decode speculatively (``pause``/``resume`` methods, e.g. Whisper in the
``auto`` profile) is told when the user pauses inside a turn, so its final transcript is
usually ready when the silence window closes.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import Any, ClassVar, TypeVar

import numpy as np
import numpy.typing as npt
from websockets.asyncio.server import ServerConnection
from websockets.exceptions import ConnectionClosed

from ..client.messages import (
    DEFAULT_SAMPLE_RATE,
    AudioInput,
    ConnectionMetadata,
    EmotionScore,
    EmotionUpdate,
    ErrorMessage,
    Interrupt,
    Interruption,
    KeepAlive,
    MessageParseError,
    ServerMessage,
    SessionSettings,
    SystemMessage,
    TextInput,
    Transcription,
    TurnComplete,
    UnknownClientMessage,
    Word,
    parse_client_message,
)
from .auth import ConnectRequest
from .engines.base import ENGINE_SAMPLE_RATE, EngineUnavailableError
from .frontend import (
    AudioFrontEnd,
    Command,
    SpeechAudio,
    SpeechEnd,
    SpeechPause,
    SpeechResume,
    SpeechStart,
    coalesce,
)
from .idle import IdleMonitor
from .options import EmulatorOptions
from .pacing import Pacer
from .profiles import EngineSet
from .reply import ReplyStreamer, new_generation_id
from .stats import EmulatorStats
from .turns import TurnConfig, TurnEventKind

__all__ = ["Session", "close_reason"]

logger = logging.getLogger(__name__)

T = TypeVar("T")
Int16Array = npt.NDArray[np.int16]

_SUPPORTED_ENCODINGS = frozenset({"linear16", "pcm", "pcm16", "pcm_s16le", "s16le"})

SPECULATE_AFTER = 0.05
"""Seconds of silence inside a turn after which a speculative recogniser starts its final
decode (at most half the silence window)."""


def close_reason(text: str) -> str:
    """Trim ``text`` to the 123 UTF-8 bytes a close frame allows."""
    data = text.encode("utf-8")[:123]
    return data.decode("utf-8", errors="ignore")


@dataclass(frozen=True, kw_only=True)
class KeepAliveAck(ServerMessage):
    """Optional answer to ``keep_alive`` (the real service's reply, if any, is unknown)."""

    type: ClassVar[str] = "keep_alive"
    reply_to: str | None = None

    def payload(self) -> dict[str, Any]:
        return {"reply_to": self.reply_to}


@dataclass
class _Utterance:
    chunks: list[Int16Array] = field(default_factory=list)
    samples: int = 0
    partial: str = ""
    emotion_at: float = 0.0

    @property
    def seconds(self) -> float:
        return self.samples / ENGINE_SAMPLE_RATE

    def audio(self) -> Int16Array:
        if not self.chunks:
            return np.zeros(0, dtype=np.int16)
        return np.concatenate(self.chunks)


@dataclass
class _Generation:
    generation_id: str
    task: asyncio.Task[Any]


class Session:
    """Serves one authenticated connection until it closes."""

    def __init__(
        self,
        ws: ServerConnection,
        request: ConnectRequest,
        engines: EngineSet,
        options: EmulatorOptions,
        stats: EmulatorStats,
    ) -> None:
        self._ws = ws
        self._request = request
        self._engines = engines
        self._options = options
        self._stats = stats
        self._loop = asyncio.get_running_loop()
        cid = request.connection_id[:24]
        self._listen_pool = ThreadPoolExecutor(1, thread_name_prefix=f"nextevi-listen-{cid}")
        self._speak_pool = ThreadPoolExecutor(1, thread_name_prefix=f"nextevi-speak-{cid}")
        self._send_lock = asyncio.Lock()
        self._pacer = Pacer(options.tts_lead)
        self._replies = ReplyStreamer(
            engines, options, stats, self._pacer, self._speak_call, self._send
        )
        self._speculative = callable(getattr(engines.stt, "pause", None)) and callable(
            getattr(engines.stt, "resume", None)
        )
        self._base_turns = TurnConfig(
            silence_threshold=options.silence_threshold,
            min_speaking_time=options.min_speaking_time,
            speech_start=options.speech_start,
            max_turn_duration=options.max_turn_duration,
            warmup=options.vad_warmup,
            pause_after=(
                min(SPECULATE_AFTER, options.silence_threshold / 2) if self._speculative else None
            ),
        )
        self._audio = AudioFrontEnd(engines.vad, self._base_turns)
        self._detector = self._audio.detector
        self._emotions_enabled = True
        self._emotion_threshold: float | None = None
        self._commands: asyncio.Queue[Command] = asyncio.Queue()
        self._utterance: _Utterance | None = None
        self._generation: _Generation | None = None
        self._gap_timer: asyncio.TimerHandle | None = None
        self._idle = IdleMonitor(
            busy=lambda: self._detector.speaking or self._assistant_active(),
            send=self._send,
            hang_up=self._hang_up,
        )
        self._tasks: list[asyncio.Task[Any]] = []
        self._closing = False

    # ---------------------------------------------------------------- lifecycle

    async def run(self) -> None:
        """Send the metadata, then serve frames until the client goes away."""
        try:
            await self._send(self._metadata())
            if self._engines.notice:
                await self._send(
                    SystemMessage(content=self._engines.notice, message_type="warning")
                )
            if self._options.greeting:
                await self._send(
                    SystemMessage(content=self._options.greeting, message_type="initial")
                )
            self._tasks.append(self._loop.create_task(self._listen_worker()))
            async for frame in self._ws:
                if self._closing:
                    break
                await self._on_frame(frame)
        except ConnectionClosed:
            pass
        finally:
            self._shutdown()

    def _shutdown(self) -> None:
        self._closing = True
        if self._gap_timer is not None:
            self._gap_timer.cancel()
        if self._generation is not None:
            self._generation.task.cancel()
        self._idle.stop()
        for task in self._tasks:
            task.cancel()
        self._listen_pool.shutdown(wait=False, cancel_futures=True)
        self._speak_pool.shutdown(wait=False, cancel_futures=True)

    def _metadata(self) -> ConnectionMetadata:
        return ConnectionMetadata(
            connection_id=self._request.connection_id,
            status="connected",
            config={
                "audio_format": "pcm_24khz_16bit_mono",
                "encoding": "linear16",
                "sample_rate": DEFAULT_SAMPLE_RATE,
                "channels": 1,
                "engine_profile": self._engines.name,
                "engines": dict(self._engines.info),
                "emulator": True,
            },
            project_id=self._request.project_id or self._options.project_id,
            config_id=self._request.config_id,
        )

    # ---------------------------------------------------------------- sending

    async def _send(self, message: ServerMessage) -> None:
        text = json.dumps(message.to_wire(self._options.dialect), separators=(",", ":"))
        async with self._send_lock:
            await self._ws.send(text)
        self._stats.messages_out += 1

    async def _send_error(self, code: str, message: str, details: dict[str, Any]) -> None:
        """An in-band ``error``; ``details`` is never empty so every dialect carries it."""
        self._stats.errors_sent += 1
        await self._send(ErrorMessage(error_code=code, error_message=message, details=details))

    async def _engine_unavailable(self, exc: EngineUnavailableError) -> None:
        """An engine's optional dependency is missing: say so, then close 1011."""
        self._closing = True
        try:
            await self._send_error("ENGINE_UNAVAILABLE", str(exc), {"profile": self._engines.name})
            await self._ws.close(1011, close_reason(f"ENGINE_UNAVAILABLE: {exc}"))
        except ConnectionClosed:
            pass

    async def _listen_call(self, fn: Callable[..., T], *args: Any) -> T:
        return await self._loop.run_in_executor(self._listen_pool, functools.partial(fn, *args))

    async def _speak_call(self, fn: Callable[..., T], *args: Any) -> T:
        return await self._loop.run_in_executor(self._speak_pool, functools.partial(fn, *args))

    # ---------------------------------------------------------------- frames

    async def _on_frame(self, frame: str | bytes) -> None:
        self._stats.frames_in += 1
        if isinstance(frame, str):
            size = len(frame) if frame.isascii() else len(frame.encode("utf-8"))
        else:
            size = len(frame)
        limit = self._options.max_frame_bytes
        if size > limit:
            await self._send_error(
                "FRAME_TOO_LARGE",
                f"frame of {size} bytes exceeds the {limit}-byte limit",
                {"size": size, "limit": limit},
            )
            return
        if isinstance(frame, bytes):
            await self._on_pcm(frame, "binary frame")
            return
        await self._on_text_frame(frame)

    async def _on_text_frame(self, frame: str) -> None:
        try:
            obj = json.loads(frame)
        except (ValueError, RecursionError):
            await self._send_error(
                "INVALID_JSON", "text frame is not valid JSON", {"size": len(frame)}
            )
            return
        if not isinstance(obj, dict) or not isinstance(obj.get("type"), str) or not obj["type"]:
            await self._send_error(
                "INVALID_MESSAGE",
                "expected a JSON object with a string 'type' field",
                {"json_type": type(obj).__name__},
            )
            return
        type_ = obj["type"]
        try:
            message = parse_client_message(obj)
        except MessageParseError as exc:
            code = "INVALID_AUDIO" if type_ == "audio_input" else "INVALID_MESSAGE"
            await self._send_error(code, str(exc), {"type": type_[:64]})
            return
        if isinstance(message, SessionSettings):
            await self._apply_settings(message)
        elif isinstance(message, AudioInput):
            try:
                pcm = message.decode()
            except MessageParseError as exc:
                await self._send_error(
                    "INVALID_AUDIO",
                    str(exc),
                    {"chunk_id": message.chunk_id, "reason": "undecodable audio"},
                )
                return
            await self._on_pcm(pcm, "audio_input")
        elif isinstance(message, KeepAlive):
            if self._options.keep_alive_echo:
                await self._send(KeepAliveAck(reply_to=message.message_id))
        elif isinstance(message, TextInput):
            await self._on_text_input(message.text)
        elif isinstance(message, Interrupt):
            await self._interrupt()
        elif isinstance(message, UnknownClientMessage) and type_ == "test_connection":
            await self._send(self._metadata())
        else:
            await self._send_error(
                "UNKNOWN_MESSAGE_TYPE", f"unknown message type {type_[:64]!r}", {"type": type_[:64]}
            )

    # ---------------------------------------------------------------- settings

    async def _apply_settings(self, settings: SessionSettings) -> None:
        config = self._base_turns.with_settings(settings.turn_detection)
        if config.pause_after is not None:
            config = replace(
                config, pause_after=min(config.pause_after, config.silence_threshold / 2)
            )
        self._detector.config = config
        if settings.emotion_detection is not None:
            self._emotions_enabled = settings.emotion_detection.enabled
            self._emotion_threshold = settings.emotion_detection.confidence_threshold
        if settings.encoding.lower() not in _SUPPORTED_ENCODINGS:
            await self._send_error(
                "UNSUPPORTED_ENCODING",
                f"encoding {settings.encoding[:32]!r} is not supported; audio is read as linear16",
                {"encoding": settings.encoding[:32]},
            )
        channels = settings.channels if settings.channels in (1, 2) else 1
        rate = settings.sample_rate
        if not 8_000 <= rate <= 192_000:
            await self._send_error(
                "UNSUPPORTED_SAMPLE_RATE",
                f"sample rate {rate} is outside 8000..192000 Hz; keeping {self._audio.sample_rate}",
                {"sample_rate": rate},
            )
            rate = self._audio.sample_rate
        self._audio.set_format(rate, channels)
        self._idle.configure(settings.idle_timeout)

    # ---------------------------------------------------------------- audio in

    async def _on_pcm(self, pcm: bytes, source: str) -> None:
        channels = self._audio.channels
        if len(pcm) % (2 * channels):
            await self._send_error(
                "INVALID_AUDIO",
                f"{source} of {len(pcm)} bytes is not whole PCM16 samples",
                {"size": len(pcm), "channels": channels},
            )
            return
        if not pcm:
            return
        self._stats.audio_seconds_in += len(pcm) / (2 * channels) / self._audio.sample_rate
        self._arm_gap_timer()
        for command in self._audio.push(pcm):
            if isinstance(command, SpeechStart):
                # Barge-in is decided here, on the loop, without waiting for the recogniser.
                self._touch()
                if self._assistant_active():
                    await self._interrupt()
            elif isinstance(command, SpeechEnd):
                self._touch()
            self._commands.put_nowait(command)

    def _arm_gap_timer(self) -> None:
        if self._gap_timer is not None:
            self._gap_timer.cancel()
        delay = self._detector.config.silence_threshold
        self._gap_timer = self._loop.call_later(delay, self._on_audio_gap)

    def _on_audio_gap(self) -> None:
        """Audio stopped arriving (some clients drop silent frames): end the turn."""
        self._gap_timer = None
        for command in self._audio.audio_gap():
            self._touch()
            self._commands.put_nowait(command)

    # ---------------------------------------------------------------- listen worker

    async def _listen_worker(self) -> None:
        try:
            while True:
                batch: list[Command] = [await self._commands.get()]
                while not self._commands.empty():
                    batch.append(self._commands.get_nowait())
                for command in coalesce(batch):
                    try:
                        await self._listen_step(command)
                    except EngineUnavailableError as exc:
                        await self._engine_unavailable(exc)
                        return
                    except ConnectionClosed:
                        raise
                    except Exception:
                        logger.exception("speech processing failed")
                        self._utterance = None
                        await self._send_error(
                            "ENGINE_ERROR", "speech processing failed", {"stage": "listen"}
                        )
        except ConnectionClosed:
            pass

    async def _listen_step(self, command: Command) -> None:
        if isinstance(command, SpeechStart):
            await self._listen_call(self._engines.stt.start_utterance)
            self._utterance = _Utterance()
            await self._send(
                Transcription(transcript="", is_final=False, event_type="speech_started")
            )
            await self._feed(command.audio)
        elif isinstance(command, SpeechAudio):
            await self._feed(command.audio)
        elif isinstance(command, SpeechPause):
            if self._utterance is not None and self._speculative:
                await self._listen_call(self._engines.stt.pause)  # type: ignore[attr-defined]
        elif isinstance(command, SpeechResume):
            if self._utterance is not None and self._speculative:
                await self._listen_call(self._engines.stt.resume)  # type: ignore[attr-defined]
        else:
            await self._finish(command)

    async def _feed(self, audio: Int16Array) -> None:
        utterance = self._utterance
        if utterance is None or audio.size == 0:
            return
        utterance.chunks.append(audio)
        utterance.samples += audio.size
        partial = await self._listen_call(self._engines.stt.feed, audio)
        if partial is not None and partial != utterance.partial:
            utterance.partial = partial
            await self._send(
                Transcription(
                    transcript=partial, is_final=False, is_speech_final=False, event_type="normal"
                )
            )
        interval = self._options.emotion_interval
        if self._emotions_enabled and utterance.seconds - utterance.emotion_at >= interval:
            utterance.emotion_at = utterance.seconds
            scores = await self._listen_call(
                self._engines.emotion.analyze, utterance.audio(), utterance.partial or None
            )
            await self._send(EmotionUpdate(emotions=self._ranked(scores)))

    def _ranked(self, scores: dict[str, float]) -> tuple[EmotionScore, ...]:
        ranked = sorted(
            (EmotionScore(name, float(score)) for name, score in scores.items()),
            key=lambda e: e.score,
            reverse=True,
        )
        threshold = self._emotion_threshold
        if threshold is not None:
            ranked = ranked[:1] + [e for e in ranked[1:] if e.score >= threshold]
        return tuple(ranked)

    async def _finish(self, command: SpeechEnd) -> None:
        utterance, self._utterance = self._utterance, None
        if utterance is None:
            return
        stt = self._engines.stt
        abort = getattr(stt, "abort_utterance", None)
        if command.event.kind is TurnEventKind.DISCARD and callable(abort):
            await self._listen_call(abort)  # nothing to decode for a blip
            result = None
        else:
            result = await self._listen_call(stt.end_utterance)
        if result is None or command.event.kind is TurnEventKind.DISCARD:
            # Too short to be a turn: close the utterance the client saw start, say nothing more.
            await self._send(
                Transcription(
                    transcript="", is_final=True, is_speech_final=False, event_type="utterance_end"
                )
            )
            return
        scores: dict[str, float] = {}
        if self._emotions_enabled:
            scores = await self._listen_call(
                self._engines.emotion.analyze, utterance.audio(), result.text
            )
        emotions = self._ranked(scores) if scores else ()
        elapsed = round(time.monotonic() - command.at, 4)
        words = tuple(Word(w.word, w.start, w.end, w.confidence) for w in result.words)
        confidence = result.confidence if result.confidence is not None else 0.0
        await self._send(
            Transcription(
                transcript=result.text,
                is_final=True,
                is_speech_final=True,
                confidence=confidence,
                words=words,
                emotions=emotions,
                event_type="utterance_end",
                session_id=self._request.connection_id,
                processing_time=elapsed,
            )
        )
        await self._send(
            TurnComplete(
                transcript=result.text,
                is_complete=True,
                confidence=confidence,
                reasons=(command.event.reason,),
                processing_time=elapsed,
            )
        )
        if emotions:
            await self._send(EmotionUpdate(emotions=emotions))
        self._stats.turns += 1
        if not result.text.strip():
            return
        if self._detector.speaking:
            # The user is already talking again; their next turn gets the reply.
            return
        self._start_reply(result.text, scores)

    # ---------------------------------------------------------------- replies

    def _assistant_active(self) -> bool:
        generation = self._generation
        if generation is not None and not generation.task.done():
            return True
        return self._pacer.playing()

    def _start_reply(self, text: str, emotions: dict[str, float]) -> None:
        generation_id = new_generation_id()
        task = self._loop.create_task(self._reply(generation_id, text, emotions))
        self._generation = _Generation(generation_id, task)

    async def _reply(self, generation_id: str, text: str, emotions: dict[str, float]) -> None:
        try:
            await self._replies.run(generation_id, text, emotions)
        except EngineUnavailableError as exc:
            await self._engine_unavailable(exc)
        except ConnectionClosed:
            pass
        except Exception:
            logger.exception("reply generation failed")
            with contextlib.suppress(ConnectionClosed):
                await self._send_error(
                    "ENGINE_ERROR", "reply generation failed", {"generation_id": generation_id}
                )
        finally:
            self._touch()

    async def _interrupt(self) -> None:
        """Barge-in or client ``interrupt``: stop generation and audio at once."""
        if not self._assistant_active():
            return
        generation, self._generation = self._generation, None
        if generation is not None:
            generation.task.cancel()
        self._pacer.reset()
        self._stats.interruptions += 1
        await self._send(Interruption(kind="tts_interruption"))
        if self._options.user_interruption:
            await self._send(Interruption(kind="user_interruption"))

    async def _on_text_input(self, text: str) -> None:
        self._touch()
        await self._interrupt()
        if text.strip():
            self._start_reply(text, {})

    # ---------------------------------------------------------------- idle timeout

    def _touch(self) -> None:
        self._idle.touch()

    async def _hang_up(self) -> None:
        self._closing = True
        await self._ws.close(1000, "IDLE_TIMEOUT")
