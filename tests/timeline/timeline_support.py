"""Helpers for timeline tests."""

from __future__ import annotations

from nextevi_widgets.session import VoiceSession


def reply_finished(session: VoiceSession, replies: int = 1) -> bool:
    done = [m for m in session.messages if m["role"] == "assistant" and m["is_final"]]
    return len(done) >= replies and not session.is_assistant_speaking
