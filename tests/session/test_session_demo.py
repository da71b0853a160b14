"""The headless demo end to end: child-process emulator, synthesised microphone audio."""

from __future__ import annotations

import pytest

from nextevi_widgets._demo import DEFAULT_SENTENCES, run_headless, words_heard
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
    assert "0.60 s silence wait + " in out
    assert "[said] Hello there, how are you today?" in out
    assert "6/6 words heard" in out
    assert "api_key=oak" not in out


def test_words_heard_counts_the_said_words_in_order() -> None:
    assert words_heard("Hello, my name is Sam.", "hello my name is sam") == (5, 5)
    assert words_heard(
        "Can you remind me to water the plants?", "can you were my me to water the plants"
    ) == (7, 8)
    assert words_heard("Hello there", "") == (0, 2)


@pytest.mark.slow
@pytest.mark.engines
async def test_run_headless_with_a_natural_voice_is_understood_and_answered(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Piper speaks the default sentences into the quality profile: the transcripts match
    what was said, and the replies follow it (the name, the reminder in the user's words)."""
    pytest.importorskip("piper")
    pytest.importorskip("faster_whisper")
    messages = await run_headless(profile="whisper", realtime=False)
    out = capsys.readouterr().out
    assert "Microphone: Piper" in out
    users = [m["text"] for m in messages if m["role"] == "user"]
    replies = [m["text"] for m in messages if m["role"] == "assistant"]
    assert len(users) == len(DEFAULT_SENTENCES) == len(replies)
    for said, heard in zip(DEFAULT_SENTENCES, users, strict=True):
        right, total = words_heard(said, heard)
        assert right >= total - 1, (said, heard)
    assert "Sam" in replies[0]
    assert "water the plants on Friday" in replies[1]
    assert out.count("s silence wait + ") == 2
