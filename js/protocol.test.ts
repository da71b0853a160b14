import { describe, expect, it } from "vitest";
import { captureConstraints, type VoiceModel } from "./model";
import { readdirSync, readFileSync } from "node:fs";
import {
  checkBrowserMessage,
  checkKernelMessage,
  checkPlotBrowserMessage,
  checkPlotKernelMessage,
  int16FromBase64,
  int16FromBuffer,
  int16ToBase64,
  isBrowserMessage,
  isKernelMessage,
  isPlayAudioMsg,
  isPlotBrowserMessage,
  isPlotKernelMessage,
  isStopPlaybackMsg,
  type CommProblem,
} from "./protocol";

function sine(n: number): Int16Array {
  const out = new Int16Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.round(Math.sin((2 * Math.PI * 440 * i) / 24000) * 16000);
  return out;
}

describe("comm PCM framing", () => {
  it("round-trips Int16 PCM through base64 (the Colab path)", () => {
    const pcm = sine(480);
    const back = int16FromBase64(int16ToBase64(pcm));
    expect(Array.from(back)).toEqual(Array.from(pcm));
  });

  it("reads PCM from a DataView at an odd byte offset", () => {
    const pcm = sine(100);
    const bytes = new Uint8Array(pcm.byteLength + 1);
    bytes.set(new Uint8Array(pcm.buffer), 1);
    const view = new DataView(bytes.buffer, 1, pcm.byteLength);
    expect(Array.from(int16FromBuffer(view) ?? [])).toEqual(Array.from(pcm));
  });

});

// Golden messages shared with pytest (tests/widget/test_comm_protocol.py): the generated guards
// must accept and refuse exactly what the Python validator does, naming the same field.
const FIXTURES = new URL("../tests/fixtures/comm/", import.meta.url);
const CHECKS: Record<string, (value: unknown) => CommProblem | null> = {
  BrowserMessage: checkBrowserMessage,
  KernelMessage: checkKernelMessage,
  PlotBrowserMessage: checkPlotBrowserMessage,
  PlotKernelMessage: checkPlotKernelMessage,
};
const GUARDS: Record<string, (value: unknown) => boolean> = {
  BrowserMessage: isBrowserMessage,
  KernelMessage: isKernelMessage,
  PlotBrowserMessage: isPlotBrowserMessage,
  PlotKernelMessage: isPlotKernelMessage,
};

interface Case {
  name: string;
  union?: string;
  message: unknown;
  field?: string | null;
  error?: string;
}
interface KindFile {
  union: string;
  valid: Case[];
  invalid: Case[];
}

function readJson<T>(name: string): T {
  return JSON.parse(readFileSync(new URL(name, FIXTURES), "utf8")) as T;
}

const kindFiles = readdirSync(FIXTURES)
  .filter((name) => name.endsWith(".json") && !name.startsWith("_"))
  .map((name) => [name.slice(0, -5), readJson<KindFile>(name)] as const);
const valid = kindFiles.flatMap(([kind, f]) => f.valid.map((c) => [`${kind}: ${c.name}`, f.union, c] as const));
const invalid = [
  ...kindFiles.flatMap(([kind, f]) => f.invalid.map((c) => [`${kind}: ${c.name}`, f.union, c] as const)),
  ...readJson<{ cases: Case[] }>("_not_a_message.json").cases.map(
    (c) => [`not a message: ${c.name}`, c.union!, c] as const,
  ),
];

describe("comm messages against the golden fixtures", () => {
  it("has fixtures for every kind, both widgets and both directions", () => {
    expect(kindFiles.length).toBe(13);
    expect(new Set(kindFiles.map(([, f]) => f.union))).toEqual(new Set(Object.keys(CHECKS)));
    expect(invalid.length).toBeGreaterThan(30);
  });

  it.each(valid)("accepts %s", (_name, union, c) => {
    expect(CHECKS[union]!(c.message)).toBeNull();
    expect(GUARDS[union]!(c.message)).toBe(true);
  });

  it.each(invalid)("refuses %s", (_name, union, c) => {
    const problem = CHECKS[union]!(c.message);
    expect(problem).not.toBeNull();
    expect(problem!.field).toBe(c.field);
    expect(problem!.message.startsWith(c.error!)).toBe(true);
    expect(GUARDS[union]!(c.message)).toBe(false);
  });

  it("narrows to the declared type", () => {
    const value: unknown = JSON.parse('{"kind":"stop_playback","reason":"user"}');
    if (!isKernelMessage(value)) throw new Error("not a kernel message");
    expect(value.kind === "stop_playback" ? value.reason : null).toBe("user");
    expect(isStopPlaybackMsg(value)).toBe(true);
    expect(isPlayAudioMsg(value)).toBe(false);
  });
});

describe("echo strategy", () => {
  const model = (values: Partial<VoiceModel>) => ({
    get: <K extends keyof VoiceModel>(key: K): VoiceModel[K] => values[key] as VoiceModel[K],
  });
  const all = { echo_cancellation: false, noise_suppression: true, auto_gain_control: true };

  it("aec forces echo cancellation on", () => {
    expect(captureConstraints(model({ ...all, echo_strategy: "aec" }))).toEqual({
      echoCancellation: true,
      noiseSuppression: true,
      autoGainControl: true,
    });
  });

  it("headphones turns all browser processing off", () => {
    expect(captureConstraints(model({ ...all, echo_strategy: "headphones" }))).toEqual({
      echoCancellation: false,
      noiseSuppression: false,
      autoGainControl: false,
    });
  });

  it("half-duplex keeps the chosen constraints", () => {
    expect(captureConstraints(model({ ...all, echo_strategy: "half-duplex" }))).toEqual({
      echoCancellation: false,
      noiseSuppression: true,
      autoGainControl: true,
    });
  });
});
