import { describe, expect, it } from "vitest";
import { floatToInt16, Framer, int16ToFloat, peakDb, rms, StreamingResampler, toDb } from "./pcm";
import {
  concat,
  fitSine,
  maxAbsDiff,
  maxStep,
  randomChunks,
  sine,
  zeroCrossingFrequency,
} from "./test-signals";

function resampleAll(from: number, to: number, x: Float32Array, quality?: "low" | "medium" | "high"): Float32Array {
  const r = new StreamingResampler(from, to, quality ? { quality } : {});
  return concat([r.process(x), r.flush()]);
}

describe("floatToInt16 / int16ToFloat", () => {
  it("clamps and scales asymmetrically", () => {
    const got = floatToInt16(new Float32Array([-2, -1, -0.5, 0, 0.5, 1, 2, Number.NaN, 1e-9]));
    expect(Array.from(got)).toEqual([-32768, -32768, -16384, 0, 16384, 32767, 32767, 0, 0]);
  });

  it("round-trips every int16 value exactly", () => {
    const all = new Int16Array(65536);
    for (let i = 0; i < all.length; i++) all[i] = i - 32768;
    const back = floatToInt16(int16ToFloat(all));
    expect(back).toEqual(all);
    const f = int16ToFloat(new Int16Array([-32768, 32767]));
    expect(Array.from(f)).toEqual([-1, 1]);
  });
});

describe("level helpers", () => {
  it("measures RMS and peak of a sine", () => {
    const x = sine(1000, 48000, 48000, 0.5);
    expect(rms(x)).toBeCloseTo(0.5 / Math.SQRT2, 4);
    expect(peakDb(x)).toBeCloseTo(20 * Math.log10(0.5), 2);
    expect(rms(new Float32Array(0))).toBe(0);
    expect(peakDb(new Float32Array(10))).toBe(-100);
    expect(toDb(1e-9, -60)).toBe(-60);
  });
});

describe("StreamingResampler accuracy", () => {
  // Output k sits at input time k * from / to, so the result must match the ideal tone sampled
  // at the output rate, sample for sample, away from the start/end transients.
  const cases: Array<[number, number]> = [
    [48000, 24000],
    [44100, 24000],
    [16000, 24000],
    [24000, 48000],
    [24000, 44100],
    [96000, 24000],
    [44056, 24000], // odd rate: interpolated filter bank
  ];
  for (const [from, to] of cases) {
    it(`keeps a 440 Hz tone intact ${from} -> ${to}`, () => {
      const x = sine(440, from, from); // one second
      const y = resampleAll(from, to, x);
      expect(y.length).toBe(Math.ceil(to));
      const edge = Math.round(to * 0.01);
      const body = y.subarray(edge, y.length - edge);
      const ideal = sine(440, to, body.length, 0.5, edge);
      expect(maxAbsDiff(body, ideal)).toBeLessThan(1e-4);
      expect(Math.abs(zeroCrossingFrequency(body, to) - 440)).toBeLessThan(0.01);
      const fit = fitSine(body, 440, to, edge);
      expect(Math.abs(fit.amplitude - 0.5)).toBeLessThan(1e-4);
      expect(fit.residualRms).toBeLessThan(2e-5);
    });
  }

  it("keeps a 3.5 kHz tone (upper speech band) within 0.1 dB at 48k -> 24k", () => {
    const y = resampleAll(48000, 24000, sine(3500, 48000, 48000));
    const body = y.subarray(480, y.length - 480);
    const fit = fitSine(body, 3500, 24000, 480);
    expect(Math.abs(20 * Math.log10(fit.amplitude / 0.5))).toBeLessThan(0.1);
  });

  it("has unity DC gain", () => {
    const y = resampleAll(44100, 24000, new Float32Array(44100).fill(0.25));
    const body = y.subarray(500, y.length - 500);
    expect(maxAbsDiff(body, new Float32Array(body.length).fill(0.25))).toBeLessThan(1e-5);
  });

  it("is a passthrough at equal rates", () => {
    const x = sine(440, 24000, 1000);
    const r = new StreamingResampler(24000, 24000);
    expect(r.process(x)).toEqual(x);
    expect(r.flush().length).toBe(0);
  });
});

