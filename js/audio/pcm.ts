/**
 * PCM helpers shared by the main thread and the audio worklets: sample-format conversion, a
 * stateful windowed-sinc resampler, fixed-size framing and level measurements.
 *
 * Pure code: no DOM, no Web Audio, so it runs (and is tested) in node and inside worklets.
 */

/** Converts float samples in [-1, 1] to PCM16, clamping out-of-range values (NaN becomes 0). */
export function floatToInt16(f32: Float32Array): Int16Array {
  const out = new Int16Array(f32.length);
  for (let i = 0; i < f32.length; i++) {
    const x = f32[i]!;
    if (x >= 1) out[i] = 32767;
    else if (x <= -1) out[i] = -32768;
    // Asymmetric scale so that both -1 and +1 reach the ends of the int16 range.
    else if (x < 0) out[i] = Math.round(x * 32768);
    else if (x > 0) out[i] = Math.round(x * 32767);
    else out[i] = 0; // also NaN
  }
  return out;
}

/** Converts PCM16 to floats in [-1, 1]; the exact inverse of {@link floatToInt16}'s scaling. */
export function int16ToFloat(i16: Int16Array): Float32Array {
  const out = new Float32Array(i16.length);
  for (let i = 0; i < i16.length; i++) {
    const v = i16[i]!;
    out[i] = v < 0 ? v / 32768 : v / 32767;
  }
  return out;
}

/** Root-mean-square level of `samples` (0 for an empty array). */
export function rms(samples: ArrayLike<number>): number {
  const n = samples.length;
  if (n === 0) return 0;
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const x = samples[i]!;
    sum += x * x;
  }
  return Math.sqrt(sum / n);
}

/** Converts a linear amplitude to dBFS, never below `floorDb` (meters want a finite value). */
export function toDb(level: number, floorDb = -100): number {
  if (!(level > 0)) return floorDb;
  return Math.max(floorDb, 20 * Math.log10(level));
}

/** Peak absolute sample in dBFS, floored at `floorDb`. */
export function peakDb(samples: ArrayLike<number>, floorDb = -100): number {
  let peak = 0;
  for (let i = 0; i < samples.length; i++) {
    const a = Math.abs(samples[i]!);
    if (a > peak) peak = a;
  }
  return toDb(peak, floorDb);
}

export type ResamplerQuality = "low" | "medium" | "high";

export interface ResamplerOptions {
  /**
   * Filter length/steepness trade-off. "medium" (default): 24 zero crossings per side, Kaiser
   * beta 8 (about 80 dB stopband), cut-off at 90% of the lower Nyquist frequency.
   */
  quality?: ResamplerQuality;
}

interface FilterSpec {
  zeroCrossings: number;
  beta: number;
  rolloff: number;
}

const QUALITY: Record<ResamplerQuality, FilterSpec> = {
  low: { zeroCrossings: 8, beta: 5.5, rolloff: 0.8 },
  medium: { zeroCrossings: 24, beta: 8, rolloff: 0.9 },
  high: { zeroCrossings: 32, beta: 9.5, rolloff: 0.92 },
};

/** Above this many distinct phases the filter bank is interpolated instead of exact. */
const MAX_EXACT_PHASES = 1024;
const INTERPOLATED_PHASES = 512;

function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}

/** Modified Bessel function of the first kind, order 0 (power series). */
function besselI0(x: number): number {
  let sum = 1;
  let term = 1;
  const q = (x * x) / 4;
  for (let k = 1; k < 64; k++) {
    term *= q / (k * k);
    sum += term;
    if (term < sum * 1e-12) break;
  }
  return sum;
}

/**
 * Stateful band-limited resampler (Kaiser-windowed sinc, polyphase).
 *
 * The rate ratio is reduced to L/M (output/input) and each output sample k is computed at input
 * time k*M/L exactly (integer phase arithmetic, no drift). Filter history and phase persist
 * between {@link process} calls, so audio fed in any chunking comes out identical to one call:
 * chunk edges never click. When downsampling the cut-off follows the output Nyquist frequency,
 * which removes content that would alias.
 *
 * Latency: an output sample needs `halfTaps` input samples of look-ahead, so output lags input;
 * {@link flush} pads with silence to emit the tail. Total output for N input samples is exactly
 * {@link outputCountFor}(N) once flushed.
 */
