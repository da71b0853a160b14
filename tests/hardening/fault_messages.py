"""Messages the fault tests' scripted servers (``_harness.scripted_server``) send: numbered so
that a test can compare what arrived with what was sent."""

from __future__ import annotations

from nextevi_widgets.client.messages import (
    ConnectionMetadata,
    LLMResponseChunk,
    ServerMessage,
    Transcription,
)


def metadata(connection_id: str = "scripted") -> ServerMessage:
    return ConnectionMetadata(connection_id=connection_id)


def numbered_transcripts(start: int, stop: int) -> list[ServerMessage]:
    """Interim transcriptions ``"word 0"``… that a test can count and order-check."""
    return [Transcription(transcript=f"word {i}", is_final=False) for i in range(start, stop)]


def reply(text: str) -> ServerMessage:
    return LLMResponseChunk(content=text, is_final=True)
