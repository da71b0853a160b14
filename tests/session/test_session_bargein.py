"""Barge-in against the in-process emulator: what the user heard of an interrupted reply."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from _harness.waiting import eventually_async

from nextevi_widgets.client.messages import Interruption, TTSChunk
from nextevi_widgets.session import VoiceSession


def assistant(session: VoiceSession, index: int = 0) -> dict[str, object]:
    return [m for m in session.messages if m["role"] == "assistant"][index]


async def test_local_interrupt_uses_the_players_reports(
    make_session: Callable[..., VoiceSession],
) -> None:
    session = make_session()
    chunks: list[TTSChunk] = []
    stops: list[str] = []
    session.add_audio_sink(chunks.append, stops.append)
    incoming: list[object] = []
    session.on_event(lambda direction, event, _t: incoming.append(event))
    session.start()
    session.say("thanks")
    await eventually_async(lambda: len(chunks) >= 3, timeout=30)
    assert session.is_assistant_speaking

    # What the widget reports: chunk 0 played in full, chunk 1 half-way.
    first, second, third = chunks[:3]
    session.report_playback(first.chunk_id or "", first.num_samples, first.num_samples)
    session.report_playback(second.chunk_id or "", second.num_samples // 2, second.num_samples)
    session.interrupt()

    reply = assistant(session)
    text = str(reply["text"])
    heard = str(reply["heard_text"])
    assert stops == ["user"]
    assert reply["interrupted"] is True
    assert heard
    assert text.startswith(heard)
    assert len(heard) < len(text)
    assert not session.is_assistant_speaking
    received = len(chunks)

    # The player's final counts after the flush arrive later and extend what was heard.
    session.report_playback(
        second.chunk_id or "", second.num_samples, second.num_samples, flushed=True
    )
    session.report_playback(
        third.chunk_id or "", third.num_samples, third.num_samples, flushed=True
    )
    later = str(assistant(session)["heard_text"])
    assert text.startswith(later)
    assert len(later) > len(heard)
    assert session.latency[-1]["played_estimated"] is False
    assert session.latency[-1]["first_played"] is not None
    # The server confirms the stop; audio of that reply still in flight is not played.
    await eventually_async(lambda: any(isinstance(e, Interruption) for e in incoming), timeout=10)
    assert len(chunks) == received


async def test_server_barge_in_headless_estimate(
    make_session: Callable[..., VoiceSession], speech_wav: Path
) -> None:
    session = make_session()
    session.start()
    session.say("thanks")

    def reply_half_played(s: VoiceSession) -> bool:
        record = s.latency[-1] if s.latency else None
        if record is None or record["first_tts_chunk"] is None:
            return False
        return s.clock > record["first_tts_chunk"] + 0.4

    await session.wait_until(reply_half_played, timeout=30)
    assert session.is_assistant_speaking
    # The user talks over the reply; the emulator hears it and interrupts.
    await session.send_file(str(speech_wav), realtime=False, trailing_silence=0.5)
    await session.wait_until(lambda s: assistant(s)["interrupted"] is True, timeout=30)

    reply = assistant(session)
    text, heard = str(reply["text"]), str(reply["heard_text"])
    assert heard
    assert text.startswith(heard)
    assert len(heard) < len(text)
    assert session.latency[0]["played_estimated"] is True
    # The new utterance becomes the next user message (the reply to it may follow).
    await session.wait_until(
        lambda s: sum(m["role"] == "user" and m["is_final"] for m in s.messages) == 2,
        timeout=30,
    )
    roles = [m["role"] for m in session.messages]
    assert roles[:3] == ["user", "assistant", "user"]
