"""A stereo PCM16 WAV written incrementally, and a reader that copes with a crashed writer.

The writer appends frames and rewrites the RIFF/data sizes about once a second and on close,
so after a crash the header is at most a second stale; :func:`read_wav` ignores stale or
missing sizes and takes every whole frame actually on disk.
"""

from __future__ import annotations

import struct
from pathlib import Path
from typing import BinaryIO

import numpy as np
import numpy.typing as npt

__all__ = ["IncrementalWav", "read_wav"]

_HEADER = 44
Int16Frames = npt.NDArray[np.int16]


def _header(channels: int, rate: int, data_bytes: int) -> bytes:
    block = channels * 2
    return (
        b"RIFF"
        + struct.pack("<I", 36 + data_bytes)
        + b"WAVEfmt "
        + struct.pack("<IHHIIHH", 16, 1, channels, rate, rate * block, block, 16)
        + b"data"
        + struct.pack("<I", data_bytes)
    )


class IncrementalWav:
    """PCM16 WAV opened for appending ``(n, channels)`` int16 frames."""

    def __init__(self, path: str | Path, rate: int, channels: int = 2) -> None:
        self.path = Path(path)
        self.rate = rate
        self.channels = channels
        self.frames = 0
        self._file: BinaryIO | None = open(self.path, "wb")  # noqa: SIM115 (kept open)
        self._file.write(_header(channels, rate, 0))
        self._file.flush()
        self._frames_at_header = 0

    def write(self, frames: Int16Frames) -> None:
        if self._file is None:
            raise ValueError("the WAV file is closed")
        data = np.ascontiguousarray(frames, dtype="<i2")
        self._file.write(data.tobytes())
        self.frames += len(data)
        if self.frames - self._frames_at_header >= self.rate:
            self.update_header()
        self._file.flush()

    def update_header(self) -> None:
        """Write the current sizes into the header (the file stays open for appending)."""
        if self._file is None:
            return
        self._file.seek(0)
        self._file.write(_header(self.channels, self.rate, self.frames * self.channels * 2))
        self._file.seek(0, 2)
        self._file.flush()
        self._frames_at_header = self.frames

    def close(self) -> None:
        if self._file is not None:
            self.update_header()
            self._file.close()
            self._file = None


def read_wav(path: str | Path) -> tuple[Int16Frames, int]:
    """``(frames (n, channels) int16, rate)`` of a PCM16 WAV, tolerating a stale header and a
    file cut mid-frame (the partial frame is dropped). A missing or headerless file gives no
    frames."""
    try:
        raw = Path(path).read_bytes()
    except FileNotFoundError:
        return np.zeros((0, 2), np.int16), 24_000
    if len(raw) < 12 or raw[:4] != b"RIFF" or raw[8:12] != b"WAVE":
        return np.zeros((0, 2), np.int16), 24_000
    channels, rate, offset, declared = 2, 24_000, _HEADER, None
    pos = 12
    while pos + 8 <= len(raw):
        chunk, size = raw[pos : pos + 4], struct.unpack("<I", raw[pos + 4 : pos + 8])[0]
        if chunk == b"fmt " and pos + 24 <= len(raw):
            channels, rate = struct.unpack("<HI", raw[pos + 10 : pos + 16])
        if chunk == b"data":
            offset, declared = pos + 8, size
            break
        pos += 8 + size + (size & 1)
    available = len(raw) - offset
    size = available
    if declared is not None and 0 < declared < available:
        # Honour a smaller size only when another chunk follows; otherwise the header is stale
        # (the writer stopped before updating it).
        tail = raw[offset + declared + (declared & 1) :][:4]
        if len(tail) == 4 and tail.isalpha():
            size = declared
    block = 2 * max(1, channels)
    data = raw[offset : offset + size - size % block]
    return np.frombuffer(data, dtype="<i2").reshape(-1, max(1, channels)).copy(), rate
