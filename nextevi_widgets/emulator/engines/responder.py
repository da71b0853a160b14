"""A rule-based empathic responder: the offline stand-in for the service's language model.

It reads the user's words (keyword intents: greeting, thanks, goodbye, question, feelings;
a name and a topic when the user offers them), VADER valence and the detected emotion, and
builds a short reply from templates: an acknowledgement, an empathic reflection and a follow-up.
A short memory (the last few turns, the user's name and the topics they raised) lets later
replies refer back. Replies stream word by word; joined, the deltas are the full reply.
Template choice depends only on the conversation so far, so runs are reproducible.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from .emotion import text_valence

__all__ = ["ConversationMemory", "RuleResponder", "Turn", "stream_words"]

_WORD = re.compile(r"[a-z']+")
_GREETINGS = frozenset({"hello", "hi", "hey", "hiya", "morning", "evening", "afternoon"})
_THANKS = ("thank", "thanks", "cheers", "appreciate")
_BYE = ("bye", "goodbye", "good night", "see you", "talk later", "that's all")
_QUESTION_WORDS = frozenset(
    re.findall(r"\w+", "what why how when where who which can could would will do does did is are")
) | {"should"}
_NAME = re.compile(r"\b(?:my name is|my name's|call me|this is)\s+([a-z][a-z'-]{1,20})", re.I)
_TOPIC = re.compile(
    r"\b(?:about|with|at|regarding)\s+(?:my|the|our|this|that|a|an)\s+([a-z][a-z' -]{1,30}?)"
    r"(?=[.,!?;]|$|\s+(?:and|but|because|so|today|now|again|anymore)\b)",
    re.I,
)
_MY_THING = re.compile(r"\bmy\s+([a-z][a-z']{2,20})\b", re.I)
_FEELING = re.compile(
    r"\bi(?:'m| am| feel| felt| was| have been|'ve been)((?:\s+[a-z']+){1,3})", re.I
)
_INTENSIFIERS = frozenset(
    re.findall(r"[a-z]+", "so really very quite too pretty kind of a bit rather just little")
)
_NOT_FEELINGS = frozenset(
    re.findall(r"[a-z]+", "not no never going gonna like that the it to in at")
)
_NOT_NAMES = frozenset({"not", "so", "very", "really", "just", "feeling", "going", "a", "the"})
_NOT_TOPICS = frozenset({"name", "self", "own", "god", "goodness"})

_EMPATHY: dict[str, str] = {
    "sadness": "I'm sorry you're feeling {feeling}. That sounds hard.",
    "anger": "That sounds really frustrating, and it makes sense to feel {feeling}.",
    "fear": "That sounds worrying. It's understandable to feel {feeling}.",
    "disgust": "That sounds really unpleasant.",
    "joy": "That's wonderful to hear, I'm glad you're feeling {feeling}.",
    "surprise": "Wow, that sounds unexpected!",
    "confusion": "Let's untangle it together.",
    "empathy": "Thank you for sharing that with me.",
    "neutral": "I see.",
}
_DEFAULT_FEELING = {
    "sadness": "down",
    "anger": "upset",
    "fear": "uneasy",
    "joy": "good",
}
_FOLLOW_UPS: dict[str, tuple[str, ...]] = {
    "negative": (
        "Would you like to tell me more about {topic}?",
        "What do you think would help right now?",
        "How long have you been feeling this way?",
    ),
    "positive": (
        "What made {topic} so good?",
        "Tell me more about {topic}!",
        "What are you looking forward to next?",
    ),
    "neutral": (
        "Tell me more about {topic}.",
        "How do you feel about {topic}?",
        "What's on your mind?",
    ),
}


@dataclass(frozen=True)
class Turn:
    user: str
    assistant: str
    emotion: str


class ConversationMemory:
    """The last ``size`` turns, the user's name and the topics they mentioned (newest last)."""

    def __init__(self, size: int = 6) -> None:
        self.turns: deque[Turn] = deque(maxlen=size)
        self.topics: deque[str] = deque(maxlen=size)
        self.name: str | None = None

    @property
    def topic(self) -> str | None:
        return self.topics[-1] if self.topics else None

    def remember(self, turn: Turn) -> None:
        self.turns.append(turn)


def stream_words(text: str) -> Iterator[str]:
    """``text`` as deltas of one word each (with the whitespace that follows it)."""
    for match in re.finditer(r"\S+\s*", text):
        yield match.group(0)


def _top_emotion(emotions: Mapping[str, float], valence: float) -> str:
    """The detected emotion, unless it is weak or contradicts a clearly signed text valence."""
    name, score = max(emotions.items(), key=lambda kv: kv[1], default=("neutral", 0.0))
    positive = {"joy", "surprise", "empathy"}
    negative = {"sadness", "anger", "fear", "disgust"}
    if valence <= -0.3 and (score < 0.3 or name in positive or name == "neutral"):
        return "sadness"
    if valence >= 0.3 and (score < 0.3 or name in negative or name == "neutral"):
        return "joy"
    return name if score >= 0.3 else "neutral"


