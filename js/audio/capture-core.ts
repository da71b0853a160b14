/**
 * The microphone uplink pipeline, independent of Web Audio: native-rate float input in,
 * 24 kHz Int16 frames out. The capture worklet is a thin wrapper around it.
 */
import { floatToInt16, Framer, type ResamplerQuality, rms, StreamingResampler } from "./pcm";

export interface CaptureCoreOptions {
  targetRate?: number;
  frameSamples?: number;
  quality?: ResamplerQuality;
}

export interface CoreFrame {
  pcm: Int16Array;
  seq: number;
  /** Time of the frame's first sample on the input clock, in seconds. */
  t: number;
  /** RMS of the signal before mute/gate. */
  rms: number;
}

export class CaptureCore {
  readonly inputRate: number;
  readonly targetRate: number;
  readonly frameSamples: number;
  private readonly resampler: StreamingResampler;
  private readonly framer: Framer;
  private seq = 0;
  /** Input samples consumed before the current block. */
  private consumed = 0;
  private muted = false;
  private gated = false;
  private gain = 1;

  constructor(inputRate: number, options: CaptureCoreOptions = {}) {
    this.inputRate = inputRate;
    this.targetRate = options.targetRate ?? 24000;
    this.frameSamples = options.frameSamples ?? Math.round(this.targetRate / 50);
    this.resampler = new StreamingResampler(inputRate, this.targetRate, {
      quality: options.quality ?? "medium",
    });
    this.framer = new Framer(this.frameSamples);
  }

  /** Muted: frames keep flowing but carry silence (the server's turn detection needs a stream). */
  setMuted(muted: boolean): void {
    this.muted = muted;
  }

  /** Half-duplex gate (while the assistant speaks): same effect as mute, separate switch. */
  setGated(gated: boolean): void {
    this.gated = gated;
  }

  /**
   * Feeds one block of input whose first sample is input-clock frame `inputFrame` (the
   * worklet's `currentFrame`); returns the frames it completed. Times are anchored on the latest
   * block: when the clock skips (render quanta the browser never ran, typically while the audio
   * graph starts), frames are not dated as if the audio were older by the skipped time.
   */
  push(input: Float32Array, inputFrame: number): CoreFrame[] {
    const consumed = this.consumed;
    this.consumed += input.length;
    const out: CoreFrame[] = [];
    for (const f of this.framer.push(this.resampler.process(input))) {
      const level = rms(f);
      const target = this.muted || this.gated ? 0 : 1;
      if (target !== this.gain || target === 0) {
        // Linear ramp across the frame so toggling never clicks.
        const g0 = this.gain;
        const step = (target - g0) / f.length;
        for (let i = 0; i < f.length; i++) f[i] = f[i]! * (g0 + step * (i + 1));
        this.gain = target;
      }
      // Output sample k sits at input sample k * inputRate / targetRate (the filter has no delay
      // in its time base), so frame timing is exact however the input was chunked; input sample
      // `consumed` is clock frame `inputFrame`.
      const firstIn = (this.seq * this.frameSamples * this.inputRate) / this.targetRate;
      const t = (inputFrame + firstIn - consumed) / this.inputRate;
      out.push({ pcm: floatToInt16(f), seq: this.seq, t, rms: level });
      this.seq++;
    }
    return out;
  }
}
