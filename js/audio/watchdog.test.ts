import { describe, expect, it } from "vitest";
import { AudioWatchdog } from "./watchdog";

describe("AudioWatchdog output", () => {
  it("says nothing while the context runs, however long audio waits", () => {
    const w = new AudioWatchdog();
    w.outputState(0, "running");
    w.outputQueued(0);
    expect(w.output(60_000)).toBe("ok");
  });

  it("flags a context that stays suspended while audio waits, and clears when it runs", () => {
    const w = new AudioWatchdog({ outputStartMs: 3000 });
    w.outputState(0, "suspended");
    expect(w.output(10_000)).toBe("ok"); // nothing to play: a suspended context is fine
    w.outputQueued(10_000);
    expect(w.output(12_999)).toBe("ok");
    expect(w.output(13_000)).toBe("suspended");
    w.outputIdle(); // flushed: stays flagged until the context really runs
    expect(w.output(14_000)).toBe("suspended");
    w.outputState(15_000, "running");
    expect(w.output(15_000)).toBe("ok");
  });

  it("counts from the later of queued and not-running", () => {
    const w = new AudioWatchdog({ outputStartMs: 3000 });
    w.outputQueued(0);
    w.outputState(0, "running");
    w.outputState(5000, "suspended"); // e.g. the device went away
    expect(w.output(7999)).toBe("ok");
    expect(w.output(8000)).toBe("suspended");
  });

  it("forgets audio that played out before the timeout", () => {
    const w = new AudioWatchdog({ outputStartMs: 3000 });
    w.outputState(0, "suspended");
    w.outputQueued(0);
    w.outputIdle();
    expect(w.output(5000)).toBe("ok");
  });
});

describe("AudioWatchdog microphone", () => {
  it("flags capture that delivers no frames at all", () => {
    const w = new AudioWatchdog({ noFramesMs: 3000 });
    w.micStarted(1000);
    expect(w.mic(3999)).toBe("ok");
    expect(w.mic(4000)).toBe("no_frames");
    w.micFrame(4100, 0.1);
    expect(w.mic(4200)).toBe("ok");
    expect(w.mic(7100)).toBe("no_frames"); // frames stopped again
  });

  it("flags exact digital silence only after a long stretch, and clears on sound", () => {
    const w = new AudioWatchdog({ noFramesMs: 3000, silentMs: 8000 });
    w.micStarted(0);
    let t = 0;
    for (; t < 7980; t += 20) w.micFrame(t, 0);
    expect(w.mic(t)).toBe("ok");
    for (; t <= 8000; t += 20) w.micFrame(t, 0);
    expect(w.mic(8000)).toBe("silent");
    w.micFrame(8020, 1e-4); // a quiet room is not silence
    expect(w.mic(8020)).toBe("ok");
  });

  it("says nothing when capture is off", () => {
    const w = new AudioWatchdog();
    w.micStarted(0);
    w.micStopped();
    expect(w.mic(60_000)).toBe("ok");
  });
});
