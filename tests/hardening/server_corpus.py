"""Every server message type, as the wire carries it, for the property tests that rewrite
their strings: the protocol fixtures (``tests/fixtures/protocol``, vendor examples and
reconstructed shapes) plus each model's own superset-dialect form, so no type is missed."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from nextevi_widgets.client import messages as m
from nextevi_widgets.client.messages import iter_server_types

PROTOCOL_DIR = Path(__file__).resolve().parents[1] / "fixtures" / "protocol"

_MODELS: dict[str, m.ServerMessage] = {
    "connection_metadata": m.ConnectionMetadata(connection_id="conn-1", config={"voice": "a"}),
    "transcription": m.Transcription(
        transcript="hello there",
        is_final=True,
        words=(m.Word("hello", 0.0, 0.4),),
        emotions=(m.EmotionScore("joy", 0.5),),
        event_type="normal",
        session_id="s-1",
    ),
    "llm_response_chunk": m.LLMResponseChunk(content="Hi.", is_final=True, generation_id="g-1"),
    "tts_chunk": m.TTSChunk(audio=b"\x01\x00" * 240, chunk_id="c-1", generation_id="g-1"),
    "emotion_update": m.EmotionUpdate(emotions=(m.EmotionScore("calm", 0.4),)),
    "error": m.ErrorMessage(error_code="E", error_message="bad", details={"why": "because"}),
    "tts_interruption": m.Interruption(content="stop"),
    "user_interruption": m.Interruption(kind="user_interruption", content="stop"),
    "turn_complete": m.TurnComplete(transcript="hello", reasons=("silence",)),
    "idle_warning": m.IdleWarning(time_remaining=5.0, warning_type="final_warning"),
    "system_message": m.SystemMessage(content="Welcome", message_type="initial"),
    "status": m.Status(status="ok", message="fine"),
    "websocket.disconnect": m.ServerDisconnect(code=1000, reason="bye"),
}


def base_messages() -> dict[str, dict[str, Any]]:
    """``name -> wire dict`` for every server type (and an unknown one)."""
    corpus: dict[str, dict[str, Any]] = {}
    types = set(iter_server_types())
    for path in sorted(PROTOCOL_DIR.rglob("*.json")):
        data = json.loads(path.read_text())
        if isinstance(data, dict) and data.get("type") in types:
            corpus[str(path.relative_to(PROTOCOL_DIR))] = data
    for name in types:
        corpus[f"model:{name}"] = _MODELS[name].to_wire()
    corpus["unknown"] = {"type": "vendor_extension", "note": "a type this version lacks"}
    assert {d["type"] for d in corpus.values()} >= types, "a server type has no sample"
    return corpus


def rewrite_strings(
    value: Any, leaf: Callable[[str], str], *, keep_type: bool = True, path: str = ""
) -> Any:
    """A copy of ``value`` with every string value (but the top-level ``type`` when
    ``keep_type``) replaced by ``leaf(original)``, and to every object an unmodelled field whose
    key and values are ``leaf`` strings too. Keys stay, so every modelled field is still read."""
    if isinstance(value, str):
        return leaf(value)
    if isinstance(value, list):
        return [rewrite_strings(v, leaf, path=f"{path}[]") for v in value]
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, item in value.items():
            if keep_type and path == "" and key == "type":
                out[key] = item
                continue
            out[key] = rewrite_strings(item, leaf, path=f"{path}.{key}")
        out["x_unmodelled"] = {leaf("note"): leaf("extra"), "items": [leaf("more")]}
        return out
    return copy.deepcopy(value)
