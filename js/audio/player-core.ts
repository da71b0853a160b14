/**
 * The TTS playback engine, independent of Web Audio: Int16 chunks in (any sample rate), one
 * gapless float stream out at the output rate, with click-free flush, volume/mute ramps,
 * per-chunk played-sample accounting and underrun statistics. The player worklet wraps it.
 */
import type { PlayerEvent } from "../worklets/messages";
import { int16ToFloat, type ResamplerQuality, StreamingResampler } from "./pcm";
import { ChunkLedger, FadeOut, RingBuffer } from "./ring";

export interface PlayerCoreOptions {
  quality?: ResamplerQuality;
  /** Partial progress reports at most this often (chunk ends are reported at once). */
  progressIntervalMs?: number;
  statsIntervalMs?: number;
  /**
   * How long the queue may stay dry in the middle of a response before the player reports
   * `drained` (avoids flicker of "speaking" indicators on a short underrun).
   */
  drainHoldMs?: number;
  /** How far ahead chunks are resampled into the ring. */
  prefillMs?: number;
}

interface PendingChunk {
  pcm: Int16Array;
  offset: number;
  sampleRate: number;
}

interface EnqueueEpoch {
  rate: number;
  start: number;
  input: number;
}

type State = "idle" | "playing" | "stalled";

/** Input samples resampled per step; bounds the work done in one render quantum. */
const BLOCK = 1024;

export class PlayerCore {
  readonly outputRate: number;
  private readonly emit: (event: PlayerEvent) => void;
  private readonly quality: ResamplerQuality;
  private readonly ring: RingBuffer;
  private readonly ledger = new ChunkLedger();
  private readonly fade = new FadeOut();
  private readonly resamplers = new Map<number, StreamingResampler>();
  private readonly progressInterval: number;
  private readonly statsInterval: number;
  private readonly drainHold: number;
  private readonly prefill: number;

  private pending: PendingChunk[] = [];
  /** Output positions of chunks whose first sample has not been rendered yet, in order. */
  private starts: { id: string; at: number }[] = [];
  /** Context time (s) of the current render quantum's first sample; NaN when not given. */
  private contextTime = Number.NaN;
  /** Resampler of the epoch being consumed (null: none open, next chunk starts afresh). */
  private active: StreamingResampler | null = null;
  /** The open epoch as seen by `enqueue` (it runs ahead of consumption). */
  private enqEpoch: EnqueueEpoch | null = null;
  private fadeEnd = -1;

  private state: State = "idle";
  private stallSamples = 0;
  private gapOpen = false;
  private streamEnded = true;
  private lastGeneration: string | undefined;
  private underruns = 0;

  private volume = 1;
  private muted = false;
  private gain = 1;

  private sinceProgress = 0;
  private sinceStats = 0;
  private levelSum = 0;
  private levelCount = 0;

  constructor(outputRate: number, emit: (event: PlayerEvent) => void, options: PlayerCoreOptions = {}) {
    this.outputRate = outputRate;
    this.emit = emit;
    this.quality = options.quality ?? "medium";
    const ms = (v: number): number => Math.max(1, Math.round((v * outputRate) / 1000));
    this.progressInterval = ms(options.progressIntervalMs ?? 50);
    this.statsInterval = ms(options.statsIntervalMs ?? 100);
    this.drainHold = ms(options.drainHoldMs ?? 100);
    this.prefill = ms(options.prefillMs ?? 100);
    // Room for the prefill, one resampled block per source rate up to 8x upsampling, and tails.
    this.ring = new RingBuffer(this.prefill + 16 * BLOCK);
  }

  /** Audio queued and not yet played, in ms (ring plus chunks not yet resampled). */
  get queuedMs(): number {
    let ms = (this.ring.available / this.outputRate) * 1000;
    for (const c of this.pending) ms += ((c.pcm.length - c.offset) / c.sampleRate) * 1000;
    return ms;
  }

  /** Output samples played since creation. */
  get playedSamplesTotal(): number {
    return this.ring.readPosition;
  }

