"""The rule responder answers what was said, with the user's words, remembers, never repeats
itself, and streams. Each phrasing is tried as Whisper writes it and as PocketSphinx does."""

from __future__ import annotations

import re
from datetime import datetime

import pytest

from nextevi_widgets.emulator.engines.base import Responder
from nextevi_widgets.emulator.engines.intents import normalise
from nextevi_widgets.emulator.engines.responder import RuleResponder, stream_words

NEUTRAL = {"neutral": 0.8, "joy": 0.1}
NOW = datetime(2026, 3, 14, 15, 9)


def responder() -> RuleResponder:
    return RuleResponder(clock=lambda: NOW)


def reply(r: RuleResponder, text: str, emotions: dict[str, float] | None = None) -> str:
    return "".join(r.respond(text, NEUTRAL if emotions is None else emotions))


def both_forms(*texts: str) -> list[str]:
    """Each text as Whisper writes it and in PocketSphinx's form."""
    return [form for text in texts for form in (text, normalise(text))]


# (what the user says, a pattern the reply must match). The phrasings differ from the ones
# the intent patterns were written from.
CASES: dict[str, tuple[tuple[str, ...], str]] = {
    "greeting": (("Hello!", "Hi there.", "Hey.", "Good morning!"), r"^(Hello|Hi)\b"),
    "how_are_you": (
        ("How are you?", "Hey, how's it going?", "How have you been lately?"),
        r"(I'm doing well|All good here|I'm fine)",
    ),
    "reminder": (
        (
            "Could you remind me to book a table for Saturday?",
            "Please set a reminder to book a table for Saturday.",
            "Don't let me forget to book a table for Saturday.",
        ),
        r"book a table for saturday",
    ),
    "timer": (
        ("Set a timer for twenty minutes.", "Can you start a timer for twenty minutes?"),
        r"can't run timers offline.*twenty minutes|timer needs the real service.*twenty minutes",
    ),
    "alarm": (
        ("Set an alarm for seven.", "Please wake me up at seven."),
        r"alarms? .*offline.*seven|alarm needs the real service.*seven",
    ),
    "time": (("What time is it?", "Do you know the time?", "What's the time now?"), r"3:09 PM"),
    "date": (
        ("What's the date today?", "What day is it today?", "What is today's date?"),
        r"Saturday, March 14, 2026",
    ),
    "about_me": (
        ("Who are you?", "Are you a robot?", "Tell me about yourself."),
        r"(NextEVI emulator|offline emulator)",
    ),
    "capabilities": (("What can you do?", "How can you help me?"), r"(time and date|note)"),
    "thanks": (("Thank you!", "Thanks a lot.", "Cheers!"), r"(welcome|Any time|Glad to help)"),
    "goodbye": (("Goodbye!", "Okay, see you later.", "Good night."), r"(Goodbye|Bye)"),
    "feeling": (
        ("I'm feeling really sad today.", "I feel so lonely."),
        r"(sorry|hard)",
    ),
}


def _cases() -> list[tuple[str, str, str]]:
    return [
        (intent, text, pattern)
        for intent, (texts, pattern) in CASES.items()
        for text in both_forms(*texts)
    ]


@pytest.mark.parametrize(("intent", "text", "pattern"), _cases())
def test_reply_answers_the_intent(intent: str, text: str, pattern: str) -> None:
    full = reply(responder(), text)
    assert re.search(pattern, full, re.I), f"{intent}: {text!r} -> {full!r}"


@pytest.mark.parametrize(
    "text",
    both_forms(
        "Can you remind me to water the plants on Friday?",
        "Hi! Remind me to water the plants on Friday, please.",
    ),
)
def test_a_reminder_is_answered_with_the_users_own_words(text: str) -> None:
    full = reply(responder(), text)
    assert re.search(
        r"I can't set reminders offline, but: water the plants on friday — noted for this "
        r"session\.",
        full,
        re.I,
    ), full
    assert "Friday" in reply(responder(), "Can you remind me to water the plants on Friday?")


