// The problems a page shows: at most one message per problem, the root cause first, and each
// cleared when what caused it is gone. Sans-I/O: the controller feeds events and sends the
// returned changes to the kernel.

import { isClientErrorCode, type ClientErrorCode } from "../protocol";
import type { EnvironmentProblem } from "./audio_api";

export type ProblemArea = "page" | "mic" | "output";

export const PROBLEM_AREA: Record<ClientErrorCode, ProblemArea> = {
  insecure_origin: "page",
  no_audio_worklet: "page",
  no_media_devices: "mic",
  mic_denied: "mic",
  audio_error: "mic",
  mic_silent: "mic",
  playback_error: "output",
  audio_suspended: "output",
  // A kernel message the page cannot use: they all concern playback.
  comm_error: "output",
};

/** Mic problems that a working conversation without the mic makes moot. */
const MIC_ACCESS: ReadonlySet<ClientErrorCode> = new Set(["mic_denied", "no_media_devices", "audio_error"]);

export interface ProblemChanges {
  /** New or changed problems (tell the kernel). */
  reported: EnvironmentProblem[];
  /** Codes no longer a problem (tell the kernel). */
  cleared: ClientErrorCode[];
}

export class ProblemBook {
  private readonly active = new Map<ClientErrorCode, EnvironmentProblem>();
  private typedSinceMicProblem = false;

  /** Record `problem`; returns it when it is new or its text changed, else null. */
  report(problem: EnvironmentProblem): EnvironmentProblem | null {
    const known = this.active.get(problem.code);
    if (known !== undefined && known.message === problem.message) return null;
    this.active.set(problem.code, problem);
    if (PROBLEM_AREA[problem.code] === "mic") this.typedSinceMicProblem = false;
    return problem;
  }

  has(code: ClientErrorCode): boolean {
    return this.active.has(code);
  }

  /** Clear `codes`; returns those that were active. */
  clear(...codes: ClientErrorCode[]): ClientErrorCode[] {
    return codes.filter((code) => this.active.delete(code));
  }

  /** The microphone captures: access problems are over. */
  captureWorked(): ClientErrorCode[] {
    return this.clear(...MIC_ACCESS);
  }

  /** The user typed a message. */
  typed(): void {
    this.typedSinceMicProblem = true;
  }

  /** An assistant reply arrived: after a typed turn, the conversation works without the mic. */
  replied(): ClientErrorCode[] {
    return this.typedSinceMicProblem ? this.clear(...MIC_ACCESS) : [];
  }

  /**
   * What to show, one entry per problem: a page-wide cause (insecure origin, no AudioWorklet)
   * alone, since every mic or output failure then follows from it.
   */
  shown(): EnvironmentProblem[] {
    const all = [...this.active.values()];
    const page = all.filter((p) => PROBLEM_AREA[p.code] === "page");
    return page.length > 0 ? page.slice(0, 1) : all;
  }
}

/**
 * The kernel's `last_error` as this page should show it: a client error the page itself shows
 * is not repeated, and another page's client error loses its `code: ` prefix.
 */
export function kernelErrorText(lastError: string, shownHere: ReadonlySet<string>): string {
  const match = /^([a-z_]+): ([\s\S]*)$/.exec(lastError);
  if (match === null || !isClientErrorCode(match[1])) return lastError;
  return shownHere.has(match[1]!) ? "" : match[2]!;
}
