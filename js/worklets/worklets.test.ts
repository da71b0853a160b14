// The worklet modules run in node against a tiny stand-in for the AudioWorkletGlobalScope: a
// base class with a message port, registerProcessor, sampleRate and currentFrame.
import { runInNewContext } from "node:vm";
import captureSource from "worklet:capture";
import playerSource from "worklet:player";
import { beforeAll, describe, expect, it } from "vitest";
import { floatToInt16, int16ToFloat, rms } from "../audio/pcm";
import { maxAbsDiff, sine } from "../audio/test-signals";
import { CAPTURE_PROCESSOR, type CaptureFrameMessage, PLAYER_PROCESSOR, type PlayerEvent } from "./messages";

class FakePort {
  posted: unknown[] = [];
  transfers: unknown[][] = [];
  onmessage: ((ev: { data: unknown }) => void) | null = null;
  postMessage(data: unknown, transfer: unknown[] = []): void {
    this.posted.push(data);
    this.transfers.push(transfer);
  }
  /** Delivers a message from the main thread. */
  send(data: unknown): void {
    this.onmessage?.({ data });
  }
}

interface FakeProcessor {
  port: FakePort;
  process(inputs: Float32Array[][], outputs: Float32Array[][], params: Record<string, Float32Array>): boolean;
}
type ProcessorCtor = new (options?: { processorOptions?: unknown }) => FakeProcessor;

/** A scope object (globalThis, or a vm sandbox) made to look like an AudioWorkletGlobalScope. */
function makeScope(target: Record<string, unknown>, rate: number) {
  const registry = new Map<string, ProcessorCtor>();
  Object.assign(target, {
    AudioWorkletProcessor: class {
      port = new FakePort();
    },
    registerProcessor: (name: string, ctor: ProcessorCtor) => registry.set(name, ctor),
    sampleRate: rate,
    currentFrame: 0,
    currentTime: 0,
  });
  /** Runs one render quantum at the scope's clock, then advances the clock. */
  const tick = (p: FakeProcessor, inputs: Float32Array[][], outputs: Float32Array[][]): boolean => {
    const keep = p.process(inputs, outputs, {});
    target.currentFrame = (target.currentFrame as number) + 128;
    target.currentTime = (target.currentFrame as number) / rate;
    return keep;
  };
  return { registry, tick };
}

const frames = (port: FakePort): CaptureFrameMessage[] =>
  port.posted.filter((m): m is CaptureFrameMessage => (m as { type?: string }).type === "frame");

