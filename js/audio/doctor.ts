/**
 * Pre-flight check of the browser environment for microphone capture and worklet playback, and
 * the mapping of browser audio errors to one small vocabulary with human messages.
 */

import type { ClientErrorCode } from "../protocol";

/** The problems a page reports are the protocol's client error codes (declared in _comm.py). */
export type EnvironmentProblemCode = ClientErrorCode;

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

/** The one piece of advice every microphone problem ends with (said once per message). */
export const NO_MIC_HINT =
  "Without a microphone: type in the box below, or stream a WAV file from Python with " +
  "chat.session.send_file(path).";

/** What still works when the assistant's voice cannot play. */
const TEXT_ONLY = "Replies still show as text.";

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

function insecureOrigin(env: EnvironmentLike): EnvironmentProblem {
  const origin = env.location?.origin ?? "this page";
  return {
    code: "insecure_origin",
    message:
      `The browser allows the microphone and the audio player only on secure pages (https:// or ` +
      `http://localhost), and ${origin} is not one. Open Jupyter through https, or through an SSH ` +
      `tunnel to localhost (ssh -L 8888:localhost:8888 host). Until then, type in the box below ` +
      `(replies show as text), or stream a WAV file from Python with chat.session.send_file(path).`,
  };
}

function noAudioWorklet(): EnvironmentProblem {
  return {
    code: "no_audio_worklet",
    message:
      `This browser lacks AudioWorklet support, which the microphone and the assistant's voice ` +
      `need. Use a current Chrome, Edge, Firefox or Safari. ${NO_MIC_HINT} ${TEXT_ONLY}`,
  };
}

/**
 * Returns the first reason microphone capture cannot work here, or null when it should. The
 * secure context comes first: on an insecure page every later check fails for that reason.
 */
export function checkEnvironment(env: EnvironmentLike = globalThis as EnvironmentLike): EnvironmentProblem | null {
  if (env.isSecureContext === false) return insecureOrigin(env);
  const getUserMedia = env.navigator?.mediaDevices?.getUserMedia;
  if (typeof getUserMedia !== "function") {
    return {
      code: "no_media_devices",
      message: isVsCodeWebview(env)
        ? `VS Code notebooks do not give widgets access to the microphone (microsoft/vscode#119127). ` +
          `Open the notebook in JupyterLab or Notebook in a browser for voice input. ${NO_MIC_HINT}`
        : `This browser exposes no media devices (navigator.mediaDevices is missing), so the ` +
          `microphone cannot be used here. ${NO_MIC_HINT}`,
    };
  }
  if (typeof env.AudioContext !== "function" || typeof env.AudioWorkletNode !== "function") {
    return noAudioWorklet();
  }
  return null;
}

/** Returns the first reason the assistant's voice cannot play here, or null when it should. */
export function checkPlayback(env: EnvironmentLike = globalThis as EnvironmentLike): EnvironmentProblem | null {
  if (env.isSecureContext === false) return insecureOrigin(env);
  if (typeof env.AudioContext !== "function" || typeof env.AudioWorkletNode !== "function") {
    return noAudioWorklet();
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
      if (env.isSecureContext === false) return insecureOrigin(env);
      return {
        code: "mic_denied",
        message:
          `Microphone access was denied. Allow it for this site (the microphone icon in the ` +
          `address bar), then press Mic on again. ${NO_MIC_HINT}`,
      };
    case "NotFoundError":
    case "DevicesNotFoundError":
    case "OverconstrainedError":
      return {
        code: "no_media_devices",
        message:
          `No usable microphone was found${name === "OverconstrainedError" ? " (the selected device is gone)" : ""}. ` +
          `Connect one or pick another input device, then press Mic on again. ${NO_MIC_HINT}`,
      };
    case "NotReadableError":
    case "TrackStartError":
    case "AbortError":
      return {
        code: "audio_error",
        message:
          `The microphone could not be opened; another application may be using it (${detail}). ` +
          `${NO_MIC_HINT}`,
      };
    default:
      return { code: "audio_error", message: `The microphone failed: ${detail}. ${NO_MIC_HINT}` };
  }
}

/** Failure after the microphone was granted: loading the worklet or building the graph. */
export function graphProblem(err: unknown): EnvironmentProblem {
  const detail = err instanceof Error ? err.message : String(err);
  return {
    code: "audio_error",
    message:
      `Could not start the audio processor (${detail}). A Content-Security-Policy that blocks ` +
      `blob: URLs can cause this. ${NO_MIC_HINT}`,
  };
}

/** The player could not be built (no AudioContext, worklet load failed...). */
export function playbackProblem(err: unknown): EnvironmentProblem {
  if (err instanceof EnvironmentError) return err.problem;
  const detail = errorDetail(err);
  return {
    code: "playback_error",
    message: `The assistant's voice cannot play: the audio player failed (${detail}). ${TEXT_ONLY}`,
  };
}

/** The player's AudioContext does not start while audio waits to play. */
export function suspendedOutputProblem(state: string): EnvironmentProblem {
  return {
    code: "audio_suspended",
    message:
      `The assistant's voice cannot play: the browser has not started audio output (the audio ` +
      `context is ${state}). Click the widget to allow sound; if that does not help, check that ` +
      `the computer has a working audio output device. ${TEXT_ONLY}`,
  };
}

/** Capture is on but no audio arrives: no frames at all (context not running) or only zeros. */
export function silentMicProblem(kind: "no_frames" | "silent", state: string): EnvironmentProblem {
  return {
    code: "mic_silent",
    message:
      kind === "no_frames"
        ? `The microphone is on but no audio arrives (the browser has not started audio input; ` +
          `the audio context is ${state}). Check that the computer has a working audio device, ` +
          `then press Mic off and Mic on again. ${NO_MIC_HINT}`
        : `The microphone sends only silence. Check that the right input device is selected and ` +
          `not muted in the system settings. ${NO_MIC_HINT}`,
  };
}
