/**
 * Maps AudioContext time onto the page clock (`performance.timeOrigin + performance.now()`, ms).
 *
 * A worklet only knows context time. Each message from it carries the context time at the end of
 * the render quantum that produced it; that audio existed no later than the moment the message
 * arrives, so `arrival - contextTime` is an upper bound of the clock offset, tight to within the
 * scheduling delay. The smallest bound over a sliding window is the estimate: it follows slow
 * drift between the audio and system clocks and ignores messages delayed by a busy main thread.
 * Accuracy is about one render quantum (2.7 ms at 48 kHz) plus the best-case message latency.
 */
export class ContextClock {
  private readonly window: number;
  private readonly offsets: number[] = [];
  private next = 0;
  private best = Infinity;

  constructor(window = 100) {
    this.window = window;
  }

  /** True once at least one observation was made. */
  get ready(): boolean {
    return this.offsets.length > 0;
  }

  /** Records that audio up to `contextTimeS` existed at page time `pageMs`. */
  observe(contextTimeS: number, pageMs: number): void {
    const offset = pageMs - contextTimeS * 1000;
    if (this.offsets.length < this.window) {
      this.offsets.push(offset);
    } else {
      const evicted = this.offsets[this.next]!;
      this.offsets[this.next] = offset;
      this.next = (this.next + 1) % this.window;
      if (evicted === this.best) {
        this.best = Math.min(...this.offsets);
        return;
      }
    }
    if (offset < this.best) this.best = offset;
  }

  /** Page time (ms) of context time `contextTimeS`; NaN before the first observation. */
  toPageMs(contextTimeS: number): number {
    return this.ready ? contextTimeS * 1000 + this.best : Number.NaN;
  }
}

/** Current page time in ms since the epoch (the clock named by the comm contract's `t_capture`). */
export function pageNowMs(): number {
  return performance.timeOrigin + performance.now();
}
