"""What a user utterance asks for: the intents of a first conversation, with their slots.

Recognition works on both recogniser styles: Whisper's ("Hi! Can you remind me to water the
plants on Friday?") and PocketSphinx's (lower case, no punctuation: "hi can you remind me to
water the plants on friday"). Detection runs on a normalised copy (lower case, words only);
slots are cut from the original text so they keep the user's casing.

One utterance can carry a social part (greeting, thanks, the user's name) and one main
intent; :func:`parse` returns both.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

__all__ = [
    "MAIN_INTENTS",
    "Parsed",
    "normalise",
    "parse",
    "reflect",
    "strip_fillers",
    "wordset",
]

MAIN_INTENTS = (
    "goodbye",
    "reminder",
    "timer",
    "alarm",
    "time",
    "date",
    "recall_name",
    "recall_topic",
    "capabilities",
    "about_me",
    "how_are_you",
    "feeling",
    "question",
    "statement",
)
"""Main intents in priority order (the first that matches wins)."""

_APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "`": "'"})
_NOT_WORD = re.compile(r"[^a-z0-9' ]+")


def wordset(text: str) -> frozenset[str]:
    """The space-separated words of ``text`` as a set (for word lists written as prose)."""
    return frozenset(text.split())


def normalise(text: str) -> str:
    """Lower case, words and digits only, single spaces."""
    lowered = text.translate(_APOSTROPHES).lower().replace("-", " ")
    return " ".join(_NOT_WORD.sub(" ", lowered).split())


def _rx(*patterns: str) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{p})" for p in patterns))


# Detection patterns run on normalised text (" "-joined lower-case words).
_GREETING = _rx(
    r"^(?:oh |well |um |uh )?(?:hello|hi|hey|hiya|howdy|greetings|yo)\b",
    r"^(?:oh |well )?good (?:morning|afternoon|evening|day)\b",
    r"\b(?:hello|hi|hey) there\b",
    r"\bnice to meet you\b",
)
_THANKS = _rx(r"\bthank(?:s| you| u)\b", r"\bthanks\b", r"\bcheers\b", r"\bappreciate it\b")
_GOODBYE = _rx(
    r"\b(?:good ?bye|bye bye|bye|farewell)\b",
    r"\bsee you\b",
    r"\bgood night\b",
    r"\btalk (?:to you )?(?:later|soon)\b",
    r"\bthat's all\b",
    r"\bthat is all\b",
    r"\bi(?:'ve| have) got to go\b",
    r"\bi (?:have to|must|need to) go\b",
    r"\bhave a (?:nice|good|great) (?:day|evening|night|one)\b",
)
_HOW_ARE_YOU = _rx(
    r"\bhow are (?:you|ya|things)\b",
    r"\bhow(?:'s| is) it going\b",
    r"\bhow have you been\b",
    r"\bhow(?:'s| is) your day\b",
    r"\bhow do you do\b",
    r"\bwhat(?:'s| is) up\b",
    r"\bare you (?:ok|okay|well|doing (?:ok|okay|well|good))\b",
    r"\bhow(?:'re| are) you doing\b",
    r"\bhow do you feel\b",
)
_REMINDER = _rx(
    r"\bremind me\b",
    r"\b(?:set|make|create|add) (?:a |me a )?reminder\b",
    r"\bdon't let me forget\b",
    r"\bmake a note\b",
    r"\b(?:take|write) (?:a )?note\b",
)
_TIMER = _rx(r"\btimer\b", r"\bcount ?down\b")
_ALARM = _rx(r"\balarm\b", r"\bwake me (?:up )?\b")
_TIME = _rx(
    r"\bwhat(?:'s| is) the time\b",
    r"\bwhat time is it\b",
    r"\bwhat time(?:'s| is) it\b",
    r"\b(?:tell|give) me the time\b",
    r"\b(?:know|have|got) the time\b",
    r"\bthe current time\b",
    r"\bwhat hour is it\b",
)
_DATE = _rx(
    r"\bwhat(?:'s| is) (?:the|today's) date\b",
    r"\bwhat day is (?:it|today)\b",
    r"\bwhat(?:'s| is) (?:the day|today)\b",
    r"\bwhich day is (?:it|today)\b",
    r"\bwhat date is (?:it|today)\b",
    r"\btoday's date\b",
    r"\bwhat (?:year|month|day|date) (?:it is|is it|is today|today is)\b",
)
_RECALL_NAME = _rx(
    r"\bwhat(?:'s| is) my name\b",
    r"\b(?:do you )?(?:remember|know) (?:my name|who i am)\b",
    r"\bwho am i\b",
)
_RECALL_TOPIC = _rx(
    r"\bwhat were we (?:talking|speaking) about\b",
    r"\bwhat did (?:i|we) (?:say|talk about|mention)\b",
    r"\bwhere were we\b",
    r"\bwhat was i saying\b",
)
_ABOUT_ME = _rx(
    r"\bwho are you\b",
    r"\bwhat are you\b",
    r"\bwhat(?:'s| is) your name\b",
    r"\btell me about yourself\b",
    r"\b(?:introduce|describe) yourself\b",
    r"\bare you (?:a |an )?(?:robot|human|real|person|bot|machine|ai|computer)\b",
    r"\bhow do you work\b",
    r"\bwhat should i call you\b",
)
_CAPABILITIES = _rx(
    r"\bwhat can you do\b",
    r"\bwhat (?:are you able|do you know how) to do\b",
    r"\bhow can you help\b",
    r"\bwhat do you do\b",
    r"\bcan you help me\b$",
    r"\bwhat are you (?:good at|for)\b",
)
_FEELING = re.compile(
    r"\b(?:i'm|i am|im|i feel|i felt|i was|i've been|i have been|i'm feeling|i am feeling|"
    r"i've been feeling|i keep feeling)\s+((?:[a-z']+\s*){1,4})"
)
_QUESTION_START = wordset(
    "what why how when where who which whose whom can could would will do does did is are "
    "am was were should shall may might have has"
)

# Slot patterns run on the original text, case-insensitive, punctuation tolerated.
_REMINDER_SLOT = re.compile(
    r"\b(?:remind me|reminder|don'?t let me forget|make a note|note)\s*"
    r"(?:(?:for me\s+)?(?:to|that|about|of)\s+)?(?P<what>.+)",
    re.I,
)
_DURATION_SLOT = re.compile(
    r"\b(?:for|in)\s+(?P<what>(?:an?|one|two|three|four|five|six|seven|eight|nine|ten|"
    r"fifteen|twenty|thirty|forty|fifty|sixty|ninety|half an?|a couple of|\d+(?:[.:]\d+)?)"
    r"[\w\s-]*?(?:seconds?|minutes?|hours?|mins?|secs?|hrs?)\b)",
    re.I,
)
_CLOCK_SLOT = re.compile(
    r"\b(?:at|for)\s+(?P<what>(?:\d{1,2}(?::\d{2})?(?:\s*[ap]\.?m\.?)?|[a-z]+(?:\s+[a-z-]+){0,3}"
    r"?\s*(?:o'clock|am|pm|a\.m\.|p\.m\.|thirty|fifteen|forty[- ]five)?))[.!?]*\s*$",
    re.I,
)
_NAME_SLOT = re.compile(
    r"\b(?:my name is|my name's|call me|you can call me|this is|i'm called|i am called|"
    r"name's)\s+(?P<name>[a-z][a-z'-]{1,20})",
    re.I,
)
# "I'm Anna" only with a capital (Whisper's casing): lower-case "i'm anna" cannot be told
# from "i'm hungry", so without casing only "my name is" / "call me" give a name.
_IM_NAME = re.compile(
    r"^(?i:(?:hi|hello|hey)(?: there)?)?[\s,!.]*(?:I'm|I am)\s+(?P<name>[A-Z][a-z'-]{1,20})"
    r"[\s,.!]*(?:$|(?i:and|nice)\b)"
)
# Without casing, only a whole utterance "(hi) i'm anna" reads as a name.
_BARE_IM_NAME = re.compile(
    r"^(?:(?:hi|hello|hey)(?: there)?[\s,!.]+)?(?:i'm|im|i am)\s+(?P<name>[a-z][a-z'-]{1,20})"
    r"[\s.!]*$",
    re.I,
)
_NOT_NAMES = wordset(
    "not so very really just feeling going a the an fine good ok okay well tired here back "
    "sorry sure glad happy sad bored busy done ready in at on from home hungry thirsty late "
    "early free alone new awake asleep cold hot warm sick ill fine great alright lost "
    "listening driving working cooking eating leaving coming"
)


def _has_sentiment(word: str) -> bool:
    from .emotion import text_valence

    return text_valence(word) != 0.0


_TOPIC_SLOT = re.compile(
    r"\b(?:about|with|regarding)\s+"
    r"(?P<what>(?:my|the|our|this|that|a|an|your)\s+[a-z][a-z' -]{1,30}?)"
    r"(?=[.,!?;]|$|\s+(?:and|but|because|so|today|tomorrow|tonight|yesterday|now|again|"
    r"anymore|lately|this|next|last)\b)",
    re.I,
)
_MY_THING = re.compile(r"\bmy\s+(?P<what>[a-z][a-z']{2,20})\b", re.I)
_NOT_TOPICS = frozenset({"name", "self", "own", "god", "goodness", "gosh"})

_REFLECTIONS = {
    "i": "you",
    "me": "you",
    "my": "your",
    "mine": "yours",
    "myself": "yourself",
    "i'm": "you're",
    "im": "you're",
    "i've": "you've",
    "i'll": "you'll",
    "i'd": "you'd",
    "am": "are",
    "was": "were",
    "we": "you",
    "us": "you",
    "our": "your",
    "ours": "yours",
    "you": "I",
    "your": "my",
    "yours": "mine",
    "yourself": "myself",
    "you're": "I'm",
    "you've": "I've",
}
_TRAILING = re.compile(r"[\s.,!?;:]+$")
_LEADING_FILLER = re.compile(
    r"^(?:(?:oh|um|uh|well|so|okay|ok|please|hey|hi|hello|there|and|also|good morning|"
    r"good afternoon|good evening)\b[\s,.!]*)+",
    re.I,
)
_TRAILING_POLITE = re.compile(r"(?:[\s,]+(?:please|thanks|thank you|okay|ok))+[\s.!?]*$", re.I)


def reflect(text: str) -> str:
    """``text`` from the listener's side: "my plants" -> "your plants", "I am" -> "you are"."""
    out = []
    for raw in text.split():
        core = raw.strip(".,!?;:").translate(_APOSTROPHES)
        swapped = _REFLECTIONS.get(core.lower())
        if swapped is None:
            out.append(raw)
            continue
        out.append(raw.replace(raw.strip(".,!?;:"), swapped, 1))
    return " ".join(out)


