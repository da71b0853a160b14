import { describe, expect, it } from "vitest";
import { kernelErrorText, ProblemBook } from "./problems";

const denied = { code: "mic_denied" as const, message: "Microphone access was denied." };
const insecure = { code: "insecure_origin" as const, message: "Not a secure page." };
const suspended = { code: "audio_suspended" as const, message: "No sound." };

describe("ProblemBook", () => {
  it("reports a problem once, again only when its text changes", () => {
    const book = new ProblemBook();
    expect(book.report(denied)).toEqual(denied);
    expect(book.report(denied)).toBeNull();
    expect(book.report({ ...denied, message: "other" })).not.toBeNull();
    expect(book.shown()).toHaveLength(1);
  });

  it("shows a page-wide cause alone, whatever failed after it", () => {
    const book = new ProblemBook();
    book.report({ code: "playback_error", message: "player failed" });
    book.report(insecure);
    book.report({ code: "audio_error", message: "Could not start the audio processor" });
    expect(book.shown()).toEqual([insecure]);
  });

  it("shows independent problems one line each", () => {
    const book = new ProblemBook();
    book.report(denied);
    book.report(suspended);
    expect(book.shown()).toEqual([denied, suspended]);
  });

  it("clears mic access problems when capture works", () => {
    const book = new ProblemBook();
    book.report(denied);
    book.report(suspended);
    expect(book.captureWorked()).toEqual(["mic_denied"]);
    expect(book.shown()).toEqual([suspended]);
  });

  it("clears them after a typed turn gets a reply, not after an earlier reply", () => {
    const book = new ProblemBook();
    book.typed(); // typed before the problem: its reply says nothing about it
    book.report(denied);
    expect(book.replied()).toEqual([]);
    book.typed();
    expect(book.replied()).toEqual(["mic_denied"]);
    expect(book.shown()).toEqual([]);
  });
});

describe("kernelErrorText", () => {
  it("hides the kernel's copy of a problem this page shows", () => {
    expect(kernelErrorText("mic_denied: Microphone access was denied.", new Set(["mic_denied"]))).toBe("");
  });

  it("drops the code prefix of a problem from another page", () => {
    expect(kernelErrorText("mic_denied: Microphone access was denied.", new Set())).toBe(
      "Microphone access was denied.",
    );
  });

  it("leaves kernel errors alone", () => {
    const text = "ConnectionClosedError: closed (4001 unauthorized)";
    expect(kernelErrorText(text, new Set(["mic_denied"]))).toBe(text);
    expect(kernelErrorText("protocol_error: bad frame", new Set())).toBe("protocol_error: bad frame");
  });
});
