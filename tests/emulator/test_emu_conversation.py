"""Whole conversational turns against the real emulator, driven by real (synthetic) audio."""

from __future__ import annotations

import base64
import itertools
import json

import numpy as np
import pytest
import soxr
from emu_support import (
    RATE,
    check_superset_frame,
    chunk_pcm,
    fast_settings,
    open_conversation,
    silence,
    user_voice,
    ws_url,
)

from nextevi_widgets.emulator import Emulator


def is_last_tts(message: dict[str, object]) -> bool:
    return message["type"] == "tts_chunk" and message["is_last"] is True


async def test_full_turn_message_order_and_paced_audio(emulator: Emulator) -> None:
    conv = await open_conversation(ws_url(emulator.url), fast_settings(0.3))
    await conv.send_audio(np.concatenate([user_voice(), silence(0.6)]))
    await conv.until(is_last_tts)
    msgs = conv.messages
    for message in msgs:
        check_superset_frame(message)
    types = [m["type"] for m in msgs]

    # User side: speech_started, growing interims, then the final with emotions.
    started = types.index("transcription")
    assert msgs[started]["metadata"]["event_type"] == "speech_started"
    assert msgs[started]["is_final"] is False
    transcripts = [m for m in msgs if m["type"] == "transcription"]
    finals = [m for m in transcripts if m["is_final"]]
    assert len(finals) == 1
    final = finals[0]
    interims = [m["transcript"] for m in transcripts[1:] if not m["is_final"]]
    # Audio sent in a burst may be fed to the recogniser in fewer, larger pieces when the
    # emulator is busy (queued commands coalesce), so how many interims there are depends on
    # load; that each one grows from the last, up to the final, does not.
    assert interims
    for before, after in itertools.pairwise([*interims, final["transcript"]]):
        assert after.startswith(before)
    assert final["transcript"] == "hello there how are you today"
    assert final["is_speech_final"] is True
    assert final["metadata"]["event_type"] == "utterance_end"
    assert 0 < final["confidence"] <= 1
    assert [w["word"] for w in final["words"]] == final["transcript"].split()
    assert {e["name"] for e in final["emotions"]} >= {"joy", "neutral", "sadness"}

    # Then turn_complete, emotion_update, and the reply.
    i_final = msgs.index(final)
    assert types[i_final + 1] == "turn_complete"
    assert msgs[i_final + 1]["turn_result"]["reasons"] == ["silence"]
    assert msgs[i_final + 1]["transcript"] == final["transcript"]
    assert types[i_final + 2] == "emotion_update"
    scores = [e["score"] for e in msgs[i_final + 2]["top_emotions"]]
    assert scores == sorted(scores, reverse=True)
    assert "emotion_update" in types[started:i_final], "no rolling emotion while speaking"

    llm = [m for m in msgs if m["type"] == "llm_response_chunk"]
    assert msgs.index(llm[0]) > i_final
    assert [m["is_final"] for m in llm] == [False] * (len(llm) - 1) + [True]
    assert [m["chunk_index"] for m in llm] == list(range(len(llm)))
    assert len({m["generation_id"] for m in llm}) == 1
    assert llm[-1]["content"] == "".join(m["content"] for m in llm[:-1])
    assert llm[-1]["content"].count(".") + llm[-1]["content"].count("?") >= 2

    tts = [m for m in msgs if m["type"] == "tts_chunk"]
    assert {m["generation_id"] for m in tts} == {llm[0]["generation_id"]}
    assert [m["is_last"] for m in tts] == [False] * (len(tts) - 1) + [True]
    assert len({m["chunk_id"] for m in tts}) == len(tts)
    durations = [len(chunk_pcm(m)) / 2 / RATE for m in tts]
    assert all(0.1 <= d <= 0.2 for d in durations), durations

    # Paced: chunk k is never sent before (audio before it) - lead, measured on the server's
    # own timestamps. A lower bound only, so a slow machine cannot fail it.
    t0 = tts[0]["timestamp"]
    sent_before = 0.0
    for message, duration in zip(tts, durations, strict=True):
        assert message["timestamp"] >= t0 + sent_before - emulator.options.tts_lead - 0.05
        sent_before += duration
    assert emulator.stats.turns == 1
    await conv.ws.close()


