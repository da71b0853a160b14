"""Bytes the page really puts on the wire per byte of microphone PCM, counted on the TCP
connection (a counting proxy between Chromium and JupyterLab), for Jupyter Server's default
(no websocket compression) and with permessage-deflate enabled
(``ServerApp.websocket_compression_options = {}``), each with two microphone signals: a tone
plus white noise (hardly compressible: the worst case) and espeak-ng speech with pauses.

Jupyter wraps every comm message in a ~500-byte envelope (header with fresh ids and a date,
parent header, metadata, buffer offsets); a 20 ms frame holds 960 bytes of PCM, hence ~1.5
without compression. Deflate keeps its window across messages, so the envelope's repeated
parts cost a few bytes each."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import numpy as np

from .bench_browser_audio import write_mic_wav
from .emu_turns import espeak_speech
from .harness import BenchSpec, Context, Goal, Metric
from .lab import Lab

REPO = Path(__file__).resolve().parent.parent
GOAL = 1.05
SPEECH = (
    "Hello there, I am feeling really happy today. "
    "Could you tell me something nice about the weather? "
    "I would like to plan a walk in the park this afternoon."
)


def write_speech_wav(path: Path, workdir: Path, rate: int = 48_000) -> Path:
    """espeak-ng speech with a second of room noise around it, at 48 kHz."""
    import soundfile

    speech = espeak_speech(SPEECH, workdir, rate)
    # A quiet noise floor (-60 dBFS) as a real room has, not digital silence.
    rng = np.random.default_rng(3)
    pause = 0.001 * rng.standard_normal(rate)
    signal = np.concatenate([pause, speech + 0.001 * rng.standard_normal(speech.size), pause])
    soundfile.write(str(path), np.clip(signal, -1, 1), rate, subtype="PCM_16")
    return path


async def _measure(lab: Lab, name: str, seconds: float, per_message: int = 1) -> float:
    """Kernel-websocket bytes page -> server per PCM byte over a common window."""
    assert lab.proxy is not None
    out = lab.root / f"{name}.json"
    cells = [
        f"import sys\nsys.path.insert(0, {str(REPO)!r})\n"
        + "from benchmarks.probes.wire import start_pcm_log\n"
        + "from nextevi_widgets import VoiceChat\n"
        + "chat = VoiceChat(config_id='deterministic', emulator='process',"
        + f" echo_strategy='headphones', frames_per_message={per_message})\n"
        + f"start_pcm_log(chat, {str(out)!r}, {seconds})\n"
        + "chat"
    ]
    page = await lab.run_notebook(f"{name}.ipynb", cells)
    samples: list[tuple[float, int]] = []
    sampling = True

    async def sample_bytes() -> None:
        assert lab.proxy is not None
        while sampling:
            samples.append((time.time() * 1000.0, lab.proxy.upstream_bytes("/api/kernels/")))
            await asyncio.sleep(0.05)

    sampler = asyncio.create_task(sample_bytes())
    try:
        mic = page.locator(".nextevi-voice-chat .nvc-mic").first
        await mic.wait_for(timeout=60_000)
        await mic.click()
        result: dict[str, Any] = await lab.wait_for_json(out.name, seconds + 120)
    finally:
        sampling = False
        await sampler
        await page.close()
    return _ratio(samples, result["pcm_log"])


def _ratio(wire: list[tuple[float, int]], pcm: list[list[float]]) -> float:
    """Bytes over PCM between the second streamed second and the last logged frame."""
    if len(pcm) < 100 or len(wire) < 10:
        raise RuntimeError(f"too little streamed: {len(pcm)} frames, {len(wire)} byte samples")
    t_pcm = np.array([p[0] for p in pcm])
    total_pcm = np.array([p[1] for p in pcm], dtype=float)
    t_wire = np.array([w[0] for w in wire])
    total_wire = np.array([w[1] for w in wire], dtype=float)
    start, end = t_pcm[0] + 1000.0, min(t_pcm[-1], t_wire[-1])
    if end - start < 2000:
        raise RuntimeError("the streaming window is too short to measure")
    pcm_bytes = np.interp(end, t_pcm, total_pcm) - np.interp(start, t_pcm, total_pcm)
    wire_bytes = np.interp(end, t_wire, total_wire) - np.interp(start, t_wire, total_wire)
    return float(wire_bytes / pcm_bytes)


async def run(ctx: Context) -> list[Metric]:
    seconds = ctx.pick(20.0, 8.0)
    signals = {
        "tone + noise": write_mic_wav(ctx.workdir / "tone.wav", seconds=12.0),
        "speech": write_speech_wav(ctx.workdir / "speech.wav", ctx.workdir),
    }
    runs = [(compressed, label, 1) for compressed in (False, True) for label in signals]
    runs.append((True, "tone + noise", 2))
    if ctx.quick:
        runs = [(False, "tone + noise", 1), (True, "tone + noise", 1)]
    metrics: list[Metric] = []
    for compressed, label, per_message in runs:
        wav = signals[label]
        tag = f"{'deflate' if compressed else 'plain'}-{label.split()[0]}-{per_message}"
        async with Lab(
            ctx.workdir / f"lab-{tag}",
            wav,
            websocket_compression=compressed,
            count_wire_bytes=True,
        ) as lab:
            ratio = await _measure(lab, tag.replace("-", "_"), seconds, per_message)
        server = "websocket compression on" if compressed else "Jupyter default (no compression)"
        batching = "" if per_message == 1 else f", frames_per_message={per_message}"
        metrics.append(
            Metric.single(
                f"wire on TCP, {server}, mic {label}{batching}",
                "",
                ratio,
                goal=Goal(f"<= {GOAL}", ratio <= GOAL),
                note="bytes page -> server on the kernel websockets (frame headers, masks, "
                "every message the page sent) per PCM byte received by the kernel; "
                f"{per_message} x 20 ms binary frames per message",
            )
        )
    return metrics


SPEC = BenchSpec("wire", "bytes on the wire per PCM byte, with and without compression", run)
