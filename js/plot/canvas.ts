// Draws one PlotFrame on a 2D canvas: turn shading, interruption marks, one line per emotion,
// axes with nice ticks, a legend on the right, the title. Sizes are CSS pixels; the caller
// scales the context for the device pixel ratio. Text, axes and grid take the theme's colours;
// the background is left transparent so the page's own shows through.

import { PLOT_MARGINS, type PlotFrame } from "./frame";
import { linePieces } from "./lines";
import { formatTick, linear, niceTicks, tickStep } from "./scale";
import { DEFAULT_THEME, type PlotTheme } from "./theme";

const FONT = "11px sans-serif";
const SMALL_FONT = "10px sans-serif";
const INTERRUPTION = "#d62728";

/** The plot area in CSS pixels and the data -> pixel scales. */
interface Area {
  x: (v: number) => number;
  y: (v: number) => number;
  left: number;
  right: number;
  top: number;
  bottom: number;
}

export function drawFrame(
  ctx: CanvasRenderingContext2D,
  frame: PlotFrame,
  width: number,
  height: number,
  theme: PlotTheme = DEFAULT_THEME,
): void {
  const m = PLOT_MARGINS;
  const left = m.left;
  const right = Math.max(left + 10, width - m.right);
  const top = m.top;
  const bottom = Math.max(top + 10, height - m.bottom);
  const { x0, x1 } = frame.header;
  const x = linear(x0, x1, left, right);
  const y = linear(0, 1, bottom, top);

  ctx.clearRect(0, 0, width, height);

  ctx.save();
  ctx.beginPath();
  ctx.rect(left, top, right - left, bottom - top);
  ctx.clip();
  drawTurns(ctx, frame, x, top, bottom);
  const area: Area = { x, y, left, right, top, bottom };
  drawGrid(ctx, frame, area, theme);
  drawLines(ctx, frame, x, y);
  drawInterruptions(ctx, frame, x, top, bottom);
  ctx.restore();

  drawAxes(ctx, frame, area, theme);
  drawLegend(ctx, frame, right + 8, top, theme);
  if (frame.header.title) {
    ctx.fillStyle = theme.text;
    ctx.font = FONT;
    ctx.textAlign = "center";
    ctx.textBaseline = "alphabetic";
    ctx.fillText(frame.header.title, (left + right) / 2, top - 7);
  }
}

function drawTurns(ctx: CanvasRenderingContext2D, frame: PlotFrame, x: (v: number) => number, top: number, bottom: number): void {
  for (const turn of frame.turns) {
    const x0 = x(turn.start);
    const w = Math.max(1, x(turn.end) - x0);
    ctx.globalAlpha = 0.12;
    ctx.fillStyle = frame.header.role_colors[turn.role] ?? "#bbbbbb";
    ctx.fillRect(x0, top, w, bottom - top);
    if (turn.interrupted) {
      // Hatching, as the matplotlib drawing has: diagonal strokes clipped to the turn.
      ctx.save();
      ctx.beginPath();
      ctx.rect(x0, top, w, bottom - top);
      ctx.clip();
      ctx.globalAlpha = 0.3;
      ctx.strokeStyle = ctx.fillStyle;
      ctx.lineWidth = 1;
      ctx.beginPath();
      for (let d = -(bottom - top); d < w; d += 6) {
        ctx.moveTo(x0 + d, bottom);
        ctx.lineTo(x0 + d + (bottom - top), top);
      }
      ctx.stroke();
      ctx.restore();
    }
  }
  ctx.globalAlpha = 1;
}

function drawGrid(ctx: CanvasRenderingContext2D, frame: PlotFrame, area: Area, theme: PlotTheme): void {
  const { x, y, left, right, top, bottom } = area;
  ctx.strokeStyle = theme.grid;
  ctx.lineWidth = 1;
  ctx.beginPath();
  for (const t of niceTicks(frame.header.x0, frame.header.x1, xTickCount(right - left))) {
    const px = Math.round(x(t)) + 0.5;
    ctx.moveTo(px, top);
    ctx.lineTo(px, bottom);
  }
  for (const v of niceTicks(0, 1, 5)) {
    const py = Math.round(y(v)) + 0.5;
    ctx.moveTo(left, py);
    ctx.lineTo(right, py);
  }
  ctx.stroke();
}

