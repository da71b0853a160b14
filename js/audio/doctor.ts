/**
 * Pre-flight check of the browser environment for microphone capture and worklet playback, and
 * the mapping of browser audio errors to one small vocabulary with human messages.
 */

export type EnvironmentProblemCode =
  | "insecure_origin"
  | "mic_denied"
  | "no_audio_worklet"
  | "no_media_devices"
  | "audio_error";

export interface EnvironmentProblem {
  code: EnvironmentProblemCode;
  message: string;
}

/** Rejection value of MicCapture.start / TtsPlayer.create; carries the same code and message. */
export class EnvironmentError extends Error {
  readonly code: EnvironmentProblemCode;
  readonly problem: EnvironmentProblem;

  constructor(problem: EnvironmentProblem, options?: { cause?: unknown }) {
    super(problem.message, options);
    this.name = "EnvironmentError";
    this.code = problem.code;
    this.problem = problem;
  }
}

const FALLBACK = "You can still type messages, or send a WAV file from Python, instead of using the microphone.";

/** The parts of `window` the check reads; injectable so it can be tested without a browser. */
export interface EnvironmentLike {
  isSecureContext?: boolean;
  location?: { protocol?: string; hostname?: string; origin?: string };
  navigator?: { mediaDevices?: { getUserMedia?: unknown }; userAgent?: string };
  AudioContext?: unknown;
  AudioWorkletNode?: unknown;
  acquireVsCodeApi?: unknown;
}

/** Best-effort detection of a VS Code notebook webview (whose webviews deny media devices). */
export function isVsCodeWebview(env: EnvironmentLike): boolean {
  const protocol = env.location?.protocol ?? "";
  const host = env.location?.hostname ?? "";
  return (
    protocol === "vscode-webview:" ||
    host.endsWith(".vscode-cdn.net") ||
    typeof env.acquireVsCodeApi === "function" ||
    /\bCode\/\d/.test(env.navigator?.userAgent ?? "")
  );
}

/**
 * Returns the first reason microphone capture cannot work here, or null when it should.
 * Playback needs only AudioWorklet support (the `no_audio_worklet` problem).
 */
export function checkEnvironment(env: EnvironmentLike = globalThis as EnvironmentLike): EnvironmentProblem | null {
  const vscode = isVsCodeWebview(env);
  if (env.isSecureContext === false) {
    const origin = env.location?.origin ?? "this page";
    return {
      code: "insecure_origin",
      message:
        `The browser only allows the microphone on secure pages (https:// or http://localhost); ` +
        `${origin} is not one. Open Jupyter through https or an SSH tunnel to localhost ` +
        `(ssh -L 8888:localhost:8888 host). ${FALLBACK}`,
    };
  }
  const getUserMedia = env.navigator?.mediaDevices?.getUserMedia;
  if (typeof getUserMedia !== "function") {
    return {
      code: "no_media_devices",
      message: vscode
        ? `VS Code notebooks do not give widgets access to the microphone (microsoft/vscode#119127). ` +
          `Open the notebook in JupyterLab or Notebook in a browser for voice input. ${FALLBACK}`
        : `This browser exposes no media devices (navigator.mediaDevices is missing), so the ` +
          `microphone cannot be used here. ${FALLBACK}`,
    };
  }
  if (typeof env.AudioContext !== "function" || typeof env.AudioWorkletNode !== "function") {
    return {
      code: "no_audio_worklet",
      message:
        `This browser lacks AudioWorklet support, which voice capture and playback need. ` +
        `Use a current Chrome, Edge, Firefox or Safari. ${FALLBACK}`,
    };
  }
  return null;
}

function errorName(err: unknown): string {
  return typeof err === "object" && err !== null && "name" in err ? String((err as { name: unknown }).name) : "";
}

function errorDetail(err: unknown): string {
  if (typeof err === "object" && err !== null && "message" in err) {
    return String((err as { message: unknown }).message);
  }
  return String(err);
}

/** Maps a getUserMedia rejection to a problem with a message that says what to do. */
export function problemFromMediaError(err: unknown, env: EnvironmentLike = globalThis as EnvironmentLike): EnvironmentProblem {
  if (err instanceof EnvironmentError) return err.problem;
  const name = errorName(err);
  const detail = errorDetail(err);
  switch (name) {
    case "NotAllowedError":
    case "PermissionDeniedError":
    case "SecurityError":
      if (env.isSecureContext === false) return checkEnvironment(env)!;
      return {
        code: "mic_denied",
        message:
          `Microphone access was denied. Allow it for this site (the camera/microphone icon in ` +
          `the address bar) and press Start again. ${FALLBACK}`,
      };
    case "NotFoundError":
    case "DevicesNotFoundError":
    case "OverconstrainedError":
      return {
        code: "no_media_devices",
        message:
          `No usable microphone was found${name === "OverconstrainedError" ? " (the selected device is gone)" : ""}. ` +
          `Connect one or pick another input device. ${FALLBACK}`,
      };
    case "NotReadableError":
    case "TrackStartError":
    case "AbortError":
      return {
        code: "audio_error",
        message: `The microphone could not be opened; another application may be using it (${detail}). ${FALLBACK}`,
      };
    default:
      return { code: "audio_error", message: `Audio failed: ${detail}. ${FALLBACK}` };
  }
}

/** Failure after the microphone was granted: loading the worklet or building the graph. */
export function graphProblem(err: unknown): EnvironmentProblem {
  const detail = err instanceof Error ? err.message : String(err);
  return {
    code: "audio_error",
    message:
      `Could not start the audio processor (${detail}). A Content-Security-Policy that blocks ` +
      `blob: URLs can cause this. ${FALLBACK}`,
  };
}
