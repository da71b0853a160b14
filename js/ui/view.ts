// One rendered view of a VoiceChat: builds the DOM and keeps it in step with the model and the
// shared controller. Returns a cleanup function.

import type { AnyModel } from "@anywidget/types";
import type { EchoStrategy, VoiceModel } from "../model";
import { isActiveState, newViewId, type Controller } from "./controller";
import { meterAttrs, setMeterValue } from "./a11y";
import { h, setText, show } from "./dom";
import { renderEmotions } from "./emotions";
import { renderTranscript } from "./transcript";

const STATE_LABELS: Record<string, string> = {
  idle: "Idle",
  connecting: "Connecting…",
  connected: "Connected",
  listening: "Listening",
  thinking: "Thinking",
  speaking: "Speaking",
  reconnecting: "Reconnecting…",
  disconnected: "Disconnected",
  closed: "Closed",
  error: "Error",
};

const STRATEGY_LABELS: Record<EchoStrategy, string> = {
  aec: "Echo cancellation",
  "half-duplex": "Half duplex",
  headphones: "Headphones",
};

const STATS_SHOWN: Array<[string, string]> = [
  ["frames_sent", "frames sent"],
  ["frames_dropped", "dropped"],
  ["tts_seconds", "assistant audio s"],
  ["queued_ms", "queued ms"],
  ["playback_underruns", "underruns"],
  ["reconnects", "reconnects"],
];

/** Meter fill (0..1) for a level in 0..1 (or Int16 scale), with a perceptual curve. */
function meterFraction(level: number): number {
  const norm = level > 1 ? level / 32768 : level;
  return Math.min(1, Math.sqrt(Math.max(0, norm)) * 1.6);
}

function meter(label: string, name: string): { root: HTMLElement; fill: HTMLElement; track: HTMLElement } {
  const fill = h("span", { class: "nvc-meter-fill" });
  const track = h("span", { class: "nvc-meter-track", attrs: meterAttrs(name) }, [fill]);
  const root = h("div", { class: "nvc-meter" }, [
    h("span", { class: "nvc-meter-label", text: label, attrs: { "aria-hidden": "true" } }),
    track,
  ]);
  return { root, fill, track };
}

function setMeter(m: { fill: HTMLElement; track: HTMLElement }, level: number): void {
  const fraction = meterFraction(level);
  m.fill.style.width = `${(fraction * 100).toFixed(1)}%`;
  setMeterValue(m.track, fraction);
}