export class StreamingResampler {
  readonly fromRate: number;
  readonly toRate: number;
  /** Output samples per `down` input samples. */
  readonly up: number;
  readonly down: number;
  /** Input samples needed on each side of an output sample's position. */
  readonly halfTaps: number;
  private readonly passthrough: boolean;
  private readonly taps: number;
  private readonly phases: number;
  /** `phases + 1` rows of `taps` coefficients; the extra row lets interpolation wrap. */
  private readonly bank: Float32Array;
  private readonly exact: boolean;
  private readonly stepInt: number;
  private readonly stepFrac: number;
  // Input history: buf[0] holds absolute input index bufStart.
  private buf: Float32Array;
  private bufLen = 0;
  private bufStart = 0;
  private totalIn = 0;
  // Position of the next output sample: nextBase + nextFrac / up (input samples).
  private nextBase = 0;
  private nextFrac = 0;

  constructor(fromRate: number, toRate: number, options: ResamplerOptions = {}) {
    if (!(fromRate > 0 && toRate > 0) || !Number.isInteger(fromRate) || !Number.isInteger(toRate)) {
      throw new RangeError(`sample rates must be positive integers (got ${fromRate}, ${toRate})`);
    }
    this.fromRate = fromRate;
    this.toRate = toRate;
    const g = gcd(fromRate, toRate);
    this.up = toRate / g;
    this.down = fromRate / g;
    this.passthrough = this.up === this.down;
    this.stepInt = Math.floor(this.down / this.up);
    this.stepFrac = this.down % this.up;

    const spec = QUALITY[options.quality ?? "medium"];
    // Cut-off relative to the input Nyquist frequency.
    const fc = spec.rolloff * Math.min(1, this.up / this.down);
    const halfWidth = spec.zeroCrossings / fc;
    this.halfTaps = this.passthrough ? 0 : Math.ceil(halfWidth);
    this.taps = 2 * this.halfTaps;
    this.exact = this.up <= MAX_EXACT_PHASES;
    this.phases = this.exact ? this.up : INTERPOLATED_PHASES;
    this.bank = this.passthrough
      ? new Float32Array(0)
      : StreamingResampler.design(this.phases, this.halfTaps, fc, halfWidth, spec.beta);
    this.buf = new Float32Array(Math.max(256, 2 * this.taps));
    this.reset();
  }

  private static design(
    phases: number,
    halfTaps: number,
    fc: number,
    halfWidth: number,
    beta: number,
  ): Float32Array {
    const taps = 2 * halfTaps;
    const bank = new Float32Array((phases + 1) * taps);
    const i0Beta = besselI0(beta);
    const row = new Float64Array(taps);
    for (let p = 0; p <= phases; p++) {
      const phase = p / phases;
      let sum = 0;
      for (let j = 0; j < taps; j++) {
        // Tap j multiplies input index base - halfTaps + 1 + j; tau is the distance to the output.
        const tau = phase + halfTaps - 1 - j;
        let h = 0;
        if (Math.abs(tau) < halfWidth) {
          const x = fc * tau;
          const sinc = x === 0 ? 1 : Math.sin(Math.PI * x) / (Math.PI * x);
          const r = tau / halfWidth;
          h = fc * sinc * (besselI0(beta * Math.sqrt(1 - r * r)) / i0Beta);
        }
        row[j] = h;
        sum += h;
      }
      // Unity DC gain for every phase, otherwise a constant input would ripple.
      for (let j = 0; j < taps; j++) bank[p * taps + j] = row[j]! / sum;
    }
    return bank;
  }

  /** Number of output samples produced (after flush) for `inputSamples` input samples. */
  outputCountFor(inputSamples: number): number {
    return Math.ceil((inputSamples * this.up) / this.down);
  }

  /** Drops all history: the next call starts a new, independent stream. */
  reset(): void {
    this.bufStart = -(this.halfTaps - 1);
    this.bufLen = Math.max(0, this.halfTaps - 1);
    this.buf.fill(0, 0, this.bufLen);
    this.totalIn = 0;
    this.nextBase = 0;
    this.nextFrac = 0;
  }

