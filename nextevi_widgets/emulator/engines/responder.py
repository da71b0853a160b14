"""A rule-based empathic responder: the offline stand-in for the service's language model.

It answers the intents of a first conversation (:mod:`.intents`): greetings, how-are-you,
feelings, reminders, timers and alarms, the time and date, questions about itself, thanks and
goodbye; anything else gets a reply that reflects the user's own words ("You went to the
market. How was that?"). Requests it cannot carry out offline are answered honestly with the
user's words: "I can't set reminders offline, but: water the plants on Friday — noted for
this session."

Per connection it remembers a little: the user's name, the last topic they raised, what was
noted, and the last turns. It never gives the same reply twice in a row (each answer has
variants, and a repeat moves on to the next one). Feelings use VADER valence and the detected
emotion. Replies stream word by word; joined, the deltas are the full reply. Variant choice
depends only on the conversation so far, so runs are reproducible (the clock is injectable).
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime

from .emotion import emotional_valence, text_valence
from .intents import Parsed, parse, reflect, strip_fillers, wordset

__all__ = ["ConversationMemory", "RuleResponder", "Turn", "stream_words"]

_EMPATHY: dict[str, str] = {
    "sadness": "I'm sorry you're feeling {feeling}. That sounds hard.",
    "anger": "That sounds really frustrating, and it makes sense to feel {feeling}.",
    "fear": "That sounds worrying. It's understandable to feel {feeling}.",
    "disgust": "That sounds really unpleasant.",
    "joy": "That's wonderful to hear, I'm glad you're feeling {feeling}.",
    "surprise": "Wow, that sounds unexpected!",
    "confusion": "Let's untangle it together.",
    "empathy": "Thank you for sharing that with me.",
}
_DEFAULT_FEELING = {"sadness": "down", "anger": "upset", "fear": "uneasy", "joy": "good"}
_INTENSIFIERS = wordset("so really very quite too pretty kind of a bit rather just little feeling")
_NOT_FEELINGS = wordset("not no never going gonna like that the it to in at")

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

# Replies per intent; {name_} is ", Sam" or "", {slot} the user's (reflected) words.
_REPLIES: dict[str, tuple[str, ...]] = {
    "reminder": (
        "I can't set reminders offline, but: {slot} — noted for this session.",
        "Reminders need the real service, but I've noted it for this session: {slot}.",
        "Noted for this session: {slot}. I can't ring a reminder offline, though.",
    ),
    "reminder?": (
        "I can't set reminders offline. What should I note for this session?",
        "Reminders need the real service. Tell me what to remember and I'll note it here.",
    ),
    "timer": (
        "I can't run timers offline, but: {slot} — noted for this session.",
        "A timer needs the real service, but I've noted it for this session: {slot}.",
    ),
    "timer?": (
        "I can't run timers offline. How long did you want it for? I'll note it.",
        "Timers need the real service. Tell me how long and I'll note it for this session.",
    ),
    "alarm": (
        "I can't set alarms offline, but: {slot} — noted for this session.",
        "An alarm needs the real service, but I've noted it for this session: {slot}.",
    ),
    "alarm?": (
        "I can't set alarms offline. What time did you want? I'll note it.",
        "Alarms need the real service. Tell me the time and I'll note it for this session.",
    ),
    "time": ("It's {time}.", "It's {time} here.", "Right now it's {time}."),
    "date": ("Today is {date}.", "It's {date} today.", "Today's date is {date}."),
    "recall_name": ("You're {name}.", "Your name is {name}, if I heard you right."),
    "recall_name?": (
        "You haven't told me your name yet. What should I call you?",
        "I don't know your name yet. What's your name?",
    ),
    "recall_topic": (
        "We were talking about {topic}.",
        "You mentioned {topic}. Shall we go on with that?",
    ),
    "recall_topic?": (
        "We've only just started. What's on your mind?",
        "Nothing in particular yet. What would you like to talk about?",
    ),
    "about_me": (
        "I'm the NextEVI emulator, an offline stand-in for the voice service. I listen "
        "with offline speech recognition, answer with simple rules and speak with an "
        "offline voice.",
        "I'm an offline emulator of the NextEVI voice service: no network, no account, "
        "just local speech engines and a few rules.",
    ),
    "capabilities": (
        "Offline, I can chat, tell you the time and date, and note reminders and timers "
        "for this session. I also estimate emotions from your voice and words.",
        "I can tell you the time and date, note things for this session, and listen to "
        "how you feel. For anything more I'd need the real service.",
    ),
    "how_are_you": (
        "I'm doing well, thank you for asking. How are you feeling today?",
        "All good here, thanks! How about you?",
        "I'm fine, thanks. How's your day going?",
    ),
    "question": (
        "Good question: {echo}? I'm running offline, so I can't look that up. What do you think?",
        "You're asking {echo}? I can't look things up offline, but I'm happy to think it "
        "through with you.",
        "{Echo}? That's a good one. Offline, I can't check. What's your guess?",
    ),
    "statement": (
        "{Echo}. Tell me more about that.",
        "So {echo}. How do you feel about that?",
        "I hear you: {echo}. What happened next?",
    ),
    "greeting": ("Hello{name_}!", "Hi{name_}!", "Hello there{name_}!"),
    "greeting_again": ("Hi again{name_}!", "Hello again{name_}!"),
    "meet": ("Hello {name}, it's nice to meet you.", "Nice to meet you, {name}."),
    "thanks": ("You're welcome{name_}.", "Any time{name_}.", "Glad to help{name_}."),
    "goodbye": ("Goodbye{name_}, take care.", "Bye{name_}, it was nice talking to you."),
    "opener": (
        "How are you feeling today?",
        "What would you like to talk about?",
        "What's on your mind today?",
    ),
    "anything_else": ("Is there anything else?", "What else is on your mind?"),
    "missed": (
        "Sorry, I didn't catch that. Could you say it again?",
        "I didn't quite hear that. Could you repeat it?",
    ),
}
_NOTE_KIND = {"reminder": "reminder", "timer": "timer", "alarm": "alarm"}
_ECHO_WORDS = 14
_CLAUSE = re.compile(r"[.;!?]|,\s+(?:and|but|so|because)\b|\s+(?:but|because)\s+", re.I)


@dataclass(frozen=True)
class Turn:
    user: str
    assistant: str
    emotion: str
    intent: str = "statement"


class ConversationMemory:
    """The last ``size`` turns, the user's name, the topics they raised and what was noted."""

    def __init__(self, size: int = 6) -> None:
        self.turns: deque[Turn] = deque(maxlen=size)
        self.topics: deque[str] = deque(maxlen=size)
        self.notes: deque[str] = deque(maxlen=size)
        self.name: str | None = None

    @property
    def topic(self) -> str | None:
        return self.topics[-1] if self.topics else None

    @property
    def last_reply(self) -> str | None:
        return self.turns[-1].assistant if self.turns else None

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