export function renderView(
  model: AnyModel<VoiceModel>,
  el: HTMLElement,
  controller: Controller,
): () => void {
  const viewId = newViewId();
  controller.addView(viewId);

  const pill = h("span", {
    class: "nvc-pill",
    attrs: { role: "status", "aria-live": "polite", title: "Session state" },
  });
  const badge = h("span", { class: "nvc-badge", text: "offline emulator" });
  badge.title = "Connected to the local NextEVI emulator, not the real service";
  const connection = h("span", { class: "nvc-connection" });
  const connectBtn = h("button", { class: "nvc-btn nvc-connect", attrs: { type: "button" } });
  const micBtn = h("button", { class: "nvc-btn nvc-mic", attrs: { type: "button" } });
  const muteBtn = h("button", { class: "nvc-btn nvc-mute", attrs: { type: "button" } });
  const stopBtn = h("button", {
    class: "nvc-btn nvc-interrupt",
    attrs: { type: "button" },
    text: "Interrupt",
  });
  const strategy = h("select", { class: "nvc-strategy", attrs: { "aria-label": "Echo strategy" } });
  for (const [value, label] of Object.entries(STRATEGY_LABELS)) {
    strategy.append(h("option", { attrs: { value }, text: label }));
  }
  const volume = h("input", {
    class: "nvc-volume",
    attrs: { type: "range", min: "0", max: "1", step: "0.05", "aria-label": "Volume" },
  });
  const micMeter = meter("mic", "Microphone level");
  const outMeter = meter("out", "Assistant audio level");
  const notice = h("div", { class: "nvc-notice" });
  const errorBox = h("div", { class: "nvc-error", attrs: { role: "alert" } });
  // Focusable so the keyboard can scroll it once it overflows.
  const transcript = h("ol", {
    class: "nvc-transcript",
    // Lumino's notebook shortcuts would take the arrow keys: they stay with the transcript.
    attrs: {
      "aria-live": "polite",
      tabindex: "0",
      "aria-label": "Conversation",
      "data-lm-suppress-shortcuts": "true",
    },
  });
  const emotions = h("div", { class: "nvc-emotions", attrs: { role: "group", "aria-label": "Emotions" } });
  const statsLine = h("div", { class: "nvc-stats" });
  const sayInput = h("input", {
    class: "nvc-say-input",
    attrs: { type: "text", placeholder: "Type to say something…", "aria-label": "Say" },
  });
  const sayBtn = h("button", { class: "nvc-btn nvc-say", attrs: { type: "submit" }, text: "Send" });
  const sayForm = h("form", { class: "nvc-say-form" }, [sayInput, sayBtn]);

  const root = h("div", { class: "nextevi-voice-chat", attrs: { "data-view-id": viewId } }, [
    h("div", { class: "nvc-header" }, [pill, badge, connection]),
    h("div", { class: "nvc-controls" }, [connectBtn, micBtn, muteBtn, stopBtn, strategy, volume]),
    h("div", { class: "nvc-meters" }, [micMeter.root, outMeter.root]),
    notice,
    errorBox,
    h("div", { class: "nvc-body" }, [transcript, emotions]),
    sayForm,
    statsLine,
  ]);
  el.replaceChildren(root);

  // Rendering -------------------------------------------------------------------------------

  const renderStatus = (): void => {
    const state = model.get("state");
    pill.dataset.state = state;
    setText(pill, STATE_LABELS[state] ?? state);
    show(badge, model.get("is_emulator"));
    setText(connection, model.get("connection_id"));
    setText(connectBtn, isActiveState(state) ? "Disconnect" : "Connect");
    root.dataset.userSpeaking = String(model.get("is_user_speaking"));
    root.dataset.assistantSpeaking = String(model.get("is_assistant_speaking"));
  };

  const renderControls = (): void => {
    const claimed = model.get("capture_view");
    const mine = controller.capturing && controller.captureOwner === viewId;
    const elsewhere = claimed !== "" && claimed !== viewId && !mine;
    root.dataset.capture = mine ? controller.capturePhase : elsewhere ? "elsewhere" : "off";
    setText(micBtn, mine ? "Mic off" : elsewhere ? "Use mic here" : "Mic on");
    micBtn.setAttribute("aria-pressed", String(mine));
    setText(notice, elsewhere ? "The microphone is capturing in another view." : "");
    show(notice, elsewhere);
    setText(muteBtn, model.get("muted") ? "Unmute" : "Mute");
    muteBtn.setAttribute("aria-pressed", String(model.get("muted")));
    strategy.value = model.get("echo_strategy");
    volume.value = String(model.get("volume"));
  };

  const renderMeters = (): void => {
    const mine = controller.captureOwner === viewId;
    setMeter(micMeter, mine ? controller.micLevel : 0);
    setMeter(outMeter, controller.outLevel);
  };

  const renderError = (): void => {
    // One line per problem: this page's own, then the kernel's (without copies of ours).
    const lines = controller.shownProblems().map((p) => p.message);
    const kernel = controller.kernelError();
    if (kernel && !lines.includes(kernel)) lines.push(kernel);
    setText(errorBox, lines.join("\n"));
    show(errorBox, lines.length > 0);
  };

  const renderText = (): void =>
    renderTranscript(transcript, {
      messages: model.get("messages"),
      interim: model.get("interim_transcript"),
      assistantText: model.get("assistant_text"),
    });

  const renderStats = (): void => {
    const stats = model.get("stats");
    const parts: string[] = [];
    for (const [key, label] of STATS_SHOWN) {
      const value = stats[key];
      if (typeof value === "number") {
        parts.push(`${label} ${Number.isInteger(value) ? value : value.toFixed(1)}`);
      }
    }
    setText(statsLine, parts.join(" · "));
  };

  const renderAll = (): void => {
    renderStatus();
    renderControls();
    renderMeters();
    renderError();
    renderText();
    renderEmotions(emotions, model.get("emotions"));
    renderStats();
  };

  // Events ----------------------------------------------------------------------------------

  // Any click in the widget is a user gesture: a context the autoplay policy held may start.
  root.addEventListener("click", () => controller.resumeAudio());
  connectBtn.addEventListener("click", () => {
    if (isActiveState(model.get("state"))) controller.disconnect();
    else controller.connect();
  });
  micBtn.addEventListener("click", () => {
    if (controller.capturing && controller.captureOwner === viewId) {
      void controller.stopCapture(true);
      return;
    }
    if (!isActiveState(model.get("state"))) controller.connect();
    void controller.startCapture(viewId, true);
  });
  muteBtn.addEventListener("click", () => {
    model.set("muted", !model.get("muted"));
    model.save_changes();
  });
  stopBtn.addEventListener("click", () => controller.interrupt());
  strategy.addEventListener("change", () => {
    model.set("echo_strategy", strategy.value as EchoStrategy);
    model.save_changes();
  });
  let volumeTimer: ReturnType<typeof setTimeout> | undefined;
  volume.addEventListener("input", () => {
    // Debounced: a drag should not flood the kernel.
    clearTimeout(volumeTimer);
    volumeTimer = setTimeout(() => {
      model.set("volume", Number(volume.value));
      model.save_changes();
    }, 150);
  });
  const submitSay = (): void => {
    const text = sayInput.value.trim();
    if (!text) return;
    controller.say(text);
    sayInput.value = "";
  };
  sayForm.addEventListener("submit", (event) => {
    event.preventDefault();
    submitSay();
  });
  // Keys typed here belong to the text box, not to the notebook's shortcuts (Enter, A, B...).
  sayInput.addEventListener("keydown", (event) => {
    event.stopPropagation();
    if (event.key === "Enter") {
      event.preventDefault();
      submitSay();
    }
  });

  const handlers: Array<[string, () => void]> = [
    ["change:state", renderStatus],
    ["change:is_emulator", renderStatus],
    ["change:connection_id", renderStatus],
    ["change:is_user_speaking", renderStatus],
    ["change:is_assistant_speaking", renderStatus],
    ["change:capture_view", renderControls],
    ["change:muted", renderControls],
    ["change:echo_strategy", renderControls],
    ["change:volume", renderControls],
    ["change:last_error", renderError],
    ["change:messages", renderText],
    ["change:interim_transcript", renderText],
    ["change:assistant_text", renderText],
    ["change:emotions", () => renderEmotions(emotions, model.get("emotions"))],
    ["change:stats", renderStats],
  ];
  for (const [event, handler] of handlers) model.on(event, handler);
  let frame = 0;
  const unsubscribe = controller.subscribe(() => {
    // Meters update at audio-frame rate; draw at most once per animation frame.
    if (frame === 0) {
      frame = requestAnimationFrame(() => {
        frame = 0;
        renderControls();
        renderMeters();
        renderError();
      });
    }
  });
  renderAll();

  return () => {
    unsubscribe();
    if (frame !== 0) cancelAnimationFrame(frame);
    clearTimeout(volumeTimer);
    for (const [event, handler] of handlers) model.off(event, handler);
    controller.removeView(viewId);
    root.remove();
  };
}
