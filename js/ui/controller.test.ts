import { describe, expect, it } from "vitest";
import type { AnyModel } from "@anywidget/types";
import type { VoiceModel } from "../model";
import type { AudioBackend, MicFrame, MicOptions } from "./audio_api";
import { Controller } from "./controller";

type Sent = { msg: Record<string, unknown>; buffers: ArrayBuffer[] | undefined };

function fakeModel(values: Partial<VoiceModel>): { model: AnyModel<VoiceModel>; sent: Sent[] } {
  const state: Record<string, unknown> = {
    echo_strategy: "headphones",
    device_id: "",
    mic_enabled: false,
    binary_buffers: true,
    frames_per_message: 1,
    _trace: false,
    ...values,
  };
  const sent: Sent[] = [];
  const model = {
    get: (key: string) => state[key],
    set: (key: string, value: unknown) => {
      state[key] = value;
    },
    save_changes: () => undefined,
    on: () => undefined,
    off: () => undefined,
    send: (msg: Record<string, unknown>, _cb: unknown, buffers?: ArrayBuffer[]) => {
      sent.push({ msg, buffers });
    },
  };
  return { model: model as unknown as AnyModel<VoiceModel>, sent };
}

function fakeBackend(): { backend: AudioBackend; emit(frame: MicFrame): void } {
  let onFrame: ((frame: MicFrame) => void) | null = null;
  const backend: AudioBackend = {
    checkEnvironment: () => null,
    startMic: async (opts: MicOptions) => {
      onFrame = opts.onFrame;
      return { setMuted: () => undefined, setGated: () => undefined, stop: () => undefined };
    },
    createPlayer: () => new Promise(() => undefined),
  };
  return { backend, emit: (frame) => onFrame?.(frame) };
}

function frame(seq: number, silent = false): MicFrame {
  return { pcm: new Int16Array(480).fill(silent ? 0 : seq + 1), seq, tCapture: 5000 + 20 * seq, rms: 0 };
}

function audio(sent: Sent[]): { seq: number; times: number[]; samples: Int16Array }[] {
  return sent
    .filter((s) => s.msg.kind === "audio_frame")
    .map((s) => {
      const t = s.msg.t_capture as number | number[];
      const n = (s.msg.frames as number | undefined) ?? 1;
      return {
        seq: s.msg.seq as number,
        times: Array.isArray(t) ? t : Array.from({ length: n }, (_, i) => t + 20 * i),
        samples: new Int16Array(s.buffers![0]!),
      };
    });
}

async function capturing(values: Partial<VoiceModel>) {
  const { model, sent } = fakeModel(values);
  const { backend, emit } = fakeBackend();
  const controller = new Controller(model, backend);
  controller.addView("v1");
  await controller.startCapture("v1", false);
  return { controller, sent, emit };
}

describe("Controller audio_frame batching", () => {
  it("sends each frame alone by default, with only seq and t_capture", async () => {
    const { sent, emit } = await capturing({});
    emit(frame(0));
    const [msg] = sent.filter((s) => s.msg.kind === "audio_frame");
    expect(msg!.msg).toEqual({ kind: "audio_frame", seq: 0, t_capture: 5000 });
    expect(msg!.buffers![0]!.byteLength).toBe(960);
  });

  it("keeps every frame, in order, across muted (silent) frames", async () => {
    const { sent, emit } = await capturing({ frames_per_message: 5 });
    for (let s = 0; s < 10; s++) emit(frame(s, s >= 3 && s < 7));
    const msgs = audio(sent);
    expect(msgs.map((m) => m.seq)).toEqual([0, 5]);
    expect(msgs.flatMap((m) => m.times)).toEqual(Array.from({ length: 10 }, (_, s) => 5000 + 20 * s));
    const firsts = msgs.flatMap((m) => Array.from({ length: 5 }, (_, i) => m.samples[i * 480]));
    expect(firsts).toEqual([1, 2, 3, 0, 0, 0, 0, 8, 9, 10]);
  });

  it("flushes the partial batch on stop, before telling the kernel capture stopped", async () => {
    const { controller, sent, emit } = await capturing({ frames_per_message: 5 });
    for (let s = 0; s < 7; s++) emit(frame(s));
    await controller.stopCapture(true);
    const kinds = sent.map((s) => s.msg.kind);
    const lastAudio = kinds.lastIndexOf("audio_frame");
    expect(kinds.indexOf("capture_state", lastAudio)).toBeGreaterThan(lastAudio);
    expect(audio(sent).map((m) => [m.seq, m.times.length])).toEqual([
      [0, 5],
      [5, 2],
    ]);
    emit(frame(7));
    expect(audio(sent)).toHaveLength(2);
  });

  it("sends one time and a frame count for an exact batch, else every frame's time", async () => {
    const { sent, emit } = await capturing({ frames_per_message: 3 });
    for (let s = 0; s < 3; s++) emit(frame(s));
    emit(frame(3));
    emit({ ...frame(4), tCapture: 5081.5 }); // the clock estimate moved by 1.5 ms
    emit(frame(5));
    const msgs = sent.filter((s) => s.msg.kind === "audio_frame").map((s) => s.msg);
    expect(msgs[0]).toEqual({ kind: "audio_frame", seq: 0, t_capture: 5000, frames: 3 });
    expect(msgs[1]).toEqual({ kind: "audio_frame", seq: 3, t_capture: [5060, 5081.5, 5100] });
  });

  it("sends base64 PCM of the whole batch without buffers", async () => {
    const { sent, emit } = await capturing({ frames_per_message: 2, binary_buffers: false });
    emit(frame(0));
    emit(frame(1));
    const msg = sent.find((s) => s.msg.kind === "audio_frame")!;
    expect(msg.buffers).toBeUndefined();
    expect(atob(msg.msg.pcm_b64 as string).length).toBe(2 * 960);
  });
});