async def test_turn_ends_when_audio_stops_arriving(emulator: Emulator) -> None:
    conv = await open_conversation(ws_url(emulator.url), fast_settings(0.3))
    await conv.send_audio(user_voice("hello there"))  # no trailing silence at all
    done = await conv.until_type("turn_complete")
    assert done["turn_result"]["reasons"] == ["audio_gap"]
    final = next(m for m in conv.messages if m["type"] == "transcription" and m["is_final"])
    assert final["transcript"] == "hello there how are you today"
    await conv.ws.close()


async def test_barge_in_interrupts_reply() -> None:
    async with Emulator(profile="deterministic", user_interruption=True) as emu:
        conv = await open_conversation(ws_url(emu.url, config_id="x"), fast_settings(0.3))
        await conv.send_audio(np.concatenate([user_voice("hi there"), silence(0.4)]))
        first = await conv.until_type("tts_chunk")
        generation = first["generation_id"]
        # The user talks over the assistant: real-time audio until the server reacts.
        await conv.send_audio(user_voice("wait a moment please"), realtime=True)
        interruption = await conv.until_type("tts_interruption")
        await conv.send_audio(silence(0.5))
        await conv.until(lambda m: m["type"] == "turn_complete")
        after = conv.messages[conv.messages.index(interruption) + 1 :]
        assert "user_interruption" in [m["type"] for m in after[:3]]
        stale = [m for m in after if m.get("generation_id") == generation]
        assert len([m for m in stale if m["type"] == "tts_chunk"]) <= 1
        assert not any(m["type"] == "llm_response_chunk" for m in stale)
        assert emu.stats.interruptions == 1
        await conv.ws.close()


async def test_interrupt_message_stops_reply_and_text_input_replies(emulator: Emulator) -> None:
    conv = await open_conversation(ws_url(emulator.url))
    await conv.ws.send(json.dumps({"type": "text_input", "text": "I feel sad today"}))
    first = await conv.until_type("tts_chunk")
    await conv.ws.send(json.dumps({"type": "interrupt", "message_id": "int-1"}))
    interruption = await conv.until_type("tts_interruption")
    assert interruption["content"] == ""
    # A second text input gets a complete reply; nothing more of the first generation.
    await conv.ws.send(json.dumps({"type": "text_input", "data": {"text": "thanks a lot"}}))
    await conv.until(is_last_tts)
    after = conv.messages[conv.messages.index(interruption) + 1 :]
    stale = [m for m in after if m.get("generation_id") == first["generation_id"]]
    assert len(stale) <= 1
    final = next(m for m in after if m["type"] == "llm_response_chunk" and m["is_final"])
    assert "welcome" in final["content"]
    await conv.ws.close()


@pytest.mark.parametrize(
    "settings",
    [
        # SDK (flat) dialect, as the vendor clients send it.
        {"type": "session_settings", "sample_rate": 24000, "channels": 1, "encoding": "linear16"},
        # Flat with turn detection at top level.
        {"type": "session_settings", "turn_detection": {"silence_threshold": 0.3}},
    ],
)
async def test_flat_session_settings_accepted(
    emulator: Emulator, settings: dict[str, object]
) -> None:
    conv = await open_conversation(ws_url(emulator.url), json.dumps(settings))
    await conv.send_audio(np.concatenate([user_voice("hello there"), silence(0.8)]))
    done = await conv.until_type("turn_complete")
    assert done["turn_result"]["reasons"] == ["silence"]
    assert not conv.of_type("error")
    await conv.ws.close()


