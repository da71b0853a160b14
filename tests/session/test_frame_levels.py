"""The per-frame level (one computation shared by the session and the emotion timeline) and
the single-frame fast path of ``audio_frame`` splitting give what the general paths give."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from nextevi_widgets._comm import split_frames
from nextevi_widgets.client.audio import VOICED_DBFS, pcm16_dbfs
from nextevi_widgets.session import OutgoingAudio
from nextevi_widgets.timeline import EmotionTimeline
from nextevi_widgets.timeline.feed import TimelineFeeder


def tone(amplitude: float, samples: int = 480) -> bytes:
    t = np.arange(samples) / 24_000
    wave = amplitude * 32767 * np.sin(2 * np.pi * 1000 * t)
    return np.round(wave).astype("<i2").tobytes()


def reference_dbfs(pcm: bytes) -> float:
    samples = np.frombuffer(pcm[: len(pcm) // 2 * 2], dtype="<i2").astype(np.float64)
    if samples.size == 0:
        return -120.0
    return float(20 * np.log10(np.sqrt(np.mean(samples**2)) / 32768 + 1e-6))


@pytest.mark.parametrize("amplitude", [1.0, 0.5, 0.01, 0.0])
def test_the_level_is_the_rms_in_dbfs(amplitude: float) -> None:
    pcm = tone(amplitude)
    assert pcm16_dbfs(pcm) == pytest.approx(reference_dbfs(pcm), abs=1e-3)
    assert pcm16_dbfs(pcm + b"\x7f") == pytest.approx(reference_dbfs(pcm), abs=1e-3)


def test_full_scale_sine_is_minus_three_dbfs_and_nothing_is_minus_120() -> None:
    assert pcm16_dbfs(tone(1.0, 24_000)) == pytest.approx(-3.01, abs=0.01)
    assert pcm16_dbfs(b"") == -120.0
    assert pcm16_dbfs(b"\x01") == -120.0


def test_a_record_computes_its_level_once() -> None:
    record = OutgoingAudio(tone(0.5))
    assert "level_dbfs" not in vars(record)
    assert record.level_dbfs == pytest.approx(reference_dbfs(record.pcm), abs=1e-3)
    assert vars(record)["level_dbfs"] == record.level_dbfs  # cached on the frozen record


def test_the_timeline_uses_a_record_level_or_measures_frames_without_one() -> None:
    feeder = TimelineFeeder(EmotionTimeline())
    feeder("out", OutgoingAudio(tone(0.0)), 1.0)
    assert feeder.last_voiced is None
    feeder("out", OutgoingAudio(tone(0.5)), 2.0)
    assert feeder.last_voiced == 2.0
    # A frame-like event from elsewhere (no level attached) is measured.
    feeder("out", SimpleNamespace(type="audio", pcm=tone(0.5)), 3.0)
    assert feeder.last_voiced == 3.0
    feeder("out", SimpleNamespace(type="audio", pcm=tone(0.0005)), 4.0)
    assert pcm16_dbfs(tone(0.0005)) < VOICED_DBFS
    assert feeder.last_voiced == 3.0
    feeder("in", OutgoingAudio(tone(0.5)), 5.0)  # only outgoing audio is the user's voice
    assert feeder.last_voiced == 3.0


@pytest.mark.parametrize("t_capture", [1234.5, None, "bad"])
def test_one_frame_splits_like_a_batch_of_one(t_capture: object) -> None:
    pcm = tone(0.3)
    single = split_frames({"seq": 7, "t_capture": t_capture}, pcm)
    batch = split_frames({"seq": 7, "t_capture": t_capture, "frames": 1}, pcm)
    assert single == batch
    assert single == [(pcm, 7, 1234.5 if t_capture == 1234.5 else None)]


def test_an_odd_byte_count_is_still_refused() -> None:
    with pytest.raises(ValueError, match="do not split"):
        split_frames({"seq": 1, "t_capture": 1.0}, b"\x00\x01\x02")