def strip_fillers(text: str) -> str:
    """``text`` without leading greetings and fillers ("Oh hi, so I went..." -> "I went...")."""
    return _LEADING_FILLER.sub("", text.strip()).strip()


def _clean_slot(text: str) -> str:
    text = _TRAILING_POLITE.sub("", text.strip())
    text = _LEADING_FILLER.sub("", text)
    return _TRAILING.sub("", text).strip()


@dataclass(frozen=True)
class Parsed:
    """One utterance: social parts, the main intent, and slots cut from the user's words."""

    text: str
    """The utterance with whitespace collapsed."""
    words: tuple[str, ...]
    main: str
    """One of :data:`MAIN_INTENTS`."""
    greeting: bool = False
    thanks: bool = False
    name: str | None = None
    """A name the user gave ("my name is Sam")."""
    slot: str | None = None
    """The user's words for the main intent: what to remember, the duration, the feeling."""
    topic: str | None = None
    """Something the user talked about ("my exam"), as they said it."""
    extra: dict[str, str] = field(default_factory=dict)


def _first_sentence_question(text: str, words: tuple[str, ...]) -> bool:
    return "?" in text or (bool(words) and words[0] in _QUESTION_START)


def _name(text: str) -> str | None:
    match = _NAME_SLOT.search(text) or _IM_NAME.search(text) or _BARE_IM_NAME.match(text)
    if match is None:
        return None
    name = match.group("name")
    if name.lower() in _NOT_NAMES:
        return None
    if match.re is _BARE_IM_NAME and _has_sentiment(name):
        return None  # "i'm tired"
    return name[:1].upper() + name[1:].lower()


