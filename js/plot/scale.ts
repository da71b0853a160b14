// Axis arithmetic for the browser-drawn emotion plot: linear scales and "nice" tick steps
// (1, 2 or 5 times a power of ten), the same family matplotlib picks by default.

/** Maps [d0, d1] onto [r0, r1]. */
export function linear(d0: number, d1: number, r0: number, r1: number): (v: number) => number {
  const k = d1 === d0 ? 0 : (r1 - r0) / (d1 - d0);
  return (v: number) => r0 + (v - d0) * k;
}

/** The tick step for [lo, hi] giving at most `maxTicks` ticks. */
export function tickStep(lo: number, hi: number, maxTicks: number): number {
  const span = Math.abs(hi - lo);
  if (!(span > 0) || !Number.isFinite(span)) return 1;
  const raw = span / Math.max(1, maxTicks);
  const power = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 5, 10]) {
    if (m * power >= raw) return m * power;
  }
  return 10 * power;
}

/** Multiples of the tick step inside [lo, hi]. */
export function niceTicks(lo: number, hi: number, maxTicks: number): number[] {
  const step = tickStep(lo, hi, maxTicks);
  const first = Math.ceil(lo / step - 1e-9);
  const ticks: number[] = [];
  for (let i = first; i * step <= hi + step * 1e-9; i++) ticks.push(roundTo(i * step, step));
  return ticks;
}

/** A tick label with as many decimals as the step needs. */
export function formatTick(value: number, step: number): string {
  const decimals = step >= 1 ? 0 : Math.min(6, Math.ceil(-Math.log10(step) - 1e-9));
  return value.toFixed(decimals);
}

function roundTo(value: number, step: number): number {
  const decimals = step >= 1 ? 0 : Math.min(12, Math.ceil(-Math.log10(step)) + 1);
  return Number(value.toFixed(decimals));
}

/**
 * Index ranges [start, end) of runs without NaN in `values` (sample i of series `series` in a
 * row-major samples x series array): a missing score is a gap in the line.
 */
export function finiteRuns(values: Float32Array, count: number, series: number, column: number): Array<[number, number]> {
  const runs: Array<[number, number]> = [];
  let start = -1;
  for (let i = 0; i < count; i++) {
    const finite = Number.isFinite(values[i * series + column]!);
    if (finite && start < 0) start = i;
    if (!finite && start >= 0) {
      runs.push([start, i]);
      start = -1;
    }
  }
  if (start >= 0) runs.push([start, count]);
  return runs;
}