describe("worklet modules in a fake AudioWorkletGlobalScope", () => {
  const g = globalThis as unknown as Record<string, unknown>;
  let scope: ReturnType<typeof makeScope>;

  beforeAll(async () => {
    scope = makeScope(g, 48000);
    await import("./capture.worklet");
    await import("./player.worklet");
  });

  it("capture: 128-sample quanta at 48 kHz become 480-sample 24 kHz Int16 frames", () => {
    g.currentFrame = 0;
    const Capture = scope.registry.get(CAPTURE_PROCESSOR)!;
    const p = new Capture({ processorOptions: { targetRate: 24000, frameSamples: 480 } });
    const input = sine(440, 48000, 48000);
    for (let i = 0; i < input.length; i += 128) {
      expect(scope.tick(p, [[input.subarray(i, i + 128)]], [[new Float32Array(128)]])).toBe(true);
    }
    const got = frames(p.port);
    // 24000 output samples minus the filter look-ahead: 49 full frames.
    expect(got.length).toBe(49);
    got.forEach((f, i) => {
      expect(f.seq).toBe(i);
      expect(f.pcm.byteLength).toBe(960);
      expect(f.t_capture).toBeCloseTo(i * 0.02, 9);
      expect(f.t_context_now).toBeGreaterThanOrEqual(f.t_capture + 0.02);
    });
    expect(p.port.transfers[0]).toEqual([got[0]!.pcm]); // zero-copy handoff
    // The frames carry the tone, time-aligned with the input.
    const pcm = int16ToFloat(new Int16Array(got[10]!.pcm));
    expect(maxAbsDiff(pcm, sine(440, 24000, 480, 0.5, 4800))).toBeLessThan(2e-4);
    expect(got[10]!.rms).toBeCloseTo(rms(pcm), 4);
  });

  it("capture: mute and gate send silence but keep frames flowing", () => {
    g.currentFrame = 0;
    const Capture = scope.registry.get(CAPTURE_PROCESSOR)!;
    const p = new Capture();
    const input = sine(440, 48000, 48000);
    const run = (from: number, to: number): void => {
      for (let i = from; i < to; i += 128) scope.tick(p, [[input.subarray(i, i + 128)]], [[new Float32Array(128)]]);
    };
    run(0, 9600);
    p.port.send({ type: "mute", muted: true });
    run(9600, 19200);
    p.port.send({ type: "mute", muted: false });
    p.port.send({ type: "gate", gated: true });
    run(19200, 28800);
    p.port.send({ type: "gate", gated: false });
    run(28800, 48000);
    const got = frames(p.port);
    expect(got.map((f) => f.seq)).toEqual(got.map((_, i) => i));
    const level = (f: CaptureFrameMessage): number => rms(int16ToFloat(new Int16Array(f.pcm)));
    const silent = got.filter((f) => level(f) === 0).map((f) => f.seq);
    // Frames 9..18 (muted) and 19..28 (gated) minus the one ramp frame at each switch.
    expect(silent.length).toBeGreaterThanOrEqual(17);
    expect(silent.every((s) => s >= 9 && s <= 29)).toBe(true);
    expect(level(got[40]!)).toBeGreaterThan(0.3);
    // The reported level is the microphone's, even while muted.
    expect(got[12]!.rms).toBeGreaterThan(0.3);
  });

  it("capture: missing input still yields silent frames on time", () => {
    g.currentFrame = 0;
    const p = new (scope.registry.get(CAPTURE_PROCESSOR)!)();
    for (let i = 0; i < 100; i++) scope.tick(p, [[]], [[new Float32Array(128)]]);
    const got = frames(p.port);
    expect(got.length).toBe(13); // 12800 samples at 48 kHz = 6400 at 24 kHz, less the look-ahead
    expect(got.every((f) => new Int16Array(f.pcm).every((v) => v === 0))).toBe(true);
  });

  it("player: plays chunks to every output channel and reports progress, then flushes", () => {
    g.currentFrame = 0;
    g.currentTime = 0;
    const p = new (scope.registry.get(PLAYER_PROCESSOR)!)();
    const pcm = floatToInt16(sine(440, 24000, 4800));
    p.port.send({ type: "chunk", id: "a", pcm: pcm.slice().buffer, sampleRate: 24000, generationId: "g" });
    p.port.send({ type: "chunk", id: "b", pcm: pcm.slice().buffer, sampleRate: 24000, generationId: "g" });
    const left: Float32Array[] = [];
    for (let i = 0; i < 100; i++) {
      const out = [new Float32Array(128), new Float32Array(128)];
      scope.tick(p, [], [out]);
      expect(out[1]).toEqual(out[0]);
      left.push(out[0]!);
    }
    const posted = p.port.posted as PlayerEvent[];
    expect(posted[0]).toEqual({ type: "started" });
    const progress = posted.filter((e) => e.type === "progress");
    expect(progress.find((e) => e.id === "a" && e.played === 4800)).toBeDefined();
    // Each chunk's first sample is reported at its context time, from the scope's currentTime.
    const scheduled = posted.filter((e) => e.type === "scheduled");
    expect(scheduled.map((e) => e.id)).toEqual(["a", "b"]);
    expect(scheduled[0]!.contextTime).toBeCloseTo(0, 9);
    expect(scheduled[1]!.contextTime).toBeCloseTo(0.2, 9); // after 4800 samples at 24 kHz
    expect(scheduled[1]!.contextNow).toBeGreaterThan(scheduled[1]!.contextTime);
    p.port.send({ type: "flush", fadeMs: 10 });
    const flushed = (p.port.posted as PlayerEvent[]).filter((e) => e.type === "progress" && e.flushed);
    expect(flushed.map((e) => (e.type === "progress" ? e.id : ""))).toEqual(["b"]);
    for (let i = 0; i < 10; i++) scope.tick(p, [], [[new Float32Array(128)]]);
    expect((p.port.posted as PlayerEvent[]).some((e) => e.type === "drained")).toBe(true);
    expect(rms(left[50]!)).toBeGreaterThan(0.3);
  });
});

describe("bundled worklet sources", () => {
  // The strings the widget loads via Blob URLs must be self-contained scripts: evaluated in an
  // empty context (no module loader, no node globals) they must register their processor.
  it.each([
    ["capture", captureSource, CAPTURE_PROCESSOR],
    ["player", playerSource, PLAYER_PROCESSOR],
  ])("%s registers its processor from the bundled text alone", (_name, source, processor) => {
    expect(source).not.toMatch(/^\s*import\s/m);
    const sandbox: Record<string, unknown> = {};
    const scope = makeScope(sandbox, 44100);
    runInNewContext(source, sandbox);
    const Ctor = scope.registry.get(processor);
    expect(Ctor).toBeDefined();
    const p = new Ctor!();
    const out = [new Float32Array(128)];
    for (let i = 0; i < 40; i++) scope.tick(p, [[sine(440, 44100, 128, 0.5, i * 128)]], [out]);
    if (processor === CAPTURE_PROCESSOR) expect(frames(p.port).length).toBeGreaterThan(0);
  });
});