def _topic(text: str) -> str | None:
    match = _TOPIC_SLOT.search(text) or _MY_THING.search(text)
    if match is None:
        return None
    value = _clean_slot(match.group("what"))
    last = value.split()[-1].lower() if value else ""
    if not value or last in _NOT_TOPICS:
        return None
    if match.re is _MY_THING:
        value = "my " + value
    return value


def _reminder_slot(text: str) -> str | None:
    match = _REMINDER_SLOT.search(text)
    if match is None:
        return None
    slot = _clean_slot(match.group("what"))
    return slot or None


def _main(norm: str, text: str, words: tuple[str, ...]) -> tuple[str, str | None]:
    if _GOODBYE.search(norm):
        return "goodbye", None
    if _REMINDER.search(norm):
        return "reminder", _reminder_slot(text)
    if _TIMER.search(norm):
        match = _DURATION_SLOT.search(text)
        return "timer", _clean_slot(match.group("what")) if match else None
    if _ALARM.search(norm):
        match = _CLOCK_SLOT.search(text)
        return "alarm", _clean_slot(match.group("what")) if match else None
    if _TIME.search(norm):
        return "time", None
    if _DATE.search(norm):
        return "date", None
    if _RECALL_NAME.search(norm):
        return "recall_name", None
    if _RECALL_TOPIC.search(norm):
        return "recall_topic", None
    if _CAPABILITIES.search(norm):
        return "capabilities", None
    if _ABOUT_ME.search(norm):
        return "about_me", None
    if _HOW_ARE_YOU.search(norm):
        return "how_are_you", None
    feeling = _FEELING.search(norm)
    if feeling is not None:
        return "feeling", feeling.group(1).strip()
    if _first_sentence_question(text, words):
        return "question", None
    return "statement", None


def parse(text: str) -> Parsed:
    """Recognise the intents in one utterance (any casing and punctuation)."""
    text = " ".join(text.split())
    norm = normalise(text)
    words = tuple(norm.split())
    main, slot = _main(norm, text, words)
    return Parsed(
        text=text,
        words=words,
        main=main,
        greeting=bool(_GREETING.search(norm)),
        thanks=bool(_THANKS.search(norm)),
        name=_name(text),
        slot=slot,
        topic=_topic(text),
    )
