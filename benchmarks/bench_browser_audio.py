"""Browser audio path in real Chromium + JupyterLab: uplink and downlink latency, wire
efficiency and capture frame size, each next to a bare anywidget comm echo measured in the same
page and kernel (see ``probes/comm_echo.py``)."""

from __future__ import annotations

import wave
from pathlib import Path
from typing import Any

import numpy as np

from .harness import BenchSpec, Context, Goal, Metric, Skip, p95, summarize
from .lab import Lab

REPO = Path(__file__).resolve().parent.parent


def write_mic_wav(path: Path, seconds: float = 10.0, rate: int = 48_000) -> Path:
    """A 48 kHz mono tone + noise: distinct content in every frame (no repeats in a loop)."""
    rng = np.random.default_rng(1)
    t = np.arange(int(seconds * rate)) / rate
    signal = 0.3 * np.sin(2 * np.pi * 440 * t) + 0.05 * rng.standard_normal(t.size)
    pcm = (np.clip(signal, -1, 1) * 32767).astype("<i2")
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes(pcm.tobytes())
    return path


def _cell_prelude() -> str:
    return f"import sys\nsys.path.insert(0, {str(REPO)!r})\n"


async def _baseline(lab: Lab, count: int) -> dict[str, list[float]]:
    out = lab.root / "baseline.json"
    cells = [
        _cell_prelude()
        + "from benchmarks.probes.comm_echo import start_probe\n"
        + f"start_probe({str(out)!r}, {count})"
    ]
    page = await lab.run_notebook("baseline.ipynb", cells)
    try:
        result: dict[str, list[float]] = await lab.wait_for_json(out.name, count * 0.02 + 90)
    finally:
        await page.close()
    if not result["up"]:
        raise Skip("the baseline probe got no messages from the page")
    return result


def _sent_bytes(lab: Lab) -> int:
    return sum(size for direction, size in lab.websocket_frames if direction == "sent")


async def _voice_chat(lab: Lab, frames: int, binary: bool) -> dict[str, Any]:
    """A live VoiceChat (deterministic emulator in a child process), mic clicked, ``frames``
    frames recorded; also the page->server websocket bytes while it ran."""
    name = "uplink_binary" if binary else "uplink_b64"
    out = lab.root / f"{name}.json"
    cells = [
        _cell_prelude()
        + "from benchmarks.probes.uplink import enable_wire_timing, start_uplink\n"
        + "enable_wire_timing()\n"
        + "from nextevi_widgets import VoiceChat\n"
        + "chat = VoiceChat(config_id='deterministic', emulator='process',"
        + f" echo_strategy='headphones', binary_buffers={binary})\n"
        + f"start_uplink(chat, {str(out)!r}, {frames})\n"
        + "chat"
    ]
    before = _sent_bytes(lab)
    page = await lab.run_notebook(f"{name}.ipynb", cells)
    try:
        mic = page.locator(".nextevi-voice-chat .nvc-mic").first
        try:
            await mic.wait_for(timeout=60_000)
        except Exception as exc:
            outputs = await page.locator(".jp-OutputArea").all_inner_texts()
            raise RuntimeError(f"no VoiceChat mic button; cell output: {outputs}") from exc
        await mic.click()
        result: dict[str, Any] = await lab.wait_for_json(out.name, frames * 0.02 + 120)
        result["page_sent_bytes"] = _sent_bytes(lab) - before
    finally:
        await page.close()
    return result


async def _downlink(lab: Lab, replies: int) -> dict[str, Any]:
    """A live VoiceChat asked for ``replies`` short replies from the kernel; per reply the
    first chunk's kernel -> first-sample-scheduled time (see ``probes/downlink.py``)."""
    out = lab.root / "downlink.json"
    cells = [
        _cell_prelude()
        + "from benchmarks.probes.downlink import start_downlink\n"
        + "from nextevi_widgets import VoiceChat\n"
        + "chat = VoiceChat(config_id='deterministic', emulator='process',"
        + " echo_strategy='headphones')\n"
        + f"start_downlink(chat, {str(out)!r}, {replies})\n"
        + "chat"
    ]
    page = await lab.run_notebook("downlink.ipynb", cells)
    try:
        result: dict[str, Any] = await lab.wait_for_json(out.name, replies * 3 + 90)
    finally:
        await page.close()
    if not result["first_chunk_ms"]:
        raise RuntimeError(f"no reply's first chunk was scheduled in the page: {result}")
    return result


