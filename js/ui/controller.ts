// Model-wide state of one VoiceChat: the player, the (single) mic capture and the comm traffic.
// Created in `initialize`; every rendered view of the same model shares it.

import type { AnyModel } from "@anywidget/types";
import { captureConstraints, type VoiceModel } from "../model";
import {
  int16FromBase64,
  int16FromBuffer,
  int16ToBase64,
  checkKernelMessage,
  type KernelMessage,
  type AudioFrameMsg,
  type BrowserMessage,
  type Envelope,
  type ClientErrorCode,
} from "../protocol";
import { AudioWatchdog } from "../audio/watchdog";
import { silentMicProblem, suspendedOutputProblem } from "../audio/doctor";
import {
  playerProblemFromError,
  problemFromError,
  type AudioBackend,
  type EnvironmentProblem,
  type Mic,
  type MicFrame,
  type Player,
} from "./audio_api";
import { FrameBatcher, type FrameBatch } from "./batcher";
import { kernelErrorText, PROBLEM_AREA, ProblemBook } from "./problems";

export const SAMPLE_RATE = 24000;
const STATS_INTERVAL_MS = 250;
/** How often the audio watchdog looks at the mic and the output context. */
const WATCH_INTERVAL_MS = 500;
const INACTIVE_STATES = new Set(["", "idle", "disconnected", "closed", "error", "stopped"]);

export { NO_MIC_HINT } from "../audio/doctor";

export type Listener = () => void;

/** Page times to 0.01 ms: shorter JSON, far below the clock's own accuracy. */
function roundMs(t: number): number {
  return Math.round(t * 100) / 100;
}

/**
 * The batch's capture times as few bytes as possible: the first time and the frame count when
 * the frames follow each other exactly (the usual case), else one time per frame.
 */
function captureTimes(batch: FrameBatch): Pick<AudioFrameMsg, "t_capture" | "frames"> {
  const times = batch.tCapture.map(roundMs);
  const first = times[0]!;
  if (times.length === 1) return { t_capture: first };
  const frameMs = (batch.pcm.length / times.length / SAMPLE_RATE) * 1000;
  const regular = times.every((t, i) => Math.abs(t - roundMs(first + i * frameMs)) < 0.005);
  return regular ? { t_capture: first, frames: times.length } : { t_capture: times };
}

export function isActiveState(state: string): boolean {
  return !INACTIVE_STATES.has(state);
}

