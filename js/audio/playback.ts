/**
 * TTS playback through one AudioWorklet player at the context's native rate: gapless across
 * chunks, click-free flush, per-chunk "what the user heard" reports.
 */
import playerSource from "worklet:player";
import {
  PLAYER_PROCESSOR,
  type PlayerCommand,
  type PlayerEvent,
  type PlayerProcessorOptions,
  type PlayerProgressMessage,
  type PlayerStatsMessage,
} from "../worklets/messages";
import { ContextClock, pageNowMs } from "./clock";
import { checkPlayback, EnvironmentError, type EnvironmentProblem, playbackProblem } from "./doctor";
import { loadWorklet } from "./worklet-loader";

export type PlaybackProgress = Omit<PlayerProgressMessage, "type">;
export type PlaybackStats = Omit<PlayerStatsMessage, "type" | "contextNow">;

/** A chunk's first sample entered an output render quantum. */
export interface PlaybackScheduled {
  id: string;
  /** When that sample plays, on the page clock (`performance.timeOrigin + performance.now()`, ms). */
  tScheduled: number;
}

export interface TtsPlayerCallbacks {
  /** Per chunk, about every 50 ms while it plays, at its end, and when flushed. */
  onProgress?: ((p: PlaybackProgress) => void) | null;
  /** About every 100 ms while playing, and once when playback goes idle. */
  onStats?: ((s: PlaybackStats) => void) | null;
  /** A chunk's first sample was scheduled for output (once per chunk, not for flushed ones). */
  onScheduled?: ((s: PlaybackScheduled) => void) | null;
  /** Audio started coming out after silence. */
  onStarted?: (() => void) | null;
  /** The queue is empty: after a response's last chunk, a flush, or a dry spell over 100 ms. */
  onDrained?: (() => void) | null;
  /** The player broke after creation (processor error). */
  onError?: ((problem: EnvironmentProblem) => void) | null;
}

export interface EnqueueOptions {
  /** Response id; tells mid-response underruns from new responses and drops late chunks after a flush. */
  generationId?: string;
  /** Final chunk of the response: running dry afterwards is not an underrun. */
  last?: boolean;
}

export class TtsPlayer implements TtsPlayerCallbacks {
  onProgress: ((p: PlaybackProgress) => void) | null = null;
  onStats: ((s: PlaybackStats) => void) | null = null;
  onScheduled: ((s: PlaybackScheduled) => void) | null = null;
  onStarted: (() => void) | null = null;
  onDrained: (() => void) | null = null;
  onError: ((problem: EnvironmentProblem) => void) | null = null;

  private readonly ctx: AudioContext;
  private readonly node: AudioWorkletNode;
  private closed = false;
  /** Context time -> page time, from the context time each worklet message carries. */
  private readonly clock = new ContextClock();
  private currentLevel = 0;
  private playing = false;
  /** Generations cut off by flush(); their late chunks are dropped. */
  private readonly flushedGenerations = new Set<string>();
  private readonly liveGenerations = new Set<string>();

  private constructor(ctx: AudioContext, node: AudioWorkletNode, callbacks: TtsPlayerCallbacks) {
    this.ctx = ctx;
    this.node = node;
    Object.assign(this, callbacks);
    node.port.onmessage = (ev: MessageEvent<PlayerEvent>) => this.dispatch(ev.data);
    node.onprocessorerror = () => this.onError?.(playbackProblem(new Error("the player processor failed")));
  }

  /**
   * Creates the player with its own AudioContext at the native rate. Call from a user gesture
   * where possible; otherwise call {@link resume} on the next one (autoplay policy).
   */
  static async create(callbacks: TtsPlayerCallbacks & PlayerProcessorOptions = {}): Promise<TtsPlayer> {
    // The secure context first: on an insecure page the worklet is missing for that reason.
    const pre = checkPlayback();
    if (pre) throw new EnvironmentError(pre);
    let ctx: AudioContext;
    try {
      ctx = new AudioContext({ latencyHint: "interactive" });
    } catch (err) {
      throw new EnvironmentError(playbackProblem(err), { cause: err });
    }
    void ctx.resume().catch(() => undefined);
    try {
      if (!ctx.audioWorklet) throw new Error("this AudioContext has no audioWorklet");
      await loadWorklet(ctx, PLAYER_PROCESSOR, playerSource);
      const processorOptions: PlayerProcessorOptions = callbacks.quality ? { quality: callbacks.quality } : {};
      const node = new AudioWorkletNode(ctx, PLAYER_PROCESSOR, {
        numberOfInputs: 0,
        numberOfOutputs: 1,
        outputChannelCount: [1],
        processorOptions,
      });
      node.connect(ctx.destination);
      const { quality: _q, ...cbs } = callbacks;
      return new TtsPlayer(ctx, node, cbs);
    } catch (err) {
      void ctx.close().catch(() => undefined);
      throw new EnvironmentError(playbackProblem(err), { cause: err });
    }
  }

