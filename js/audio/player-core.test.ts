import { describe, expect, it } from "vitest";
import type { PlayerEvent, PlayerProgressMessage } from "../worklets/messages";
import { floatToInt16, int16ToFloat, StreamingResampler } from "./pcm";
import { PlayerCore, type PlayerCoreOptions } from "./player-core";
import { fadeGain } from "./ring";
import { concat, fitSine, maxAbsDiff, maxStep, prng, sine } from "./test-signals";

const QUANTUM = 128;

function harness(rate = 48000, opts: PlayerCoreOptions = {}) {
  const events: PlayerEvent[] = [];
  const core = new PlayerCore(rate, (e) => events.push(e), opts);
  const blocks: Float32Array[] = [];
  const render = (quanta: number): void => {
    for (let i = 0; i < quanta; i++) {
      const q = new Float32Array(QUANTUM);
      core.render(q);
      blocks.push(q);
    }
  };
  const output = (): Float32Array => concat(blocks);
  const of = <T extends PlayerEvent["type"]>(type: T) =>
    events.filter((e): e is Extract<PlayerEvent, { type: T }> => e.type === type);
  return { core, events, render, output, of };
}

/** Splits PCM into chunks of random sizes in [min, max]. */
function split(pcm: Int16Array, min: number, max: number, seed: number): Int16Array[] {
  const rnd = prng(seed);
  const out: Int16Array[] = [];
  for (let i = 0; i < pcm.length; ) {
    const n = min + Math.floor(rnd() * (max - min + 1));
    out.push(pcm.slice(i, i + n));
    i += n;
  }
  return out;
}

function reference(pcm: Int16Array, from: number, to: number): Float32Array {
  const r = new StreamingResampler(from, to);
  return concat([r.process(int16ToFloat(pcm)), r.flush()]);
}

const tts = floatToInt16(sine(440, 24000, 24000)); // one second of 24 kHz TTS
const toneStep48 = (2 * Math.PI * 440 * 0.5) / 48000;

/** Final progress per chunk id. */
function finalProgress(events: PlayerEvent[]): Map<string, PlayerProgressMessage> {
  const m = new Map<string, PlayerProgressMessage>();
  for (const e of events) if (e.type === "progress") m.set(e.id, e);
  return m;
}

describe("PlayerCore gapless playback", () => {
  it("plays chunks queued at once as one seamless resampled stream", () => {
    const h = harness();
    const chunks = split(tts, 100, 3000, 7);
    chunks.forEach((c, i) => h.core.enqueue(`c${i}`, c, 24000, "g", i === chunks.length - 1));
    h.render(400);
    const ref = reference(tts, 24000, 48000);
    const out = h.output();
    expect(maxAbsDiff(out.subarray(0, ref.length), ref)).toBeLessThan(1e-7);
    expect(Array.from(out.subarray(ref.length)).every((v) => v === 0)).toBe(true);
    // (skipping the onset transient: the tone starts abruptly at t = 0)
    expect(maxStep(out.subarray(200, ref.length - 200))).toBeLessThan(toneStep48 * 1.01);
    expect(h.of("started").length).toBe(1);
    expect(h.of("drained").length).toBe(1);
    expect(h.core.underrunCount).toBe(0);
  });

  it("stays seamless when 20 ms chunks arrive just in time", () => {
    const h = harness();
    const chunks = split(tts, 480, 480, 1);
    // Each 20 ms chunk is 960 output samples; 7 quanta (896) are rendered between arrivals,
    // so the queue gets low but never runs dry.
    chunks.forEach((c, i) => {
      h.core.enqueue(`c${i}`, c, 24000, "g", i === chunks.length - 1);
      h.render(7);
    });
    h.render(100);
    const ref = reference(tts, 24000, 48000);
    const out = h.output();
    expect(maxAbsDiff(out.subarray(0, ref.length), ref)).toBeLessThan(1e-7);
    expect(h.core.underrunCount).toBe(0);
    expect(h.of("drained").length).toBe(1);
  });

  it("accounts every chunk's samples exactly, with monotone progress", () => {
    const h = harness(44100);
    const chunks = split(tts, 50, 2000, 3);
    chunks.forEach((c, i) => h.core.enqueue(`c${i}`, c, 24000));
    h.render(500);
    const seen = new Map<string, number>();
    for (const p of h.of("progress")) {
      expect(p.played).toBeGreaterThanOrEqual(seen.get(p.id) ?? 0);
      expect(p.flushed).toBe(false);
      seen.set(p.id, p.played);
    }
    const last = finalProgress(h.events);
    chunks.forEach((c, i) => expect(last.get(`c${i}`)).toEqual({ type: "progress", id: `c${i}`, played: c.length, total: c.length, flushed: false }));
    // Partial reports are rate-limited (about every 50 ms), not one per quantum.
    expect(h.of("progress").length).toBeLessThan(chunks.length * 2 + 30);
  });

  it("handles a change of source rate between chunks", () => {
    const h = harness();
    const a = floatToInt16(sine(440, 24000, 4800));
    const b = floatToInt16(sine(440, 16000, 3200));
    h.core.enqueue("a", a, 24000);
    h.core.enqueue("b", b, 16000, undefined, true);
    h.render(200);
    const last = finalProgress(h.events);
    expect(last.get("a")!.played).toBe(4800);
    expect(last.get("b")!.played).toBe(3200);
    const expected = reference(a, 24000, 48000).length + reference(b, 16000, 48000).length;
    expect(h.core.playedSamplesTotal).toBe(expected);
  });
});