class RuleResponder:
    """Per-connection :class:`~.base.Responder` with templated empathic replies."""

    def __init__(self, memory_turns: int = 6) -> None:
        self.memory = ConversationMemory(memory_turns)

    def respond(self, user_text: str, emotions: Mapping[str, float]) -> Iterator[str]:
        reply, emotion = self.compose(user_text, emotions)
        self.memory.remember(Turn(user_text, reply, emotion))
        return stream_words(reply)

    def compose(self, user_text: str, emotions: Mapping[str, float]) -> tuple[str, str]:
        """The full reply and the emotion it answers to (memory is not updated)."""
        memory = self.memory
        text = " ".join(user_text.split())
        lowered = text.lower()
        words = _WORD.findall(lowered)
        previous_topic = memory.topic
        self._learn(text)
        name = memory.name
        valence = text_valence(text)
        emotion = _top_emotion(emotions, valence)
        turn_no = len(memory.turns)

        if not words:
            return "Sorry, I didn't catch that. Could you say it again?", emotion
        address = f", {name}" if name else ""
        if any(phrase in lowered for phrase in _BYE):
            parting = ""
            if previous_topic:
                parting = f" I hope things go well with {_yours(previous_topic)}."
            return f"Goodbye{address}, take care.{parting}", emotion

        parts: list[str] = []
        if words[0] in _GREETINGS or lowered.startswith("good morning"):
            if name and "name" in lowered:
                parts.append(f"Hello {name}, it's nice to meet you.")
            else:
                parts.append(f"Hello{address}!" if turn_no == 0 else f"Hi again{address}!")
        if any(w.startswith(_THANKS) for w in words):
            parts.append(f"You're welcome{address}.")

        feeling = _feeling_word(text)
        social = bool(parts)  # a greeting or thanks: no reflection unless a feeling was named
        if feeling or (emotion != "neutral" and not social):
            template = _EMPATHY.get(emotion, _EMPATHY["neutral"])
            word = feeling if feeling and text_valence(feeling) * valence >= 0 else None
            word = word or _DEFAULT_FEELING.get(emotion, "this way")
            if emotion != "neutral" or not parts:
                parts.append(template.format(feeling=word))

        is_question = "?" in text or words[0] in _QUESTION_WORDS
        topic = memory.topic
        if is_question:
            parts.append(
                "That's a good question. I'm running offline, so I can't look "
                "things up, but I'm happy to think it through with you."
            )
        elif topic and topic != previous_topic:
            parts.append(_follow_up(valence, turn_no, about=True).format(topic=_yours(topic)))
        elif previous_topic and (not parts or parts == [f"You're welcome{address}."]):
            parts.append(f"Earlier you mentioned {_yours(previous_topic)}. How is that going?")
        elif not parts or parts[-1].startswith(("Hello", "Hi again")):
            parts.append("How are you feeling today?")
        else:
            parts.append(_follow_up(valence, turn_no))
        return " ".join(parts), emotion

    def _learn(self, text: str) -> None:
        memory = self.memory
        name = _NAME.search(text)
        if name and name.group(1).lower() not in _NOT_NAMES:
            memory.name = name.group(1).capitalize()
        topic = _TOPIC.search(text) or _MY_THING.search(text)
        if topic:
            value = topic.group(1).strip().lower()
            if value and value not in _NOT_TOPICS:
                # "about my job" -> stored as "my job" so replies can say "your job".
                has_my = re.search(rf"\bmy\s+{re.escape(value)}", text, re.I) is not None
                memory.topics.append(("my " if has_my else "the ") + value)


def _feeling_word(text: str) -> str | None:
    """The sentiment-bearing word after "I feel / I am ...", intensifiers skipped."""
    match = _FEELING.search(text)
    if match is None:
        return None
    for word in match.group(1).lower().split():
        if word in _INTENSIFIERS:
            continue
        # Only words that carry sentiment count: "I am Sam" names no feeling.
        if word in _NOT_FEELINGS or len(word) < 3 or text_valence(word) == 0.0:
            return None
        return word
    return None


def _yours(topic: str) -> str:
    return "your " + topic[3:] if topic.startswith("my ") else topic


def _follow_up(valence: float, turn_no: int, *, about: bool = False) -> str:
    """A follow-up question; ``about`` picks one that names the topic."""
    mood = "negative" if valence <= -0.3 else "positive" if valence >= 0.3 else "neutral"
    options = tuple(o for o in _FOLLOW_UPS[mood] if ("{topic}" in o) == about)
    return options[turn_no % len(options)]
