"""Starting, closing and configuring a session: kernel rules, emulator choice, secrets."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable

import pytest
from session_support import API_KEY

from nextevi_widgets.session import SessionError, VoiceSession


def test_start_without_a_running_loop_raises_a_clear_error() -> None:
    session = VoiceSession(emulator="inprocess")
    with pytest.raises(RuntimeError, match="running asyncio event loop"):
        session.start()
    with pytest.raises(RuntimeError, match="running asyncio event loop"):
        VoiceSession(emulator="inprocess", autostart=True)
    assert session.state == "disconnected"


async def test_start_returns_a_task_at_once_and_runs_in_the_background(
    make_session: Callable[..., VoiceSession],
) -> None:
    session = make_session()
    states: list[str] = []
    session.observe(lambda change: states.append(change["new"]), names=["state"])
    task = session.start()
    # No await has happened yet: the runner has not run a single step.
    assert isinstance(task, asyncio.Task)
    assert not task.done()
    assert session.state == "connecting"
    assert session.start() is task  # idempotent while running
    await session.wait_until("connected", timeout=30)
    assert session.is_emulator
    assert session.connection_id
    closing = session.close()
    assert isinstance(closing, asyncio.Task)
    await closing
    assert task.done()
    assert session.state == "disconnected"
    assert states == ["connecting", "connected", "disconnected"]
    assert session.close() is None  # nothing left to close


async def test_autostart_starts_on_the_running_loop(
    make_session: Callable[..., VoiceSession],
) -> None:
    session = make_session(autostart=True)
    assert session.state == "connecting"
    await session.wait_until("connected", timeout=30)


def test_emulator_auto_depends_on_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NEXTEVI_API_KEY", raising=False)
    monkeypatch.delenv("NEXTEVI_ACCESS_TOKEN", raising=False)
    assert VoiceSession().is_emulator
    assert not VoiceSession(api_key=API_KEY).is_emulator
    assert not VoiceSession(emulator=False).is_emulator
    monkeypatch.setenv("NEXTEVI_ACCESS_TOKEN", "jwt-token-from-env-123")
    assert not VoiceSession().is_emulator
    assert VoiceSession(emulator="process").is_emulator
    with pytest.raises(ValueError, match="emulator must be"):
        VoiceSession(emulator="sometimes")  # type: ignore[arg-type]


def test_secrets_are_absent_from_repr_str_and_traits(monkeypatch: pytest.MonkeyPatch) -> None:
    token = "jwt-secret-token-value-987"
    monkeypatch.setenv("NEXTEVI_ACCESS_TOKEN", token)
    session = VoiceSession(api_key=API_KEY, config_id="cfg-12345678", emulator=False)
    session.report_client_error("mic_denied", f"denied while using {API_KEY}")
    for text in (repr(session), str(session), repr(session.trait_values())):
        assert API_KEY not in text
        assert token not in text
    assert "***" in session.last_error


async def test_wait_until_rejects_unknown_states_and_times_out(
    make_session: Callable[..., VoiceSession],
) -> None:
    session = make_session()
    with pytest.raises(ValueError, match="unknown state"):
        await session.wait_until("ready")
    with pytest.raises(TimeoutError):
        await session.wait_until(lambda s: False, timeout=0.05)


async def test_send_file_before_start_is_an_error(
    make_session: Callable[..., VoiceSession], speech_wav: object
) -> None:
    session = make_session()
    with pytest.raises(SessionError, match="start"):
        await session.send_file(str(speech_wav))


async def test_calls_from_other_threads_update_traits_on_the_loop_thread(
    make_session: Callable[..., VoiceSession],
) -> None:
    session = make_session()
    session.start()
    await session.wait_until("connected", timeout=30)
    loop_thread = threading.get_ident()
    seen: list[int] = []
    session.observe(lambda _change: seen.append(threading.get_ident()), names=["last_error"])

    await asyncio.to_thread(session.report_client_error, "mic_denied", "permission denied")
    await asyncio.to_thread(session.send_audio, bytes(960))
    await session.wait_until(lambda s: s.last_error == "mic_denied: permission denied", 5)

    assert seen == [loop_thread]
    await session.wait_until(lambda s: s.stats.get("frames_sent", 0) >= 1, timeout=5)


async def test_max_messages_stays_in_the_session_and_client_options_reach_the_client(
    make_session: Callable[..., VoiceSession],
) -> None:
    session = make_session(max_messages=2, max_reconnect_attempts=3)
    assert session.max_messages == 2
    session.start()
    await session.wait_until("connected", timeout=30)
    assert session.client is not None
    assert session.client._max_reconnect_attempts == 3
    for i in range(3):
        session.say(f"message number {i}")
    await session.wait_until(lambda s: any("number 2" in m["text"] for m in s.messages), timeout=30)
    assert len(session.messages) <= 2
    assert session.state == "connected"
    assert session.last_error == ""


def test_unknown_options_fail_at_construction() -> None:
    with pytest.raises(TypeError, match="'max_mesages'") as info:
        VoiceSession(emulator="inprocess", max_mesages=10)  # type: ignore[call-arg]
    assert "did you mean 'max_messages'?" in str(info.value)
    with pytest.raises(TypeError, match="'colour'") as info:
        VoiceSession(emulator="inprocess", colour="blue")  # type: ignore[call-arg]
    assert "max_queued_frames" in str(info.value)  # nothing close: the valid names are listed


async def test_stats_are_final_when_the_state_says_the_session_stopped(
    make_session: Callable[..., VoiceSession],
) -> None:
    # Stats refresh once a second; whoever waits for "disconnected" must read the final counts.
    session = make_session()
    session.start()
    await session.wait_until("connected", timeout=30)
    for _ in range(20):
        session.send_audio(bytes(960))
    # On the wire (the client's counter); the stats trait has not refreshed yet.
    await session.wait_until(
        lambda s: s.client is not None and s.client.stats.frames_sent >= 20, timeout=10
    )
    at_stop: list[int] = []
    session.observe(
        lambda change: (
            at_stop.append(session.stats.get("frames_sent", -1))
            if change["new"] == "disconnected"
            else None
        ),
        names=["state"],
    )
    closing = session.close()
    assert closing is not None
    await closing
    assert at_stop == [20]
