import { afterEach, describe, expect, it } from "vitest";
import type { AnyModel } from "@anywidget/types";
import type { VoiceModel } from "../model";
import type { AudioBackend, EnvironmentProblem, MicFrame, MicOptions, Player } from "./audio_api";
import { checkBrowserMessage } from "../protocol";
import { Controller } from "./controller";

type Sent = { msg: Record<string, unknown>; buffers: ArrayBuffer[] | undefined };
type Stamp = { page: unknown; n: unknown };

interface FakeModel {
  model: AnyModel<VoiceModel>;
  /** What the controller sent, without its envelope (kept in `stamps`). */
  sent: Sent[];
  stamps: Stamp[];
  /** A change made by the kernel: the value and a change event, as the widget manager does. */
  kernelSet(key: string, value: unknown): void;
}

const controllers: Controller[] = [];
/** Whatever a controller sent that breaks its declaration (nextevi_widgets/_comm.py). */
const undeclared: string[] = [];
afterEach(async () => {
  for (const c of controllers.splice(0)) await c.dispose();
  expect(undeclared.splice(0)).toEqual([]);
});

function fakeModel(values: Partial<VoiceModel>): FakeModel {
  const state: Record<string, unknown> = {
    echo_strategy: "headphones",
    device_id: "",
    mic_enabled: false,
    binary_buffers: true,
    frames_per_message: 1,
    _trace: false,
    capture_view: "",
    state: "connected",
    messages: [],
    last_error: "",
    ...values,
  };
  const sent: Sent[] = [];
  const stamps: Stamp[] = [];
  const handlers = new Map<string, Array<(...args: unknown[]) => void>>();
  const fire = (event: string): void => {
    for (const handler of handlers.get(event) ?? []) handler();
  };
  const model = {
    get: (key: string) => state[key],
    set: (key: string, value: unknown) => {
      state[key] = value;
      fire(`change:${key}`); // Backbone fires local changes too
    },
    save_changes: () => undefined,
    on: (event: string, handler: (...args: unknown[]) => void) => {
      handlers.set(event, [...(handlers.get(event) ?? []), handler]);
    },
    off: (event: string) => {
      handlers.delete(event);
    },
    send: (msg: Record<string, unknown>, _cb: unknown, buffers?: ArrayBuffer[]) => {
      const problem = checkBrowserMessage(msg);
      if (problem !== null) undeclared.push(problem.message);
      const { page, n, ...rest } = msg;
      stamps.push({ page, n });
      sent.push({ msg: rest, buffers });
    },
  };
  const kernelSet = (key: string, value: unknown): void => {
    state[key] = value;
    fire(`change:${key}`);
  };
  return { model: model as unknown as AnyModel<VoiceModel>, sent, stamps, kernelSet };
}

interface FakeBackend {
  backend: AudioBackend;
  emit(frame: MicFrame): void;
  player: FakePlayer;
  mics: number;
}

class FakePlayer implements Player {
  state = "running";
  enqueued: string[] = [];
  flushes = 0;
  resumes = 0;
  enqueue(id: string): void {
    this.enqueued.push(id);
  }
  flush(): void {
    this.flushes++;
  }
  setVolume(): void {}
  setMuted(): void {}
  resume(): void {
    this.resumes++;
  }
  close(): void {}
}

function fakeBackend(options: { env?: EnvironmentProblem | null; micError?: unknown } = {}): FakeBackend {
  let onFrame: ((frame: MicFrame) => void) | null = null;
  const fake: FakeBackend = {
    player: new FakePlayer(),
    mics: 0,
    emit: (frame) => onFrame?.(frame),
    backend: {
      checkEnvironment: () => options.env ?? null,
      checkPlayback: () => options.env ?? null,
      startMic: async (opts: MicOptions) => {
        if (options.micError !== undefined) {
          opts.onError(options.micError as EnvironmentProblem);
          throw options.micError;
        }
        fake.mics++;
        onFrame = opts.onFrame;
        return { state: "running", setMuted: () => undefined, setGated: () => undefined, stop: () => undefined };
      },
      createPlayer: async () => fake.player,
    },
  };
  return fake;
}

function newController(model: AnyModel<VoiceModel>, backend: AudioBackend): Controller {
  const controller = new Controller(model, backend);
  controllers.push(controller);
  return controller;
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
  const controller = newController(model, backend);
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

const tick = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 0));

