"""Failures against scripted ``websockets`` servers on 127.0.0.1: a dropped connection is
retried on a fresh one, rejected credentials are not (error row, the run stops), an in-band
server error is an error row that keeps the events."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import numpy as np
from _harness.scripted_server import Connection, ScriptedServer
from client_servers import KEY

from nextevi_widgets.batch import BatchSummary, arun_batch
from nextevi_widgets.client.messages import (
    ErrorMessage,
    LLMResponseChunk,
    Transcription,
    TTSChunk,
)
from nextevi_widgets.dataset import SessionDataset

GUARD = 60.0


async def _converse(session: Connection) -> None:
    """A minimal server turn: metadata, wait for some audio, a transcript and a short reply."""
    await session.send_metadata()
    frames = 0
    while frames < 5:
        if isinstance(await session.next_frame(), bytes):
            frames += 1
    await session.send(Transcription(transcript="hello", is_final=True, is_speech_final=True))
    await session.send(LLMResponseChunk(content="Hi.", is_final=True, generation_id="g1"))
    audio = np.zeros(2400, dtype="<i2").tobytes()
    await session.send(TTSChunk(audio=audio, chunk_id="g1-0", is_last=True, generation_id="g1"))
    await session.drain()


async def _run(server: ScriptedServer, inputs: Any, out: Path, **options: Any) -> BatchSummary:
    options = {
        "url": server.url,
        "api_key": KEY,
        "config_id": "cfg-1",
        "realtime": False,
        "progress": False,
        "trailing_silence": 0.2,
        "quiet_period": 0.5,
        "retry_delay": 0.01,
        **options,
    }
    return await asyncio.wait_for(arun_batch(inputs, out, **options), GUARD)


async def test_a_dropped_connection_is_retried_on_a_fresh_one(
    spoken: list[Path], tmp_path: Path
) -> None:
    async def script(session: Connection) -> None:
        if session.index == 0:
            await session.ws.close(1011, "internal error")
            return
        await _converse(session)

    async with ScriptedServer(script) as server:
        summary = await _run(server, spoken[:1], tmp_path / "ds")
    assert (summary.succeeded, summary.failed, summary.retries) == (1, 0, 1)
    assert len(server.sessions) == 2
    dataset = SessionDataset.open(tmp_path / "ds")
    sessions = dataset.df("sessions")
    assert sessions["error"].isna().all()
    assert '"attempts": 2' in sessions["meta"][0]
    # Only the successful attempt is recorded: one connection, its turn and reply.
    assert sessions["connection_id"][0] == server.sessions[1].connection_id
    turns = dataset.df("turns")
    assert list(turns["text"]) == ["hello", "Hi."]


async def test_retries_give_up_with_an_error_row(spoken: list[Path], tmp_path: Path) -> None:
    async def script(session: Connection) -> None:
        await session.ws.close(1013, "TOO_MANY_CONNECTIONS")

    async with ScriptedServer(script) as server:
        summary = await _run(server, spoken[:2], tmp_path / "ds", retries=2)
    assert (summary.succeeded, summary.failed, summary.retries) == (0, 2, 4)
    assert len(server.sessions) == 6
    assert all("gave up after 3 attempts" in f.error for f in summary.failures)
    assert all("1013" in f.error for f in summary.failures)
    assert summary.stopped is None


async def test_rejected_credentials_are_not_retried_and_stop_the_run(
    spoken: list[Path], tmp_path: Path
) -> None:
    async def script(session: Connection) -> None:
        await session.ws.close(4001, "AUTH_FAILED")

    async with ScriptedServer(script) as server:
        summary = await _run(server, spoken, tmp_path / "ds", concurrency=1)
    assert server.attempts == 1  # no retry, and no further input tried
    assert (summary.failed, summary.retries, summary.not_run) == (1, 0, 2)
    assert summary.stopped is not None
    assert "4001" in summary.stopped
    assert "AUTH_FAILED" in summary.stopped
    assert KEY not in summary.stopped
    sessions = SessionDataset.open(tmp_path / "ds").df("sessions")
    assert len(sessions) == 1
    assert "AUTH_FAILED" in sessions["error"][0]


async def test_an_in_band_server_error_is_an_error_row_with_the_events(
    spoken: list[Path], tmp_path: Path
) -> None:
    async def script(session: Connection) -> None:
        await session.send_metadata()
        await session.next_frame()
        await session.send(Transcription(transcript="hel", is_final=False, event_type="normal"))
        await session.send(
            ErrorMessage(
                error_code="ENGINE_ERROR",
                error_message="speech processing failed",
                details={"stage": "listen"},
            )
        )
        await session.drain()

    async with ScriptedServer(script) as server:
        summary = await _run(server, spoken[:2], tmp_path / "ds")
    assert (summary.succeeded, summary.failed, summary.retries) == (0, 2, 0)
    assert len(server.sessions) == 2  # the run went on to the next input
    dataset = SessionDataset.open(tmp_path / "ds")
    sessions = dataset.df("sessions")
    assert all(
        e == "server error ENGINE_ERROR: speech processing failed" for e in sessions["error"]
    )
    assert (sessions["n_events"] > 5).all()  # what was received is kept
    assert set(dataset.df("errors")["code"]) >= {"ENGINE_ERROR"}


async def test_a_fatal_close_mid_input_keeps_its_events_and_the_run_goes_on(
    spoken: list[Path], tmp_path: Path
) -> None:
    async def script(session: Connection) -> None:
        await session.send_metadata()
        await session.next_frame()
        await session.send(Transcription(transcript="hel", is_final=False, event_type="normal"))
        await session.ws.close(4004, "CONFIG_NOT_FOUND")

    async with ScriptedServer(script) as server:
        summary = await _run(server, spoken[:2], tmp_path / "ds")
    assert (summary.failed, summary.retries, summary.stopped) == (2, 0, None)
    assert len(server.sessions) == 2
    sessions = SessionDataset.open(tmp_path / "ds").df("sessions")
    assert all("4004" in e and "CONFIG_NOT_FOUND" in e for e in sessions["error"])
    assert (sessions["n_events"] > 3).all()  # metadata, the interim, the frames sent
