import { describe, expect, it } from "vitest";
import type { MicFrame } from "./audio_api";
import { FrameBatcher } from "./batcher";

function frame(seq: number): MicFrame {
  const pcm = new Int16Array(480).fill(seq);
  return { pcm, seq, tCapture: 1000 + 20 * seq, rms: 0 };
}

describe("FrameBatcher", () => {
  it("passes single frames straight through with one frame per message", () => {
    const b = new FrameBatcher();
    const out = b.push(frame(0), 1);
    expect(out).toHaveLength(1);
    expect(out[0]!.seq).toBe(0);
    expect(out[0]!.tCapture).toEqual([1000]);
    expect(b.size).toBe(0);
  });

  it("concatenates N consecutive frames in seq order with each capture time", () => {
    const b = new FrameBatcher();
    const batches = [0, 1, 2, 3, 4, 5].flatMap((s) => b.push(frame(s), 3));
    expect(batches.map((x) => x.seq)).toEqual([0, 3]);
    expect(batches[1]!.tCapture).toEqual([1060, 1080, 1100]);
    const pcm = batches[1]!.pcm;
    expect(pcm.length).toBe(3 * 480);
    expect([pcm[0], pcm[480], pcm[960], pcm[1439]]).toEqual([3, 4, 5, 5]);
  });

  it("flushes a partial batch once, then holds nothing", () => {
    const b = new FrameBatcher();
    expect(b.push(frame(0), 5)).toEqual([]);
    expect(b.push(frame(1), 5)).toEqual([]);
    const rest = b.flush();
    expect(rest?.seq).toBe(0);
    expect(rest?.tCapture).toEqual([1000, 1020]);
    expect(b.flush()).toBeNull();
  });

  it("closes the pending batch on a seq gap (a new capture restarts at 0)", () => {
    const b = new FrameBatcher();
    b.push(frame(7), 4);
    b.push(frame(8), 4);
    const out = b.push(frame(0), 4);
    expect(out.map((x) => [x.seq, x.tCapture.length])).toEqual([[7, 2]]);
    expect(b.size).toBe(1);
  });

  it("applies a smaller batch size at the next frame", () => {
    const b = new FrameBatcher();
    b.push(frame(0), 10);
    b.push(frame(1), 10);
    const out = b.push(frame(2), 2);
    expect(out.map((x) => x.tCapture.length)).toEqual([3]);
  });
});
