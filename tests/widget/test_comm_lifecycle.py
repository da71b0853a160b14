"""A front end that closes the widget's comm without closing the widget (marimo, when the
widget's cell re-runs or is deleted) stops the session the widget owns, and only that one."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable
from typing import Any

from nextevi_widgets.session import VoiceSession
from nextevi_widgets.widget import VoiceChat


async def eventually(predicate: Callable[[], Any], timeout: float = 20.0) -> Any:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not (value := predicate()):
        if loop.time() > deadline:
            raise TimeoutError("condition not reached")
        await asyncio.sleep(0.02)
    return value


def _port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(1.0)
        return sock.connect_ex(("127.0.0.1", port)) == 0


async def test_closing_the_comm_stops_the_owned_session_and_its_emulator() -> None:
    widget = VoiceChat(config_id="deterministic", emulator="process")
    widget.connect()
    await widget.session.wait_until("connected", timeout=60)
    url = widget.session.url
    assert url is not None
    port = int(url.split("://", 1)[1].split("/", 1)[0].rsplit(":", 1)[1])
    comm = widget.comm
    assert comm is not None
    comm.close()  # what marimo's cell lifecycle does to the old widget on a re-run
    await eventually(lambda: widget.session.state == "disconnected", timeout=20)
    await eventually(lambda: not _port_open(port), timeout=20)
    assert widget.comm is None


async def test_closing_the_comm_leaves_a_session_passed_in_running() -> None:
    session = VoiceSession(config_id="deterministic", emulator="inprocess")
    session.start()
    await session.wait_until("connected", timeout=30)
    widget = VoiceChat(session=session)
    assert widget.comm is not None
    widget.comm.close()
    await asyncio.sleep(0.2)
    assert session.state == "connected"
    widget.close()  # closing again is harmless
    task = session.close()
    assert task is not None
    await task
