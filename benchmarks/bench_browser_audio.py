"""Browser audio path in real Chromium + JupyterLab: uplink and downlink latency, wire
efficiency and capture frame size, each next to a bare anywidget comm echo measured in the same
page and kernel (see ``probes/comm_echo.py``)."""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np

from .harness import BenchSpec, Context, Metric, Skip, summarize
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


async def run(ctx: Context) -> list[Metric]:
    count = ctx.pick(500, 150)
    mic = write_mic_wav(ctx.workdir / "mic.wav")
    async with Lab(ctx.workdir / "lab", mic) as lab:
        base = await _baseline(lab, count)
    half_rtt = [r / 2 for r in base["rtt"]]
    return [
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
