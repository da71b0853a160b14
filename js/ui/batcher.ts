// Groups consecutive 20 ms mic frames into one comm message (`frames_per_message`). Every comm
// message costs a ~500-byte Jupyter envelope, so batching trades latency for wire bytes; the
// kernel splits a batch back into the same frames (seq order and capture times kept).

import type { MicFrame } from "./audio_api";

export interface FrameBatch {
  /** Seq of the first frame; the others follow without gaps. */
  seq: number;
  /** Capture time of each frame's first sample (page clock, ms). */
  tCapture: number[];
  /** The frames' PCM, concatenated in order. */
  pcm: Int16Array;
}

export class FrameBatcher {
  private pending: MicFrame[] = [];

  /** Frames held back, waiting for a full batch. */
  get size(): number {
    return this.pending.length;
  }

  /**
   * Adds a frame; returns the batches that are now due (a seq gap closes the pending batch
   * first, so a batch always holds consecutive frames).
   */
  push(frame: MicFrame, framesPerMessage: number): FrameBatch[] {
    const out: FrameBatch[] = [];
    const last = this.pending[this.pending.length - 1];
    if (last !== undefined && frame.seq !== last.seq + 1) this.flushInto(out);
    this.pending.push(frame);
    if (this.pending.length >= Math.max(1, Math.floor(framesPerMessage))) this.flushInto(out);
    return out;
  }

  /** The partial batch (on stop), or null when nothing is held back. */
  flush(): FrameBatch | null {
    const out: FrameBatch[] = [];
    this.flushInto(out);
    return out[0] ?? null;
  }

  private flushInto(out: FrameBatch[]): void {
    const frames = this.pending;
    if (frames.length === 0) return;
    this.pending = [];
    const first = frames[0]!;
    let pcm = first.pcm;
    if (frames.length > 1) {
      pcm = new Int16Array(frames.reduce((n, f) => n + f.pcm.length, 0));
      let at = 0;
      for (const f of frames) {
        pcm.set(f.pcm, at);
        at += f.pcm.length;
      }
    }
    out.push({ seq: first.seq, tCapture: frames.map((f) => f.tCapture), pcm });
  }
}