def _uplink_ms(result: dict[str, Any]) -> list[float]:
    sent = [
        t for t, dropped in zip(result["t_capture"], result["dropped"], strict=True) if not dropped
    ]
    wire = result["wire_binary"]
    if len(wire) > len(sent) or not sent:
        return []
    return [w - t for t, w in zip(sent, wire, strict=False) if t is not None]


async def run(ctx: Context) -> list[Metric]:
    count = ctx.pick(500, 150)
    frames = ctx.pick(500, 150)
    mic = write_mic_wav(ctx.workdir / "mic.wav")
    async with Lab(ctx.workdir / "lab", mic) as lab:
        before = _sent_bytes(lab)
        base = await _baseline(lab, count)
        base_bytes = _sent_bytes(lab) - before
        binary = await _voice_chat(lab, frames, binary=True)
        b64 = await _voice_chat(lab, frames, binary=False) if not ctx.quick else None
        down = await _downlink(lab, ctx.pick(40, 12))
    half_rtt = [r / 2 for r in base["rtt"]]
    up = _uplink_ms(binary)
    base_up_p95 = p95(base["up"])
    metrics = [
        Metric.from_samples(
            "uplink: capture -> leaves kernel on WebSocket",
            "ms",
            up,
            baseline=summarize(base["up"]),
            ratio=p95(up) / base_up_p95 if up else None,
            goal=Goal(
                "p95 <= 1.25 x baseline one-way", p95(up) <= 1.25 * base_up_p95 if up else None
            ),
            note="baseline: bare anywidget comm one-way page->kernel, same page and kernel "
            "(timestamped, both clocks are this host's system clock); ratio of p95s",
        ),
    ]
    down_ms = down["first_chunk_ms"]
    base_down_p95 = p95(base["down"])
    down_limit = 1.25 * base_down_p95 + 10.0
    metrics.append(
        Metric.from_samples(
            "downlink: tts_chunk in kernel -> first sample scheduled in the player",
            "ms",
            down_ms,
            baseline=summarize(base["down"]),
            ratio=p95(down_ms) / base_down_p95,
            goal=Goal(
                f"p95 <= 1.25 x baseline one-way + 10 ms ({down_limit:.1f} ms)",
                p95(down_ms) <= down_limit,
            ),
            note="first chunk of each reply (idle player; later chunks queue behind audio by "
            "design), kernel stamp t_kernel in play_audio, page stamp = context time of the "
            "render quantum holding the first sample mapped to the page clock; both clocks are "
            f"this host's system clock. baseline: bare comm one-way kernel->page; "
            f"{down['missed']} replies missed",
        )
    )
    pcm_bytes = sum(binary["pcm_bytes"])
    base_pcm = 960 * count
    ratio = binary["page_sent_bytes"] / pcm_bytes if pcm_bytes else None
    metrics.append(
        Metric.single(
            "wire: page->server bytes per PCM byte (binary)",
            "",
            ratio or float("nan"),
            baseline=f"comm echo {base_bytes / base_pcm:.2f}",
            goal=Goal("<= 1.05", None if ratio is None else ratio <= 1.05),
            note="all bytes the page sent on the kernel websocket while capturing (Jupyter "
            "message envelope included) over the PCM bytes captured",
        )
    )
    if b64 is not None and sum(b64["pcm_bytes"]):
        metrics.append(
            Metric.single(
                "wire: page->server bytes per PCM byte (base64)",
                "",
                b64["page_sent_bytes"] / sum(b64["pcm_bytes"]),
                note="binary_buffers=False fallback (front ends without binary comm buffers)",
            )
        )
    sizes = [b / 2 / 24 for b in binary["pcm_bytes"]]
    metrics.append(
        Metric.from_samples(
            "capture frame size",
            "ms",
            sizes,
            baseline="vendor React SDK 85.3 ms, vendor browser example 171 ms",
            note="PCM per audio_frame as received by the kernel (24 kHz mono)",
        )
    )
    return [
        *metrics,
        Metric.from_samples("baseline: comm one-way page->kernel", "ms", base["up"]),
        Metric.from_samples("baseline: comm one-way kernel->page", "ms", base["down"]),
        Metric.from_samples(
            "baseline: comm round trip / 2",
            "ms",
            half_rtt,
            baseline=summarize(base["up"]),
            note="cross-check of the clock correlation: half the round trip vs the one-way",
        ),
    ]


SPEC = BenchSpec("browser_audio", "uplink/downlink latency, wire efficiency, frame size", run)