describe("PlayerCore flush", () => {
  it("fades out without a click, drops the rest and reports what was heard", () => {
    const h = harness();
    h.core.enqueue("a", tts.slice(0, 12000), 24000, "g");
    h.core.enqueue("b", tts.slice(12000), 24000, "g");
    h.render(50); // 6400 output samples = 3200 source samples
    h.core.flush(12);
    const fadeLen = Math.round(0.012 * 48000);
    const flushed = h.of("progress").filter((p) => p.flushed);
    expect(flushed.map((p) => p.id)).toEqual(["a", "b"]);
    expect(Math.abs(flushed[0]!.played - (6400 + fadeLen) / 2)).toBeLessThanOrEqual(1);
    expect(flushed[1]!.played).toBe(0);
    h.render(20);
    const out = h.output();
    const fade = out.subarray(6400, 6400 + fadeLen);
    fade.forEach((v, i) => expect(Math.abs(v)).toBeLessThanOrEqual(0.5 * fadeGain(i, fadeLen) + 1e-4));
    expect(Array.from(out.subarray(6400 + fadeLen)).every((v) => v === 0)).toBe(true);
    expect(maxStep(out.subarray(200))).toBeLessThan(toneStep48 * 1.05);
    expect(h.of("drained").length).toBe(1);
    expect(h.core.underrunCount).toBe(0);
    expect(h.core.queuedMs).toBe(0);
  });

  it("plays a new response right after a flush at full level", () => {
    const h = harness();
    h.core.enqueue("a", tts, 24000, "g1");
    h.render(10);
    h.core.flush(5);
    h.core.enqueue("b", tts.slice(0, 4800), 24000, "g2", true);
    h.render(100);
    const last = finalProgress(h.events);
    expect(last.get("b")).toMatchObject({ played: 4800, flushed: false });
    const out = h.output();
    const start = 1280 + Math.round(0.005 * 48000);
    const fit = fitSine(out.subarray(start + 500, start + 9000), 440, 48000, 500);
    expect(fit.amplitude).toBeGreaterThan(0.499);
    expect(h.core.underrunCount).toBe(0);
  });
});

describe("PlayerCore underruns and lifecycle events", () => {
  const chunk = tts.slice(0, 2400); // 100 ms

  it("counts a dry spell inside a response as an underrun", () => {
    const h = harness();
    h.core.enqueue("a", chunk, 24000, "g1");
    h.render(50); // 100 ms of audio then ~33 ms dry
    h.core.enqueue("b", chunk, 24000, "g1");
    h.render(60);
    expect(h.core.underrunCount).toBe(1);
    expect(h.of("started").length).toBe(1); // still "speaking" through a short stall
  });

  it("does not count the gap before a new response", () => {
    const h = harness();
    h.core.enqueue("a", chunk, 24000, "g1");
    h.render(50);
    h.core.enqueue("b", chunk, 24000, "g2");
    h.render(60);
    expect(h.core.underrunCount).toBe(0);
  });

  it("does not count running dry after a response's last chunk, and drains at once", () => {
    const h = harness();
    h.core.enqueue("a", chunk, 24000, "g1", true);
    h.render(40);
    expect(h.of("drained").length).toBe(1);
    h.core.enqueue("b", chunk, 24000, "g1");
    h.render(60);
    expect(h.core.underrunCount).toBe(0);
    expect(h.of("started").length).toBe(2);
  });

  it("without generation ids, counts a short stall but not a gap after draining", () => {
    const h = harness(48000, { drainHoldMs: 100 });
    h.core.enqueue("a", chunk, 24000);
    h.render(45);
    expect(h.of("drained").length).toBe(0);
    h.core.enqueue("b", chunk, 24000);
    h.render(80); // b plays, then the queue stays dry past the hold
    expect(h.core.underrunCount).toBe(1);
    expect(h.of("drained").length).toBe(1);
    h.core.enqueue("c", chunk, 24000);
    h.render(10);
    expect(h.core.underrunCount).toBe(1);
  });

  it("treats an empty final chunk as the end of the response, not an underrun", () => {
    const h = harness();
    h.core.enqueue("a", chunk, 24000, "g1");
    h.render(45); // dry for a few quanta, within the hold
    h.core.enqueue("end", new Int16Array(0), 24000, "g1", true);
    h.render(2);
    expect(h.of("drained").length).toBe(1);
    expect(finalProgress(h.events).get("end")).toMatchObject({ played: 0, total: 0, flushed: false });
    h.core.enqueue("b", chunk, 24000, "g1");
    h.render(10);
    expect(h.core.underrunCount).toBe(0);
  });

  it("reports stats with a falling queue and the output level", () => {
    const h = harness();
    h.core.enqueue("a", tts, 24000, "g", true);
    expect(h.core.queuedMs).toBeCloseTo(1000, 6);
    h.render(400);
    const stats = h.of("stats");
    expect(stats.length).toBeGreaterThan(3);
    for (let i = 1; i < stats.length; i++) expect(stats[i]!.queuedMs).toBeLessThanOrEqual(stats[i - 1]!.queuedMs);
    expect(stats[1]!.level).toBeCloseTo(0.5 / Math.SQRT2, 2);
    expect(stats[stats.length - 1]!.playedSamplesTotal).toBe(48000);
  });
});