  /** Underruns counted so far (dry in the middle of a response). */
  get underrunCount(): number {
    return this.underruns;
  }

  private resamplerFor(rate: number): StreamingResampler {
    let r = this.resamplers.get(rate);
    if (!r) {
      r = new StreamingResampler(rate, this.outputRate, { quality: this.quality });
      this.resamplers.set(rate, r);
    }
    return r;
  }

  /** Queues a chunk after everything already queued (gapless). */
  enqueue(id: string, pcm: Int16Array, sampleRate: number, generationId?: string, last = false): void {
    if (pcm.length === 0) {
      // An empty chunk (typically an end-of-response marker) plays nothing and ends no gap.
      if (last) this.streamEnded = true;
      const e = this.enqEpoch;
      const at = e ? e.start + this.resamplerFor(e.rate).outputCountFor(e.input) : this.ring.writePosition;
      this.ledger.add(id, 0, at, at);
      return;
    }
    if (this.gapOpen) {
      // The queue ran dry before this chunk: an underrun if the same response went on.
      const known = generationId !== undefined && this.lastGeneration !== undefined;
      const sameResponse = known ? generationId === this.lastGeneration : this.state === "stalled";
      if (!this.streamEnded && sameResponse) this.underruns++;
      this.gapOpen = false;
    }
    this.lastGeneration = generationId;
    this.streamEnded = last;
    const r = this.resamplerFor(sampleRate);
    const epoch = this.enqEpoch;
    if (!epoch || epoch.rate !== sampleRate) {
      const start = epoch
        ? epoch.start + this.resamplerFor(epoch.rate).outputCountFor(epoch.input)
        : this.ring.writePosition;
      this.enqEpoch = { rate: sampleRate, start, input: 0 };
    }
    const e = this.enqEpoch!;
    const start = e.start + r.outputCountFor(e.input);
    e.input += pcm.length;
    this.ledger.add(id, pcm.length, start, e.start + r.outputCountFor(e.input));
    this.pending.push({ pcm, offset: 0, sampleRate });
    this.starts.push({ id, at: start });
  }

  /**
   * Stops playback: fades the next `fadeMs` of audio to zero, drops everything else queued and
   * reports every queued chunk as flushed with the samples that will have been heard.
   */
  flush(fadeMs: number): void {
    const fadeLen = Math.max(0, Math.round((fadeMs * this.outputRate) / 1000));
    this.topUp(fadeLen); // so that the fade has real audio to work on
    const keep = Math.min(this.ring.available, fadeLen);
    this.ring.truncate(keep);
    this.fadeEnd = this.ring.writePosition;
    if (keep > 0) this.fade.start(keep);
    else this.fade.cancel();
    this.pending = [];
    this.starts = [];
    this.active?.reset();
    this.active = null;
    this.enqEpoch = null;
    for (const p of this.ledger.flushAll(this.ring.writePosition)) this.emit({ type: "progress", ...p });
    this.streamEnded = true;
    this.gapOpen = false;
    this.lastGeneration = undefined;
    if (this.state === "stalled") this.goIdle();
  }

  setVolume(gain: number): void {
    this.volume = Math.min(1, Math.max(0, Number.isFinite(gain) ? gain : 1));
  }

  setMuted(muted: boolean): void {
    this.muted = muted;
  }

  /** Reports chunks whose first sample lies in output positions [from, to) of this quantum. */
  private reportStarts(from: number, to: number, contextTime: number): void {
    while (this.starts.length > 0 && this.starts[0]!.at < to) {
      const s = this.starts.shift()!;
      if (s.at < from || !Number.isFinite(contextTime)) continue;
      this.emit({
        type: "scheduled",
        id: s.id,
        contextTime: contextTime + (s.at - from) / this.outputRate,
        contextNow: this.contextTime,
      });
    }
  }

