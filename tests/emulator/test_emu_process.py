"""The emulator out of process, the command line, and the bind-address warning."""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from _harness.waiting import eventually
from emu_support import open_conversation, ws_url

from nextevi_widgets.cli import main
from nextevi_widgets.emulator import Emulator, EmulatorProcess


def _alive(pid: int) -> bool:
    """Running (a zombie waiting for its reaper counts as gone)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state != "Z"


async def test_emulator_process_serves_a_connection_and_stops() -> None:
    emu = EmulatorProcess(profile="deterministic")
    await emu.astart()
    pid = emu.pid
    assert pid is not None
    try:
        assert emu.url == f"ws://127.0.0.1:{emu.port}/ws/voice"
        conv = await open_conversation(ws_url(emu.url, config_id="any-config-1"))
        assert conv.messages[0]["config"]["engine_profile"] == "deterministic"
        await conv.ws.send(json.dumps({"type": "text_input", "text": "hello"}))
        final = await conv.until(lambda m: m["type"] == "llm_response_chunk" and m["is_final"])
        assert final["content"]
        await conv.ws.close()
    finally:
        await emu.astop()
    assert not emu.running
    assert not _alive(pid)


def test_emulator_process_exits_when_its_parent_dies(tmp_path: Path) -> None:
    script = tmp_path / "parent.py"
    script.write_text(
        textwrap.dedent(
            """
            import time
            from nextevi_widgets.emulator import EmulatorProcess
            emu = EmulatorProcess(profile="deterministic").start()
            print(emu.pid, flush=True)
            time.sleep(120)
            """
        )
    )
    parent = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True)
    try:
        assert parent.stdout is not None
        child = int(parent.stdout.readline())
        assert _alive(child)
    finally:
        parent.send_signal(signal.SIGKILL)
        parent.wait()
    try:
        eventually(lambda: not _alive(child), timeout=20, interval=0.05, what="the child to exit")
    except TimeoutError:  # do not leak it, then fail
        os.kill(child, signal.SIGKILL)
        pytest.fail("emulator child outlived its parent")


def test_cli_help(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["emulator", "--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    for option in ("--host", "--port", "--profile", "--dialect", "--wav-chunks", "--log-level"):
        assert option in out
    assert main([]) == 2
    result = subprocess.run(
        [sys.executable, "-m", "nextevi_widgets.emulator", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0
    assert "--print-port" in result.stdout


async def test_binding_beyond_loopback_warns(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="nextevi_widgets.emulator.server")
    async with Emulator("127.0.0.1") as emu:
        assert emu.url.startswith("ws://127.0.0.1:")
    assert not [r for r in caplog.records if "beyond loopback" in r.getMessage()]
    async with Emulator("0.0.0.0") as emu:
        assert emu.url == f"ws://127.0.0.1:{emu.port}/ws/voice"
    warnings = [r for r in caplog.records if "beyond loopback" in r.getMessage()]
    assert len(warnings) == 1
    assert warnings[0].levelno == logging.WARNING
