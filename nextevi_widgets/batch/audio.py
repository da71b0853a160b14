"""Read one input's audio as the microphone would send it: PCM16 mono at 24 kHz.

Decoding and resampling are the client's helpers (soundfile + soxr); this module only turns
what can go wrong with a user's file into an :class:`InputError` with a message that says which
file and why.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..client.audio import read_wav_as_pcm16
from ..client.messages import DEFAULT_SAMPLE_RATE

__all__ = ["InputAudio", "InputError", "read_input_audio"]


class InputError(Exception):
    """An input that cannot be streamed (missing, unreadable, not audio, empty). Never retried."""


@dataclass(frozen=True)
class InputAudio:
    pcm: bytes
    """PCM16 LE mono at 24 kHz."""
    source_rate: int
    source_channels: int
    source_format: str

    @property
    def duration(self) -> float:
        return len(self.pcm) / 2 / DEFAULT_SAMPLE_RATE


def read_input_audio(path: Path) -> InputAudio:
    """Decode ``path`` (anything libsndfile reads) to 24 kHz mono PCM16. Blocking."""
    import soundfile

    if not path.exists():
        raise InputError(f"file not found: {path}")
    if not path.is_file():
        raise InputError(f"not a file: {path}")
    try:
        info = soundfile.info(str(path))
        pcm = read_wav_as_pcm16(path, target_rate=DEFAULT_SAMPLE_RATE)
    except (soundfile.LibsndfileError, RuntimeError, ValueError, TypeError) as exc:
        raise InputError(f"cannot read {path.name} as audio: {exc}") from None
    except OSError as exc:
        raise InputError(f"cannot open {path.name}: {exc.strerror or exc}") from None
    if not pcm:
        raise InputError(f"{path.name} holds no audio (0 samples)")
    return InputAudio(pcm, int(info.samplerate), int(info.channels), str(info.format))
