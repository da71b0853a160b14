import { describe, expect, it } from "vitest";
import { drawFrame } from "./canvas";
import { decodeFrame, type FrameHeader } from "./frame";
import { linePieces } from "./lines";
import { linear } from "./scale";
import { isLightColor, parseRgb, themeFor } from "./theme";

// A frame as the kernel sends it for two utterances 20 s apart: the samples of each, and one
// NaN row halfway across the silence (nextevi_widgets/timeline/gaps.py).
function twoTurns(withLone = false): ReturnType<typeof decodeFrame> {
  const times = [1, 1.5, 2, 2.5, 15, 25, 25.5, 26];
  const joy = [0.2, 0.2, 0.3, 0.2, Number.NaN, 0.9, 0.8, 0.9];
  if (withLone) {
    times.splice(4, 1, 10, 14, 18);
    joy.splice(4, 1, Number.NaN, 0.6, Number.NaN);
  }
  const header: FrameHeader = {
    kind: "frame",
    x0: 0,
    x1: 30,
    title: "",
    names: ["joy"],
    colors: ["#f2b701"],
    roles: ["user", "assistant"],
    role_colors: ["#4c72b0", "#8c8c8c"],
    samples: times.length,
  };
  return decodeFrame(header, [new Float64Array(times).buffer, new Float32Array(joy).buffer]);
}

const x = linear(0, 30, 0, 300);
const y = linear(0, 1, 100, 0);

describe("lines across silence", () => {
  it("break at the gap row: no segment spans the silence", () => {
    const pieces = linePieces(twoTurns(), x, y);
    expect(pieces.map((p) => p.points.length)).toEqual([4, 3]);
    const [first, second] = pieces;
    expect(first!.points.at(-1)![0]).toBe(x(2.5));
    expect(second!.points[0]![0]).toBe(x(25));
    expect(pieces.every((p) => !p.dot)).toBe(true);
  });

  it("draws a score alone between gaps as a dot", () => {
    const pieces = linePieces(twoTurns(true), x, y);
    expect(pieces.map((p) => [p.points.length, p.dot])).toEqual([
      [4, false],
      [1, true],
      [3, false],
    ]);
    const [lx, ly] = pieces[1]!.points[0]!;
    expect(lx).toBe(x(14));
    expect(ly).toBeCloseTo(y(0.6), 4);
  });

  it("strokes nothing between the turns on a real 2D context's calls", () => {
    // A recording context: the canvas path must never move the pen from 2.5 s to 25 s.
    const calls: Array<[string, number[]]> = [];
    const ctx = new Proxy({} as Record<string, unknown>, {
      get(target, name: string) {
        if (name in target) return target[name];
        return (...args: number[]) => calls.push([name, args]);
      },
      set(target, name: string, value) {
        target[name] = value;
        return true;
      },
    }) as unknown as CanvasRenderingContext2D;
    drawFrame(ctx, twoTurns(), 400, 200);
    // Plot area: 52 px left margin, 400 - 96 right; 30 s wide.
    const px = linear(0, 30, 52, 304);
    const segments: Array<[number, number]> = [];
    let pen: number | null = null;
    for (const [name, args] of calls) {
      if (name === "moveTo") pen = args[0]!;
      if (name === "lineTo" && pen !== null) {
        segments.push([pen, args[0]!]);
        pen = args[0]!;
      }
    }
    const data = segments.filter(([a, b]) => a !== b); // grid and ticks are vertical
    expect(data.length).toBeGreaterThan(0);
    const crossing = data.filter(([a, b]) => Math.min(a, b) <= px(3) && Math.max(a, b) >= px(24));
    // The only lines spanning the silence are the horizontal grid lines (whole plot width).
    expect(crossing.every(([a, b]) => Math.min(a, b) === 52 && Math.max(a, b) === 304)).toBe(true);
  });
});

describe("theme colours", () => {
  it("takes the page's text colour for text and a faint grid", () => {
    expect(parseRgb("rgba(255, 255, 255, 0.87)")).toEqual([255, 255, 255]);
    expect(parseRgb("color(srgb 1 1 1)")).toBeNull();
    expect(themeFor("rgb(230, 230, 230)")).toEqual({ text: "rgb(230, 230, 230)", grid: "rgba(230, 230, 230, 0.15)" });
    expect(themeFor("nonsense").text).toBe("#444444");
    expect(isLightColor("rgba(255, 255, 255, 0.87)")).toBe(true);
    expect(isLightColor("rgba(0, 0, 0, 0.87)")).toBe(false);
  });
});
