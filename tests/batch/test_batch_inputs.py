"""Inputs discovery (files, folders, CSV, DataFrame with labels) and reading a user's audio
(any rate and channel count -> 24 kHz mono; bad files -> a clear InputError)."""

from __future__ import annotations

import csv
import os
from pathlib import Path

import numpy as np
import pytest
import soundfile

from nextevi_widgets.batch import InputError, discover_inputs, read_input_audio


def _tone(path: Path, seconds: float = 0.3, rate: int = 16_000, channels: int = 1) -> Path:
    t = np.arange(int(seconds * rate)) / rate
    mono = 0.3 * np.sin(2 * np.pi * 220 * t)
    data = np.repeat(mono[:, None], channels, axis=1) if channels > 1 else mono
    path.parent.mkdir(parents=True, exist_ok=True)
    soundfile.write(path, data, rate)
    return path


def test_a_folder_gives_its_audio_files_recursively_in_sorted_order(tmp_path: Path) -> None:
    for name in ("b.wav", "a.flac", "sub/c.ogg", "sub/deeper/d.WAV"):
        _tone(tmp_path / name)
    (tmp_path / "notes.txt").write_text("not audio")
    found = discover_inputs(tmp_path)
    assert [p.path.relative_to(tmp_path).as_posix() for p in found] == [
        "a.flac",
        "b.wav",
        "sub/c.ogg",
        "sub/deeper/d.WAV",
    ]
    assert {p.source for p in found} == {"folder"}
    assert len({p.id for p in found}) == 4


def test_ids_are_stable_across_runs_and_change_when_the_file_changes(tmp_path: Path) -> None:
    path = _tone(tmp_path / "a.wav")
    first = discover_inputs([path])[0].id
    assert discover_inputs(str(path))[0].id == first
    _tone(path, seconds=0.5)
    os.utime(path, ns=(1, 1))
    assert discover_inputs([path])[0].id != first


def test_files_named_explicitly_are_kept_whatever_their_suffix(tmp_path: Path) -> None:
    audio = _tone(tmp_path / "a.wav")
    odd = tmp_path / "recording.bin"
    odd.write_bytes(b"\0\1")
    found = discover_inputs([audio, odd, tmp_path / "missing.wav"])
    assert [p.path.name for p in found] == ["a.wav", "recording.bin", "missing.wav"]
    assert len({p.id for p in found}) == 3


def test_the_same_file_twice_gets_two_ids(tmp_path: Path) -> None:
    audio = _tone(tmp_path / "a.wav")
    first, second = discover_inputs([audio, audio])
    assert second.id == f"{first.id}-2"


def test_a_csv_gives_paths_relative_to_itself_and_labels_from_its_other_columns(
    tmp_path: Path,
) -> None:
    _tone(tmp_path / "clips" / "one.wav")
    _tone(tmp_path / "clips" / "two.wav")
    table = tmp_path / "set.csv"
    with table.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["file", "sentiment", "reference"])
        writer.writerow(["clips/one.wav", "positive", "I love it"])
        writer.writerow([str(tmp_path / "clips" / "two.wav"), "negative", "I hate it"])
    found = discover_inputs(table, path_column="file")
    assert [p.path for p in found] == [tmp_path / "clips/one.wav", tmp_path / "clips/two.wav"]
    assert [dict(p.labels) for p in found] == [
        {"sentiment": "positive", "reference": "I love it"},
        {"sentiment": "negative", "reference": "I hate it"},
    ]
    assert {p.source for p in found} == {"csv"}
    only = discover_inputs(table, path_column="file", label_columns=["sentiment"])
    assert [dict(p.labels) for p in only] == [{"sentiment": "positive"}, {"sentiment": "negative"}]


def test_a_csv_without_the_path_column_is_refused_by_name(tmp_path: Path) -> None:
    table = tmp_path / "set.csv"
    table.write_text("audio,label\nx.wav,positive\n")
    with pytest.raises(ValueError, match=r"no path column 'path'.*'audio', 'label'"):
        discover_inputs(table)


def test_a_dataframe_gives_labels_as_plain_values_and_ids_from_its_id_column(
    tmp_path: Path,
) -> None:
    pd = pytest.importorskip("pandas")
    a, b = _tone(tmp_path / "a.wav"), _tone(tmp_path / "b.wav")
    frame = pd.DataFrame(
        {"path": [str(a), str(b)], "row": ["r1", "r2"], "score": [1, 2], "label": ["x", "y"]}
    )
    found = discover_inputs(frame, id_column="row")
    assert [p.id for p in found] == ["r1", "r2"]
    labels = [dict(p.labels) for p in found]
    assert labels == [{"score": 1, "label": "x"}, {"score": 2, "label": "y"}]
    assert type(found[0].labels["score"]) is int
    assert {p.source for p in found} == {"dataframe"}
    frame.loc[1, "row"] = "r1"
    with pytest.raises(ValueError, match="'r1' appears twice"):
        discover_inputs(frame, id_column="row")


def test_a_44k1_stereo_flac_is_read_as_24k_mono(tmp_path: Path) -> None:
    rate, seconds = 44_100, 1.0
    t = np.arange(int(rate * seconds)) / rate
    left = 0.5 * np.sin(2 * np.pi * 440 * t)
    right = np.zeros_like(left)  # the downmix halves the level
    path = tmp_path / "stereo.flac"
    soundfile.write(path, np.stack([left, right], axis=1), rate, format="FLAC")
    audio = read_input_audio(path)
    assert (audio.source_rate, audio.source_channels, audio.source_format) == (44_100, 2, "FLAC")
    samples = np.frombuffer(audio.pcm, dtype="<i2").astype(np.float64) / 32768
    assert abs(len(samples) - 24_000) <= 2
    assert audio.duration == pytest.approx(1.0, abs=1e-3)
    middle = samples[2400:-2400]
    assert np.sqrt(np.mean(middle**2)) == pytest.approx(0.25 / np.sqrt(2), rel=0.02)
    spectrum = np.abs(np.fft.rfft(middle))
    peak_hz = np.argmax(spectrum) * 24_000 / len(middle)
    assert peak_hz == pytest.approx(440, abs=2)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "file not found"),
        (b"this is not audio at all", "cannot read bad.wav as audio"),
    ],
)
def test_bad_files_raise_input_errors_that_name_the_file(
    tmp_path: Path, content: bytes | None, message: str
) -> None:
    path = tmp_path / "bad.wav"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(InputError, match=message):
        read_input_audio(path)


def test_an_empty_audio_file_is_an_input_error(tmp_path: Path) -> None:
    path = tmp_path / "empty.wav"
    soundfile.write(path, np.zeros(0, dtype=np.int16), 24_000)
    with pytest.raises(InputError, match=r"empty\.wav holds no audio"):
        read_input_audio(path)
