/**
 * Notices audio that silently does not work: an output AudioContext that never starts while
 * the assistant's voice waits to play, and a microphone that is "on" but delivers no frames
 * (its context never started) or only digital silence (a dead or muted device).
 *
 * Sans-I/O and browser-agnostic: the caller feeds events and the time (ms, any monotonic
 * clock) and asks for the health at a given time. Nothing here reads a clock or touches Web
 * Audio, so Chromium, Firefox and the unit tests drive the same logic.
 */

export type MicHealth = "ok" | "no_frames" | "silent";
export type OutputHealth = "ok" | "suspended";

export interface WatchdogOptions {
  /** How long audio may wait for an output context that is not running (ms). */
  outputStartMs?: number;
  /** How long capture may be on without a single frame (ms). */
  noFramesMs?: number;
  /** How long capture may deliver only exact-zero frames (ms). Longer than any natural pause. */
  silentMs?: number;
}

export const WATCHDOG_DEFAULTS: Required<WatchdogOptions> = {
  outputStartMs: 3000,
  noFramesMs: 3000,
  silentMs: 8000,
};

export class AudioWatchdog {
  readonly options: Required<WatchdogOptions>;
  private capturing = false;
  private captureSince = 0;
  private lastFrameAt: number | null = null;
  private lastSoundAt = 0;
  private waitingSince: number | null = null;
  private notRunningSince: number | null = null;
  private outputFlagged = false;

  constructor(options: WatchdogOptions = {}) {
    this.options = { ...WATCHDOG_DEFAULTS, ...options };
  }

  // Microphone -------------------------------------------------------------------------------

  /** Capture is on (the microphone was granted and the graph built). */
  micStarted(now: number): void {
    this.capturing = true;
    this.captureSince = now;
    this.lastFrameAt = null;
    this.lastSoundAt = now;
  }

  micStopped(): void {
    this.capturing = false;
  }

  /** One captured frame; `rms` is measured before mute and gate (0 only for digital silence). */
  micFrame(now: number, rms: number): void {
    this.lastFrameAt = now;
    if (rms > 0) this.lastSoundAt = now;
  }

  mic(now: number): MicHealth {
    if (!this.capturing) return "ok";
    if (now - (this.lastFrameAt ?? this.captureSince) >= this.options.noFramesMs) return "no_frames";
    if (now - this.lastSoundAt >= this.options.silentMs) return "silent";
    return "ok";
  }

  // Output -----------------------------------------------------------------------------------

  /** Audio was queued for playback. */
  outputQueued(now: number): void {
    if (this.waitingSince === null) this.waitingSince = now;
  }

  /** Nothing waits to play any more (played out, or flushed). */
  outputIdle(): void {
    this.waitingSince = null;
  }

  /** The output context's state (`AudioContext.state`) as last seen. */
  outputState(now: number, state: string): void {
    if (state === "running") {
      this.notRunningSince = null;
      this.outputFlagged = false;
    } else if (this.notRunningSince === null) {
      this.notRunningSince = now;
    }
  }

  /**
   * "suspended" once audio has waited `outputStartMs` for a context that is not running; it
   * stays so (even after a flush) until the context runs.
   */
  output(now: number): OutputHealth {
    if (this.notRunningSince === null) return "ok";
    if (this.outputFlagged) return "suspended";
    if (this.waitingSince === null) return "ok";
    const since = Math.max(this.waitingSince, this.notRunningSince);
    if (now - since >= this.options.outputStartMs) this.outputFlagged = true;
    return this.outputFlagged ? "suspended" : "ok";
  }
}
