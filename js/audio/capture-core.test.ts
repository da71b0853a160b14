import { describe, expect, it } from "vitest";
import { CaptureCore } from "./capture-core";

/** Feeds `blocks` 128-sample blocks starting at clock frame `start`; collects frame times (ms). */
function run(core: CaptureCore, start: number, blocks: number, skipAt = -1, skip = 0): number[] {
  const times: number[] = [];
  let frame = start;
  for (let b = 0; b < blocks; b++) {
    if (b === skipAt) frame += skip;
    for (const f of core.push(new Float32Array(128), frame)) times.push(f.t * 1000);
    frame += 128;
  }
  return times;
}

describe("CaptureCore frame times", () => {
  it("spaces frames exactly 20 ms apart from the first input sample", () => {
    const times = run(new CaptureCore(48000), 4800, 200);
    expect(times[0]).toBeCloseTo(100, 6);
    for (let i = 1; i < times.length; i++) expect(times[i]! - times[i - 1]!).toBeCloseTo(20, 6);
  });

  it("re-anchors on the clock after skipped render quanta instead of dating frames too early", () => {
    // 4800 clock frames (100 ms) the processor never saw, after 10 blocks.
    const skipped = run(new CaptureCore(48000), 0, 200, 10, 4800);
    const steady = run(new CaptureCore(48000), 0, 200);
    // Frames completed well after the skip are 100 ms later than without it.
    expect(skipped.at(-1)! - steady.at(-1)!).toBeCloseTo(100, 6);
    expect(skipped.length).toBe(steady.length);
  });
});
