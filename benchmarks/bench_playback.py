"""Playback continuity and interruption, measured in Node against the player engine the
browser's player worklet runs (``js/audio/player-core.ts``), on a virtual clock: 60 s of TTS in
200 ms chunks sent like the emulator (300 ms lead, then real time) and delivered with 0-100 ms
random jitter -> underruns; a flush mid-tone -> time to silence and whether it fades.

The browser route (reading the worklet's stats in Chromium) would add the audio thread's
scheduling but needs a 60 s real-time page per run; the engine is where underruns and fades are
decided, so it is measured directly (see benchmarks/README.md)."""

from __future__ import annotations

import asyncio
import json
import shutil
from pathlib import Path

from .harness import BenchSpec, Context, Goal, Metric, Skip

REPO = Path(__file__).resolve().parent.parent
DRIVER = Path(__file__).parent / "node" / "playback_sim.ts"
FADE_MS = 12  # the widget's default flush fade (js/audio/playback.ts)


async def _sim(ctx: Context, runs: int) -> dict[str, object]:
    node = shutil.which("node")
    esbuild = REPO / "node_modules" / ".bin" / "esbuild"
    if node is None or not esbuild.exists():
        raise Skip("needs node and the npm packages (esbuild)")
    bundle = ctx.workdir / "playback_sim.mjs"
    build = await asyncio.create_subprocess_exec(
        str(esbuild),
        str(DRIVER),
        "--bundle",
        "--platform=node",
        "--format=esm",
        f"--outfile={bundle}",
        "--log-level=error",
        cwd=REPO,
    )
    if await build.wait() != 0:
        raise Skip("the player engine did not bundle (js/audio/player-core.ts)")
    proc = await asyncio.create_subprocess_exec(
        node,
        str(bundle),
        "60",
        "100",
        str(runs),
        str(FADE_MS),
        stdout=asyncio.subprocess.PIPE,
    )
    out, _ = await proc.communicate()
    if proc.returncode != 0:
        raise RuntimeError("the playback simulation failed")
    result: dict[str, object] = json.loads(out)
    return result


async def run(ctx: Context) -> list[Metric]:
    result = await _sim(ctx, ctx.pick(10, 3))
    runs = result["continuity"]
    cut = result["interruption"]
    assert isinstance(runs, list)
    assert isinstance(cut, dict)
    underruns = [float(r["underruns"]) for r in runs]
    silence = float(cut["silence_after_ms"])
    faded = 0 < float(cut["first_block_peak"]) <= 1.05 * float(cut["level_before"])
    faded = faded and int(cut["rises"]) == 0
    return [
        Metric.from_samples(
            "underruns, 60 s TTS with 0-100 ms jitter",
            "",
            underruns,
            goal=Goal("0 in every run", max(underruns) == 0),
            note=f"{len(runs)} runs of 300 chunks; lowest queue while playing "
            f"{min(float(r['min_queued_ms']) for r in runs):.0f} ms",
        ),
        Metric.single(
            "interruption: flush -> silence",
            "ms",
            silence,
            goal=Goal("<= 20 ms with a fade", silence <= 20 and faded),
            note=f"fade {FADE_MS} ms; "
            + ("level falls steadily from the playing level" if faded else "NO smooth fade"),
        ),
    ]


SPEC = BenchSpec("playback", "player engine: continuity under jitter, interruption fade", run)