def _clock_time(now: datetime) -> str:
    hour = now.hour % 12 or 12
    return f"{hour}:{now.minute:02d} {'AM' if now.hour < 12 else 'PM'}"


def _long_date(now: datetime) -> str:
    return f"{now:%A}, {now:%B} {now.day}, {now.year}"


def _yours(topic: str) -> str:
    """A topic as the assistant says it: "my exam" -> "your exam"."""
    return reflect(topic)


def _capitalise(text: str) -> str:
    return text[:1].upper() + text[1:]


def _echo(text: str) -> str:
    """The user's first clause, reflected ("I went home" -> "you went home"), at most
    ``_ECHO_WORDS`` words, without closing punctuation."""
    clause = _CLAUSE.split(strip_fillers(text), maxsplit=1)[0].strip(" ,")
    words = clause.split()
    if len(words) > _ECHO_WORDS:
        words = words[:_ECHO_WORDS]
    echoed = reflect(" ".join(words)).rstrip(" ,.!?;:")
    # A sentence-initial capital of the user's own words is not kept mid-sentence ("So you…").
    if echoed[:1].isupper() and not echoed.startswith("I "):
        echoed = echoed[:1].lower() + echoed[1:]
    return echoed


def _feeling_word(slot: str | None, text: str) -> str | None:
    """The sentiment-bearing word after "I feel / I am ...", intensifiers skipped."""
    if not slot:
        return None
    for word in slot.split():
        if word in _INTENSIFIERS:
            continue
        # Only words that carry sentiment count: "I am Sam" names no feeling.
        if word in _NOT_FEELINGS or len(word) < 3 or text_valence(word) == 0.0:
            return None
        return word
    return None


