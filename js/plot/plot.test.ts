import { describe, expect, it } from "vitest";
import { decodeFrame, isFrameHeader, type FrameHeader } from "./frame";
import { finiteRuns, formatTick, linear, niceTicks, tickStep } from "./scale";

describe("scales and ticks", () => {
  it("maps a domain onto a range, including a flipped one", () => {
    const y = linear(0, 1, 200, 20);
    expect(y(0)).toBe(200);
    expect(y(1)).toBe(20);
    expect(y(0.5)).toBe(110);
  });

  it("picks 1-2-5 steps within the tick budget", () => {
    expect(tickStep(0, 1, 5)).toBe(0.2);
    expect(tickStep(0, 3600, 8)).toBe(500);
    expect(tickStep(0, 12.5, 6)).toBe(5);
    expect(niceTicks(0, 1, 5)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    expect(niceTicks(3.2, 17.9, 4)).toEqual([5, 10, 15]);
    expect(niceTicks(79.5, 104.5, 5)).toEqual([80, 85, 90, 95, 100]);
  });

  it("formats ticks with the decimals their step needs", () => {
    expect(formatTick(0.4, 0.2)).toBe("0.4");
    expect(formatTick(1500, 500)).toBe("1500");
    expect(formatTick(0.25, 0.05)).toBe("0.25");
  });

  it("never loops on a degenerate range", () => {
    expect(niceTicks(5, 5, 4)).toEqual([5]);
    expect(tickStep(0, Number.NaN, 4)).toBe(1);
  });

  it("splits a series at missing scores", () => {
    const values = new Float32Array([0.1, 0.5, Number.NaN, 0.5, 0.3, 0.5, 0.4, Number.NaN]);
    // Two series, four samples: column 0 = 0.1, NaN, 0.3, 0.4; column 1 = 0.5, 0.5, 0.5, NaN.
    expect(finiteRuns(values, 4, 2, 0)).toEqual([[0, 1], [2, 4]]);
    expect(finiteRuns(values, 4, 2, 1)).toEqual([[0, 3]]);
  });
});

function header(samples: number, names = ["joy", "anger"]): FrameHeader {
  return {
    kind: "frame",
    x0: 0,
    x1: 12.5,
    title: "",
    names,
    colors: ["#f2b701", "#e73f74"],
    roles: ["user", "assistant"],
    role_colors: ["#4c72b0", "#8c8c8c"],
    samples,
  };
}

describe("frame decoding", () => {
  it("reads times, values, turns and interruptions from unaligned views", () => {
    const times = new Float64Array([0, 0.5, 1]);
    const values = new Float32Array([0.1, 0.2, 0.3, 0.4, 0.5, 0.6]);
    const turns = new Float64Array([0, 2, 0, 0, 2.2, 3, 1, 1]);
    const marks = new Float64Array([3]);
    // Each buffer at an odd offset inside one larger buffer, as a message's views can be.
    const pack = (a: ArrayBufferView): DataView => {
      const raw = new Uint8Array(a.byteLength + 3);
      raw.set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength), 3);
      return new DataView(raw.buffer, 3, a.byteLength);
    };
    const frame = decodeFrame(header(3), [pack(times), pack(values), pack(turns), pack(marks)]);
    expect(Array.from(frame.times)).toEqual([0, 0.5, 1]);
    expect(frame.values[5]).toBeCloseTo(0.6);
    expect(frame.turns).toEqual([
      { start: 0, end: 2, role: 0, interrupted: false },
      { start: 2.2, end: 3, role: 1, interrupted: true },
    ]);
    expect(Array.from(frame.interruptions)).toEqual([3]);
  });

  it("refuses buffers that do not match the header", () => {
    const times = new Float64Array([0, 0.5]);
    const values = new Float32Array([0.1, 0.2, 0.3]);
    expect(() => decodeFrame(header(2), [times.buffer, values.buffer])).toThrow(/2 times and 3 values/);
  });

  it("recognises frame headers only", () => {
    expect(isFrameHeader(header(0))).toBe(true);
    expect(isFrameHeader({ kind: "frame" })).toBe(false);
    expect(isFrameHeader(null)).toBe(false);
  });
});