describe("PlayerCore volume and mute", () => {
  it("scales the output and ramps without a step", () => {
    const h = harness();
    h.core.enqueue("a", tts, 24000);
    h.render(20);
    h.core.setVolume(0.25);
    h.render(60);
    const out = h.output();
    expect(fitSine(out.subarray(3000, 10000), 440, 48000, 3000).amplitude).toBeCloseTo(0.125, 3);
    expect(maxStep(out.subarray(200, 10000))).toBeLessThan(toneStep48 * 1.05);
  });

  it("mutes to silence while playback (and accounting) continues", () => {
    const h = harness();
    h.core.enqueue("a", tts.slice(0, 4800), 24000, "g", true);
    h.core.setMuted(true);
    h.render(100);
    const out = h.output();
    expect(Array.from(out.subarray(QUANTUM)).every((v) => v === 0)).toBe(true);
    expect(finalProgress(h.events).get("a")).toMatchObject({ played: 4800, flushed: false });
  });
});

describe("PlayerCore first-sample scheduling reports", () => {
  const RATE = 48000;
  /** Renders quanta at context time `q * 128 / RATE`; returns the events each quantum emitted. */
  function timed(core: PlayerCore, events: PlayerEvent[], out: Float32Array[], from: number, count: number) {
    const perQuantum: PlayerEvent[][] = [];
    for (let q = from; q < from + count; q++) {
      const block = new Float32Array(QUANTUM);
      const before = events.length;
      core.render(block, (q * QUANTUM) / RATE);
      out.push(block);
      perQuantum.push(events.slice(before));
    }
    return perQuantum;
  }
  const dc = (value: number, n: number): Int16Array => new Int16Array(n).fill(value);

  it("reports each chunk once, in the quantum that plays its first sample, at that sample's time", () => {
    const events: PlayerEvent[] = [];
    const core = new PlayerCore(RATE, (e) => events.push(e));
    const out: Float32Array[] = [];
    timed(core, events, out, 0, 10); // idle: silence, nothing scheduled
    core.enqueue("a", dc(8000, 1000), RATE, "g");
    core.enqueue("b", dc(-12000, 700), RATE, "g", true);
    const quanta = timed(core, events, out, 10, 30);
    const scheduled = events.filter((e) => e.type === "scheduled");
    expect(scheduled.map((e) => e.id)).toEqual(["a", "b"]);
    const signal = concat(out);
    for (const [s, value] of [
      [scheduled[0]!, 8000],
      [scheduled[1]!, -12000],
    ] as const) {
      const pos = Math.round(s.contextTime * RATE);
      // The reported time is exactly where the chunk's first sample sits in the output.
      expect(signal[pos]).toBeCloseTo(value / 32768, 4);
      expect(signal[pos - 1]).not.toBeCloseTo(value / 32768, 4);
      // Sent from the quantum containing that sample, stamped with that quantum's end.
      const q = Math.floor(pos / QUANTUM);
      expect(quanta[q - 10]!.some((e) => e.type === "scheduled" && e.id === s.id)).toBe(true);
      expect(s.contextNow).toBeCloseTo(((q + 1) * QUANTUM) / RATE, 9);
    }
    expect(scheduled[0]!.contextTime).toBeCloseTo((10 * QUANTUM) / RATE, 9);
    expect(scheduled[1]!.contextTime).toBeCloseTo((10 * QUANTUM + 1000) / RATE, 9);
  });

  it("does not report flushed chunks, and reports nothing without a context time", () => {
    const events: PlayerEvent[] = [];
    const core = new PlayerCore(RATE, (e) => events.push(e));
    core.enqueue("a", dc(8000, 256), RATE, "g");
    core.enqueue("b", dc(8000, 256), RATE, "g");
    timed(core, events, [], 0, 1);
    core.flush(0);
    timed(core, events, [], 1, 5);
    expect(events.filter((e) => e.type === "scheduled").map((e) => e.id)).toEqual(["a"]);
    const bare = harness();
    bare.core.enqueue("c", dc(8000, 256), RATE);
    bare.render(4);
    expect(bare.of("scheduled")).toEqual([]);
    expect(bare.of("started").length).toBe(1);
    // Stats carry the quantum's end time only when the context time is known.
    const stats = events.filter((e) => e.type === "stats");
    expect(stats.length).toBeGreaterThan(0);
    expect(stats.every((e) => e.type === "stats" && Number.isFinite(e.contextNow))).toBe(true);
    expect(bare.of("stats").every((e) => e.contextNow === undefined)).toBe(true);
  });
});
