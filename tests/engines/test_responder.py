"""The rule responder answers the user's words and emotion, remembers, and streams."""

from __future__ import annotations

from nextevi_widgets.emulator.engines.base import Responder
from nextevi_widgets.emulator.engines.responder import RuleResponder, stream_words

NEUTRAL = {"neutral": 0.8, "joy": 0.1}


def reply(responder: RuleResponder, text: str, emotions: dict[str, float]) -> tuple[str, list[str]]:
    deltas = list(responder.respond(text, emotions))
    return "".join(deltas), deltas


def test_deltas_join_to_the_full_reply() -> None:
    responder = RuleResponder()
    assert isinstance(responder, Responder)
    full, deltas = reply(responder, "I feel terrible and sad about my job", {"sadness": 0.9})
    assert len(deltas) == len(full.split())
    assert full == responder.memory.turns[-1].assistant
    assert list(stream_words("a  b\tc")) == ["a  ", "b\t", "c"]


def test_reply_reflects_the_feeling_and_topic() -> None:
    full, _ = reply(RuleResponder(), "I feel terrible and sad about my job", {"sadness": 0.9})
    assert "sorry" in full.lower()
    assert "terrible" in full
    assert "your job" in full


def test_detected_emotion_changes_the_reply() -> None:
    text = "The meeting got moved to Friday"
    angry, _ = reply(RuleResponder(), text, {"anger": 0.7, "neutral": 0.2})
    calm, _ = reply(RuleResponder(), text, NEUTRAL)
    assert angry != calm
    assert "frustrating" in angry


def test_text_valence_overrides_a_weak_voice_signal() -> None:
    happy, _ = reply(RuleResponder(), "I am so happy today", {"neutral": 0.5, "sadness": 0.2})
    sad, _ = reply(RuleResponder(), "I feel awful and lonely", {"neutral": 0.5, "joy": 0.2})
    assert "glad" in happy
    assert "happy" in happy
    assert "sorry" in sad.lower()


def test_memory_keeps_the_name_and_refers_back_to_the_topic() -> None:
    responder = RuleResponder()
    greeting, _ = reply(responder, "Hello, my name is Sam", NEUTRAL)
    assert "Sam" in greeting
    reply(responder, "I have been worried about my exam", {"fear": 0.6})
    thanks, _ = reply(responder, "Thanks", NEUTRAL)
    assert "Sam" in thanks
    assert "your exam" in thanks
    bye, _ = reply(responder, "Okay, goodbye", NEUTRAL)
    assert bye.startswith("Goodbye, Sam")
    assert "exam" in bye
    assert len(responder.memory.turns) == 4


def test_memory_is_per_responder() -> None:
    first = RuleResponder()
    reply(first, "Hello, my name is Sam", NEUTRAL)
    fresh, _ = reply(RuleResponder(), "Thanks", NEUTRAL)
    assert "Sam" not in fresh


def test_questions_and_empty_input() -> None:
    responder = RuleResponder()
    answer, _ = reply(responder, "What time is it?", {"confusion": 0.5})
    assert "question" in answer
    empty, _ = reply(responder, "  ", {})
    assert "didn't catch" in empty