function drawLines(ctx: CanvasRenderingContext2D, frame: PlotFrame, x: (v: number) => number, y: (v: number) => number): void {
  const { times } = frame;
  const count = times.length;
  const spacing = count > 1 ? (x(times[count - 1]!) - x(times[0]!)) / (count - 1) : Infinity;
  ctx.lineWidth = spacing < 2 ? 1 : 1.6;
  ctx.lineJoin = "round";
  for (const piece of linePieces(frame, x, y)) {
    const color = frame.header.colors[piece.series] ?? "#333";
    ctx.strokeStyle = color;
    ctx.fillStyle = color;
    ctx.beginPath();
    if (piece.dot) {
      const [px, py] = piece.points[0]!;
      ctx.arc(px, py, 1.8, 0, 2 * Math.PI);
      ctx.fill();
      continue;
    }
    piece.points.forEach(([px, py], i) => (i === 0 ? ctx.moveTo(px, py) : ctx.lineTo(px, py)));
    ctx.stroke();
  }
}

function drawInterruptions(ctx: CanvasRenderingContext2D, frame: PlotFrame, x: (v: number) => number, top: number, bottom: number): void {
  if (frame.interruptions.length === 0) return;
  ctx.strokeStyle = INTERRUPTION;
  ctx.lineWidth = 1.2;
  ctx.setLineDash([4, 3]);
  ctx.beginPath();
  for (const t of frame.interruptions) {
    const px = Math.round(x(t)) + 0.5;
    ctx.moveTo(px, top);
    ctx.lineTo(px, bottom);
  }
  ctx.stroke();
  ctx.setLineDash([]);
}

function drawAxes(ctx: CanvasRenderingContext2D, frame: PlotFrame, area: Area, theme: PlotTheme): void {
  const { x, y, left, right, top, bottom } = area;
  ctx.strokeStyle = theme.text;
  ctx.lineWidth = 1;
  ctx.strokeRect(left + 0.5, top + 0.5, right - left, bottom - top);
  ctx.fillStyle = theme.text;
  ctx.font = SMALL_FONT;
  ctx.textAlign = "center";
  ctx.textBaseline = "top";
  const { x0, x1 } = frame.header;
  const count = xTickCount(right - left);
  const step = tickStep(x0, x1, count);
  for (const t of niceTicks(x0, x1, count)) ctx.fillText(formatTick(t, step), x(t), bottom + 4);
  ctx.textAlign = "right";
  ctx.textBaseline = "middle";
  for (const v of niceTicks(0, 1, 5)) ctx.fillText(formatTick(v, 0.2), left - 4, y(v));
  ctx.font = FONT;
  ctx.textAlign = "center";
  ctx.textBaseline = "bottom";
  ctx.fillText("session time (s)", (left + right) / 2, bottom + 34);
  ctx.save();
  ctx.translate(12, (top + bottom) / 2);
  ctx.rotate(-Math.PI / 2);
  ctx.textBaseline = "middle";
  ctx.fillText("score", 0, 0);
  ctx.restore();
}

function drawLegend(ctx: CanvasRenderingContext2D, frame: PlotFrame, x: number, top: number, theme: PlotTheme): void {
  ctx.font = SMALL_FONT;
  ctx.textAlign = "left";
  ctx.textBaseline = "middle";
  frame.header.names.forEach((name, i) => {
    const y = top + 6 + i * 14;
    ctx.strokeStyle = frame.header.colors[i] ?? "#333";
    ctx.lineWidth = 2;
    ctx.beginPath();
    ctx.moveTo(x, y);
    ctx.lineTo(x + 16, y);
    ctx.stroke();
    ctx.fillStyle = theme.text;
    ctx.fillText(name, x + 21, y);
  });
}

function xTickCount(widthPx: number): number {
  return Math.max(2, Math.floor(widthPx / 80));
}