  /** Resamples queued chunks into the ring until it holds at least `need` samples. */
  private topUp(need: number): void {
    const target = Math.max(need, this.prefill);
    while (this.ring.available < target && this.pending.length > 0) {
      const head = this.pending[0]!;
      if (!this.active || this.active.fromRate !== head.sampleRate) {
        if (this.active) this.ring.write(this.active.flush());
        this.active = this.resamplerFor(head.sampleRate);
        this.active.reset();
      }
      const r = this.active;
      // Keep room for this block's output and for a tail flush later.
      const reserve = Math.ceil(((r.halfTaps + 2) * r.up) / r.down) + 2;
      const roomIn = Math.floor(((this.ring.free - reserve) * r.down) / r.up) - 1;
      const take = Math.min(BLOCK, head.pcm.length - head.offset, roomIn);
      if (take <= 0) break;
      this.ring.write(r.process(int16ToFloat(head.pcm.subarray(head.offset, head.offset + take))));
      head.offset += take;
      if (head.offset >= head.pcm.length) this.pending.shift();
    }
    if (this.ring.available < need && this.pending.length === 0 && this.active) {
      // Truly about to run dry: emit the resampler's tail and close the epoch.
      this.ring.write(this.active.flush());
      this.active = null;
      this.enqEpoch = null;
    }
  }

  private goIdle(): void {
    this.state = "idle";
    this.stallSamples = 0;
    this.emit({ type: "drained" });
    this.emitStats();
  }

  private emitStats(): void {
    this.emit({
      type: "stats",
      underruns: this.underruns,
      queuedMs: this.queuedMs,
      level: this.levelCount > 0 ? Math.sqrt(this.levelSum / this.levelCount) : 0,
      playedSamplesTotal: this.ring.readPosition,
      ...(Number.isFinite(this.contextTime) ? { contextNow: this.contextTime } : {}),
    });
    this.levelSum = 0;
    this.levelCount = 0;
    this.sinceStats = 0;
  }

  /**
   * Fills one render quantum. `contextTime` is the AudioContext time (s) of its first sample
   * (the worklet's `currentTime`); with it, each chunk's first sample is reported as
   * `scheduled` in the quantum that plays it.
   */
  render(out: Float32Array, contextTime = Number.NaN): void {
    const n = out.length;
    this.topUp(n);
    const before = this.ring.readPosition;
    const got = this.ring.read(out, 0, n);
    // From here on, "now" is the end of this quantum (stats carry it for clock mapping).
    this.contextTime = contextTime + n / this.outputRate;

    if (this.fade.active) {
      this.fade.apply(out, 0, Math.max(0, Math.min(got, this.fadeEnd - before)));
      if (this.ring.readPosition >= this.fadeEnd) this.fade.cancel();
    }

    if (this.state !== "idle" || got > 0) {
      for (let i = 0; i < n; i++) this.levelSum += out[i]! * out[i]!;
      this.levelCount += n;
    }

    const target = this.muted ? 0 : this.volume;
    if (this.gain !== 1 || target !== 1) {
      const g0 = this.gain;
      const step = (target - g0) / n;
      for (let i = 0; i < n; i++) out[i] = out[i]! * (g0 + step * (i + 1));
      this.gain = target;
    }

    if (got > 0) {
      if (this.state === "idle") this.emit({ type: "started" });
      this.state = "playing";
      this.stallSamples = 0;
      this.reportStarts(before, before + got, contextTime);
    }
    if (got < n) {
      if (this.state === "playing") {
        this.gapOpen = true;
        if (this.streamEnded) this.goIdle();
        else {
          this.state = "stalled";
          this.stallSamples = n - got;
        }
      } else if (this.state === "stalled") {
        this.stallSamples += n - got;
        if (this.streamEnded || this.stallSamples >= this.drainHold) this.goIdle();
      }
    }

    if (this.ledger.size > 0) {
      this.sinceProgress += n;
      const partial = this.sinceProgress >= this.progressInterval;
      if (partial) this.sinceProgress = 0;
      for (const p of this.ledger.update(this.ring.readPosition, partial)) {
        this.emit({ type: "progress", ...p });
      }
    }
    if (this.state !== "idle") {
      this.sinceStats += n;
      if (this.sinceStats >= this.statsInterval) this.emitStats();
    }
  }
}
