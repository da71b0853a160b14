"""Stream a WAV file through NextEVIClient to a running emulator and print what comes back.

Usage: nextevi-widgets emulator --port 8001 &  then  python examples/stream_wav.py speech.wav
"""

import asyncio
import os
import sys

from nextevi_widgets.client import (
    EmotionUpdate,
    LLMResponseChunk,
    NextEVIClient,
    Transcription,
    TTSChunk,
)
from nextevi_widgets.client.audio import iter_frames, read_wav_as_pcm16


async def main(path: str) -> None:
    tts_seconds = 0.0
    url = os.environ.get("NEXTEVI_WEBSOCKET_URL", "ws://127.0.0.1:8001/ws/voice")
    async with NextEVIClient(url=url, api_key="oak_local_demo_key", config_id="default") as client:
        for frame in iter_frames(read_wav_as_pcm16(path) + bytes(48_000)):  # + 1 s of silence
            await client.send_audio(frame)
            await asyncio.sleep(0.02)  # real-time pace
        async for event in client:
            match event:
                case Transcription(is_final=True):
                    print("user:", event.transcript)
                case EmotionUpdate():
                    print("emotions:", {e.name: round(e.score, 2) for e in event.top(3)})
                case LLMResponseChunk(is_final=True):
                    print("assistant:", event.content)
                case TTSChunk():
                    tts_seconds += event.duration
                    if event.is_last:
                        break
    print(f"TTS audio received: {tts_seconds:.2f} s")


asyncio.run(main(sys.argv[1]))