@pytest.mark.parametrize("rate", [16_000, 48_000])
async def test_declared_sample_rate_is_resampled(emulator: Emulator, rate: int) -> None:
    conv = await open_conversation(ws_url(emulator.url), fast_settings(0.3, sample_rate=rate))
    audio = np.concatenate([user_voice(), silence(0.6)])
    resampled = soxr.resample(audio, RATE, rate).astype(np.int16)
    for start in range(0, resampled.size, rate // 50):
        await conv.ws.send(resampled[start : start + rate // 50].tobytes())
    done = await conv.until_type("turn_complete")
    assert done["turn_result"]["reasons"] == ["silence"]
    # Audio time as the server counted it matches what was sent at the declared rate...
    assert abs(emulator.stats.audio_seconds_in - audio.size / RATE) < 0.05
    # ...and the scripted recogniser, whose partials follow audio time, heard all of it.
    interims = [
        m["transcript"]
        for m in conv.of_type("transcription")
        if m["transcript"] and not m["is_final"]
    ]
    assert interims[-1] == "hello there how are you today"
    await conv.ws.close()


async def test_json_audio_input_transport(emulator: Emulator) -> None:
    conv = await open_conversation(ws_url(emulator.url), fast_settings(0.3))
    pcm = np.concatenate([user_voice("hello"), silence(0.5)])
    for i, start in enumerate(range(0, pcm.size, 2400)):
        payload = base64.b64encode(pcm[start : start + 2400].tobytes()).decode()
        await conv.ws.send(
            json.dumps({"type": "audio_input", "data": {"audio": payload, "chunk_id": f"c{i}"}})
        )
    await conv.until_type("turn_complete")
    assert not conv.of_type("error")
    await conv.ws.close()


async def test_turn_detection_disabled_waits_for_audio_gap(emulator: Emulator) -> None:
    settings = {
        "type": "session_settings",
        "data": {"turn_detection": {"enabled": False, "silence_threshold": 0.3}},
    }
    conv = await open_conversation(ws_url(emulator.url), json.dumps(settings))
    # Silence inside the stream does not end the turn; the audio stopping does.
    await conv.send_audio(np.concatenate([user_voice("hello"), silence(0.6), user_voice("there")]))
    done = await conv.until_type("turn_complete")
    assert done["turn_result"]["reasons"] == ["audio_gap"]
    assert len([m for m in conv.of_type("transcription") if m["is_final"]]) == 1
    await conv.ws.close()


async def test_short_noise_is_not_a_turn(emulator: Emulator) -> None:
    conv = await open_conversation(ws_url(emulator.url), fast_settings(0.3))
    blip = user_voice("a")[int(0.1 * RATE) : int(0.25 * RATE)]
    await conv.send_audio(np.concatenate([silence(0.2), blip, silence(0.5)]))
    end = await conv.until(lambda m: m["type"] == "transcription" and m["is_final"])
    assert end["transcript"] == ""
    assert end["is_speech_final"] is False
    await conv.ws.send(json.dumps({"type": "text_input", "text": "hello"}))
    await conv.until_type("llm_response_chunk")
    assert not conv.of_type("turn_complete")
    await conv.ws.close()


async def test_barge_in_while_sent_audio_is_still_playing() -> None:
    # A huge lead sends the whole reply at once: the generation is over, but the client is
    # still playing it, so user speech must still interrupt.
    async with Emulator(profile="deterministic", tts_lead=60.0) as emu:
        conv = await open_conversation(ws_url(emu.url), fast_settings(0.3))
        await conv.ws.send(json.dumps({"type": "text_input", "text": "hello"}))
        await conv.until(is_last_tts)
        await conv.send_audio(np.concatenate([user_voice("hello there"), silence(0.5)]))
        await conv.until_type("tts_interruption")
        assert emu.stats.interruptions == 1
        await conv.ws.close()
