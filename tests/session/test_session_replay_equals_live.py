"""A recording of a live session with a player and a barge-in folds back to the live state."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from nextevi_widgets.client.messages import Interruption, TTSChunk
from nextevi_widgets.conversation import (
    Conversation,
    LocalEvent,
    PlaybackProgress,
    PlaybackStarted,
    PlayerAttached,
)
from nextevi_widgets.recording import Recording
from nextevi_widgets.session import VoiceSession

LEAD = 0.4
"""Seconds a player buffers before it starts a reply (enough for the player's reports and the
arrival-time estimate to disagree by whole words)."""


@dataclass
class _Playing:
    chunk_id: str
    start: float
    samples: int
    rate: int
    done: asyncio.TimerHandle


class RealTimePlayer:
    """An audio sink that plays chunks back to back in real time on the loop and reports as
    the widget's player does: the scheduled start of each chunk, its progress when it ends,
    the final counts of what was flushed, and an empty queue."""

    def __init__(self, session: VoiceSession) -> None:
        self.session = session
        self.loop = asyncio.get_running_loop()
        self.end = 0.0
        self.queue: list[_Playing] = []
        self.reports = 0
        self.stops: list[str] = []

    def _later(self, fn: Callable[..., None], *args: object) -> None:
        # A page's reports reach the kernel as later messages, never inside the call.
        self.loop.call_soon(fn, *args)

    def on_chunk(self, chunk: TTSChunk) -> None:
        now = self.loop.time()
        start = max(now + LEAD, self.end)
        seconds = chunk.num_samples / chunk.sample_rate
        self.end = start + seconds
        chunk_id = chunk.chunk_id or ""
        epoch_ms = (time.time() + (start - now)) * 1000.0
        self._later(self.session.report_playback_started, chunk_id, epoch_ms)
        done = self.loop.call_at(self.end, self._finished, chunk_id)
        self.queue.append(_Playing(chunk_id, start, chunk.num_samples, chunk.sample_rate, done))

    def _finished(self, chunk_id: str) -> None:
        playing = next(p for p in self.queue if p.chunk_id == chunk_id)
        self.queue.remove(playing)
        self.reports += 1
        self.session.report_playback(chunk_id, playing.samples, playing.samples)
        if not self.queue:
            self.session.report_playback_stats(0, 0.0)

    def on_stop(self, reason: str) -> None:
        self.stops.append(reason)
        now = self.loop.time()
        for playing in self.queue:
            playing.done.cancel()
            played = round(max(0.0, now - playing.start) * playing.rate)
            played = min(played, playing.samples)
            self._later(
                self.session.report_playback, playing.chunk_id, played, playing.samples, True
            )
        self.queue.clear()
        self.end = now
        self._later(self.session.report_playback_stats, 0, 0.0)


async def test_a_replayed_recording_is_the_live_session(
    make_session: Callable[..., VoiceSession], speech_wav: Path, tmp_path: Path
) -> None:
    session = make_session()
    player = RealTimePlayer(session)
    recorder = session.record(tmp_path / "live")
    session.add_audio_sink(player.on_chunk, player.on_stop)
    session.start()
    session.say("thanks")
    # Barge in once the player has played part of the reply.
    await session.wait_until(lambda s: player.reports >= 1, timeout=30)
    assert session.is_assistant_speaking
    await session.send_file(str(speech_wav), realtime=True, trailing_silence=0.5)

    def interrupted(s: VoiceSession) -> bool:
        return any(m["role"] == "assistant" and m["interrupted"] for m in s.messages)

    await session.wait_until(interrupted, timeout=30)
    # The next user turn and its reply, played out to the end.
    await session.wait_until(
        lambda s: sum(m["role"] == "user" and m["is_final"] for m in s.messages) == 2,
        timeout=30,
    )
    await session.wait_until(lambda s: len(s.latency) == 2 and s.latency[-1]["first_played"])
    await session.wait_until(lambda s: not s.is_assistant_speaking, timeout=30)

    recorder.close()
    live_messages, live_latency = list(session.messages), list(session.latency)

    recording = Recording.load(tmp_path / "live")
    replayed = recording.conversation
    assert "interruption" in player.stops
    kinds = {type(e.event) for e in recording.events}
    assert {PlayerAttached, PlaybackStarted, PlaybackProgress, Interruption} <= kinds
    # The whole fold, not just a summary of it.
    assert recording.transcript == live_messages
    assert recording.latency == live_latency
    assert replayed.heard_text() == {
        m["id"]: m["heard_text"] for m in live_messages if m["role"] == "assistant"
    }
    cut = [m for m in live_messages if m["role"] == "assistant" and m["interrupted"]]
    assert cut
    assert cut[0]["heard_text"]
    assert str(cut[0]["text"]).startswith(str(cut[0]["heard_text"]))
    # The player's reports, not the estimate, timed the first sample heard...
    assert live_latency[0]["played_estimated"] is False
    # ...and they matter here: without them the same events fold to another state.
    unreported = Conversation()
    for item in recording.events:
        if item.event is not None and not isinstance(item.event, LocalEvent):
            unreported.feed(item.event, item.t)
    unreported.advance(replayed.now)
    assert unreported.latency != live_latency
    assert unreported.heard_text() != replayed.heard_text()
