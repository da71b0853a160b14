import { describe, expect, it } from "vitest";
import { captureConstraints, type VoiceModel } from "./model";
import { int16FromBase64, int16FromBuffer, int16ToBase64, isKernelMessage } from "./protocol";

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

  it("recognises kernel messages by kind only", () => {
    expect(isKernelMessage({ kind: "play_audio" })).toBe(true);
    expect(isKernelMessage({ kind: "stop_playback" })).toBe(true);
    expect(isKernelMessage({ type: "play_audio" })).toBe(false);
    expect(isKernelMessage(null)).toBe(false);
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
