// One frame of the browser-drawn emotion plot, decoded from the kernel's `frame` message
// (nextevi_widgets/timeline/canvas_frame.py): a JSON header plus four binary buffers.

import { isPlotFrameMsg, type PlotFrameMsg } from "../protocol";

export const PLOT_MARGINS = { left: 52, right: 96, top: 22, bottom: 36 } as const;

/** The JSON part of a `frame` message (declared in nextevi_widgets/_comm.py). */
export type FrameHeader = PlotFrameMsg;

export interface Turn {
  start: number;
  end: number;
  role: number;
  interrupted: boolean;
}

export interface PlotFrame {
  header: FrameHeader;
  times: Float64Array;
  values: Float32Array;
  turns: Turn[];
  interruptions: Float64Array;
}

type Buffer = DataView | ArrayBuffer | ArrayBufferView;

function bytesOf(buffer: Buffer | undefined): ArrayBuffer {
  if (buffer === undefined) return new ArrayBuffer(0);
  if (buffer instanceof ArrayBuffer) return buffer;
  // Copy: a view into a larger message buffer need not be aligned for a Float64Array.
  const view = new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  return view.slice().buffer;
}

/** A `frame` message's header, checked field by field against its declaration. */
export const isFrameHeader = isPlotFrameMsg;

/** Decodes a frame; throws on buffers that do not match the header. */
export function decodeFrame(header: FrameHeader, buffers: readonly Buffer[]): PlotFrame {
  const times = new Float64Array(bytesOf(buffers[0]));
  const values = new Float32Array(bytesOf(buffers[1]));
  const turnRows = new Float64Array(bytesOf(buffers[2]));
  const interruptions = new Float64Array(bytesOf(buffers[3]));
  const series = header.names.length;
  if (times.length !== header.samples || values.length !== header.samples * series) {
    throw new Error(
      `emotion plot frame: ${times.length} times and ${values.length} values for ` +
        `${header.samples} samples of ${series} series`,
    );
  }
  if (turnRows.length % 4 !== 0) throw new Error("emotion plot frame: turn rows are not 4 wide");
  const turns: Turn[] = [];
  for (let i = 0; i < turnRows.length; i += 4) {
    turns.push({
      start: turnRows[i]!,
      end: turnRows[i + 1]!,
      role: turnRows[i + 2]!,
      interrupted: turnRows[i + 3]! !== 0,
    });
  }
  return { header, times, values, turns, interruptions };
}
