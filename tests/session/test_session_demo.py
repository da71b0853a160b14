"""The headless demo end to end: child-process emulator, synthesised microphone audio."""

from __future__ import annotations

import pytest

from nextevi_widgets._demo import run_headless
from nextevi_widgets.emulator.deterministic import DEFAULT_SCRIPT, RuleResponder


@pytest.mark.slow
async def test_run_headless_prints_the_conversation(capsys: pytest.CaptureFixture[str]) -> None:
    messages = await run_headless(profile="deterministic", realtime=False)

    out = capsys.readouterr().out
    user_text = DEFAULT_SCRIPT[0]
    reply = "".join(RuleResponder().respond(user_text, {}))
    assert [(m["role"], m["text"]) for m in messages] == [("user", user_text), ("assistant", reply)]
    assert f"[user] {user_text}" in out
    assert f"[assistant] {reply}" in out
    assert "top emotions:" in out
    tts_line = next(line for line in out.splitlines() if line.startswith("TTS audio received:"))
    seconds = float(tts_line.split(":")[1].split()[0])
    assert seconds > 1.0
    assert "Latency turn 1" in out
    assert "api_key=oak" not in out