def test_the_users_words_are_reflected() -> None:
    assert "call your mother" in reply(responder(), "Remind me to call my mother tonight.")
    statement = reply(responder(), "I went to the market and bought some bread.")
    assert "you went to the market and bought some bread" in statement.lower()
    question = reply(responder(), "why is the sky blue")
    assert "why is the sky blue" in question.lower()
    assert "offline" in question


def test_fallback_echoes_only_the_first_clause_of_a_long_utterance() -> None:
    text = (
        "I spent the whole afternoon in the garden, but then it started raining and we "
        "had to bring everything back inside before the storm"
    )
    full = reply(responder(), text)
    assert "you spent the whole afternoon in the garden" in full.lower()
    assert "storm" not in full


def test_never_the_same_reply_twice_in_a_row() -> None:
    r = responder()
    sayings = both_forms(
        "hello",
        "What time is it?",
        "Remind me to buy milk.",
        "I went to the shop.",
        "thanks",
        "how are you",
        "Who are you?",
        "",
    )
    for text in sayings:
        previous = None
        for _ in range(4):  # the user repeats themselves
            full = reply(r, text)
            assert full != previous, text
            previous = full


def test_memory_keeps_the_name_and_the_last_topic() -> None:
    r = responder()
    greeting = reply(r, "hello my name is sam")
    assert "Sam" in greeting
    assert "nice to meet you" in greeting.lower()
    reply(r, "I have been worried about my exam", {"fear": 0.6})
    assert "You're Sam" in reply(r, "what's my name") or "Sam" in reply(r, "what is my name")
    assert "your exam" in reply(r, "What were we talking about?")
    thanks = reply(r, "Thanks")
    assert "Sam" in thanks
    assert "your exam" in thanks
    reply(r, "Remind me to bring a pencil.")
    recall = reply(r, "where were we")
    assert "bring a pencil" in recall
    bye = reply(r, "Okay, goodbye")
    assert bye.startswith(("Goodbye, Sam", "Bye, Sam"))
    assert "bring a pencil" in bye
    assert len(r.memory.turns) == 6


def test_memory_is_per_responder_and_unknown_things_are_asked_for() -> None:
    first = responder()
    reply(first, "Hello, my name is Sam")
    fresh = responder()
    assert "Sam" not in reply(fresh, "Thanks")
    assert "name" in reply(fresh, "What's my name?")
    assert "just started" in reply(fresh, "What were we talking about?").lower() or "yet" in (
        reply(fresh, "what were we talking about")
    )


def test_feelings_use_the_words_and_the_detected_emotion() -> None:
    sad = reply(responder(), "I feel terrible and sad about my job", {"sadness": 0.9})
    assert "sorry" in sad.lower()
    assert "terrible" in sad
    assert "your job" in sad
    text = "The meeting got moved to Friday"
    angry = reply(responder(), text, {"anger": 0.7, "neutral": 0.2})
    calm = reply(responder(), text, NEUTRAL)
    assert "frustrating" in angry
    assert "frustrating" not in calm
    happy = reply(responder(), "I am so happy today", {"neutral": 0.5, "sadness": 0.2})
    assert "glad" in happy
    assert "happy" in happy


def test_a_plain_question_gets_no_empathy_from_positive_words() -> None:
    full = reply(responder(), "What is the weather like in Paris?", {"joy": 0.4, "neutral": 0.3})
    assert "glad" not in full
    assert "weather like in paris" in full.lower()


def test_deltas_join_to_the_full_reply() -> None:
    r = responder()
    assert isinstance(r, Responder)
    deltas = list(r.respond("I feel terrible and sad about my job", {"sadness": 0.9}))
    full = "".join(deltas)
    assert len(deltas) == len(full.split())
    assert full == r.memory.turns[-1].assistant
    assert list(stream_words("a  b\tc")) == ["a  ", "b\t", "c"]


def test_empty_input_asks_again() -> None:
    assert "didn't" in reply(responder(), "  ")
