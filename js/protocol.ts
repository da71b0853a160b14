// Kernel <-> browser comm messages of the VoiceChat widget. Mirrors nextevi_widgets/_comm.py;
// CONTRIBUTING.md has the table. Every message carries `kind` (NextEVI wire messages use `type`).

export type ClientErrorCode =
  | "insecure_origin"
  | "mic_denied"
  | "no_audio_worklet"
  | "no_media_devices"
  | "audio_error"
  | "playback_error"
  | "audio_suspended"
  | "mic_silent";

// Browser -> kernel

/**
 * One or more consecutive 20 ms mic frames (24 kHz Int16 mono), concatenated in one buffer.
 * Kept small: every byte here is paid 50 times a second.
 */
export interface AudioFrameMsg {
  kind: "audio_frame";
  /** Seq of the (first) frame; the frames of a batch follow without gaps. */
  seq: number;
  /**
   * Capture time of the frame's first sample, ms on the page clock (performance.timeOrigin +
   * performance.now()). A batch whose frames follow each other exactly sends the first frame's
   * time and `frames`; otherwise one time per frame.
   */
  t_capture: number | number[];
  /** Frames in the buffer when `t_capture` is a single time (absent: 1). */
  frames?: number;
  /** Int16 PCM as base64, only when the front end cannot send binary buffers. */
  pcm_b64?: string;
  /**
   * Only when the `_trace` trait is on (benchmarks), for the last frame of the message, page ms:
   * [worklet finished its quantum, main thread received it, comm send].
   */
  trace?: [number, number, number];
}

export interface PlaybackProgressMsg {
  kind: "playback_progress";
  chunk_id: string;
  played_samples: number;
  total_samples: number;
  flushed: boolean;
}

/** The chunk's first sample entered an output render quantum (once per chunk). */
export interface PlaybackStartedMsg {
  kind: "playback_started";
  chunk_id: string;
  /** When that sample plays, ms on the page clock (performance.timeOrigin + performance.now()). */
  t_scheduled: number;
}

export interface PlaybackStatsMsg {
  kind: "playback_stats";
  underruns: number;
  queued_ms: number;
  played_samples_total: number;
}

export interface ClientErrorMsg {
  kind: "client_error";
  code: ClientErrorCode;
  message: string;
}

/** The page's problem with this code is gone (the kernel drops its copy of the message). */
export interface ClientErrorClearedMsg {
  kind: "client_error_cleared";
  code: ClientErrorCode;
}

export interface UiActionMsg {
  kind: "ui_action";
  action: "connect" | "disconnect" | "interrupt" | "say";
  text?: string;
}

export interface CaptureStateMsg {
  kind: "capture_state";
  capturing: boolean;
  view_id: string;
  take_over?: boolean;
}

/**
 * Stamped on every browser -> kernel message by the controller: the page's id and a count
 * (1, 2, ...). The kernel may process comm messages out of order (ipykernel 7 dispatches a comm
 * message that arrives while a cell runs ahead of one queued behind that cell); it restores each
 * page's order from these before dispatch.
 */
export interface Envelope {
  page: string;
  n: number;
}

export type BrowserMessage =
  | AudioFrameMsg
  | PlaybackProgressMsg
  | PlaybackStartedMsg
  | PlaybackStatsMsg
  | ClientErrorMsg
  | ClientErrorClearedMsg
  | UiActionMsg
  | CaptureStateMsg;

// Kernel -> browser

export interface PlayAudioMsg {
  kind: "play_audio";
  chunk_id: string;
  sample_rate: number;
  generation_id: string;
  /** Last chunk of the reply: running dry afterwards is not an underrun. */
  is_last?: boolean;
  /** When the kernel received the chunk, epoch ms (kernel system clock); for latency figures. */
  t_kernel?: number;
  pcm_b64?: string;
}

export interface StopPlaybackMsg {
  kind: "stop_playback";
  reason: "interruption" | "user" | "disconnect";
}

export type KernelMessage = PlayAudioMsg | StopPlaybackMsg;

export function isKernelMessage(value: unknown): value is KernelMessage {
  if (typeof value !== "object" || value === null) return false;
  const kind = (value as { kind?: unknown }).kind;
  return kind === "play_audio" || kind === "stop_playback";
}

/** Int16 samples from a comm buffer (a DataView over the message's ArrayBuffer). */
export function int16FromBuffer(buffer: DataView | ArrayBuffer | undefined): Int16Array | null {
  if (buffer === undefined) return null;
  if (buffer instanceof ArrayBuffer) return new Int16Array(buffer.slice(0, buffer.byteLength & ~1));
  // Copy: the view's offset may not be 2-byte aligned.
  const bytes = new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength & ~1);
  return new Int16Array(bytes.slice().buffer);
}

export function int16FromBase64(text: string): Int16Array {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length & ~1);
  for (let i = 0; i < bytes.length; i++) bytes[i] = binary.charCodeAt(i);
  return new Int16Array(bytes.buffer);
}

export function int16ToBase64(pcm: Int16Array): string {
  const bytes = new Uint8Array(pcm.buffer, pcm.byteOffset, pcm.byteLength);
  let binary = "";
  const step = 0x8000;
  for (let i = 0; i < bytes.length; i += step) {
    binary += String.fromCharCode(...bytes.subarray(i, i + step));
  }
  return btoa(binary);
}
