/**
 * Playback building blocks: a float ring buffer, a click-free fade-out, and per-chunk accounting
 * of how much of each TTS chunk has actually been played. Pure code (used inside the player
 * worklet, tested in node).
 */

/**
 * Fixed-capacity FIFO of float samples. Positions are absolute sample counts since creation, so
 * callers can map "samples read so far" onto what was written.
 */
export class RingBuffer {
  readonly capacity: number;
  private readonly data: Float32Array;
  private readIndex = 0;
  private count = 0;
  private readPos = 0;

  constructor(capacity: number) {
    if (!(capacity > 0) || !Number.isInteger(capacity)) {
      throw new RangeError(`capacity must be a positive integer (got ${capacity})`);
    }
    this.capacity = capacity;
    this.data = new Float32Array(capacity);
  }

  /** Samples queued and not yet read. */
  get available(): number {
    return this.count;
  }

  /** Room left for writing. */
  get free(): number {
    return this.capacity - this.count;
  }

  /** Absolute position of the next sample to read (= total samples read). */
  get readPosition(): number {
    return this.readPos;
  }

  /** Absolute position one past the last queued sample (= total samples kept so far). */
  get writePosition(): number {
    return this.readPos + this.count;
  }

  /** Appends as many samples as fit; returns how many were written. */
  write(samples: Float32Array): number {
    const n = Math.min(samples.length, this.free);
    const w = (this.readIndex + this.count) % this.capacity;
    const first = Math.min(n, this.capacity - w);
    this.data.set(samples.subarray(0, first), w);
    if (n > first) this.data.set(samples.subarray(first, n), 0);
    this.count += n;
    return n;
  }

  /**
   * Fills `out[offset, offset + length)` from the queue and returns the number of real samples
   * read. If the queue runs dry the rest is zero-filled: a short read is an underrun for a
   * caller that was playing.
   */
  read(out: Float32Array, offset = 0, length = out.length - offset): number {
    const n = Math.min(length, this.count);
    const first = Math.min(n, this.capacity - this.readIndex);
    out.set(this.data.subarray(this.readIndex, this.readIndex + first), offset);
    if (n > first) out.set(this.data.subarray(0, n - first), offset + first);
    if (n < length) out.fill(0, offset + n, offset + length);
    this.readIndex = (this.readIndex + n) % this.capacity;
    this.count -= n;
    this.readPos += n;
    return n;
  }

  /** Keeps only the first `n` queued samples (drops the rest, unplayed). */
  truncate(n: number): void {
    this.count = Math.max(0, Math.min(this.count, Math.floor(n)));
  }

  /** Drops everything queued. */
  clear(): void {
    this.count = 0;
  }
}

/**
 * Raised-cosine gain curve for a fade of `length` samples: g(i) = (1 + cos(pi (i+1) / length)) / 2,
 * monotone from just under 1 to exactly 0; the largest step is about pi / (2 length).
 */
export function fadeGain(i: number, length: number): number {
  if (i >= length - 1) return 0;
  if (i < 0) return 1;
  return 0.5 * (1 + Math.cos((Math.PI * (i + 1)) / length));
}

/**
 * A fade-out applied to the next samples that pass through it; after `length` samples it outputs
 * silence until restarted or cancelled.
 */
export class FadeOut {
  private length = 0;
  private pos = 0;
  private running = false;

  /** Starts a fade over `length` samples (0 = immediate silence). */
  start(length: number): void {
    this.length = Math.max(0, Math.floor(length));
    this.pos = 0;
    this.running = true;
  }

  /** True from `start` until `cancel`, including the silent part after the ramp. */
  get active(): boolean {
    return this.running;
  }

  /** True once the ramp has reached zero. */
  get done(): boolean {
    return this.running && this.pos >= this.length;
  }

  /** Stops fading: samples pass unchanged again. */
  cancel(): void {
    this.running = false;
    this.pos = 0;
  }

  /** Multiplies `buf[offset, offset + count)` by the fade curve, in place. */
  apply(buf: Float32Array, offset = 0, count = buf.length - offset): void {
    if (!this.running) return;
    for (let i = offset; i < offset + count; i++) {
      buf[i] = buf[i]! * fadeGain(this.pos, this.length);
      if (this.pos < this.length) this.pos++;
    }
  }
}

/** Progress of one chunk, in the chunk's own samples (its sample rate, not the output's). */
export interface ChunkProgress {
  id: string;
  played: number;
  total: number;
  flushed: boolean;
}

interface LedgerEntry {
  id: string;
  total: number;
  start: number;
  end: number;
  reported: number;
}

/**
 * Maps an output play position onto per-chunk played counts.
 *
 * Each chunk owns the range `[start, end)` of output positions (after resampling); while the
 * position moves through it, the chunk's played count grows proportionally, reaching `total` only
 * when the position reaches `end`.
 */
export class ChunkLedger {
  private entries: LedgerEntry[] = [];

  /** Chunks still tracked (not finished nor flushed). */
  get size(): number {
    return this.entries.length;
  }

  /** Registers a chunk of `total` source samples occupying output positions `[start, end)`. */
  add(id: string, total: number, start: number, end: number): void {
    this.entries.push({ id, total, start, end: Math.max(start, end), reported: -1 });
  }

  /** Source samples of `entry` played once the output has reached `position`. */
  private static playedAt(e: LedgerEntry, position: number): number {
    if (position >= e.end) return e.total;
    if (position <= e.start) return 0;
    return Math.min(e.total, Math.floor((e.total * (position - e.start)) / (e.end - e.start)));
  }

  /**
   * Updates at output `position`. Returns finished chunks (always, then forgets them) and, when
   * `includePartial`, chunks whose played count changed since their last report.
   */
  update(position: number, includePartial: boolean): ChunkProgress[] {
    const changes: ChunkProgress[] = [];
    let finished = 0;
    for (const e of this.entries) {
      const played = ChunkLedger.playedAt(e, position);
      if (played >= e.total) {
        changes.push({ id: e.id, played: e.total, total: e.total, flushed: false });
        finished++;
      } else if (includePartial && played !== e.reported && played > 0) {
        e.reported = played;
        changes.push({ id: e.id, played, total: e.total, flushed: false });
      } else {
        break; // later chunks start after this one, so they have not started either
      }
    }
    if (finished > 0) this.entries.splice(0, finished);
    return changes;
  }

  /** Reports every tracked chunk as flushed with what will have played by `position`, and forgets them. */
  flushAll(position: number): ChunkProgress[] {
    const out = this.entries.map((e) => ({
      id: e.id,
      played: ChunkLedger.playedAt(e, position),
      total: e.total,
      flushed: true,
    }));
    this.entries = [];
    return out;
  }
}
