import { describe, expect, it } from "vitest";
import { ContextClock } from "./clock";
import {
  checkEnvironment,
  checkPlayback,
  EnvironmentError,
  type EnvironmentLike,
  NO_MIC_HINT,
  problemFromMediaError,
} from "./doctor";

const fn = (): void => undefined;
const good: EnvironmentLike = {
  isSecureContext: true,
  location: { protocol: "https:", hostname: "hub.example.org", origin: "https://hub.example.org" },
  navigator: { mediaDevices: { getUserMedia: fn }, userAgent: "Mozilla/5.0 Firefox/140.0" },
  AudioContext: fn,
  AudioWorkletNode: fn,
};

describe("checkEnvironment", () => {
  it("accepts a capable secure page", () => {
    expect(checkEnvironment(good)).toBeNull();
  });

  it("explains an insecure origin and the ways out", () => {
    const p = checkEnvironment({ ...good, isSecureContext: false, location: { origin: "http://10.0.0.5:8888" } });
    expect(p?.code).toBe("insecure_origin");
    expect(p?.message).toContain("http://10.0.0.5:8888");
    expect(p?.message).toMatch(/ssh -L 8888:localhost:8888/);
    expect(p?.message).toMatch(/type in the box below/);
  });

  it("checks the secure context before anything else, for the mic and the player alike", () => {
    // Chromium hides navigator.mediaDevices and AudioWorklet on insecure pages: the missing
    // pieces must not be blamed.
    const insecure: EnvironmentLike = {
      isSecureContext: false,
      location: { origin: "http://10.0.0.5:8888" },
      navigator: {},
      AudioContext: fn,
    };
    expect(checkEnvironment(insecure)?.code).toBe("insecure_origin");
    expect(checkPlayback(insecure)).toEqual(checkEnvironment(insecure));
    expect(checkPlayback(insecure)?.message).toMatch(/microphone and the audio player/);
    expect(checkPlayback(good)).toBeNull();
    const { AudioWorkletNode: _omit, ...noWorklet } = good;
    expect(checkPlayback(noWorklet)?.code).toBe("no_audio_worklet");
  });

  it("points VS Code users to a browser", () => {
    const p = checkEnvironment({ ...good, navigator: { userAgent: "Mozilla/5.0 Code/1.99.0 Electron/34" } });
    expect(p?.code).toBe("no_media_devices");
    expect(p?.message).toMatch(/VS Code/);
    const plain = checkEnvironment({ ...good, navigator: {} });
    expect(plain?.code).toBe("no_media_devices");
    expect(plain?.message).not.toMatch(/VS Code/);
  });

  it("reports missing AudioWorklet support", () => {
    const { AudioWorkletNode: _omit, ...noWorklet } = good;
    expect(checkEnvironment(noWorklet)?.code).toBe("no_audio_worklet");
  });
});

describe("problemFromMediaError", () => {
  const err = (name: string): { name: string; message: string } => ({ name, message: `${name} happened` });

  it("maps getUserMedia rejections to problem codes", () => {
    expect(problemFromMediaError(err("NotAllowedError"), good).code).toBe("mic_denied");
    expect(problemFromMediaError(err("NotFoundError"), good).code).toBe("no_media_devices");
    expect(problemFromMediaError(err("OverconstrainedError"), good).message).toMatch(/selected device/);
    expect(problemFromMediaError(err("NotReadableError"), good).code).toBe("audio_error");
    expect(problemFromMediaError(new Error("boom"), good)).toMatchObject({ code: "audio_error" });
  });

  it("names the real button and gives the no-mic advice once", () => {
    const p = problemFromMediaError(err("NotAllowedError"), good);
    expect(p.message).toBe(
      "Microphone access was denied. Allow it for this site (the microphone icon in the address bar), " +
        `then press Mic on again. ${NO_MIC_HINT}`,
    );
    for (const name of ["NotAllowedError", "NotFoundError", "NotReadableError", "Whatever"]) {
      const message = problemFromMediaError(err(name), good).message;
      expect(message).not.toMatch(/\bStart\b/);
      expect(message.split("type in the box below")).toHaveLength(2);
    }
  });

  it("blames the origin when permission is refused on an insecure page", () => {
    expect(problemFromMediaError(err("NotAllowedError"), { ...good, isSecureContext: false }).code).toBe(
      "insecure_origin",
    );
  });

  it("passes an EnvironmentError through, which carries code and message like the problem", () => {
    const e = new EnvironmentError({ code: "no_audio_worklet", message: "no worklets" });
    expect(problemFromMediaError(e, good)).toEqual({ code: "no_audio_worklet", message: "no worklets" });
    expect(e.code).toBe("no_audio_worklet");
    expect(e.message).toBe("no worklets");
    expect(e).toBeInstanceOf(Error);
  });
});

describe("ContextClock", () => {
  it("uses the least-delayed observation as the offset", () => {
    const c = new ContextClock(10);
    expect(Number.isNaN(c.toPageMs(1))).toBe(true);
    // Context time 0 is page time 5000; messages arrive 3..20 ms after their audio existed.
    const delays = [12, 3, 20, 7, 9];
    delays.forEach((d, i) => c.observe(i * 0.1, 5000 + i * 100 + d));
    expect(c.toPageMs(2)).toBeCloseTo(5000 + 2000 + 3, 9);
  });

  it("forgets observations older than its window", () => {
    const c = new ContextClock(3);
    c.observe(0, 1); // offset 1 (best)
    c.observe(1, 1010);
    c.observe(2, 2010);
    expect(c.toPageMs(10)).toBe(10_001);
    c.observe(3, 3008); // evicts the best one
    expect(c.toPageMs(10)).toBe(10_008);
  });
});
