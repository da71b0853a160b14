import { describe, expect, it } from "vitest";
import { ChunkLedger, FadeOut, fadeGain, RingBuffer } from "./ring";
import { maxStep } from "./test-signals";

const seq = (from: number, n: number): Float32Array => new Float32Array(n).map((_, i) => from + i);

describe("RingBuffer", () => {
  it("keeps order across wraparound", () => {
    const r = new RingBuffer(10);
    expect(r.write(seq(0, 7))).toBe(7);
    const a = new Float32Array(5);
    expect(r.read(a)).toBe(5);
    expect(Array.from(a)).toEqual([0, 1, 2, 3, 4]);
    expect(r.write(seq(7, 6))).toBe(6); // wraps
    const b = new Float32Array(8);
    expect(r.read(b)).toBe(8);
    expect(Array.from(b)).toEqual([5, 6, 7, 8, 9, 10, 11, 12]);
    expect(r.available).toBe(0);
    expect(r.readPosition).toBe(13);
  });

  it("writes only what fits", () => {
    const r = new RingBuffer(4);
    expect(r.write(seq(0, 6))).toBe(4);
    expect(r.free).toBe(0);
    expect(r.write(seq(0, 1))).toBe(0);
  });

  it("zero-fills and reports a short read when it runs dry", () => {
    const r = new RingBuffer(8);
    r.write(seq(1, 3));
    const out = new Float32Array(6).fill(9);
    expect(r.read(out)).toBe(3);
    expect(Array.from(out)).toEqual([1, 2, 3, 0, 0, 0]);
    expect(r.read(out, 2, 2)).toBe(0);
    expect(Array.from(out)).toEqual([1, 2, 0, 0, 0, 0]);
  });

  it("clears and truncates", () => {
    const r = new RingBuffer(8);
    r.write(seq(1, 6));
    r.truncate(2);
    expect(r.available).toBe(2);
    expect(r.writePosition).toBe(2);
    const out = new Float32Array(4);
    r.read(out);
    expect(Array.from(out)).toEqual([1, 2, 0, 0]);
    r.write(seq(1, 5));
    r.clear();
    expect(r.available).toBe(0);
    expect(r.read(out)).toBe(0);
  });
});

describe("FadeOut", () => {
  it("is monotone, ends at exactly zero and has no large step", () => {
    for (const n of [1, 2, 96, 576, 720]) {
      const g = Array.from({ length: n }, (_, i) => fadeGain(i, n));
      for (let i = 1; i < n; i++) expect(g[i]!).toBeLessThanOrEqual(g[i - 1]!);
      expect(g[n - 1]).toBe(0);
      expect(maxStep([1, ...g])).toBeLessThanOrEqual(Math.PI / (2 * n) + 1e-12);
    }
  });

  it("applies the same curve across split calls and silences afterwards", () => {
    const whole = new Float32Array(1000).fill(0.8);
    const f1 = new FadeOut();
    f1.start(576);
    f1.apply(whole);
    const split = new Float32Array(1000).fill(0.8);
    const f2 = new FadeOut();
    f2.start(576);
    for (let i = 0; i < 1000; i += 128) f2.apply(split, i, Math.min(128, 1000 - i));
    expect(split).toEqual(whole);
    expect(f2.done).toBe(true);
    expect(Array.from(whole.subarray(575)).every((v) => v === 0)).toBe(true);
    expect(whole[0]!).toBeGreaterThan(0.79);
    f2.cancel();
    const pass = new Float32Array(4).fill(0.5);
    f2.apply(pass);
    expect(Array.from(pass)).toEqual([0.5, 0.5, 0.5, 0.5]);
  });
});

describe("ChunkLedger", () => {
  it("maps output positions to per-chunk played samples", () => {
    const l = new ChunkLedger();
    // Two 24 kHz chunks of 240 and 480 samples played at 48 kHz.
    l.add("a", 240, 0, 480);
    l.add("b", 480, 480, 1440);
    expect(l.update(120, true)).toEqual([{ id: "a", played: 60, total: 240, flushed: false }]);
    expect(l.update(120, true)).toEqual([]); // unchanged: not reported again
    expect(l.update(300, false)).toEqual([]); // partial reports only on request
    expect(l.update(600, true)).toEqual([
      { id: "a", played: 240, total: 240, flushed: false },
      { id: "b", played: 60, total: 480, flushed: false },
    ]);
    expect(l.size).toBe(1);
    expect(l.update(1440, false)).toEqual([{ id: "b", played: 480, total: 480, flushed: false }]);
    expect(l.size).toBe(0);
  });

  it("reports a chunk complete only at its end", () => {
    const l = new ChunkLedger();
    l.add("a", 1000, 0, 1837);
    expect(l.update(1836, true)[0]!.played).toBeLessThan(1000);
    expect(l.update(1837, true)[0]!.played).toBe(1000);
  });

  it("flushes every tracked chunk with what was heard", () => {
    const l = new ChunkLedger();
    l.add("a", 100, 0, 200);
    l.add("b", 100, 200, 400);
    l.add("c", 100, 400, 600);
    expect(l.flushAll(300)).toEqual([
      { id: "a", played: 100, total: 100, flushed: true },
      { id: "b", played: 50, total: 100, flushed: true },
      { id: "c", played: 0, total: 100, flushed: true },
    ]);
    expect(l.size).toBe(0);
  });
});
