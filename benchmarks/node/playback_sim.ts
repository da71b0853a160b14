/**
 * Playback continuity, simulated in Node against the real player engine (`js/audio/player-core.ts`,
 * the code the player worklet runs), driven in 128-frame render quanta at 48 kHz on a virtual
 * clock. Prints one JSON object.
 *
 * 1. Continuity: SECONDS of 24 kHz TTS in 200 ms chunks, sent like the emulator (a 300 ms lead,
 *    then real time) and delivered with uniform random 0..JITTER ms extra delay per chunk (order
 *    kept, as on one TCP stream). Counts underruns.
 * 2. Interruption: after 2 s of a tone, flush with the widget's default fade; measures how long
 *    until the output is silent and whether the level falls smoothly (no click).
 */
import { PlayerCore } from "../../js/audio/player-core";

const OUT = 48_000;
const QUANTUM = 128;
const IN = 24_000;
const CHUNK_S = 0.2;

function tone(seconds: number, start: number): Int16Array {
  const n = Math.round(seconds * IN);
  const pcm = new Int16Array(n);
  for (let i = 0; i < n; i++) pcm[i] = Math.round(12000 * Math.sin((2 * Math.PI * 220 * (start + i)) / IN));
  return pcm;
}

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32);
}

function continuity(seconds: number, jitterMs: number, seed: number): Record<string, number> {
  const core = new PlayerCore(OUT, () => {});
  const random = rng(seed);
  const chunks = Math.round(seconds / CHUNK_S);
  const arrivals: number[] = [];
  let previous = 0;
  for (let c = 0; c < chunks; c++) {
    const sent = Math.max(0, c * CHUNK_S - 0.3); // 300 ms lead, then real time
    previous = Math.max(previous, sent + (random() * jitterMs) / 1000);
    arrivals.push(previous);
  }
  const out = new Float32Array(QUANTUM);
  let next = 0;
  let t = 0;
  let minQueued = Infinity;
  const end = arrivals[arrivals.length - 1] + CHUNK_S + 1;
  while (t < end) {
    while (next < chunks && arrivals[next] <= t) {
      core.enqueue(`c${next}`, tone(CHUNK_S, next * CHUNK_S * IN), IN, "g1", next === chunks - 1);
      next++;
    }
    core.render(out);
    if (next > 0 && next < chunks) minQueued = Math.min(minQueued, core.queuedMs);
    t += QUANTUM / OUT;
  }
  return { underruns: core.underrunCount, chunks, min_queued_ms: minQueued };
}

function interruption(fadeMs: number): Record<string, number> {
  const core = new PlayerCore(OUT, () => {});
  core.enqueue("a", tone(10, 0), IN, "g1");
  const out = new Float32Array(QUANTUM);
  let lastBefore = 0;
  for (let t = 0; t < 2; t += QUANTUM / OUT) {
    core.render(out);
    lastBefore = Math.max(...Array.from(out, Math.abs)); // one quantum ~ half a 220 Hz period
  }
  core.flush(fadeMs);
  const after: number[] = [];
  for (let q = 0; q < 200; q++) {
    core.render(out);
    after.push(...out);
  }
  let lastLoud = -1;
  for (let i = 0; i < after.length; i++) if (Math.abs(after[i]) > 1e-4) lastLoud = i;
  // Peak level per 4.5 ms block (one 220 Hz period): a fade falls steadily, a cut at once.
  const block = Math.round(OUT / 220);
  const peaks: number[] = [];
  for (let i = 0; i + block <= lastLoud + 1; i += block) {
    peaks.push(Math.max(...Array.from(after.slice(i, i + block), Math.abs)));
  }
  let rises = 0;
  for (let i = 1; i < peaks.length; i++) if (peaks[i] > peaks[i - 1] * 1.05 + 1e-3) rises++;
  return {
    fade_ms: fadeMs,
    silence_after_ms: ((lastLoud + 1) / OUT) * 1000,
    level_before: lastBefore,
    first_block_peak: peaks[0] ?? 0,
    rises,
  };
}

const seconds = Number(process.argv[2] ?? 60);
const jitter = Number(process.argv[3] ?? 100);
const runs = Number(process.argv[4] ?? 5);
const fadeMs = Number(process.argv[5] ?? 12);
const results = [];
for (let r = 0; r < runs; r++) results.push(continuity(seconds, jitter, 1000 + r));
console.log(JSON.stringify({ continuity: results, interruption: interruption(fadeMs) }));