/** The kernel's side of capture_state (chat.py `_on_capture_state`), answering after a delay. */
function fakeKernel(fake: FakeModel): void {
  const original = fake.model.send.bind(fake.model);
  let claimed = "";
  (fake.model as unknown as { send: typeof original }).send = (msg, cb, buffers) => {
    original(msg, cb, buffers);
    const m = msg as { kind: string; capturing?: boolean; view_id?: string; take_over?: boolean };
    if (m.kind !== "capture_state") return;
    if (m.capturing) {
      if (!claimed || m.take_over) claimed = m.view_id ?? "";
    } else if (claimed === m.view_id) {
      claimed = "";
    }
    const value = claimed;
    setTimeout(() => fake.kernelSet("capture_view", value), 1);
  };
}

describe("Controller envelope", () => {
  it("stamps every message with one page id and a count from 1, so the kernel can restore order", async () => {
    const { model, stamps } = fakeModel({});
    const { backend, emit } = fakeBackend();
    const controller = newController(model, backend);
    controller.addView("v1");
    await controller.startCapture("v1", false);
    emit(frame(0));
    emit(frame(1));
    await controller.stopCapture(true);
    const other = fakeModel({});
    const second = newController(other.model, backend);
    second.connect();
    expect(stamps.length).toBeGreaterThanOrEqual(4);
    expect(stamps.map((s) => s.n)).toEqual(stamps.map((_, i) => i + 1));
    expect(new Set(stamps.map((s) => s.page)).size).toBe(1);
    expect(String(stamps[0]!.page)).toMatch(/^page-/);
    expect(other.stamps[0]!.page).not.toBe(stamps[0]!.page); // each page has its own count
    expect(other.stamps[0]!.n).toBe(1);
  });
});

describe("Controller with two views of one model", () => {
  it("ends with exactly one view capturing when both click Mic on in the same tick", async () => {
    const fake = fakeModel({});
    fakeKernel(fake);
    const audio = fakeBackend();
    const controller = newController(fake.model, audio.backend);
    controller.addView("a");
    controller.addView("b");
    void controller.startCapture("a", true);
    void controller.startCapture("b", true);
    for (let i = 0; i < 10; i++) await tick();
    expect(controller.capturePhase).toBe("on");
    expect(controller.captureOwner).toBe("b");
    expect(fake.model.get("capture_view")).toBe("b");
    expect(fake.model.get("mic_enabled")).toBe(true);
  });

  it("claims again when the kernel ends on another view of the same page", async () => {
    const fake = fakeModel({});
    const controller = newController(fake.model, fakeBackend().backend);
    controller.addView("a");
    controller.addView("b");
    await controller.startCapture("b", true);
    fake.kernelSet("capture_view", "a"); // a claim of "a" the kernel handled last
    expect(controller.captureOwner).toBe("b");
    expect(fake.sent.at(-1)!.msg).toEqual({ kind: "capture_state", capturing: true, view_id: "b", take_over: true });
    fake.kernelSet("capture_view", "b");
    expect(fake.sent.filter((s) => s.msg.kind === "capture_state")).toHaveLength(2);
  });

  it("still stops when a view of another page takes the microphone", async () => {
    const fake = fakeModel({});
    const audio = fakeBackend();
    const controller = newController(fake.model, audio.backend);
    controller.addView("a");
    await controller.startCapture("a", true);
    fake.kernelSet("capture_view", "view-in-another-tab");
    await tick();
    expect(controller.capturing).toBe(false);
  });
});