  private dispatch(m: PlayerEvent): void {
    if (this.closed) return;
    switch (m.type) {
      case "progress": {
        const { type: _t, ...p } = m;
        this.onProgress?.(p);
        break;
      }
      case "scheduled": {
        this.clock.observe(m.contextNow, pageNowMs());
        this.onScheduled?.({ id: m.id, tScheduled: this.clock.toPageMs(m.contextTime) });
        break;
      }
      case "stats": {
        if (m.contextNow !== undefined) this.clock.observe(m.contextNow, pageNowMs());
        const { type: _t, contextNow: _c, ...s } = m;
        this.currentLevel = s.level;
        this.onStats?.(s);
        break;
      }
      case "started":
        this.playing = true;
        this.onStarted?.();
        break;
      case "drained":
        this.playing = false;
        this.currentLevel = 0;
        this.onDrained?.();
        break;
    }
  }

  private post(cmd: PlayerCommand, transfer: Transferable[] = []): void {
    if (!this.closed) this.node.port.postMessage(cmd, transfer);
  }

  /**
   * Queues `pcm` (mono Int16 at `sampleRate`) after everything queued. The samples are copied,
   * so the caller may reuse its buffer. Late chunks of a flushed generation are dropped and
   * reported as flushed with nothing played.
   */
  enqueue(id: string, pcm: Int16Array, sampleRate: number, options: EnqueueOptions = {}): void {
    const gen = options.generationId;
    if (gen !== undefined && this.flushedGenerations.has(gen)) {
      this.onProgress?.({ id, played: 0, total: pcm.length, flushed: true });
      return;
    }
    if (gen !== undefined) this.liveGenerations.add(gen);
    const copy = pcm.slice();
    const cmd: PlayerCommand = { type: "chunk", id, pcm: copy.buffer, sampleRate };
    if (gen !== undefined) cmd.generationId = gen;
    if (options.last) cmd.last = true;
    this.post(cmd, [copy.buffer]);
  }

  /** Fades out over `fadeMs` and drops everything queued (barge-in, stop). */
  flush(fadeMs = 12): void {
    for (const g of this.liveGenerations) this.flushedGenerations.add(g);
    this.liveGenerations.clear();
    // Only recent generations can still have chunks in flight.
    while (this.flushedGenerations.size > 64) {
      this.flushedGenerations.delete(this.flushedGenerations.values().next().value!);
    }
    this.post({ type: "flush", fadeMs });
  }

  /** Output volume 0..1 (ramped in the worklet, no zipper noise). */
  setVolume(volume: number): void {
    this.post({ type: "volume", gain: volume });
  }

  /** Mutes the output; playback (and its accounting) continues silently. */
  setMuted(muted: boolean): void {
    this.post({ type: "mute", muted });
  }

  /** RMS (0..1) of the audio being played, updated about every 100 ms; 0 when idle. */
  get level(): number {
    return this.currentLevel;
  }

  /** True between `started` and `drained`. */
  get isPlaying(): boolean {
    return this.playing;
  }

  /** The context's state: "running" when audio can be heard. */
  get state(): string {
    return this.ctx.state;
  }

  /** True while the autoplay policy keeps the context suspended (call resume on a gesture). */
  get suspended(): boolean {
    return this.ctx.state === "suspended";
  }

  /** Output sample rate (the device's native rate). */
  get sampleRate(): number {
    return this.ctx.sampleRate;
  }

  /** Resumes the context; call from a user gesture if {@link suspended}. */
  async resume(): Promise<void> {
    if (!this.closed && this.ctx.state === "suspended") await this.ctx.resume();
  }

  /** Fades out, then releases the context; idempotent. */
  async close(fadeMs = 12): Promise<void> {
    if (this.closed) return;
    this.flush(fadeMs);
    this.closed = true;
    // Let the fade render before the context goes away (no click at shutdown).
    if (this.ctx.state === "running") await new Promise((r) => setTimeout(r, fadeMs + 30));
    this.node.port.onmessage = null;
    this.node.disconnect();
    await this.ctx.close().catch(() => undefined);
  }
}