function newId(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`;
}

export function newViewId(): string {
  return newId("view");
}

export class Controller {
  readonly model: AnyModel<VoiceModel>;
  readonly backend: AudioBackend;
  /** Local problems (mic denied, ...) shown by every view; also sent to the kernel. */
  readonly problems = new ProblemBook();
  readonly watchdog = new AudioWatchdog();
  micLevel = 0;
  outLevel = 0;
  /** The local view that owns the mic, while capturing or starting. */
  captureOwner: string | null = null;
  capturePhase: "off" | "starting" | "on" = "off";
  private mic: Mic | null = null;
  private player: Player | null = null;
  private playerPromise: Promise<Player> | null = null;
  private views: string[] = [];
  private listeners = new Set<Listener>();
  private playedByChunk = new Map<string, number>();
  private playedTotal = 0;
  private lastStatsSent = 0;
  private captureGeneration = 0;
  private readonly batcher = new FrameBatcher();
  private disposed = false;
  private watchTimer: ReturnType<typeof setInterval> | null = null;
  private assistantReplies = 0;
  /** This page's envelope (see `Envelope`): the kernel restores the order of what it sends. */
  private readonly pageId = newId("page");
  private sentCount = 0;

  constructor(model: AnyModel<VoiceModel>, backend: AudioBackend) {
    this.model = model;
    this.backend = backend;
    model.on("msg:custom", this.onCustom);
    model.on("change:mic_enabled", this.onMicEnabled);
    model.on("change:capture_view", this.onCaptureView);
    model.on("change:volume", this.applyPlayerSettings);
    model.on("change:muted", this.applyPlayerSettings);
    model.on("change:echo_strategy", this.onCaptureSettings);
    model.on("change:echo_cancellation", this.onCaptureSettings);
    model.on("change:noise_suppression", this.onCaptureSettings);
    model.on("change:auto_gain_control", this.onCaptureSettings);
    model.on("change:device_id", this.onCaptureSettings);
    model.on("change:messages", this.onMessages);
    this.assistantReplies = this.countReplies();
  }

  // Views ------------------------------------------------------------------------------------

  addView(viewId: string): void {
    this.views.push(viewId);
  }

  removeView(viewId: string): void {
    this.views = this.views.filter((v) => v !== viewId);
    if (this.captureOwner === viewId) {
      void this.stopCapture(true);
    }
  }

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private notify(): void {
    for (const listener of this.listeners) listener();
  }

  // Kernel actions ---------------------------------------------------------------------------

  send(msg: BrowserMessage, buffers?: ArrayBuffer[]): void {
    if (this.disposed) return;
    const envelope: Envelope = { page: this.pageId, n: ++this.sentCount };
    this.model.send({ ...msg, ...envelope }, undefined, buffers);
  }

  connect(): void {
    // Called on a user gesture: create the player now so its AudioContext may start.
    this.preparePlayer();
    this.send({ kind: "ui_action", action: "connect" });
  }

  /** Create (or resume) the player on a user gesture; a failure is shown, never thrown. */
  preparePlayer(): void {
    void this.ensurePlayer().catch((error) => this.reportProblem(playerProblemFromError(error)));
  }

  private flushPlayer(): void {
    this.player?.flush();
    this.watchdog.outputIdle();
  }

  disconnect(): void {
    void this.stopCapture(true);
    this.flushPlayer();
    this.send({ kind: "ui_action", action: "disconnect" });
  }

  say(text: string): void {
    this.problems.typed();
    if (!isActiveState(this.model.get("state"))) this.connect();
    else this.preparePlayer();
    this.send({ kind: "ui_action", action: "say", text });
  }

  interrupt(): void {
    this.flushPlayer();
    this.send({ kind: "ui_action", action: "interrupt" });
  }

  /** Show `problem` (once) and tell the kernel, unless it is already shown as it is. */
  reportProblem(problem: EnvironmentProblem): void {
    const fresh = this.problems.report(problem);
    if (fresh === null) return;
    this.send({ kind: "client_error", code: fresh.code, message: fresh.message });
    this.notify();
  }

  /** The problems to show, one message each (a page-wide cause alone). */
  shownProblems(): EnvironmentProblem[] {
    return this.problems.shown();
  }

  /** The kernel's `last_error` as this page shows it (without copies of its own problems). */
  kernelError(): string {
    const shown = this.shownProblems();
    const codes = new Set<string>(shown.map((p) => p.code));
    // A page-wide cause explains every client error the kernel may hold.
    if (shown.some((p) => PROBLEM_AREA[p.code] === "page")) for (const c of Object.keys(PROBLEM_AREA)) codes.add(c);
    return kernelErrorText(this.model.get("last_error") ?? "", codes);
  }

  private cleared(codes: ClientErrorCode[]): void {
    if (codes.length === 0) return;
    for (const code of codes) this.send({ kind: "client_error_cleared", code });
    this.notify();
  }

  private countReplies(): number {
    const messages = this.model.get("messages") ?? [];
    return messages.filter((m) => m.role === "assistant" && m.text.trim() !== "").length;
  }

  private onMessages = (): void => {
    const replies = this.countReplies();
    if (replies > this.assistantReplies) this.cleared(this.problems.replied());
    this.assistantReplies = replies;
  };

  /** A user gesture in the widget: let a suspended output context start (autoplay policy). */
  resumeAudio(): void {
    if (this.player !== null && this.player.state !== "running") void Promise.resolve(this.player.resume()).catch(() => undefined);
  }

  // Watchdog ---------------------------------------------------------------------------------

  private watch(): void {
    if (this.watchTimer !== null || this.disposed) return;
    this.watchTimer = setInterval(() => this.checkAudio(performance.now()), WATCH_INTERVAL_MS);
  }

  /**
   * Compare what the audio should be doing with what it does (called every 500 ms): an output
   * context that does not start while replies wait, a mic that delivers nothing or only zeros.
   */
  checkAudio(now: number): void {
    const player = this.player;
    if (player !== null) this.watchdog.outputState(now, player.state);
    if (this.watchdog.output(now) === "suspended") {
      if (!this.problems.has("audio_suspended")) {
        // Nothing can be heard: drop what waits, rather than play it late if sound starts.
        player?.flush();
        this.watchdog.outputIdle();
      }
      this.reportProblem(suspendedOutputProblem(player?.state ?? "suspended"));
    } else {
      this.cleared(this.problems.clear("audio_suspended"));
    }
    const mic = this.watchdog.mic(now);
    if (mic === "ok") this.cleared(this.problems.clear("mic_silent"));
    else this.reportProblem(silentMicProblem(mic, this.mic?.state ?? "unknown"));
  }

  // Playback ---------------------------------------------------------------------------------

  ensurePlayer(): Promise<Player> {
    if (this.playerPromise === null) {
      // The environment first: on an insecure page the player would fail for that reason.
      const problem = this.backend.checkPlayback();
      if (problem !== null) return Promise.reject(problem);
      this.watch();
      this.playerPromise = this.backend
        .createPlayer({
          onProgress: ({ id, played, total, flushed }) => {
            const before = this.playedByChunk.get(id) ?? 0;
            this.playedTotal += Math.max(0, played - before);
            this.playedByChunk.set(id, played);
            if (flushed || played >= total) this.playedByChunk.delete(id);
            this.send({
              kind: "playback_progress",
              chunk_id: id,
              played_samples: played,
              total_samples: total,
              flushed,
            });
          },
          onStats: ({ underruns, queuedMs, level }) => {
            this.outLevel = level;
            const now = performance.now();
            if (now - this.lastStatsSent >= STATS_INTERVAL_MS) {
              this.lastStatsSent = now;
              this.send({
                kind: "playback_stats",
                underruns,
                queued_ms: queuedMs,
                played_samples_total: this.playedTotal,
              });
            }
            this.notify();
          },
          onScheduled: ({ id, tScheduled }) => {
            this.send({ kind: "playback_started", chunk_id: id, t_scheduled: tScheduled });
          },
          onStarted: () => {
            if (this.model.get("echo_strategy") === "half-duplex") this.mic?.setGated(true);
          },
          onDrained: () => {
            this.watchdog.outputIdle();
            this.mic?.setGated(false);
            this.outLevel = 0;
            this.notify();
          },
          onError: (problem) => this.reportProblem(problem),
        })
        .then((player) => {
          this.player = player;
          this.applyPlayerSettings();
          this.cleared(this.problems.clear("playback_error"));
          return player;
        });
      this.playerPromise.catch(() => {
        this.playerPromise = null;
      });
    }
    const promise = this.playerPromise;
    void promise.then((player) => player.resume()).catch(() => undefined);
    return promise;
  }

  private applyPlayerSettings = (): void => {
    this.player?.setVolume(this.model.get("volume"));
    this.player?.setMuted(this.model.get("muted"));
  };

  private onCustom = (content: unknown, buffers: DataView[] = []): void => {
    const problem = checkKernelMessage(content);
    if (problem !== null) {
      // Shown (once per distinct problem) and sent to the kernel; the message is not used.
      this.reportProblem({
        code: "comm_error",
        message:
          // Without the value: the same fault in every message is one problem, shown once.
          `The kernel sent a message this page cannot use (${problem.message.replace(/ \(got [\s\S]*\)$/, "")}). ` +
          "Reload the page if nextevi-widgets was upgraded since it was opened.",
      });
      return;
    }
    const msg = content as KernelMessage;
    if (msg.kind === "stop_playback") {
      this.flushPlayer();
      return;
    }
    const pcm =
      msg.pcm_b64 !== undefined ? int16FromBase64(msg.pcm_b64) : int16FromBuffer(buffers[0]);
    if (pcm === null || pcm.length === 0) return;
    this.ensurePlayer()
      .then((player) => {
        player.enqueue(msg.chunk_id, pcm, msg.sample_rate, {
          ...(msg.generation_id ? { generationId: msg.generation_id } : {}),
          last: msg.is_last,
        });
        this.watchdog.outputQueued(performance.now());
      })
      .catch((error) => this.reportProblem(playerProblemFromError(error)));
  };

  // Capture ----------------------------------------------------------------------------------

  get capturing(): boolean {
    return this.capturePhase !== "off";
  }

  /** Start the mic for `viewId`. `takeOver` claims it even if another view holds it. */
  async startCapture(viewId: string, takeOver: boolean): Promise<void> {
    if (this.captureOwner === viewId && this.capturing) return;
    // No await before startMic: its AudioContext must be created inside the user gesture.
    if (this.capturing) void this.stopCapture(false);
    const problem = this.backend.checkEnvironment();
    if (problem !== null) {
      this.failCapture(problem);
      return;
    }
    const generation = ++this.captureGeneration;
    this.captureOwner = viewId;
    this.capturePhase = "starting";
    this.send({ kind: "capture_state", capturing: true, view_id: viewId, take_over: takeOver });
    this.notify();
    this.preparePlayer();
    const constraints = captureConstraints(this.model);
    const deviceId = this.model.get("device_id");
    try {
      const mic = await this.backend.startMic({
        ...constraints,
        ...(deviceId ? { deviceId } : {}),
        onFrame: this.onFrame,
        onError: (p) => {
          if (generation === this.captureGeneration) this.failCapture(p);
        },
      });
      if (generation !== this.captureGeneration) {
        await mic.stop();
        return;
      }
      this.mic = mic;
      this.capturePhase = "on";
      this.watchdog.micStarted(performance.now());
      this.watch();
      this.cleared(this.problems.captureWorked());
      if (!this.model.get("mic_enabled")) {
        this.model.set("mic_enabled", true);
        this.model.save_changes();
      }
      this.notify();
    } catch (error) {
      if (generation === this.captureGeneration) this.failCapture(problemFromError(error));
    }
  }

  async stopCapture(release: boolean): Promise<void> {
    this.captureGeneration++;
    const mic = this.mic;
    const owner = this.captureOwner;
    this.mic = null;
    this.capturePhase = "off";
    this.captureOwner = null;
    this.micLevel = 0;
    this.watchdog.micStopped();
    this.cleared(this.problems.clear("mic_silent"));
    // The partial batch goes out before the kernel hears that capture stopped.
    const rest = this.batcher.flush();
    if (rest !== null) this.sendBatch(rest);
    if (owner !== null) this.send({ kind: "capture_state", capturing: false, view_id: owner });
    if (release && this.model.get("mic_enabled")) {
      this.model.set("mic_enabled", false);
      this.model.save_changes();
    }
    this.notify();
    if (mic !== null) await mic.stop();
  }

  private failCapture(problem: EnvironmentProblem): void {
    void this.stopCapture(true);
    this.reportProblem(problem);
  }

  private onFrame = (frame: MicFrame): void => {
    if (this.capturePhase !== "on") return;
    this.watchdog.micFrame(performance.now(), frame.rms);
    this.micLevel = frame.rms;
    for (const batch of this.batcher.push(frame, this.model.get("frames_per_message") ?? 1)) {
      const endsHere = batch.seq + batch.tCapture.length - 1 === frame.seq;
      this.sendBatch(batch, endsHere ? frame : undefined);
    }
    this.notify();
  };

  /** One audio_frame message; `last` (the frame that completed the batch) feeds the trace. */
  private sendBatch(batch: FrameBatch, last?: MicFrame): void {
    const header: AudioFrameMsg = { kind: "audio_frame", seq: batch.seq, ...captureTimes(batch) };
    if (last !== undefined && this.model.get("_trace")) {
      const now = performance.timeOrigin + performance.now();
      header.trace = [roundMs(last.tReady ?? Number.NaN), roundMs(last.tReceived ?? Number.NaN), roundMs(now)];
    }
    const pcm = batch.pcm;
    if (this.model.get("binary_buffers")) {
      const copy = pcm.buffer.slice(pcm.byteOffset, pcm.byteOffset + pcm.byteLength);
      this.send(header, [copy as ArrayBuffer]);
    } else {
      this.send({ ...header, pcm_b64: int16ToBase64(pcm) });
    }
  }

  private onMicEnabled = (): void => {
    const wanted = this.model.get("mic_enabled");
    if (!wanted && this.capturing) {
      void this.stopCapture(false);
    } else if (wanted && !this.capturing && this.views.length > 0) {
      // Enabled from Python: the first view of this page asks; the kernel arbitrates.
      const claimed = this.model.get("capture_view");
      if (claimed === "" || this.views.includes(claimed)) {
        void this.startCapture(this.views[0] as string, false);
      }
    }
  };

  private onCaptureView = (): void => {
    const claimed = this.model.get("capture_view");
    const owner = this.captureOwner;
    if (this.capturing && owner !== null && claimed !== "" && claimed !== owner) {
      if (!this.views.includes(claimed)) {
        // A view of another page (tab, window) took the microphone.
        void this.stopCapture(false);
      } else {
        // Another view of this page: the kernel is behind the claims this page settled (two
        // views clicked in one tick). Claim again, so the kernel ends where the page is.
        this.send({ kind: "capture_state", capturing: true, view_id: owner, take_over: true });
      }
    }
    this.notify();
  };

  private onCaptureSettings = (): void => {
    if (this.capturing && this.captureOwner !== null) {
      const owner = this.captureOwner;
      void this.stopCapture(false).then(() => this.startCapture(owner, true));
    }
  };

  clientError(code: ClientErrorCode, message: string): void {
    this.reportProblem({ code, message });
  }

  async dispose(): Promise<void> {
    await this.stopCapture(false);
    this.disposed = true;
    if (this.watchTimer !== null) clearInterval(this.watchTimer);
    this.watchTimer = null;
    this.model.off("msg:custom", this.onCustom);
    for (const key of [
      "mic_enabled",
      "capture_view",
      "volume",
      "muted",
      "echo_strategy",
      "echo_cancellation",
      "noise_suppression",
      "auto_gain_control",
      "device_id",
      "messages",
    ] as const) {
      this.model.off(`change:${key}`);
    }
    this.listeners.clear();
    const player = this.player;
    this.player = null;
    this.playerPromise = null;
    if (player !== null) await player.close();
  }
}