describe("Controller problems", () => {
  const insecure: EnvironmentProblem = { code: "insecure_origin", message: "Not a secure page." };

  it("shows the insecure origin on the first Mic on click, once, and tells the kernel once", async () => {
    const fake = fakeModel({ state: "idle" });
    const controller = newController(fake.model, fakeBackend({ env: insecure }).backend);
    controller.addView("a");
    controller.connect(); // what the Mic on button does when idle
    void controller.startCapture("a", true);
    await tick();
    expect(controller.shownProblems()).toEqual([insecure]);
    expect(fake.sent.filter((s) => s.msg.kind === "client_error")).toHaveLength(1);
    // The kernel's copy is not shown a second time.
    fake.kernelSet("last_error", `insecure_origin: ${insecure.message}`);
    expect(controller.kernelError()).toBe("");
  });

  it("clears a denied microphone after a typed turn gets its reply, and tells the kernel", async () => {
    const denied: EnvironmentProblem = { code: "mic_denied", message: "denied" };
    const fake = fakeModel({});
    const controller = newController(fake.model, fakeBackend({ micError: denied }).backend);
    controller.addView("a");
    await controller.startCapture("a", true);
    expect(controller.shownProblems()).toEqual([denied]);
    controller.say("hello");
    fake.kernelSet("messages", [
      { id: "u1", role: "user", text: "hello", interrupted: false, heard_text: null },
      { id: "a1", role: "assistant", text: "Hi!", interrupted: false, heard_text: null },
    ]);
    expect(controller.shownProblems()).toEqual([]);
    expect(fake.sent.map((s) => s.msg).filter((m) => m.kind === "client_error_cleared")).toEqual([
      { kind: "client_error_cleared", code: "mic_denied" },
    ]);
  });

  it("clears a denied microphone when a later capture works", async () => {
    const fake = fakeModel({});
    const audio = fakeBackend();
    const controller = newController(fake.model, audio.backend);
    controller.addView("a");
    controller.reportProblem({ code: "mic_denied", message: "denied" });
    await controller.startCapture("a", true);
    expect(controller.shownProblems()).toEqual([]);
  });

  it("reports an output context that does not start while replies wait, flushes, and clears", async () => {
    const fake = fakeModel({});
    const audio = fakeBackend();
    audio.player.state = "suspended";
    const controller = newController(fake.model, audio.backend);
    const pcm = new Int16Array(2400).fill(1000);
    (controller as unknown as { onCustom(msg: unknown, b: DataView[]): void }).onCustom(
      { kind: "play_audio", chunk_id: "c1", sample_rate: 24000, generation_id: "g1", is_last: false, t_kernel: 1 },
      [new DataView(pcm.buffer)],
    );
    await tick();
    expect(audio.player.enqueued).toEqual(["c1"]);
    const t0 = performance.now();
    controller.checkAudio(t0);
    expect(controller.shownProblems()).toEqual([]);
    controller.checkAudio(t0 + 3000);
    expect(controller.shownProblems().map((p) => p.code)).toEqual(["audio_suspended"]);
    expect(controller.shownProblems()[0]!.message).toMatch(/context is suspended/);
    expect(audio.player.flushes).toBe(1);
    controller.checkAudio(t0 + 4000); // still suspended: no second report
    expect(fake.sent.filter((s) => s.msg.kind === "client_error")).toHaveLength(1);
    const resumes = audio.player.resumes;
    controller.resumeAudio(); // a click in the widget
    expect(audio.player.resumes).toBe(resumes + 1);
    audio.player.state = "running";
    controller.checkAudio(t0 + 5000);
    expect(controller.shownProblems()).toEqual([]);
    expect(fake.sent.at(-1)!.msg).toEqual({ kind: "client_error_cleared", code: "audio_suspended" });
  });

  it("does not play a kernel message that breaks its declaration and reports it once", async () => {
    const fake = fakeModel({});
    const audio = fakeBackend();
    const controller = newController(fake.model, audio.backend);
    const pcm = new Int16Array(480).fill(1000);
    const onCustom = (controller as unknown as { onCustom(msg: unknown, b: DataView[]): void }).onCustom;
    const good = { kind: "play_audio", chunk_id: "c1", sample_rate: 24000, generation_id: "g", is_last: false, t_kernel: 1 };
    onCustom({ ...good, chunk_id: "bad1", sample_rate: "24000" }, [new DataView(pcm.buffer)]);
    onCustom({ ...good, chunk_id: "bad2", sample_rate: "48000" }, [new DataView(pcm.buffer)]);
    onCustom({ kind: "stop_playback", reason: "boredom" }, []);
    onCustom(good, [new DataView(pcm.buffer)]);
    await tick();
    expect(audio.player.enqueued).toEqual(["c1"]);
    expect(audio.player.flushes).toBe(0);
    const shown = controller.shownProblems();
    expect(shown.map((p) => p.code)).toEqual(["comm_error"]);
    expect(shown[0]!.message).toMatch(/stop_playback: field 'reason' must be one of/);
    const reports = fake.sent.filter((s) => s.msg.kind === "client_error").map((s) => s.msg.message);
    // One report per distinct fault (the two bad sample rates are one), each naming kind and field.
    expect(reports).toHaveLength(2);
    expect(reports[0]).toMatch(/play_audio: field 'sample_rate' must be an integer\)/);
  });

  it("reports a microphone that is on but sends no frames", async () => {
    const fake = fakeModel({});
    const audio = fakeBackend();
    const controller = newController(fake.model, audio.backend);
    controller.addView("a");
    await controller.startCapture("a", true);
    controller.checkAudio(performance.now() + 3000);
    expect(controller.shownProblems().map((p) => p.code)).toEqual(["mic_silent"]);
    audio.emit(frame(0));
    controller.checkAudio(performance.now());
    expect(controller.shownProblems()).toEqual([]);
  });
});
