"""Intent recognition on many phrasings, as Whisper writes them (casing, punctuation) and as
PocketSphinx does (lower case, no punctuation: each phrasing is also tried in that form)."""

from __future__ import annotations

import pytest

from nextevi_widgets.emulator.engines.intents import normalise, parse, reflect, strip_fillers

PHRASINGS: dict[str, tuple[str, ...]] = {
    "reminder": (
        "Can you remind me to water the plants on Friday?",
        "Remind me to call my mother tomorrow.",
        "Please set a reminder to pay the rent on the first.",
        "Could you set me a reminder for the dentist appointment?",
        "Don't let me forget to pick up the kids at four.",
        "Hey, would you remind me about the meeting at 3 pm?",
        "I need you to remind me that the library books are due.",
        "Make a note to buy batteries.",
        "Create a reminder: renew my passport.",
    ),
    "timer": (
        "Set a timer for ten minutes.",
        "Can you start a timer for 25 minutes please?",
        "Timer, five minutes.",
        "I need a timer for half an hour.",
        "Start a countdown for thirty seconds.",
    ),
    "alarm": (
        "Set an alarm for 6:30 am.",
        "Wake me up at seven thirty.",
        "Could you set an alarm for tomorrow at eight?",
        "Please wake me at 5 o'clock.",
    ),
    "time": (
        "What time is it?",
        "What's the time?",
        "Do you know the time?",
        "Could you tell me the time, please?",
        "Hey, what time is it right now?",
        "Sorry, have you got the time?",
    ),
    "date": (
        "What's the date today?",
        "What is today's date?",
        "What day is it?",
        "Which day is today?",
        "What's today?",
        "Can you tell me what year it is?",
    ),
    "how_are_you": (
        "How are you?",
        "How are you doing today?",
        "How's it going?",
        "How have you been?",
        "Are you doing okay?",
        "What's up?",
        "How's your day been?",
    ),
    "about_me": (
        "Who are you?",
        "What are you?",
        "What's your name?",
        "Tell me about yourself.",
        "Are you a robot?",
        "Are you real?",
        "So how do you work?",
        "Could you introduce yourself?",
    ),
    "capabilities": (
        "What can you do?",
        "How can you help me?",
        "What are you good at?",
        "What do you do?",
    ),
    "recall_name": (
        "What's my name?",
        "Do you remember my name?",
        "Who am I?",
    ),
    "recall_topic": (
        "What were we talking about?",
        "Where were we?",
        "What did I say before?",
    ),
    "goodbye": (
        "Goodbye!",
        "Okay, bye bye.",
        "See you later.",
        "Good night!",
        "Talk to you soon.",
        "That's all for now, thanks.",
        "I have to go now.",
        "Have a nice day!",
    ),
    "feeling": (
        "I'm feeling really sad today.",
        "I feel great!",
        "I am so tired of all this.",
        "I've been feeling anxious lately.",
        "Honestly, I was pretty upset yesterday.",
    ),
    "question": (
        "Why is the sky blue?",
        "Where is the nearest train station?",
        "Should I take an umbrella?",
        "Is it going to rain tomorrow?",
        "Who wrote Pride and Prejudice?",
    ),
    "statement": (
        "I went to the market and bought some bread.",
        "My brother is visiting next week.",
        "The weather was lovely this morning.",
        "We watched a film last night.",
    ),
}


def _cases() -> list[tuple[str, str]]:
    cases = []
    for intent, phrasings in PHRASINGS.items():
        for text in phrasings:
            cases.append((intent, text))
            cases.append((intent, normalise(text)))  # the PocketSphinx form
    return cases


@pytest.mark.parametrize(("intent", "text"), _cases())
def test_main_intent(intent: str, text: str) -> None:
    assert parse(text).main == intent


@pytest.mark.parametrize(
    ("text", "slot"),
    [
        ("Can you remind me to water the plants on Friday?", "water the plants on Friday"),
        ("can you remind me to water the plants on friday", "water the plants on friday"),
        ("Remind me to call my mother tomorrow, please.", "call my mother tomorrow"),
        ("Don't let me forget to buy milk.", "buy milk"),
        ("Could you remind me about the meeting at 3 pm?", "the meeting at 3 pm"),
        ("Set a reminder that the car needs an oil change.", "the car needs an oil change"),
        ("Set a timer for 10 minutes please.", "10 minutes"),
        ("set a timer for ten minutes", "ten minutes"),
        ("I need a timer for half an hour.", "half an hour"),
        ("Set an alarm for 6:30 am.", "6:30 am"),
        ("wake me up at seven thirty", "seven thirty"),
    ],
)
def test_slots_keep_the_users_words(text: str, slot: str) -> None:
    assert parse(text).slot == slot


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("Hello, my name is Sam.", "Sam"),
        ("hello my name is sam", "Sam"),
        ("Hi there, I'm Anna.", "Anna"),
        ("hi im anna", "Anna"),
        ("You can call me Jo.", "Jo"),
        ("call me jo", "Jo"),
        ("I'm tired.", None),
        ("i'm hungry", None),
        ("I'm going to the shop.", None),
        ("i am really happy", None),
    ],
)
def test_the_users_name(text: str, name: str | None) -> None:
    assert parse(text).name == name


@pytest.mark.parametrize(
    ("text", "greeting", "thanks"),
    [
        ("Hi! Can you remind me to call Bob?", True, False),
        ("good morning how are you", True, False),
        ("Hey there.", True, False),
        ("Thanks a lot!", False, True),
        ("thank you so much that helps", False, True),
        ("Cheers, that's great.", False, True),
        ("The weather is nice.", False, False),
        ("They say hi to you.", False, False),
    ],
)
def test_social_parts(text: str, greeting: bool, thanks: bool) -> None:
    parsed = parse(text)
    assert (parsed.greeting, parsed.thanks) == (greeting, thanks)


def test_topics_and_reflection() -> None:
    assert parse("I'm worried about my exam tomorrow.").topic == "my exam"
    assert parse("i had a fight with my sister").topic == "my sister"
    assert parse("The weather is nice.").topic is None
    assert reflect("call my mother, I am late") == "call your mother, you are late"
    assert reflect("you told me") == "I told you"
    assert strip_fillers("Oh hi, so I went home") == "I went home"
    assert normalise("It’s  “Friday”, OK?") == "it's friday ok"
