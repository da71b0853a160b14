"""NextEVIClient against the in-process emulator (deterministic engines): a spoken turn, a text
turn, the emulator's auth rejection, and a reconnect across an emulator restart."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from client_servers import TIMEOUT

from nextevi_widgets.client.client import NextEVIClient
from nextevi_widgets.client.errors import AuthenticationError
from nextevi_widgets.client.events import Connected, Disconnected, Event, Reconnected
from nextevi_widgets.client.messages import (
    ConnectionMetadata,
    EmotionUpdate,
    LLMResponseChunk,
    SessionSettings,
    Transcription,
    TTSChunk,
    TurnDetection,
)
from nextevi_widgets.emulator import Emulator, EmulatorAuth
from nextevi_widgets.emulator.deterministic import SyntheticVoice

KEY = "oak_emulatortest_0123456789"
FAST = SessionSettings(turn_detection=TurnDetection(silence_threshold=0.3))


def make_client(emu: Emulator, **kwargs: Any) -> NextEVIClient:
    return NextEVIClient(
        api_key=KEY,
        config_id="deterministic",
        url=emu.url,
        settings=FAST,
        reconnect_base_delay=0.01,
        reconnect_max_delay=0.05,
        **kwargs,
    )


async def read_until(
    client: NextEVIClient, done: type[Event], pred: Callable[[Any], bool] | None = None
) -> list[Event]:
    events: list[Event] = []

    async def run() -> None:
        async for event in client:
            events.append(event)
            if isinstance(event, done) and (pred is None or pred(event)):
                return

    await asyncio.wait_for(run(), TIMEOUT)
    return events


async def test_spoken_turn_through_the_emulator() -> None:
    voice = SyntheticVoice().synthesize("hello there how are you today")
    utterance = np.concatenate(
        [np.zeros(2400, np.int16), voice, np.zeros(24_000, np.int16)]
    ).astype(np.int16)
    async with Emulator(port=0, profile="deterministic") as emu:
        client = make_client(emu)
        await client.connect()
        for start in range(0, len(utterance), 480):  # 20 ms frames, as the widget sends
            await client.send_audio(utterance[start : start + 480])
        events = await read_until(client, TTSChunk)
        await client.close()

    assert isinstance(events[0], Connected)
    meta = next(e for e in events if isinstance(e, ConnectionMetadata))
    assert meta.connection_id == client.connection_id
    finals = [e for e in events if isinstance(e, Transcription) and e.is_final]
    assert finals
    assert finals[-1].transcript.strip()
    assert any(isinstance(e, (EmotionUpdate, LLMResponseChunk)) for e in events)
    tts = events[-1]
    assert isinstance(tts, TTSChunk)
    assert tts.sample_rate == 24_000
    assert tts.num_samples > 0
    assert np.abs(np.frombuffer(tts.audio, dtype="<i2")).max() > 0
    assert client.stats.protocol_errors == 0


async def test_text_turn_and_interrupt_extensions() -> None:
    async with Emulator(port=0, profile="deterministic") as emu:
        client = make_client(emu)
        await client.connect()
        await client.send_text("hello, how are you?")
        events = await read_until(client, LLMResponseChunk, lambda e: e.is_final)
        await client.interrupt()
        await client.close()
        rest = [e async for e in client]
    final = events[-1]
    assert isinstance(final, LLMResponseChunk)
    assert final.content.strip()
    assert isinstance(rest[-1], Disconnected)
    assert rest[-1].error is None


async def test_emulator_auth_rejection_is_an_authentication_error() -> None:
    auth = EmulatorAuth(api_keys=frozenset({"oak_the_only_valid_key_000"}))
    async with Emulator(port=0, profile="deterministic", auth=auth) as emu:
        client = make_client(emu)
        client.first_frame_grace = TIMEOUT
        with pytest.raises(AuthenticationError) as info:
            await client.connect()
    assert info.value.code == 4001
    assert KEY not in str(info.value)
    assert client.state == "error"


async def test_reconnects_across_an_emulator_restart() -> None:
    first = Emulator(port=0, profile="deterministic")
    await first.start()
    port = first.port
    client = make_client(first, max_reconnect_attempts=20)
    await client.connect()
    first_id = client.connection_id
    await read_until(client, ConnectionMetadata)
    await first.stop()  # closes with 1001 "going away": the client retries
    async with Emulator(port=port, profile="deterministic") as second:
        events = await read_until(client, ConnectionMetadata)
        assert second.connections == 1
        await client.close()
    reconnected = [e for e in events if isinstance(e, Reconnected)]
    assert len(reconnected) == 1
    assert client.connection_id != first_id
    meta = events[-1]
    assert isinstance(meta, ConnectionMetadata)
    assert meta.connection_id == client.connection_id
