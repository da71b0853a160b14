"""Turn state machine, chunking and the deterministic engines, on real signals."""

from __future__ import annotations

import asyncio

import numpy as np
import pytest
import soxr
from emu_support import silence, user_voice

from nextevi_widgets.client.messages import EMOTION_NAMES, TurnDetection
from nextevi_widgets.emulator.deterministic import (
    EnergyVAD,
    RMSEmotion,
    RuleResponder,
    ScriptedRecognizer,
    SyntheticVoice,
)
from nextevi_widgets.emulator.engines.base import (
    EmotionAnalyzer,
    Responder,
    SpeechRecognizer,
    SpeechSynthesizer,
    VoiceActivityDetector,
)
from nextevi_widgets.emulator.frontend import AudioFrontEnd, SpeechEnd
from nextevi_widgets.emulator.pacing import Pacer, SentenceSplitter, split_chunks
from nextevi_widgets.emulator.turns import TurnConfig, TurnDetector, TurnEventKind

FRAME_S = 0.03


def run(detector: TurnDetector, pattern: list[tuple[bool, float]]) -> list[tuple[str, str, int]]:
    """Push (is_speech, seconds) runs; return (kind, reason, frame index) of each event."""
    events = []
    index = 0
    for speech, seconds in pattern:
        for _ in range(round(seconds / FRAME_S)):
            event = detector.push(speech)
            if event is not None:
                events.append((event.kind.value, event.reason, index))
            index += 1
    return events


def test_turn_starts_after_90ms_and_ends_after_silence_threshold() -> None:
    detector = TurnDetector(TurnConfig(silence_threshold=0.3, warmup=0.0), FRAME_S)
    events = run(detector, [(False, 0.3), (True, 1.0), (False, 0.6)])
    # speech begins at frame 10: start on its 3rd frame (90 ms), end after 10 silent frames.
    assert events == [("start", "", 12), ("end", "silence", 52)]


def test_warmup_short_blips_and_min_speaking_time() -> None:
    config = TurnConfig(silence_threshold=0.3, min_speaking_time=0.25, warmup=0.06)
    detector = TurnDetector(config, FRAME_S)
    # Speech during warm-up is ignored; 60 ms blips never start a turn.
    assert run(detector, [(True, 0.06), (False, 0.09), (True, 0.06), (False, 0.3)]) == []
    # 150 ms of speech starts a turn but is discarded as too short.
    events = run(detector, [(True, 0.15), (False, 0.3)])
    assert [e[0] for e in events] == ["start", "discard"]


def test_max_duration_disabled_silence_rule_and_forced_end() -> None:
    detector = TurnDetector(TurnConfig(max_turn_duration=1.0, warmup=0.0), FRAME_S)
    # Speech going on past the limit ends the turn and starts the next one.
    assert [e[:2] for e in run(detector, [(True, 1.5)])] == [
        ("start", ""),
        ("end", "max_duration"),
        ("start", ""),
    ]
    config = TurnConfig(warmup=0.0).with_settings(
        TurnDetection(enabled=False, silence_threshold=0.3)
    )
    assert config.enabled is False
    assert config.silence_threshold == 0.3
    detector = TurnDetector(config, FRAME_S)
    assert [e[0] for e in run(detector, [(True, 0.5), (False, 2.0)])] == ["start"]
    event = detector.force_end("audio_gap")
    assert event is not None
    assert event.kind is TurnEventKind.END
    assert event.reason == "audio_gap"
    assert detector.force_end("audio_gap") is None


def test_synthetic_voice_is_deterministic_speech_for_the_energy_vad() -> None:
    voice = SyntheticVoice()
    audio = voice.synthesize("hello there how are you")
    assert np.array_equal(audio, voice.synthesize("hello there how are you"))
    assert audio.dtype == np.int16
    assert audio.size == pytest.approx(5 * 0.35 * 24000, rel=0.01)
    speech16 = soxr.resample(audio, 24000, 16000).astype(np.int16)
    vad = EnergyVAD()
    frames = [speech16[i : i + 480] for i in range(0, speech16.size - 480, 480)]
    decisions = [vad.is_speech(f) for f in frames]
    assert sum(decisions) / len(decisions) > 0.85
    quiet = (np.random.default_rng(0).normal(0, 30, 16000)).astype(np.int16)
    assert not any(vad.is_speech(quiet[i : i + 480]) for i in range(0, 15520, 480))
    # A stricter speech_threshold rejects quiet speech the default accepts.
    soft = (speech16[:480].astype(np.float64) * 0.02).astype(np.int16)
    assert vad.is_speech(soft, 0.1)
    assert not vad.is_speech(soft, 0.9)


