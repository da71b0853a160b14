// The polylines of a frame's series in CSS pixels. A NaN score is a gap: the kernel puts a NaN
// row wherever nobody spoke (nextevi_widgets/timeline/gaps.py), so no line crosses a silence.
// A score alone between gaps has nothing to join and becomes a dot.

import type { PlotFrame } from "./frame";
import { finiteRuns } from "./scale";

export interface LinePiece {
  series: number;
  points: Array<[number, number]>;
  /** A single score between gaps: drawn as a dot. */
  dot: boolean;
}

export function linePieces(frame: PlotFrame, x: (v: number) => number, y: (v: number) => number): LinePiece[] {
  const { times, values } = frame;
  const series = frame.header.names.length;
  const pieces: LinePiece[] = [];
  for (let s = 0; s < series; s++) {
    for (const [start, end] of finiteRuns(values, times.length, series, s)) {
      const points: Array<[number, number]> = [];
      for (let i = start; i < end; i++) points.push([x(times[i]!), y(values[i * series + s]!)]);
      pieces.push({ series: s, points, dot: points.length === 1 });
    }
  }
  return pieces;
}
