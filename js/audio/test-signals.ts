/** Signal generators and measurements used by the audio unit tests (not bundled). */

/** `n` samples of amp * sin(2 pi f t + phase) at `rate`, starting at sample index `start`. */
export function sine(freq: number, rate: number, n: number, amp = 0.5, start = 0, phase = 0): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = amp * Math.sin((2 * Math.PI * freq * (start + i)) / rate + phase);
  return out;
}

/** Frequency from interpolated upward zero crossings (very precise on clean tones). */
export function zeroCrossingFrequency(x: ArrayLike<number>, rate: number): number {
  const times: number[] = [];
  for (let i = 1; i < x.length; i++) {
    const a = x[i - 1]!;
    const b = x[i]!;
    if (a < 0 && b >= 0) times.push(i - 1 + a / (a - b));
  }
  if (times.length < 2) return 0;
  return ((times.length - 1) * rate) / (times[times.length - 1]! - times[0]!);
}

/** Least-squares fit of a*sin + b*cos at a known frequency: amplitude and RMS of the residual. */
export function fitSine(x: ArrayLike<number>, freq: number, rate: number, start = 0): { amplitude: number; residualRms: number } {
  let ss = 0;
  let cc = 0;
  let sc = 0;
  let xs = 0;
  let xc = 0;
  const w = (2 * Math.PI * freq) / rate;
  for (let i = 0; i < x.length; i++) {
    const s = Math.sin(w * (start + i));
    const c = Math.cos(w * (start + i));
    ss += s * s;
    cc += c * c;
    sc += s * c;
    xs += x[i]! * s;
    xc += x[i]! * c;
  }
  const det = ss * cc - sc * sc;
  const a = (xs * cc - xc * sc) / det;
  const b = (xc * ss - xs * sc) / det;
  let res = 0;
  for (let i = 0; i < x.length; i++) {
    const e = x[i]! - a * Math.sin(w * (start + i)) - b * Math.cos(w * (start + i));
    res += e * e;
  }
  return { amplitude: Math.hypot(a, b), residualRms: Math.sqrt(res / x.length) };
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < Math.min(a.length, b.length); i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

/** Largest |x[i] - x[i-1]|: a click shows up as a step far above the signal's own slope. */
export function maxStep(x: ArrayLike<number>): number {
  let m = 0;
  for (let i = 1; i < x.length; i++) m = Math.max(m, Math.abs(x[i]! - x[i - 1]!));
  return m;
}

export function concat(parts: Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** Deterministic PRNG (mulberry32) so chunkings are random but reproducible. */
export function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Splits `x` into consecutive pieces of random sizes in [1, maxSize]. */
export function randomChunks(x: Float32Array, maxSize: number, seed = 1): Float32Array[] {
  const rnd = prng(seed);
  const parts: Float32Array[] = [];
  for (let i = 0; i < x.length; ) {
    const n = 1 + Math.floor(rnd() * maxSize);
    parts.push(x.subarray(i, i + n));
    i += n;
  }
  return parts;
}
