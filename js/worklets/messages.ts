/** Names and message shapes shared by the worklets and the main-thread classes that drive them. */

export const CAPTURE_PROCESSOR = "nextevi-capture";
export const PLAYER_PROCESSOR = "nextevi-player";

/** `processorOptions` of the capture node. */
export interface CaptureProcessorOptions {
  targetRate?: number;
  frameSamples?: number;
  quality?: "low" | "medium" | "high";
}

export type CaptureCommand = { type: "mute"; muted: boolean } | { type: "gate"; gated: boolean };

/** A 20 ms uplink frame. `t_capture` is context time in seconds; the main thread converts it. */
export interface CaptureFrameMessage {
  type: "frame";
  /** Int16 PCM, little-endian (platform order), mono, `targetRate`; transferred. */
  pcm: ArrayBuffer;
  seq: number;
  /** AudioContext time (s) of the frame's first sample. */
  t_capture: number;
  /** AudioContext time (s) at the end of the render quantum that completed the frame. */
  t_context_now: number;
  /** RMS of the microphone signal in this frame, before mute/gate (so meters show speech while muted). */
  rms: number;
}

export type CaptureEvent = CaptureFrameMessage;

/** `processorOptions` of the player node. */
export interface PlayerProcessorOptions {
  quality?: "low" | "medium" | "high";
}

export type PlayerCommand =
  | {
      type: "chunk";
      id: string;
      /** Int16 PCM mono, transferred. */
      pcm: ArrayBuffer;
      sampleRate: number;
      /** Response this chunk belongs to; tells a mid-response underrun from a new response. */
      generationId?: string;
      /** Set on the final chunk of a response: running dry afterwards is not an underrun. */
      last?: boolean;
    }
  | { type: "flush"; fadeMs: number }
  | { type: "volume"; gain: number }
  | { type: "mute"; muted: boolean };

export interface PlayerProgressMessage {
  type: "progress";
  id: string;
  /** Samples of the chunk (at its own sample rate) played so far. */
  played: number;
  total: number;
  /** True when the chunk was dropped by a flush; `played` is then final. */
  flushed: boolean;
}

export interface PlayerStatsMessage {
  type: "stats";
  underruns: number;
  /** Audio queued and not yet played, in ms. */
  queuedMs: number;
  /** RMS of the output (before volume/mute) since the previous stats message. */
  level: number;
  /** Output samples played since the player started (at the context rate). */
  playedSamplesTotal: number;
  /** AudioContext time (s) at the end of the render quantum that sent this (when known). */
  contextNow?: number;
}

/**
 * A chunk's first sample was written into an output render quantum (sent in that quantum).
 * Times are AudioContext seconds; the main thread maps them to the page clock.
 */
export interface PlayerScheduledMessage {
  type: "scheduled";
  id: string;
  /** AudioContext time (s) at which the chunk's first sample plays. */
  contextTime: number;
  /** AudioContext time (s) at the end of the render quantum that sent this. */
  contextNow: number;
}

export type PlayerEvent =
  | PlayerProgressMessage
  | PlayerStatsMessage
  | PlayerScheduledMessage
  | { type: "started" }
  | { type: "drained" };
