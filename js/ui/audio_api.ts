// What the widget needs from the browser audio engine (js/audio). The concrete engine is wired in
// js/widget.ts; keeping the UI against this small surface lets it be driven by a stand-in in tests.

import { playbackProblem, problemFromMediaError } from "../audio/doctor";
import type { ClientErrorCode } from "../protocol";

export interface EnvironmentProblem {
  code: ClientErrorCode;
  message: string;
}

export interface MicFrame {
  pcm: Int16Array;
  seq: number;
  tCapture: number;
  rms: number;
  /** Page time the worklet finished the render quantum that completed the frame (tracing). */
  tReady?: number;
  /** Page time the main thread received the frame from the worklet (tracing). */
  tReceived?: number;
}

export interface MicOptions {
  echoCancellation: boolean;
  noiseSuppression: boolean;
  autoGainControl: boolean;
  deviceId?: string;
  onFrame(frame: MicFrame): void;
  onError(problem: EnvironmentProblem): void;
}

export interface Mic {
  /** The capture AudioContext's state ("running" when audio flows). */
  readonly state?: string;
  setMuted(muted: boolean): void;
  setGated(gated: boolean): void;
  stop(): void | Promise<void>;
}

export interface PlayerCallbacks {
  onProgress(p: { id: string; played: number; total: number; flushed: boolean }): void;
  onStats(s: { underruns: number; queuedMs: number; level: number }): void;
  onStarted(): void;
  onDrained(): void;
  /** A chunk's first sample was scheduled for output at `tScheduled` (page clock, epoch ms). */
  onScheduled?(s: { id: string; tScheduled: number }): void;
  /** The player broke after it was created. */
  onError?(problem: EnvironmentProblem): void;
}

export interface Player {
  /** The output AudioContext's state ("running" when audio can be heard). */
  readonly state: string;
  enqueue(
    id: string,
    pcm: Int16Array,
    sampleRate: number,
    options?: { generationId?: string; last?: boolean },
  ): void;
  flush(fadeMs?: number): void;
  setVolume(volume: number): void;
  setMuted(muted: boolean): void;
  resume(): Promise<void> | void;
  close(): Promise<void> | void;
}

export interface AudioBackend {
  /** Why the microphone cannot work here (secure context first), or null. */
  checkEnvironment(): EnvironmentProblem | null;
  /** Why the assistant's voice cannot play here (secure context first), or null. */
  checkPlayback(): EnvironmentProblem | null;
  startMic(options: MicOptions): Promise<Mic>;
  createPlayer(callbacks: PlayerCallbacks): Promise<Player>;
}

function asProblem(error: unknown): EnvironmentProblem | null {
  if (typeof error === "object" && error !== null && "code" in error && "message" in error) {
    const e = error as { code: unknown; message: unknown };
    if (typeof e.code === "string" && typeof e.message === "string") {
      return { code: e.code as ClientErrorCode, message: e.message };
    }
  }
  return null;
}

/** A microphone failure in the doctor's vocabulary (problems pass through unchanged). */
export function problemFromError(error: unknown): EnvironmentProblem {
  return asProblem(error) ?? problemFromMediaError(error);
}

/** A player failure in the doctor's vocabulary (problems pass through unchanged). */
export function playerProblemFromError(error: unknown): EnvironmentProblem {
  return asProblem(error) ?? playbackProblem(error);
}