_SOCIAL_WORDS = wordset(
    "hello hi hey hiya howdy there good morning afternoon evening day thanks thank you so "
    "much very cheers oh well um uh okay ok and nice to meet my name is name's call me i'm im "
    "i am this"
)


class RuleResponder:
    """Per-connection :class:`~.base.Responder` with intent rules and templated replies."""

    def __init__(
        self, memory_turns: int = 6, *, clock: Callable[[], datetime] = datetime.now
    ) -> None:
        self.memory = ConversationMemory(memory_turns)
        self._clock = clock
        self._uses: dict[str, int] = {}
        self._new_name = False

    def respond(self, user_text: str, emotions: Mapping[str, float]) -> Iterator[str]:
        reply, emotion, intent = self._compose(user_text, emotions)
        self.memory.remember(Turn(user_text, reply, emotion, intent))
        return stream_words(reply)

    def compose(self, user_text: str, emotions: Mapping[str, float]) -> tuple[str, str]:
        """The full reply and the emotion it answers to (the turn is not remembered)."""
        reply, emotion, _ = self._compose(user_text, emotions)
        return reply, emotion

    # ------------------------------------------------------------------ composing

    def _pick(self, key: str, avoid: str | None = None, **values: str) -> str:
        """The next variant of ``key`` (rotating), formatted, and different from ``avoid``."""
        options = _REPLIES[key]
        start = self._uses.get(key, 0)
        text = ""
        for offset in range(len(options)):
            text = options[(start + offset) % len(options)].format(**values)
            if text != avoid:
                self._uses[key] = start + offset + 1
                return text
        self._uses[key] = start + 1
        return text

    def _compose(self, user_text: str, emotions: Mapping[str, float]) -> tuple[str, str, str]:
        memory = self.memory
        parsed = parse(user_text)
        previous_topic = memory.topic
        self._new_name = bool(parsed.name) and parsed.name != memory.name
        if parsed.name:
            memory.name = parsed.name
        if parsed.topic:
            memory.topics.append(parsed.topic)
        # Request words and the weak middle do not count as feeling ("what is it like").
        valence = emotional_valence(parsed.text)
        emotion = _top_emotion(emotions, valence)
        if not parsed.words:
            return self._pick("missed", memory.last_reply), emotion, "missed"
        reply = self._reply(parsed, emotion, valence, previous_topic)
        if reply == memory.last_reply:
            # Same words as last time (e.g. the user repeated themselves): answer anew.
            reply = f"{reply} {self._pick('anything_else', memory.last_reply)}"
        return reply, emotion, parsed.main

    def _reply(self, parsed: Parsed, emotion: str, valence: float, previous: str | None) -> str:
        memory = self.memory
        name = memory.name
        values = {"name": name or "", "name_": f", {name}" if name else ""}
        avoid = memory.last_reply
        main = parsed.main
        if main == "goodbye":
            parting = self._pick("goodbye", avoid, **values)
            if memory.notes:
                parting += f" Don't forget: {memory.notes[-1]}."
            elif previous or parsed.topic:
                parting += f" I hope things go well with {_yours(parsed.topic or previous or '')}."
            return parting

        parts = self._social(parsed, values, avoid)
        if main in ("reminder", "timer", "alarm"):
            if parsed.slot:
                slot = reflect(parsed.slot)
                memory.notes.append(slot if main == "reminder" else f"the {main} for {slot}")
                # Topics are kept in the user's words: "my reminder: call my mother".
                memory.topics.append(f"my {_NOTE_KIND[main]}: {parsed.slot}")
                parts.append(self._pick(main, avoid, slot=slot))
            else:
                parts.append(self._pick(f"{main}?", avoid))
        elif main == "time":
            parts.append(self._pick("time", avoid, time=_clock_time(self._clock())))
        elif main == "date":
            parts.append(self._pick("date", avoid, date=_long_date(self._clock())))
        elif main == "recall_name":
            parts.append(self._pick("recall_name" if name else "recall_name?", avoid, **values))
        elif main == "recall_topic":
            topic = previous
            if topic:
                parts.append(self._pick("recall_topic", avoid, topic=_yours(topic)))
            else:
                parts.append(self._pick("recall_topic?", avoid))
        elif main in ("about_me", "capabilities", "how_are_you"):
            parts.append(self._pick(main, avoid))
        else:
            parts.extend(self._conversation(parsed, emotion, valence, previous, bool(parts)))
        return " ".join(parts)

    def _social(self, parsed: Parsed, values: dict[str, str], avoid: str | None) -> list[str]:
        parts: list[str] = []
        first = not self.memory.turns
        if parsed.name and (self._new_name or parsed.greeting or self._only_social(parsed)):
            parts.append(self._pick("meet", avoid, **values))
        elif parsed.greeting:
            parts.append(self._pick("greeting" if first else "greeting_again", avoid, **values))
        if parsed.thanks:
            parts.append(self._pick("thanks", avoid, **values))
        return parts

    @staticmethod
    def _only_social(parsed: Parsed) -> bool:
        name = (parsed.name or "").lower()
        return all(w in _SOCIAL_WORDS or w == name for w in parsed.words)

    def _conversation(
        self,
        parsed: Parsed,
        emotion: str,
        valence: float,
        previous: str | None,
        social: bool,
    ) -> list[str]:
        """Feelings, questions and statements: empathy, the user's words, a follow-up."""
        memory = self.memory
        avoid = memory.last_reply
        parts: list[str] = []
        feeling = _feeling_word(parsed.slot, parsed.text) if parsed.main == "feeling" else None
        asked = parsed.main == "question"
        if feeling and emotion == "neutral":
            # The user named a feeling the voice did not show: answer the word.
            emotion = "joy" if text_valence(feeling) > 0 else "sadness"
        if feeling or (emotion != "neutral" and not social and not asked and emotion in _EMPATHY):
            template = _EMPATHY.get(emotion)
            word = feeling if feeling and text_valence(feeling) * valence >= 0 else None
            word = word or _DEFAULT_FEELING.get(emotion, "this way")
            if template is not None:
                parts.append(template.format(feeling=word))
            elif feeling:
                parts.append(f"Thanks for telling me you're feeling {feeling}.")
        introduced = bool(parsed.name) and parsed.main == "statement"
        if social and (introduced or self._only_social(parsed)):
            if previous and parsed.thanks:
                parts.append(f"Earlier you mentioned {_yours(previous)}. How is that going?")
            elif parsed.thanks:
                parts.append(self._pick("anything_else", avoid))
            else:
                parts.append(self._pick("opener", avoid))
            return parts
        topic = parsed.topic
        if parsed.main == "question":
            parts.append(self._echoed("question", parsed.text, avoid))
        elif parts:
            mood = "negative" if valence <= -0.3 else "positive" if valence >= 0.3 else "neutral"
            parts.append(self._follow_up(mood, _yours(topic) if topic else None))
        elif topic and topic != previous and len(parsed.words) <= 6:
            parts.append(self._follow_up("neutral", _yours(topic)))
        else:
            parts.append(self._echoed("statement", parsed.text, avoid))
        return parts

    def _echoed(self, key: str, text: str, avoid: str | None) -> str:
        echo = _echo(text)
        return self._pick(key, avoid, echo=echo, Echo=_capitalise(echo))

    def _follow_up(self, mood: str, topic: str | None) -> str:
        options = tuple(o for o in _FOLLOW_UPS[mood] if ("{topic}" in o) == (topic is not None))
        index = self._uses.get(f"follow-{mood}", 0)
        self._uses[f"follow-{mood}"] = index + 1
        return options[index % len(options)].format(topic=topic or "")