describe("StreamingResampler streaming", () => {
  for (const [from, to] of [
    [48000, 24000],
    [44100, 24000],
    [16000, 24000],
    [24000, 44100],
  ] as Array<[number, number]>) {
    it(`gives the same output in odd-sized chunks as in one call (${from} -> ${to})`, () => {
      const x = sine(440, from, Math.round(from * 0.5));
      const whole = resampleAll(from, to, x);
      const r = new StreamingResampler(from, to);
      const parts = randomChunks(x, 300, from).map((c) => r.process(c));
      parts.push(r.flush());
      const chunked = concat(parts);
      expect(chunked.length).toBe(whole.length);
      expect(maxAbsDiff(chunked, whole)).toBeLessThan(1e-7);
      // No discontinuity at chunk edges: the steepest step stays that of the tone itself.
      const body = chunked.subarray(200, chunked.length - 200);
      const toneStep = (2 * Math.PI * 440 * 0.5) / to;
      expect(maxStep(body)).toBeLessThan(toneStep * 1.01);
    });
  }

  it("emits exactly outputCountFor(n) samples for any chunking", () => {
    for (const [from, to] of [
      [48000, 24000],
      [44100, 24000],
      [22050, 24000],
      [24000, 22050],
      [8000, 24000],
    ] as Array<[number, number]>) {
      for (const n of [1, 7, 128, 1000, 4410]) {
        const r = new StreamingResampler(from, to);
        let total = 0;
        for (const c of randomChunks(new Float32Array(n), 97, n)) total += r.process(c).length;
        total += r.flush().length;
        expect(total).toBe(r.outputCountFor(n));
      }
    }
  });

  it("starts afresh after reset and after flush", () => {
    const x = sine(300, 48000, 5000);
    const r = new StreamingResampler(48000, 24000);
    const first = concat([r.process(x), r.flush()]);
    const second = concat([r.process(x), r.flush()]);
    expect(maxAbsDiff(first, second)).toBe(0);
    r.process(sine(1000, 48000, 777));
    r.reset();
    expect(maxAbsDiff(concat([r.process(x), r.flush()]), first)).toBe(0);
  });
});

describe("StreamingResampler anti-aliasing", () => {
  const stopbandDb = (from: number, to: number, freq: number, quality?: "low" | "medium" | "high"): number => {
    const x = sine(freq, from, from);
    const y = resampleAll(from, to, x, quality);
    const body = y.subarray(1000, y.length - 1000);
    return 20 * Math.log10(rms(body) / rms(x));
  };

  it("suppresses a 20 kHz tone by more than 70 dB going 48k -> 24k", () => {
    expect(stopbandDb(48000, 24000, 20000)).toBeLessThan(-70);
  });

  it("suppresses a 13 kHz tone (just above the new Nyquist) by more than 60 dB", () => {
    expect(stopbandDb(48000, 24000, 13000)).toBeLessThan(-60);
  });

  it("suppresses a 15 kHz tone by more than 70 dB going 44.1k -> 24k", () => {
    expect(stopbandDb(44100, 24000, 15000)).toBeLessThan(-70);
  });

  it("removes images when upsampling 24k -> 48k (a 5 kHz tone has no 19 kHz image)", () => {
    const y = resampleAll(24000, 48000, sine(5000, 24000, 24000));
    const body = y.subarray(1000, y.length - 1000);
    const image = fitSine(body, 19000, 48000, 1000).amplitude;
    expect(20 * Math.log10(image / 0.5)).toBeLessThan(-70);
  });
});

describe("Framer", () => {
  it("emits exact-size frames and loses no sample", () => {
    const x = new Float32Array(10_000).map((_, i) => i);
    const f = new Framer(480);
    const frames = randomChunks(x, 700, 3).flatMap((c) => f.push(c));
    expect(frames.length).toBe(Math.floor(10_000 / 480));
    for (const fr of frames) expect(fr.length).toBe(480);
    const joined = concat(frames);
    expect(joined).toEqual(x.subarray(0, joined.length));
    expect(f.buffered).toBe(10_000 % 480);
    f.reset();
    expect(f.buffered).toBe(0);
  });

  it("rejects a non-positive frame size", () => {
    expect(() => new Framer(0)).toThrow(RangeError);
  });
});
