"""Recognition in worker processes: same results as in this process, recognisers spread over
the workers, errors and a lost worker reported clearly (real PocketSphinx, real espeak speech)."""

from __future__ import annotations

import gc
import logging
import os
import signal
import sys
from collections.abc import Callable, Iterator

import pytest
from engine_support import Int16Array
from process_memory import rss_mb

from nextevi_widgets.cli import build_parser
from nextevi_widgets.emulator.cli import stt_workers_for
from nextevi_widgets.emulator.engines.base import EngineUnavailableError
from nextevi_widgets.emulator.engines.stt import DecoderPool, PocketSphinxRecognizer
from nextevi_widgets.emulator.engines.stt_workers import (
    RecognitionWorkers,
    RemoteRecognizer,
    acquire_recognition_workers,
    make_recognizer,
    release_recognition_workers,
    running_recognition_workers,
)

pytestmark = [pytest.mark.engines, pytest.mark.slow]

PHRASES = ["thank you so much for your help", "please call my brother tomorrow"]


@pytest.fixture(scope="module")
def workers() -> Iterator[RecognitionWorkers]:
    pool = RecognitionWorkers(2)
    yield pool
    pool.close()


def recognise(recognizer: object, audio: Int16Array) -> str:
    recognizer.start_utterance()  # type: ignore[attr-defined]
    for i in range(0, audio.size, 1600):
        recognizer.feed(audio[i : i + 1600])  # type: ignore[attr-defined]
    return str(recognizer.end_utterance().text)  # type: ignore[attr-defined]


def test_remote_recognition_matches_this_process(
    workers: RecognitionWorkers, speak: Callable[..., Int16Array]
) -> None:
    audio = speak(PHRASES[0])
    remote = workers.recognizer(PHRASES)
    local = PocketSphinxRecognizer(PHRASES, pool=DecoderPool())
    assert remote.phrase_mode
    assert recognise(remote, audio) == recognise(local, audio) == PHRASES[0]
    sentence = speak("the weather is nice today")
    open_remote = workers.recognizer()
    open_local = PocketSphinxRecognizer(pool=DecoderPool())
    assert recognise(open_remote, sentence) == recognise(open_local, sentence)


def test_recognisers_go_to_the_least_busy_worker_and_are_released(
    workers: RecognitionWorkers,
) -> None:
    gc.collect()
    base = workers.load()
    first = workers.recognizer(PHRASES)
    second = workers.recognizer(PHRASES)
    assert first.worker_pid != second.worker_pid
    assert sum(workers.load()) == sum(base) + 2
    del first, second
    gc.collect()
    assert workers.load() == base


def test_a_recogniser_opens_its_decoder_at_the_first_utterance(
    workers: RecognitionWorkers, speak: Callable[..., Int16Array]
) -> None:
    gc.collect()
    base = workers.load()
    leased = sum(entry["leased"] or 0 for entry in workers.decoder_stats())
    silent = workers.recognizer()
    assert not silent.has_decoder
    assert silent.worker_pid is None
    assert silent.end_utterance().text == ""  # nothing heard: still no decoder
    assert workers.load() == base
    assert sum(entry["leased"] or 0 for entry in workers.decoder_stats()) == leased
    speaker = workers.recognizer()
    assert recognise(speaker, speak("the weather is nice today"))
    assert speaker.has_decoder
    assert sum(workers.load()) == sum(base) + 1
    assert sum(entry["leased"] or 0 for entry in workers.decoder_stats()) == leased + 1
    speaker.close()
    silent.close()
    assert workers.load() == base
    assert sum(entry["leased"] or 0 for entry in workers.decoder_stats()) == leased


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_close_frees_the_decoder_in_the_worker_at_once(
    speak: Callable[..., Int16Array],
) -> None:
    """No garbage collection involved (the recognisers stay referenced): ``close`` alone gets
    the worker back to one warm decoder and to its memory before the burst."""
    pool = RecognitionWorkers(1)
    try:
        (pid,) = pool.pids
        assert pid is not None
        audio = speak("please call my brother tomorrow")
        warm = pool.recognizer()
        recognise(warm, audio)  # first-use costs of decoding, then back to the pool
        warm.close()
        (before,) = pool.decoder_stats()
        baseline = rss_mb(pid)
        recognizers = [pool.recognizer() for _ in range(3)]
        for recognizer in recognizers:
            recognizer.start_utterance()
            recognizer.feed(audio[: audio.size // 2])  # closed mid-utterance below
        assert pool.decoder_stats()[0]["leased"] == 3
        peak = rss_mb(pid)
        for recognizer in recognizers:
            recognizer.close()
            recognizer.close()  # idempotent
        (after,) = pool.decoder_stats()  # answered after the worker handled every close
        assert (after["leased"], after["idle"]) == (0, 1) == (before["leased"], before["idle"])
        assert pool.load() == [0]
        freed = rss_mb(pid)
        print(f"worker RSS: {baseline:.0f} MB, 3 decoders {peak:.0f} MB, closed {freed:.0f} MB")
        assert peak - baseline > 100  # the decoders were real
        assert freed - baseline < 50
        with pytest.raises(RuntimeError, match="closed"):
            recognizers[0].start_utterance()
    finally:
        pool.close()


def test_unknown_words_fail_in_the_caller(workers: RecognitionWorkers) -> None:
    with pytest.raises(ValueError, match="zzyzxq"):
        workers.recognizer(["zzyzxq blorptang"])


def test_a_lost_worker_is_reported_not_hung(speak: Callable[..., Int16Array]) -> None:
    pool = RecognitionWorkers(1)
    try:
        recognizer = pool.recognizer(PHRASES)
        pid = recognizer.worker_pid
        assert pid is not None
        os.kill(pid, signal.SIGKILL)
        with pytest.raises(EngineUnavailableError, match=f"pid {pid}"):
            recognise(recognizer, speak(PHRASES[1]))
    finally:
        pool.close()


def test_workers_start_on_first_use_and_stop_on_release() -> None:
    assert isinstance(make_recognizer(PHRASES), PocketSphinxRecognizer)  # none asked for
    acquire_recognition_workers(1)
    try:
        assert running_recognition_workers() is None  # not until a recogniser needs one
        remote = make_recognizer(PHRASES)
        assert isinstance(remote, RemoteRecognizer)
        workers = running_recognition_workers()
        assert workers is not None
        processes = list(workers._workers)
    finally:
        release_recognition_workers()
    assert running_recognition_workers() is None
    assert all(worker.process.poll() is not None for worker in processes)  # exited


def test_workers_that_cannot_start_fall_back_to_this_process(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(sys, "executable", "/nonexistent/python")  # the spawn itself fails
    acquire_recognition_workers(1)
    try:
        with caplog.at_level(logging.WARNING):
            recognizer = make_recognizer(PHRASES)
        assert isinstance(recognizer, PocketSphinxRecognizer)
        assert "decoding in-process" in caplog.text
        assert running_recognition_workers() is None
    finally:
        release_recognition_workers()


def test_the_command_line_worker_setting() -> None:
    cpus = os.cpu_count() or 1
    assert stt_workers_for("auto", None) == (min(4, cpus) if cpus > 1 else 0)
    assert stt_workers_for("auto", "deterministic") == 0  # no PocketSphinx there
    assert stt_workers_for(3, "deterministic") == 3  # asked for explicitly
    parser = build_parser()
    assert parser.parse_args(["emulator", "--stt-workers", "2"]).stt_workers == 2
    for bad in ("17", "many"):
        with pytest.raises(SystemExit):
            parser.parse_args(["emulator", "--stt-workers", bad])