  /** Resamples the next piece of the stream; output may lag input by about `halfTaps` samples. */
  process(input: Float32Array): Float32Array {
    if (this.passthrough) return input.slice();
    this.append(input);
    return this.drain();
  }

  /** Emits the remaining tail (as if the stream ended in silence) and resets the state. */
  flush(): Float32Array {
    if (this.passthrough) return new Float32Array(0);
    const realTotal = this.totalIn;
    this.append(new Float32Array(this.halfTaps));
    const tail = this.drain(realTotal);
    this.reset();
    return tail;
  }

  private append(input: Float32Array): void {
    // Forget samples no future output can reach.
    const keepFrom = this.nextBase - this.halfTaps + 1 - this.bufStart;
    if (keepFrom > 0) {
      this.buf.copyWithin(0, keepFrom, this.bufLen);
      this.bufLen -= keepFrom;
      this.bufStart += keepFrom;
    }
    const need = this.bufLen + input.length;
    if (need > this.buf.length) {
      let cap = this.buf.length;
      while (cap < need) cap *= 2;
      const grown = new Float32Array(cap);
      grown.set(this.buf.subarray(0, this.bufLen));
      this.buf = grown;
    }
    this.buf.set(input, this.bufLen);
    this.bufLen += input.length;
    this.totalIn += input.length;
  }

  /** Computes every output whose taps are available, up to (not including) input time `limit`. */
  private drain(limit = Infinity): Float32Array {
    const up = this.up;
    // Output k at base b is computable when b + halfTaps < totalIn, and wanted while b < limit.
    const lastBase = Math.min(this.totalIn - this.halfTaps - 1, limit - 1);
    const p0 = this.nextBase * up + this.nextFrac;
    const count = Math.max(0, Math.ceil(((lastBase + 1) * up - p0) / this.down));
    const out = new Float32Array(count);
    const taps = this.taps;
    const bank = this.bank;
    const buf = this.buf;
    let base = this.nextBase;
    let frac = this.nextFrac;
    for (let k = 0; k < count; k++) {
      const start = base - this.halfTaps + 1 - this.bufStart;
      let acc = 0;
      if (this.exact) {
        const row = frac * taps;
        for (let j = 0; j < taps; j++) acc += buf[start + j]! * bank[row + j]!;
      } else {
        const pos = (frac * this.phases) / up;
        const p = Math.floor(pos);
        const a = pos - p;
        const r0 = p * taps;
        const r1 = r0 + taps;
        for (let j = 0; j < taps; j++) {
          const c = bank[r0 + j]! + a * (bank[r1 + j]! - bank[r0 + j]!);
          acc += buf[start + j]! * c;
        }
      }
      out[k] = acc;
      base += this.stepInt;
      frac += this.stepFrac;
      if (frac >= up) {
        frac -= up;
        base += 1;
      }
    }
    this.nextBase = base;
    this.nextFrac = frac;
    return out;
  }
}

/** Cuts a stream into frames of exactly `frameSamples` samples, without losing any sample. */
export class Framer {
  readonly frameSamples: number;
  private readonly pending: Float32Array;
  private fill = 0;

  constructor(frameSamples: number) {
    if (!(frameSamples > 0) || !Number.isInteger(frameSamples)) {
      throw new RangeError(`frameSamples must be a positive integer (got ${frameSamples})`);
    }
    this.frameSamples = frameSamples;
    this.pending = new Float32Array(frameSamples);
  }

  /** Samples buffered towards the next frame. */
  get buffered(): number {
    return this.fill;
  }

  /** Adds samples and returns the frames completed by them (each a new array). */
  push(samples: Float32Array): Float32Array[] {
    const frames: Float32Array[] = [];
    let i = 0;
    while (i < samples.length) {
      const n = Math.min(this.frameSamples - this.fill, samples.length - i);
      this.pending.set(samples.subarray(i, i + n), this.fill);
      this.fill += n;
      i += n;
      if (this.fill === this.frameSamples) {
        frames.push(this.pending.slice());
        this.fill = 0;
      }
    }
    return frames;
  }

  /** Discards a partial frame. */
  reset(): void {
    this.fill = 0;
  }
}