def test_scripted_recognizer_partials_follow_audio() -> None:
    stt = ScriptedRecognizer(["one two three", "four five"])
    stt.start_utterance()
    partials = [stt.feed(np.zeros(1600, dtype=np.int16)) for _ in range(12)]  # 0.1 s each
    assert [p for p in partials if p is not None] == ["one", "one two", "one two three"]
    result = stt.end_utterance()
    assert result.text == "one two three"
    assert [w.word for w in result.words] == ["one", "two", "three"]
    stt.start_utterance()
    assert stt.end_utterance().text == "four five"


def test_rms_emotion_scores_and_rule_responder() -> None:
    emotion = RMSEmotion()
    loud = soxr.resample(user_voice(), 24000, 16000).astype(np.int16)
    happy = emotion.analyze(loud, "I am so happy and glad today")
    assert set(happy) == set(EMOTION_NAMES)
    assert sum(happy.values()) == pytest.approx(1.0, abs=1e-3)
    assert max(happy, key=happy.__getitem__) == "joy"
    sad = emotion.analyze(silence(0.5, 16000), "I feel sad and tired")
    assert sad["sadness"] > happy["sadness"]
    assert emotion.arousal(loud) > emotion.arousal(silence(0.5, 16000))
    responder = RuleResponder()
    first = list(responder.respond("hello there", {}))
    assert "".join(first).startswith("Hello!")
    assert len(first) > 3
    assert "".join(responder.respond("hello again", {})) != "".join(first)


def test_deterministic_engines_satisfy_the_engine_protocols() -> None:
    assert isinstance(EnergyVAD(), VoiceActivityDetector)
    assert isinstance(ScriptedRecognizer(), SpeechRecognizer)
    assert isinstance(SyntheticVoice(), SpeechSynthesizer)
    assert isinstance(RMSEmotion(), EmotionAnalyzer)
    assert isinstance(RuleResponder(), Responder)


def test_sentence_splitter_and_chunking() -> None:
    splitter = SentenceSplitter()
    out = []
    for delta in ["Hello", "! It is ", "nice. What", " now?"]:
        out += splitter.push(delta)
    assert out == ["Hello!", "It is nice."]
    assert splitter.flush() == "What now?"
    assert splitter.flush() is None
    for seconds in (0.05, 0.2, 0.21, 0.99, 2.35):
        audio = np.arange(int(seconds * 24000)).astype(np.int16)
        pieces = split_chunks(audio, 4800)
        assert np.array_equal(np.concatenate(pieces), audio)
        assert all(p.size <= 4800 for p in pieces)
        if len(pieces) > 1:
            assert all(p.size > 2400 for p in pieces)
    assert split_chunks(np.zeros(0, dtype=np.int16), 4800) == []


async def test_pacer_tracks_client_playback() -> None:
    pacer = Pacer(lead=0.3)
    assert not pacer.playing()
    await pacer.wait()  # nothing sent: no wait
    pacer.sent(10.0)
    assert pacer.playing()
    assert pacer.playback_end - asyncio.get_running_loop().time() > 9.0
    pacer.reset()
    assert not pacer.playing()


@pytest.mark.parametrize(("rate", "channels"), [(24_000, 1), (48_000, 2), (16_000, 1)])
def test_audio_front_end_turns_real_audio_into_commands(rate: int, channels: int) -> None:
    front = AudioFrontEnd(EnergyVAD(), TurnConfig(silence_threshold=0.3))
    front.set_format(rate, channels)
    mono = soxr.resample(np.concatenate([user_voice(), silence(0.5)]), 24_000, rate)
    pcm = np.repeat(mono.astype(np.int16), channels)  # interleaved when stereo
    step = rate // 50 * channels
    commands = []
    for start in range(0, pcm.size, step):
        commands += front.push(pcm[start : start + step].astype("<i2").tobytes())
    kinds = [type(c).__name__ for c in commands]
    assert kinds[0] == "SpeechStart"
    assert kinds[-1] == "SpeechEnd"
    assert set(kinds[1:-1]) == {"SpeechAudio"}
    assert commands[-1].event.reason == "silence"
    heard = sum(c.audio.size for c in commands if not isinstance(c, SpeechEnd)) / 16_000
    # Pre-roll plus speech plus the 0.3 s of closing silence, at 16 kHz whatever came in.
    assert 2.1 < heard < 2.1 + 0.3 + 0.35
    assert front.audio_gap() == []
